//! What accounts ask: the log of every certificate query, the queries they
//! saved under a name, and the certificates they marked as favorites.

use std::net::IpAddr;

use chrono::{DateTime, FixedOffset, Utc};
use sea_orm::{
    ConnectionTrait, DeriveIden, FromQueryResult, TransactionTrait,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    Databases, InsertError, StorageError,
    accounts::{insert_returning_id, now},
};

#[derive(DeriveIden, Clone, Copy)]
enum QueryLog {
    Table,
    At,
    AccountId,
    ApiClientId,
    TenantSlug,
    Kind,
    Query,
    Ip,
    Count,
}

#[derive(DeriveIden, Clone, Copy)]
enum SavedQueries {
    Table,
    Id,
    AccountId,
    TenantSlug,
    Name,
    Query,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum Favorites {
    Table,
    AccountId,
    TenantSlug,
    CertNo,
    CreatedAt,
}

/// One query, as logged. Personal numbers in it are already masked.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct QueryLogRow {
    pub at: DateTime<FixedOffset>,
    pub account_id: i32,
    pub api_client_id: Option<i32>,
    pub tenant_slug: String,
    /// `lookup`, `detail`, `search` or `autocomplete`.
    pub kind: String,
    pub query: String,
    pub ip: String,
    /// How many times it was asked in that moment.
    pub count: i32,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct SavedQueryRow {
    pub id: i32,
    pub tenant_slug: String,
    pub name: String,
    /// The search's query string, such as `issue_year=2023&status=valid`.
    pub query: String,
    pub created_at: DateTime<FixedOffset>,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct FavoriteRow {
    pub tenant_slug: String,
    pub cert_no: String,
    pub created_at: DateTime<FixedOffset>,
}

/// A query to log.
#[derive(Clone, Debug)]
pub struct LoggedQuery {
    pub at: DateTime<Utc>,
    pub account_id: i32,
    pub api_client_id: Option<i32>,
    pub tenant: String,
    pub kind: &'static str,
    pub query: String,
    /// Where it came from, if known.
    pub ip: Option<IpAddr>,
    pub count: i32,
}

impl LoggedQuery {
    /// A query asked once, at `at`, by an account (through one of its API
    /// clients, if `api_client_id`), from `ip`.
    pub fn asked(
        at: DateTime<Utc>,
        (account_id, api_client_id): (i32, Option<i32>),
        tenant: &str,
        kind: &'static str,
        query: String,
        ip: Option<IpAddr>,
    ) -> Self {
        Self { at, account_id, api_client_id, tenant: tenant.to_owned(), kind, query, ip, count: 1 }
    }
}

const LOG_COLUMNS: [QueryLog; 8] = [
    QueryLog::At,
    QueryLog::AccountId,
    QueryLog::ApiClientId,
    QueryLog::TenantSlug,
    QueryLog::Kind,
    QueryLog::Query,
    QueryLog::Ip,
    QueryLog::Count,
];

/// Rows per statement: 8 parameters each stays under both backends' limits.
const LOG_CHUNK: usize = 2_000;

/// The first `max` characters of a text, for a column of that width.
pub(crate) fn clip(text: &str, max: usize) -> String {
    clipped(text, max).to_owned()
}

/// An entry's text columns (tenant, kind, query), each with its column's
/// width.
fn text_columns(q: &LoggedQuery) -> [(&str, usize); 3] {
    [(q.tenant.as_str(), 16), (q.kind, 16), (q.query.as_str(), 600)]
}

/// An address as the logs keep it: its usual text (45 characters at most,
/// within its column), or empty when unknown. IPv4 is written octet by
/// octet, as every logged query has one (through the formatter it was a
/// fifth of writing a row).
pub fn address_text(ip: Option<IpAddr>) -> String {
    match ip {
        None => String::new(),
        Some(IpAddr::V4(v4)) => {
            let mut text = String::with_capacity(15);
            for (i, octet) in v4.octets().into_iter().enumerate() {
                if i > 0 {
                    text.push('.');
                }
                text.push_str(itoa::Buffer::new().format(octet));
            }
            text
        }
        Some(v6) => v6.to_string(),
    }
}

/// `text` cut to its first `max` characters.
fn clipped(text: &str, max: usize) -> &str {
    // No more bytes than that is no more characters either.
    if text.len() <= max {
        return text;
    }
    text.char_indices().nth(max).map_or(text, |(end, _)| &text[..end])
}

/// The start of `COPY … WITH (FORMAT binary)` data: its signature, no
/// flags, no header extension.
const COPY_HEADER: &[u8] = b"PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0";
/// The end of the data: a row of -1 fields.
const COPY_TRAILER: [u8; 2] = (-1i16).to_be_bytes();
/// Microseconds from the Unix epoch to PostgreSQL's, 2000-01-01 UTC.
const PG_EPOCH_MICROS: i64 = 946_684_800_000_000;

/// One entry as a row of `COPY … WITH (FORMAT binary)`, written straight
/// into `rows`: each field its length, then its value as PostgreSQL keeps
/// it (a time as microseconds since 2000, integers big-endian, texts as
/// UTF-8 clipped to their columns), a missing API client as NULL. Nothing
/// is parsed or escaped on either side.
fn push_copy_row(rows: &mut Vec<u8>, q: &LoggedQuery) {
    fn field(rows: &mut Vec<u8>, value: &[u8]) {
        rows.extend_from_slice(&(value.len() as i32).to_be_bytes());
        rows.extend_from_slice(value);
    }
    rows.extend_from_slice(&(LOG_COLUMNS.len() as i16).to_be_bytes());
    field(rows, &(q.at.timestamp_micros() - PG_EPOCH_MICROS).to_be_bytes());
    field(rows, &q.account_id.to_be_bytes());
    match q.api_client_id {
        Some(id) => field(rows, &id.to_be_bytes()),
        None => rows.extend_from_slice(&(-1i32).to_be_bytes()),
    }
    for (value, max) in text_columns(q) {
        field(rows, clipped(value, max).as_bytes());
    }
    field(rows, address_text(q.ip).as_bytes());
    field(rows, &q.count.to_be_bytes());
}

impl Databases {
    /// Writes logged queries: one COPY on PostgreSQL, a few INSERTs on
    /// SQLite.
    pub async fn log_queries(&self, batch: &[LoggedQuery]) -> Result<(), StorageError> {
        if batch.is_empty() {
            return Ok(());
        }
        if self.backend() == crate::Backend::Postgres {
            return self.copy_queries(batch).await;
        }
        let p = self.platform();
        // The entries waited in memory already; a crash may lose the last
        // moment of them either way, so the commit need not wait for the
        // disk (PostgreSQL), which keeps the log's writes off the path of
        // the queries it records.
        let txn = p.conn.begin().await?;
        for chunk in batch.chunks(LOG_CHUNK) {
            let mut insert = Query::insert();
            insert.into_table(p.table(QueryLog::Table)).columns(LOG_COLUMNS);
            for q in chunk {
                let [tenant, kind, query] = text_columns(q).map(|(text, max)| clip(text, max));
                let ip = address_text(q.ip);
                insert
                    .values([
                        q.at.fixed_offset().into(),
                        q.account_id.into(),
                        q.api_client_id.into(),
                        tenant.into(),
                        kind.into(),
                        query.into(),
                        ip.into(),
                        q.count.into(),
                    ])
                    .map_err(|e| StorageError::Corrupt(e.to_string()))?;
            }
            txn.execute(&insert).await?;
        }
        txn.commit().await?;
        Ok(())
    }

    /// The PostgreSQL way: `COPY … FROM STDIN` in the binary format,
    /// several times faster than INSERTs, in a transaction that need not
    /// wait for the disk (the entries waited in memory already; a crash may
    /// lose the last moment of them either way).
    async fn copy_queries(&self, batch: &[LoggedQuery]) -> Result<(), StorageError> {
        use sea_orm::sqlx::{self, Connection};
        let p = self.platform();
        let pool = p.conn.get_postgres_connection_pool();
        let failed = |e: sqlx::Error| StorageError::Corrupt(format!("writing the query log: {e}"));
        let mut conn = pool.acquire().await.map_err(failed)?;
        let mut txn = conn.begin().await.map_err(failed)?;
        sqlx::query("SET LOCAL synchronous_commit = off").execute(&mut *txn).await.map_err(failed)?;
        let mut copy = txn
            .copy_in_raw(&format!(
                "COPY {}.query_log (at, account_id, api_client_id, tenant_slug, kind, query, ip, count) FROM STDIN WITH (FORMAT binary)",
                crate::db::PLATFORM_SCHEMA
            ))
            .await
            .map_err(failed)?;
        let mut rows = Vec::with_capacity(COPY_HEADER.len() + batch.len() * 112 + COPY_TRAILER.len());
        rows.extend_from_slice(COPY_HEADER);
        for q in batch {
            push_copy_row(&mut rows, q);
        }
        rows.extend_from_slice(&COPY_TRAILER);
        copy.send(rows).await.map_err(failed)?;
        copy.finish().await.map_err(failed)?;
        txn.commit().await.map_err(failed)?;
        Ok(())
    }

    /// An account's newest queries, by when they were asked (batches are
    /// written two at a time, so the order of storing need not follow the
    /// clock).
    pub async fn query_history(&self, account_id: i32, limit: u64) -> Result<Vec<QueryLogRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(LOG_COLUMNS)
            .from(p.table(QueryLog::Table))
            .and_where(Expr::col(QueryLog::AccountId).eq(account_id))
            .order_by(QueryLog::At, Order::Desc)
            .limit(limit)
            .to_owned();
        Ok(QueryLogRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    pub async fn save_query(&self, account_id: i32, tenant: &str, name: &str, query: &str) -> Result<i32, InsertError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(SavedQueries::Table))
            .columns([
                SavedQueries::AccountId,
                SavedQueries::TenantSlug,
                SavedQueries::Name,
                SavedQueries::Query,
                SavedQueries::CreatedAt,
            ])
            .values_panic([account_id.into(), tenant.into(), name.into(), query.into(), now().into()])
            .to_owned();
        insert_returning_id(&p.conn, insert, SavedQueries::Id).await
    }

    pub async fn saved_queries(&self, account_id: i32) -> Result<Vec<SavedQueryRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([
                SavedQueries::Id,
                SavedQueries::TenantSlug,
                SavedQueries::Name,
                SavedQueries::Query,
                SavedQueries::CreatedAt,
            ])
            .from(p.table(SavedQueries::Table))
            .and_where(Expr::col(SavedQueries::AccountId).eq(account_id))
            .order_by(SavedQueries::Name, Order::Asc)
            .to_owned();
        Ok(SavedQueryRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Deletes one of the account's saved queries; false if it had none.
    pub async fn delete_saved_query(&self, account_id: i32, id: i32) -> Result<bool, StorageError> {
        let p = self.platform();
        let stmt = Query::delete()
            .from_table(p.table(SavedQueries::Table))
            .and_where(Expr::col(SavedQueries::AccountId).eq(account_id))
            .and_where(Expr::col(SavedQueries::Id).eq(id))
            .to_owned();
        Ok(p.conn.execute(&stmt).await?.rows_affected() == 1)
    }

    pub async fn add_favorite(&self, account_id: i32, tenant: &str, cert_no: &str) -> Result<(), InsertError> {
        let p = self.platform();
        let insert = Query::insert()
            .into_table(p.table(Favorites::Table))
            .columns([Favorites::AccountId, Favorites::TenantSlug, Favorites::CertNo, Favorites::CreatedAt])
            .values_panic([account_id.into(), tenant.into(), cert_no.into(), now().into()])
            .to_owned();
        p.conn.execute(&insert).await?;
        Ok(())
    }

    pub async fn favorites(&self, account_id: i32) -> Result<Vec<FavoriteRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([Favorites::TenantSlug, Favorites::CertNo, Favorites::CreatedAt])
            .from(p.table(Favorites::Table))
            .and_where(Expr::col(Favorites::AccountId).eq(account_id))
            .order_by(Favorites::CreatedAt, Order::Desc)
            .limit(500)
            .to_owned();
        Ok(FavoriteRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    pub async fn remove_favorite(&self, account_id: i32, tenant: &str, cert_no: &str) -> Result<bool, StorageError> {
        let p = self.platform();
        let stmt = Query::delete()
            .from_table(p.table(Favorites::Table))
            .and_where(Expr::col(Favorites::AccountId).eq(account_id))
            .and_where(Expr::col(Favorites::TenantSlug).eq(tenant))
            .and_where(Expr::col(Favorites::CertNo).eq(cert_no))
            .to_owned();
        Ok(p.conn.execute(&stmt).await?.rows_affected() == 1)
    }
}

#[cfg(test)]
mod tests {
    use super::{COPY_HEADER, LoggedQuery, PG_EPOCH_MICROS, push_copy_row};

    fn entry(api_client_id: Option<i32>, query: &str) -> LoggedQuery {
        LoggedQuery {
            at: chrono::DateTime::from_timestamp(1_764_352_800, 123_456_000).unwrap_or_default(),
            account_id: 7,
            api_client_id,
            tenant: "gd".into(),
            kind: "lookup",
            query: query.into(),
            ip: "127.0.0.1".parse().ok(),
            count: 3,
        }
    }

    /// A field as the binary format writes it: its length, then its bytes.
    fn field(value: &[u8]) -> Vec<u8> {
        [&(value.len() as i32).to_be_bytes()[..], value].concat()
    }

    #[test]
    fn the_binary_copy_header_is_the_signature_then_no_flags_and_no_extension() {
        assert_eq!(COPY_HEADER.len(), 19);
        assert_eq!(&COPY_HEADER[..11], b"PGCOPY\n\xff\r\n\0");
        assert!(COPY_HEADER[11..].iter().all(|b| *b == 0));
    }

    #[test]
    fn a_logged_query_is_one_binary_row_with_its_time_since_2000_and_a_missing_client_null() {
        let mut rows = Vec::new();
        push_copy_row(&mut rows, &entry(None, "name=张\"三"));
        let micros = 1_764_352_800_123_456i64 - PG_EPOCH_MICROS;
        let expected = [
            8i16.to_be_bytes().to_vec(),
            field(&micros.to_be_bytes()),
            field(&7i32.to_be_bytes()),
            (-1i32).to_be_bytes().to_vec(),
            field(b"gd"),
            field(b"lookup"),
            field("name=张\"三".as_bytes()),
            field(b"127.0.0.1"),
            field(&3i32.to_be_bytes()),
        ]
        .concat();
        assert_eq!(rows, expected);
        rows.clear();
        push_copy_row(&mut rows, &entry(Some(12), "cert_no=GD1"));
        assert_eq!(&rows[2 + 12 + 8..2 + 12 + 8 + 8], &field(&12i32.to_be_bytes())[..], "the API client's id");
    }

    #[test]
    fn an_address_is_written_as_its_usual_text_and_an_unknown_one_as_empty() {
        for (ip, text) in [
            ("10.0.255.1".parse().ok(), "10.0.255.1"),
            ("0.0.0.0".parse().ok(), "0.0.0.0"),
            ("::ffff:10.0.0.1".parse().ok(), "::ffff:10.0.0.1"),
            (None, ""),
        ] {
            let mut rows = Vec::new();
            push_copy_row(&mut rows, &LoggedQuery { ip, ..entry(None, "cert_no=GD1") });
            let before_count = rows.len() - field(&3i32.to_be_bytes()).len();
            assert!(rows[..before_count].ends_with(&field(text.as_bytes())), "{text:?}");
        }
    }

    #[test]
    fn a_long_query_is_clipped_to_its_column_by_characters() {
        let mut rows = Vec::new();
        push_copy_row(&mut rows, &entry(None, &"张".repeat(700)));
        let text = String::from_utf8_lossy(&rows);
        assert!(text.contains(&"张".repeat(600)));
        assert!(!text.contains(&"张".repeat(601)));
    }
}
