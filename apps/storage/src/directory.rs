//! The platform's tables: the tenant registry and the national directory
//! that says which province holds a certificate number.

use std::sync::LazyLock;

use chrono::Utc;
use safecert_domain::CertNo;
use sea_orm::{
    ConnectionTrait, FromQueryResult,
    sea_query::{Expr, ExprTrait, OnConflict, Query},
};

use crate::{
    Databases, StorageError,
    directory_entry::DirectoryRow,
    point_read,
    schema::{CertDirectory, DIRECTORY_COLUMNS, Tenants},
};

/// A tenant as registered in the platform database.
#[derive(Clone, Debug, FromQueryResult, PartialEq, Eq)]
pub struct TenantRow {
    pub slug: String,
    pub code: String,
    pub name_zh: String,
    pub name_en: String,
    pub name_ug: String,
    pub default_locale: String,
}

impl Databases {
    /// Records (or updates) a tenant in the platform registry.
    pub async fn register_tenant(&self, row: &TenantRow) -> Result<(), StorageError> {
        let platform = self.platform();
        let stmt = Query::insert()
            .into_table(platform.table(Tenants::Table))
            .columns([
                Tenants::Slug,
                Tenants::Code,
                Tenants::NameZh,
                Tenants::NameEn,
                Tenants::NameUg,
                Tenants::DefaultLocale,
                Tenants::SyncedAt,
            ])
            .values([
                row.slug.clone().into(),
                row.code.clone().into(),
                row.name_zh.clone().into(),
                row.name_en.clone().into(),
                row.name_ug.clone().into(),
                row.default_locale.clone().into(),
                Utc::now().fixed_offset().into(),
            ])
            .map_err(|e| StorageError::Corrupt(e.to_string()))?
            .on_conflict(
                OnConflict::column(Tenants::Slug)
                    .update_columns([
                        Tenants::Code,
                        Tenants::NameZh,
                        Tenants::NameEn,
                        Tenants::NameUg,
                        Tenants::DefaultLocale,
                        Tenants::SyncedAt,
                    ])
                    .to_owned(),
            )
            .to_owned();
        platform.conn.execute(&stmt).await?;
        Ok(())
    }

    /// Every tenant in the platform registry, by slug.
    pub async fn registered_tenants(&self) -> Result<Vec<TenantRow>, StorageError> {
        let platform = self.platform();
        let stmt = Query::select()
            .columns([
                Tenants::Slug,
                Tenants::Code,
                Tenants::NameZh,
                Tenants::NameEn,
                Tenants::NameUg,
                Tenants::DefaultLocale,
            ])
            .from(platform.table(Tenants::Table))
            .order_by(Tenants::Slug, sea_orm::sea_query::Order::Asc)
            .to_owned();
        let backend = platform.conn.get_database_backend();
        Ok(TenantRow::find_by_statement(backend.build(&stmt)).all(&platform.conn).await?)
    }

    /// The directory's row for a number, straight from the database.
    pub(crate) async fn directory_row(&self, no: &CertNo) -> Result<Option<DirectoryRow>, StorageError> {
        static COLUMNS: LazyLock<String> = LazyLock::new(|| point_read::column_list(&DIRECTORY_COLUMNS));
        let platform = self.platform();
        let stmt = point_read::by_key(&platform, &COLUMNS, CertDirectory::Table, CertDirectory::CertNo, no.as_str());
        Ok(platform.reads.one_in_order::<DirectoryRow>(stmt).await?)
    }

    /// The directory rows of many numbers, in one query per chunk.
    pub(crate) async fn directory_rows(&self, numbers: &[String]) -> Result<Vec<(String, DirectoryRow)>, StorageError> {
        let platform = self.platform();
        let backend = platform.conn.get_database_backend();
        let mut found = Vec::with_capacity(numbers.len());
        for chunk in numbers.chunks(READ_CHUNK) {
            let stmt = Query::select()
                .column(CertDirectory::CertNo)
                .columns(DIRECTORY_COLUMNS)
                .from(platform.table(CertDirectory::Table))
                .and_where(Expr::col(CertDirectory::CertNo).is_in(chunk.iter().map(String::as_str)))
                .to_owned();
            for row in platform.conn.query_all_raw(backend.build(&stmt)).await? {
                let no: String = row.try_get("", "cert_no")?;
                found.push((no, DirectoryRow::from_query_result(&row, "")?));
            }
        }
        Ok(found)
    }
}

/// Numbers per `IN (...)` read: under both backends' parameter limits.
pub(crate) const READ_CHUNK: usize = 1_000;
