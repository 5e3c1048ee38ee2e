//! The PDFs the platform issued: verification code, what they show and the
//! digest of their bytes.

use chrono::{DateTime, FixedOffset};
use sea_orm::{
    DeriveIden, FromQueryResult,
    sea_query::{Expr, ExprTrait, Query},
};

use crate::{
    Databases, InsertError, StorageError,
    accounts::{insert_returning_id, now},
};

#[derive(DeriveIden, Clone, Copy)]
enum IssuedReports {
    Table,
    Id,
    Code,
    Kind,
    TenantSlug,
    CertNos,
    AccountId,
    Digest,
    IssuedAt,
}

const COLUMNS: [IssuedReports; 7] = [
    IssuedReports::Code,
    IssuedReports::Kind,
    IssuedReports::TenantSlug,
    IssuedReports::CertNos,
    IssuedReports::AccountId,
    IssuedReports::Digest,
    IssuedReports::IssuedAt,
];

/// An issued PDF.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct IssuedReportRow {
    pub code: String,
    /// `report` or `e_certificate`.
    pub kind: String,
    pub tenant_slug: String,
    /// The certificate numbers it shows, comma-separated.
    pub cert_nos: String,
    pub account_id: i32,
    /// SHA-256 of the file, hex.
    pub digest: String,
    pub issued_at: DateTime<FixedOffset>,
}

impl Databases {
    pub async fn insert_issued_report(&self, r: &IssuedReportRow) -> Result<i32, InsertError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(IssuedReports::Table))
            .columns(COLUMNS)
            .values_panic([
                r.code.as_str().into(),
                r.kind.as_str().into(),
                r.tenant_slug.as_str().into(),
                r.cert_nos.as_str().into(),
                r.account_id.into(),
                r.digest.as_str().into(),
                r.issued_at.into(),
            ])
            .to_owned();
        insert_returning_id(&p.conn, insert, IssuedReports::Id).await
    }

    async fn issued_report_where(
        &self,
        column: IssuedReports,
        value: &str,
    ) -> Result<Option<IssuedReportRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(COLUMNS)
            .from(p.table(IssuedReports::Table))
            .and_where(Expr::col(column).eq(value))
            .to_owned();
        Ok(IssuedReportRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    pub async fn issued_report_by_code(&self, code: &str) -> Result<Option<IssuedReportRow>, StorageError> {
        self.issued_report_where(IssuedReports::Code, code).await
    }

    pub async fn issued_report_by_digest(&self, digest: &str) -> Result<Option<IssuedReportRow>, StorageError> {
        self.issued_report_where(IssuedReports::Digest, digest).await
    }
}

/// The time a report is issued at.
pub fn issued_now() -> DateTime<FixedOffset> {
    now()
}
