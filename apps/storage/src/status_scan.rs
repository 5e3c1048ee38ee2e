//! Reading every certificate's rule facts page by page, and writing back
//! the expiry and status the rules give: the nightly scan and the dry run
//! of a new rules version.

use chrono::NaiveDate;
use safecert_domain::{RevocationKind, Status, TenantSlug};
use sea_orm::{
    ConnectionTrait, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{Backend, CertificateStore, StorageError, record::parse_revocation_kind, schema::Certificates};

/// What the rules read of a certificate, with what was last stored.
#[derive(Clone, Debug)]
pub struct StatusFacts {
    pub id: i64,
    pub cert_no: String,
    pub cert_type: String,
    pub issue_date: NaiveDate,
    pub reviewed_on: Option<NaiveDate>,
    pub revocation_kind: Option<RevocationKind>,
    pub expiry_date: NaiveDate,
    pub status: Option<Status>,
}

#[derive(FromQueryResult)]
struct StatusRow {
    id: i64,
    cert_no: String,
    cert_type: String,
    issue_date: NaiveDate,
    reviewed_on: Option<NaiveDate>,
    revocation_kind: Option<String>,
    expiry_date: NaiveDate,
    status: Option<String>,
}

/// Rows per UPDATE statement.
const UPDATE_CHUNK: usize = 2_500;

/// A new expiry and status for one certificate, by id.
#[derive(Clone, Copy, Debug)]
pub struct StatusUpdate {
    pub id: i64,
    pub expiry_date: NaiveDate,
    pub expiry_changed: bool,
    pub status: Status,
}

impl CertificateStore {
    /// Up to `limit` certificates with ids above `after`, in id order.
    pub async fn status_page(
        &self,
        tenant: &TenantSlug,
        after: i64,
        limit: u64,
    ) -> Result<Vec<StatusFacts>, StorageError> {
        let scoped = self.databases().tenant(tenant)?;
        let stmt = Query::select()
            .columns([
                Certificates::Id,
                Certificates::CertNo,
                Certificates::CertType,
                Certificates::IssueDate,
                Certificates::ReviewedOn,
                Certificates::RevocationKind,
                Certificates::ExpiryDate,
                Certificates::Status,
            ])
            .from(scoped.table(Certificates::Table))
            .and_where(Expr::col(Certificates::Id).gt(after))
            .order_by(Certificates::Id, Order::Asc)
            .limit(limit)
            .to_owned();
        let rows =
            StatusRow::find_by_statement(scoped.conn.get_database_backend().build(&stmt)).all(&scoped.conn).await?;
        rows.into_iter()
            .map(|r| {
                Ok(StatusFacts {
                    revocation_kind: parse_revocation_kind(r.revocation_kind.as_deref(), &r.cert_no)?,
                    status: r.status.as_deref().and_then(|s| s.parse().ok()),
                    id: r.id,
                    cert_no: r.cert_no,
                    cert_type: r.cert_type,
                    issue_date: r.issue_date,
                    reviewed_on: r.reviewed_on,
                    expiry_date: r.expiry_date,
                })
            })
            .collect()
    }

    /// Writes new expiries and statuses, in one transaction. The values
    /// are dates, ids and status codes the service made, so they are
    /// written into the statement as literals: one statement per few thousand
    /// rows instead of one per row. Rows whose expiry is unchanged get only
    /// their status written, which PostgreSQL can do without touching an
    /// index.
    pub async fn update_statuses(&self, tenant: &TenantSlug, updates: &[StatusUpdate]) -> Result<u64, StorageError> {
        if updates.is_empty() {
            return Ok(0);
        }
        let scoped = self.databases().tenant(tenant)?;
        let table = scoped.qualified_name("certificates");
        let postgres = self.databases().backend() == Backend::Postgres;
        let txn = scoped.conn.begin().await?;
        if postgres {
            // A scan can always be run again.
            txn.execute_unprepared("SET LOCAL synchronous_commit = off").await?;
        }
        let (with_expiry, status_only): (Vec<&StatusUpdate>, Vec<&StatusUpdate>) =
            updates.iter().partition(|u| u.expiry_changed);
        let mut changed = 0;
        for chunk in with_expiry.chunks(UPDATE_CHUNK) {
            changed += txn.execute_unprepared(&update_sql(&table, chunk, true, postgres)).await?.rows_affected();
        }
        for chunk in status_only.chunks(UPDATE_CHUNK) {
            changed += txn.execute_unprepared(&update_sql(&table, chunk, false, postgres)).await?.rows_affected();
        }
        txn.commit().await?;
        Ok(changed)
    }
}

fn update_sql(table: &str, rows: &[&StatusUpdate], expiry: bool, postgres: bool) -> String {
    // SQLite has no DATE literal; its dates are text.
    let date = if postgres { "DATE " } else { "" };
    let low = rows.iter().map(|u| u.id).min().unwrap_or(0);
    let high = rows.iter().map(|u| u.id).max().unwrap_or(0);
    let values = rows
        .iter()
        .map(|u| format!("({}, {date}'{}', '{}')", u.id, u.expiry_date.format("%Y-%m-%d"), u.status.code()))
        .collect::<Vec<_>>()
        .join(", ");
    match (postgres, expiry) {
        // The id range lets PostgreSQL read only this stretch of the table
        // instead of joining the values against all of it.
        (true, true) => format!(
            "UPDATE {table} AS t SET expiry_date = v.e, status = v.s FROM (VALUES {values}) AS v(id, e, s) \
             WHERE t.id = v.id AND t.id BETWEEN {low} AND {high}"
        ),
        (true, false) => format!(
            "UPDATE {table} AS t SET status = v.s FROM (VALUES {values}) AS v(id, e, s) \
             WHERE t.id = v.id AND t.id BETWEEN {low} AND {high}"
        ),
        (false, with_expiry) => {
            let expiry = if with_expiry {
                format!("expiry_date = (SELECT e FROM v WHERE v.id = {table}.id), ")
            } else {
                String::new()
            };
            format!(
                "WITH v(id, e, s) AS (VALUES {values}) UPDATE {table} SET {expiry}\
                 status = (SELECT s FROM v WHERE v.id = {table}.id) WHERE id IN (SELECT id FROM v)"
            )
        }
    }
}
