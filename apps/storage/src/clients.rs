//! API clients: a named, scoped, expiring credential an account makes for
//! a system of its own, and the keys it is reached by (only their SHA-256
//! is kept). Rotating adds a key and gives the previous one a time to
//! retire, so callers can switch without an outage.

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
enum ApiClients {
    Table,
    Id,
    AccountId,
    TenantSlug,
    Name,
    Scopes,
    ExpiresAt,
    RevokedAt,
    CreatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
enum ApiKeys {
    Table,
    Id,
    ClientId,
    TokenHash,
    Prefix,
    CreatedAt,
    RetireAt,
}

#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct ApiClientRow {
    pub id: i32,
    /// The account it acts for.
    pub account_id: i32,
    pub tenant_slug: String,
    pub name: String,
    /// Space-separated `object:action` pairs.
    pub scopes: String,
    pub expires_at: DateTime<FixedOffset>,
    pub revoked_at: Option<DateTime<FixedOffset>>,
    pub created_at: DateTime<FixedOffset>,
}

/// A key as its client's owner sees it: never the key itself.
#[derive(Clone, Debug, FromQueryResult, serde::Serialize)]
pub struct ApiKeyRow {
    pub id: i32,
    pub client_id: i32,
    /// The first characters of the key, to tell keys apart.
    pub prefix: String,
    pub created_at: DateTime<FixedOffset>,
    /// When a replaced key stops working; none while it is the newest.
    pub retire_at: Option<DateTime<FixedOffset>>,
}

/// What a new client is made of.
pub struct NewApiClient<'a> {
    pub account_id: i32,
    pub tenant: &'a str,
    pub name: &'a str,
    pub scopes: &'a str,
    pub expires_at: DateTime<Utc>,
}

/// A key as it is stored: its SHA-256 and its first characters.
pub struct StoredKey<'a> {
    pub hash: &'a str,
    pub prefix: &'a str,
}

/// The client a presented key belongs to, with that key's own end.
#[derive(Clone, Debug)]
pub struct KeyHolder {
    pub client: ApiClientRow,
    pub key_retire_at: Option<DateTime<FixedOffset>>,
}

const CLIENT_COLUMNS: [ApiClients; 8] = [
    ApiClients::Id,
    ApiClients::AccountId,
    ApiClients::TenantSlug,
    ApiClients::Name,
    ApiClients::Scopes,
    ApiClients::ExpiresAt,
    ApiClients::RevokedAt,
    ApiClients::CreatedAt,
];

fn insert_key(
    table: sea_orm::sea_query::TableRef,
    client_id: i32,
    key: &StoredKey<'_>,
) -> sea_orm::sea_query::InsertStatement {
    Query::insert()
        .into_table(table)
        .columns([ApiKeys::ClientId, ApiKeys::TokenHash, ApiKeys::Prefix, ApiKeys::CreatedAt])
        .values_panic([client_id.into(), key.hash.into(), key.prefix.into(), now().into()])
        .to_owned()
}

impl Databases {
    /// A client and its first key, together or not at all.
    pub async fn insert_api_client(&self, c: &NewApiClient<'_>, key: &StoredKey<'_>) -> Result<i32, InsertError> {
        let p = self.platform();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        let insert = Query::insert()
            .into_table(p.table(ApiClients::Table))
            .columns([
                ApiClients::AccountId,
                ApiClients::TenantSlug,
                ApiClients::Name,
                ApiClients::Scopes,
                ApiClients::ExpiresAt,
                ApiClients::CreatedAt,
            ])
            .values_panic([
                c.account_id.into(),
                c.tenant.into(),
                c.name.into(),
                c.scopes.into(),
                c.expires_at.fixed_offset().into(),
                now().into(),
            ])
            .to_owned();
        let id = insert_returning_id(&txn, insert, ApiClients::Id).await?;
        insert_returning_id(&txn, insert_key(p.table(ApiKeys::Table), id, key), ApiKeys::Id).await?;
        txn.commit().await.map_err(StorageError::from)?;
        Ok(id)
    }

    /// The clients an account made, newest first.
    pub async fn api_clients_of(&self, account_id: i32) -> Result<Vec<ApiClientRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(CLIENT_COLUMNS)
            .from(p.table(ApiClients::Table))
            .and_where(Expr::col(ApiClients::AccountId).eq(account_id))
            .order_by(ApiClients::Id, Order::Desc)
            .to_owned();
        Ok(ApiClientRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    pub async fn api_client(&self, id: i32) -> Result<Option<ApiClientRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(CLIENT_COLUMNS)
            .from(p.table(ApiClients::Table))
            .and_where(Expr::col(ApiClients::Id).eq(id))
            .to_owned();
        Ok(ApiClientRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    /// The keys of these clients that still work or have yet to retire.
    pub async fn api_keys_of(&self, client_ids: &[i32]) -> Result<Vec<ApiKeyRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([ApiKeys::Id, ApiKeys::ClientId, ApiKeys::Prefix, ApiKeys::CreatedAt, ApiKeys::RetireAt])
            .from(p.table(ApiKeys::Table))
            .and_where(Expr::col(ApiKeys::ClientId).is_in(client_ids.iter().copied()))
            .and_where(Expr::col(ApiKeys::RetireAt).is_null().or(Expr::col(ApiKeys::RetireAt).gt(now())))
            .order_by(ApiKeys::Id, Order::Asc)
            .to_owned();
        Ok(ApiKeyRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// The SHA-256 of every key of a client (to forget cached callers).
    pub async fn api_key_hashes(&self, client_id: i32) -> Result<Vec<String>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .column(ApiKeys::TokenHash)
            .from(p.table(ApiKeys::Table))
            .and_where(Expr::col(ApiKeys::ClientId).eq(client_id))
            .to_owned();
        let rows = p.conn.query_all(&stmt).await?;
        rows.iter().map(|r| Ok(r.try_get::<String>("", "token_hash")?)).collect()
    }

    /// The client of a presented key (by its SHA-256), whatever its state.
    pub async fn key_holder(&self, key_hash: &str) -> Result<Option<KeyHolder>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns([ApiKeys::ClientId, ApiKeys::RetireAt])
            .from(p.table(ApiKeys::Table))
            .and_where(Expr::col(ApiKeys::TokenHash).eq(key_hash))
            .to_owned();
        let Some(row) = p.conn.query_one(&stmt).await? else { return Ok(None) };
        let client_id: i32 = row.try_get("", "client_id")?;
        let key_retire_at: Option<DateTime<FixedOffset>> = row.try_get("", "retire_at")?;
        Ok(self.api_client(client_id).await?.map(|client| KeyHolder { client, key_retire_at }))
    }

    /// A new key for a client; every key it had before retires at
    /// `retire_at` (or earlier, if it was already due to).
    pub async fn rotate_api_key(
        &self,
        client_id: i32,
        retire_at: DateTime<Utc>,
        key: &StoredKey<'_>,
    ) -> Result<(), InsertError> {
        let p = self.platform();
        let retire_at = retire_at.fixed_offset();
        let txn = p.conn.begin().await.map_err(StorageError::from)?;
        for due in [Expr::col(ApiKeys::RetireAt).is_null(), Expr::col(ApiKeys::RetireAt).gt(retire_at)] {
            let update = Query::update()
                .table(p.table(ApiKeys::Table))
                .value(ApiKeys::RetireAt, retire_at)
                .and_where(Expr::col(ApiKeys::ClientId).eq(client_id))
                .and_where(due)
                .to_owned();
            txn.execute(&update).await.map_err(StorageError::from)?;
        }
        insert_returning_id(&txn, insert_key(p.table(ApiKeys::Table), client_id, key), ApiKeys::Id).await?;
        txn.commit().await.map_err(StorageError::from)?;
        Ok(())
    }

    /// Ends a client and all its keys now; false if it had already ended.
    pub async fn revoke_api_client(&self, client_id: i32) -> Result<bool, StorageError> {
        let p = self.platform();
        let update = Query::update()
            .table(p.table(ApiClients::Table))
            .value(ApiClients::RevokedAt, now())
            .and_where(Expr::col(ApiClients::Id).eq(client_id))
            .and_where(Expr::col(ApiClients::RevokedAt).is_null())
            .to_owned();
        Ok(p.conn.execute(&update).await?.rows_affected() == 1)
    }
}
