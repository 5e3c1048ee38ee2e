//! Reading and writing certificates, through the cache.

use std::sync::{Arc, LazyLock};

use chrono::Utc;
use safecert_domain::{CertNo, Certificate, IdNumber, Revocation, TenantSlug};
use sea_orm::{
    ConnectionTrait, DatabaseTransaction, FromQueryResult, StatementBuilder, TransactionTrait,
    sea_query::{Expr, ExprTrait, Func, OnConflict, Query, SelectStatement, SimpleExpr},
};

use crate::{
    Backend, CertificateRecord, Databases, DirectoryEntry, FieldCipher, LookupCache, StorageError,
    db::Scoped,
    point_read,
    record::CertificateRow,
    schema::{CertDirectory, Certificates, DIRECTORY_COLUMNS, RECORD_COLUMNS},
};

/// Rows per INSERT statement: 24 parameters each stays well under the
/// parameter limits of both backends.
const INSERT_CHUNK: usize = 500;

/// How hard a write waits for the disk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Durability {
    /// Committed means on disk.
    Full,
    /// For bulk loads that can be redone (synthetic data): PostgreSQL may
    /// acknowledge a commit before its WAL is flushed. A crash can lose the
    /// last moments of the load, never corrupt it.
    Bulk,
}

/// What a certificate holds beyond its record.
#[derive(Clone, Debug, Default)]
pub struct CertificateDetails {
    pub training: Vec<safecert_domain::TrainingRecord>,
    /// Every review, oldest first; empty for certificates written before
    /// reviews were kept (their last review is the record's `reviewed_on`).
    pub reviews: Vec<safecert_domain::Review>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}

pub struct CertificateStore {
    dbs: Arc<Databases>,
    cipher: FieldCipher,
    cache: Arc<LookupCache>,
}

fn id_context(tenant: &TenantSlug) -> String {
    format!("id_number:{tenant}")
}

fn select_records(scoped: &Scoped) -> SelectStatement {
    Query::select().columns(RECORD_COLUMNS).from(scoped.table(Certificates::Table)).to_owned()
}

impl CertificateStore {
    pub fn new(dbs: Arc<Databases>, cipher: FieldCipher, cache: Arc<LookupCache>) -> Self {
        Self { dbs, cipher, cache }
    }

    pub fn databases(&self) -> &Arc<Databases> {
        &self.dbs
    }

    pub fn cache(&self) -> &Arc<LookupCache> {
        &self.cache
    }

    /// The certificate with this number in this tenant, if any.
    pub async fn get(&self, tenant: &TenantSlug, no: &CertNo) -> Result<Option<Arc<CertificateRecord>>, StorageError> {
        self.cache.cert_or_load(tenant, no, || async { Ok(self.load(tenant, no).await?.map(Arc::new)) }).await
    }

    async fn load(&self, tenant: &TenantSlug, no: &CertNo) -> Result<Option<CertificateRecord>, StorageError> {
        static COLUMNS: LazyLock<String> = LazyLock::new(|| point_read::column_list(&RECORD_COLUMNS));
        let scoped = self.dbs.tenant(tenant)?;
        let stmt = point_read::by_key(&scoped, &COLUMNS, Certificates::Table, Certificates::CertNo, no.as_str());
        scoped.reads.one_in_order::<CertificateRow>(stmt).await?.map(CertificateRecord::try_from).transpose()
    }

    /// What the national directory knows of a number: its province and
    /// the fields public verification shows. One query, cached.
    pub async fn public_entry(&self, no: &CertNo) -> Result<Option<Arc<DirectoryEntry>>, StorageError> {
        let load = || async {
            let found = match self.dbs.directory_row(no).await? {
                None => None,
                Some(row) => {
                    let tenant = row.tenant(no.as_str())?;
                    match row.into_entry(tenant.clone(), no.as_str())? {
                        Some(entry) => Some(entry),
                        // A row from before the directory kept public fields.
                        None => self.load(&tenant, no).await?.map(|r| DirectoryEntry::from_record(tenant, &r)),
                    }
                }
            };
            Ok(found.map(Arc::new))
        };
        self.cache.directory_or_load(no, load).await
    }

    /// The directory entries of many numbers at once, by number: one read
    /// per thousand numbers, past the cache (a batch asks each once).
    pub async fn public_entries(
        &self,
        numbers: &[String],
    ) -> Result<std::collections::HashMap<String, DirectoryEntry>, StorageError> {
        let mut found = std::collections::HashMap::with_capacity(numbers.len());
        for (no, row) in self.dbs.directory_rows(numbers).await? {
            let tenant = row.tenant(&no)?;
            let entry = match row.into_entry(tenant.clone(), &no)? {
                Some(entry) => Some(entry),
                None => match CertNo::parse(&no) {
                    // A row from before the directory kept public fields.
                    Ok(parsed) => self.load(&tenant, &parsed).await?.map(|r| DirectoryEntry::from_record(tenant, &r)),
                    Err(_) => None,
                },
            };
            if let Some(entry) = entry {
                found.insert(no, entry);
            }
        }
        Ok(found)
    }

    /// The holder keys (blind indexes of the ID numbers) of certificates of
    /// one tenant, by number.
    pub async fn holder_indexes(
        &self,
        tenant: &TenantSlug,
        numbers: &[String],
    ) -> Result<std::collections::HashMap<String, String>, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let backend = scoped.conn.get_database_backend();
        let mut found = std::collections::HashMap::with_capacity(numbers.len());
        for chunk in numbers.chunks(crate::directory::READ_CHUNK) {
            let stmt = Query::select()
                .columns([Certificates::CertNo, Certificates::IdIndex])
                .from(scoped.table(Certificates::Table))
                .and_where(Expr::col(Certificates::CertNo).is_in(chunk.iter().map(String::as_str)))
                .to_owned();
            for row in scoped.conn.query_all_raw(backend.build(&stmt)).await? {
                found.insert(row.try_get::<String>("", "cert_no")?, row.try_get::<String>("", "id_index")?);
            }
        }
        Ok(found)
    }

    /// The cipher personal data is sealed with, for what is stored beside
    /// certificates (such as the rows of a batch verification).
    pub fn cipher(&self) -> &FieldCipher {
        &self.cipher
    }

    /// Which tenant holds this number, from the national directory.
    pub async fn locate(&self, no: &CertNo) -> Result<Option<TenantSlug>, StorageError> {
        Ok(self.public_entry(no).await?.map(|e| e.tenant.clone()))
    }

    /// The holder key of an ID number: the blind index certificates carry.
    pub fn holder_index(&self, id: &IdNumber) -> String {
        self.cipher.blind_index("id_number", id.expose())
    }

    /// Every certificate of the tenant held by this ID number, found
    /// through the blind index.
    pub async fn find_by_id_number(
        &self,
        tenant: &TenantSlug,
        id: &IdNumber,
    ) -> Result<Vec<CertificateRecord>, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let index = self.holder_index(id);
        let stmt = select_records(&scoped)
            .and_where(Expr::col(Certificates::IdIndex).eq(index))
            .order_by(Certificates::CertNo, sea_orm::sea_query::Order::Asc)
            .to_owned();
        let backend = scoped.conn.get_database_backend();
        let rows = CertificateRow::find_by_statement(backend.build(&stmt)).all(&scoped.conn).await?;
        rows.into_iter().map(CertificateRecord::try_from).collect()
    }

    /// The holder's full ID number, decrypted: only for callers allowed to
    /// see it.
    pub async fn reveal_id_number(&self, tenant: &TenantSlug, no: &CertNo) -> Result<Option<IdNumber>, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let stmt = Query::select()
            .column(Certificates::IdCipher)
            .from(scoped.table(Certificates::Table))
            .and_where(Expr::col(Certificates::CertNo).eq(no.as_str()))
            .to_owned();
        let Some(row) = scoped.reads.one(&stmt).await? else {
            return Ok(None);
        };
        let sealed: Vec<u8> = row.try_get("", "id_cipher")?;
        let plain = self.cipher.decrypt(&id_context(tenant), &sealed)?;
        IdNumber::parse(&plain)
            .map(Some)
            .map_err(|_| StorageError::Corrupt(format!("certificate {no}: stored ID number does not parse")))
    }

    /// The training records and custom fields of a certificate: what the
    /// detailed view adds to a lookup (not cached; read on demand).
    pub async fn details(&self, tenant: &TenantSlug, no: &CertNo) -> Result<Option<CertificateDetails>, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let stmt = Query::select()
            .columns([Certificates::Training, Certificates::CustomFields, Certificates::Reviews])
            .from(scoped.table(Certificates::Table))
            .and_where(Expr::col(Certificates::CertNo).eq(no.as_str()))
            .to_owned();
        let Some(row) = scoped.reads.one(&stmt).await? else {
            return Ok(None);
        };
        let corrupt =
            |what: &str, e: serde_json::Error| StorageError::Corrupt(format!("certificate {no}: {what}: {e}"));
        let training: serde_json::Value = row.try_get("", "training")?;
        let custom: serde_json::Value = row.try_get("", "custom_fields")?;
        let reviews: Option<serde_json::Value> = row.try_get("", "reviews")?;
        Ok(Some(CertificateDetails {
            training: serde_json::from_value(training).map_err(|e| corrupt("training", e))?,
            reviews: match reviews {
                Some(value) => serde_json::from_value(value).map_err(|e| corrupt("reviews", e))?,
                None => Vec::new(),
            },
            custom_fields: serde_json::from_value(custom).map_err(|e| corrupt("custom fields", e))?,
        }))
    }

    pub async fn count(&self, tenant: &TenantSlug) -> Result<u64, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let stmt = Query::select()
            .expr_as(Func::count(Expr::col(Certificates::Id)), "n")
            .from(scoped.table(Certificates::Table))
            .to_owned();
        let row = scoped.conn.query_one(&stmt).await?;
        let n: i64 = match row {
            Some(row) => row.try_get("", "n")?,
            None => 0,
        };
        Ok(u64::try_from(n).unwrap_or(0))
    }

    /// Stores certificates of one tenant, skipping numbers that already
    /// exist anywhere, and records them in the national directory, in one
    /// transaction per database. Returns how many were new.
    pub async fn insert_new(
        &self,
        tenant: &TenantSlug,
        certs: &[Certificate],
        durability: Durability,
    ) -> Result<u64, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let platform = self.dbs.platform();
        let now = Utc::now().fixed_offset();
        let mut cert_stmts = Vec::new();
        let mut dir_stmts = Vec::new();
        for chunk in certs.chunks(INSERT_CHUNK) {
            cert_stmts.push(self.insert_statement(&scoped, tenant, chunk, now)?);
            let mut dir_stmt = Query::insert();
            dir_stmt
                .into_table(platform.table(CertDirectory::Table))
                .columns([CertDirectory::CertNo, CertDirectory::UpdatedAt].into_iter().chain(DIRECTORY_COLUMNS))
                .on_conflict(OnConflict::column(CertDirectory::CertNo).do_nothing().to_owned());
            for c in chunk {
                let revocation = c.revocation.as_ref();
                dir_stmt
                    .values([
                        c.cert_no.as_str().into(),
                        now.into(),
                        tenant.as_str().into(),
                        c.holder_name.expose().into(),
                        c.cert_type.as_str().into(),
                        c.issuing_authority.as_str().into(),
                        c.issue_date.into(),
                        c.expiry_date.into(),
                        revocation.map(|r| r.kind.code()).into(),
                        revocation.map(|r| r.on).into(),
                        c.reviewed_on.into(),
                    ])
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            }
            dir_stmts.push(dir_stmt);
        }
        let txn = scoped.conn.begin().await?;
        if self.dbs.backend() == Backend::Postgres && durability == Durability::Bulk {
            txn.execute_unprepared("SET LOCAL synchronous_commit = off").await?;
        }
        let mut inserted = 0;
        for stmt in &cert_stmts {
            inserted += txn.execute(stmt).await?.rows_affected();
        }
        self.commit_with_directory(txn, &dir_stmts).await?;
        Ok(inserted)
    }

    /// Commits a tenant transaction together with the directory writes
    /// that go with it. On PostgreSQL both live in one database, so one
    /// transaction covers both; SQLite keeps the directory in another file,
    /// written right after.
    async fn commit_with_directory<S: StatementBuilder + Sync>(
        &self,
        txn: DatabaseTransaction,
        dir_stmts: &[S],
    ) -> Result<(), StorageError> {
        if self.dbs.backend() == Backend::Postgres {
            for stmt in dir_stmts {
                txn.execute(stmt).await?;
            }
            txn.commit().await?;
            return Ok(());
        }
        txn.commit().await?;
        if !dir_stmts.is_empty() {
            let dir_txn = self.dbs.platform().conn.begin().await?;
            for stmt in dir_stmts {
                dir_txn.execute(stmt).await?;
            }
            dir_txn.commit().await?;
        }
        Ok(())
    }

    fn insert_statement(
        &self,
        scoped: &Scoped,
        tenant: &TenantSlug,
        chunk: &[Certificate],
        now: chrono::DateTime<chrono::FixedOffset>,
    ) -> Result<sea_orm::sea_query::InsertStatement, StorageError> {
        let context = id_context(tenant);
        let mut stmt = Query::insert();
        stmt.into_table(scoped.table(Certificates::Table))
            .columns([
                Certificates::CertNo,
                Certificates::HolderName,
                Certificates::IdCipher,
                Certificates::IdIndex,
                Certificates::IdMasked,
                Certificates::EmployerUscc,
                Certificates::EmployerName,
                Certificates::Department,
                Certificates::RegionCode,
                Certificates::Position,
                Certificates::Industry,
                Certificates::CertType,
                Certificates::IssuingAuthority,
                Certificates::IssueDate,
                Certificates::ExpiryDate,
                Certificates::RevocationKind,
                Certificates::RevocationOn,
                Certificates::RevocationReason,
                Certificates::ReviewedOn,
                Certificates::Status,
                Certificates::Training,
                Certificates::Reviews,
                Certificates::CustomFields,
                Certificates::CreatedAt,
                Certificates::UpdatedAt,
            ])
            .on_conflict(OnConflict::column(Certificates::CertNo).do_nothing().to_owned());
        for c in chunk {
            let training = serde_json::to_value(&c.training).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let reviews = serde_json::to_value(&c.reviews).map_err(|e| StorageError::Corrupt(e.to_string()))?;
            let row: Vec<SimpleExpr> = vec![
                c.cert_no.as_str().into(),
                c.holder_name.expose().into(),
                self.cipher.encrypt(&context, c.id_number.expose())?.into(),
                self.cipher.blind_index("id_number", c.id_number.expose()).into(),
                c.id_number.masked().into(),
                c.employer_uscc.as_str().into(),
                c.employer_name.as_str().into(),
                c.department.as_str().into(),
                c.region.as_str().into(),
                c.position.as_str().into(),
                c.industry.as_str().into(),
                c.cert_type.as_str().into(),
                c.issuing_authority.as_str().into(),
                c.issue_date.into(),
                c.expiry_date.into(),
                c.revocation.as_ref().map(|r| r.kind.code()).into(),
                c.revocation.as_ref().map(|r| r.on).into(),
                c.revocation.as_ref().map(|r| r.reason.clone()).into(),
                c.reviewed_on.into(),
                c.status.code().into(),
                training.into(),
                reviews.into(),
                serde_json::Value::Object(c.custom_fields.clone()).into(),
                now.into(),
                now.into(),
            ];
            stmt.values(row).map_err(|e| StorageError::Corrupt(e.to_string()))?;
        }
        Ok(stmt)
    }

    /// Revokes or suspends a certificate, in its tenant's table and in the
    /// national directory, and drops it from every cache. Returns false if
    /// the tenant has no such certificate.
    pub async fn revoke(
        &self,
        tenant: &TenantSlug,
        no: &CertNo,
        revocation: &Revocation,
    ) -> Result<bool, StorageError> {
        let scoped = self.dbs.tenant(tenant)?;
        let platform = self.dbs.platform();
        let kind = revocation.kind.code();
        let now = Utc::now().fixed_offset();
        let cert_stmt = Query::update()
            .table(scoped.table(Certificates::Table))
            .values([
                (Certificates::RevocationKind, kind.into()),
                (Certificates::RevocationOn, revocation.on.into()),
                (Certificates::RevocationReason, revocation.reason.clone().into()),
                (Certificates::UpdatedAt, now.into()),
            ])
            .and_where(Expr::col(Certificates::CertNo).eq(no.as_str()))
            .to_owned();
        let dir_stmt = Query::update()
            .table(platform.table(CertDirectory::Table))
            .values([
                (CertDirectory::RevocationKind, kind.into()),
                (CertDirectory::RevocationOn, revocation.on.into()),
                (CertDirectory::UpdatedAt, now.into()),
            ])
            .and_where(Expr::col(CertDirectory::CertNo).eq(no.as_str()))
            .and_where(Expr::col(CertDirectory::TenantSlug).eq(tenant.as_str()))
            .to_owned();
        let txn = scoped.conn.begin().await?;
        let changed = txn.execute(&cert_stmt).await?.rows_affected() > 0;
        let dir_stmts = if changed { vec![dir_stmt] } else { vec![] };
        self.commit_with_directory(txn, &dir_stmts).await?;
        self.cache.invalidate(tenant, no).await;
        Ok(changed)
    }
}
