//! An account's own queries: its history (from the query log), the
//! searches it saved under a name, and the certificates it marked. API
//! clients' keys have none of these: they belong to people.

use chrono::{DateTime, Utc};
use safecert_domain::{CertNo, Locale};
use safecert_storage::{InsertError, QueryLogRow, SavedQueryRow};
use serde::Serialize;

use crate::{CertificateView, LookupError, Platform, SearchError, SearchRequest, identity::Caller};

/// How many queries the history shows.
pub const HISTORY: u64 = 100;
/// How many searches one account may keep.
pub const MAX_SAVED: usize = 100;

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SavedQueryView {
    pub id: i32,
    pub name: String,
    pub tenant: String,
    /// The search's query string.
    pub query: String,
    /// Where to run it: `GET` this path.
    pub path: String,
    pub created_at: DateTime<Utc>,
}

impl From<SavedQueryRow> for SavedQueryView {
    fn from(r: SavedQueryRow) -> Self {
        Self {
            path: format!("/api/v1/t/{}/certificates?{}", r.tenant_slug, r.query),
            id: r.id,
            name: r.name,
            tenant: r.tenant_slug,
            query: r.query,
            created_at: r.created_at.to_utc(),
        }
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct FavoriteView {
    pub tenant: String,
    pub cert_no: String,
    pub added_at: DateTime<Utc>,
    /// As the account may see it now; none when it no longer may.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
}

#[derive(Debug, thiserror::Error)]
pub enum MyQueriesError {
    #[error("API keys keep no history, saved searches or favorites")]
    NotForKeys,
    #[error(transparent)]
    Search(#[from] SearchError),
    #[error(transparent)]
    Lookup(#[from] LookupError),
    #[error("you already have a saved search of that name")]
    NameTaken,
    #[error("no such saved search or favorite")]
    NotFound,
    #[error(transparent)]
    Storage(#[from] safecert_storage::StorageError),
}

impl From<InsertError> for MyQueriesError {
    fn from(e: InsertError) -> Self {
        match e {
            InsertError::Duplicate => MyQueriesError::NameTaken,
            InsertError::Storage(e) => MyQueriesError::Storage(e),
        }
    }
}

fn person(caller: &Caller) -> Result<(), MyQueriesError> {
    if caller.api_client.is_some() { Err(MyQueriesError::NotForKeys) } else { Ok(()) }
}

/// A search request as a query string, in a fixed order.
fn query_string(req: &SearchRequest) -> String {
    req.pairs()
        .iter()
        .filter_map(|(k, v)| {
            let v = v.as_deref().map(str::trim).filter(|v| !v.is_empty())?;
            Some(format!("{k}={}", safecert_notify::percent_encode(v)))
        })
        .collect::<Vec<_>>()
        .join("&")
}

impl Platform {
    /// The account's newest queries.
    pub async fn query_history(&self, caller: &Caller) -> Result<Vec<QueryLogRow>, MyQueriesError> {
        person(caller)?;
        Ok(self.store.databases().query_history(caller.account_id, HISTORY).await?)
    }

    /// Saves a search under a name (checked like the search itself; an ID
    /// number in it is never kept: search for the person, then save).
    pub async fn save_query(
        &self,
        caller: &Caller,
        tenant: &str,
        name: &str,
        req: &SearchRequest,
    ) -> Result<SavedQueryView, MyQueriesError> {
        person(caller)?;
        let config = self.tenants.find(tenant).ok_or(SearchError::UnknownTenant)?;
        let name = name.trim();
        if name.is_empty() || name.chars().count() > 64 || name.chars().any(char::is_control) {
            return Err(SearchError::Invalid("a saved search's name is 1 to 64 characters").into());
        }
        if req.id_number.as_deref().is_some_and(|n| !n.trim().is_empty()) {
            return Err(SearchError::Invalid("a saved search cannot hold an ID number").into());
        }
        self.check_search(req)?;
        let dbs = self.store.databases();
        if dbs.saved_queries(caller.account_id).await?.len() >= MAX_SAVED {
            return Err(SearchError::Invalid("an account keeps at most 100 saved searches").into());
        }
        let query = query_string(req);
        let id = dbs.save_query(caller.account_id, config.slug.as_str(), name, &query).await?;
        let saved = dbs.saved_queries(caller.account_id).await?.into_iter().find(|q| q.id == id);
        saved.map(SavedQueryView::from).ok_or(MyQueriesError::NotFound)
    }

    pub async fn saved_queries(&self, caller: &Caller) -> Result<Vec<SavedQueryView>, MyQueriesError> {
        person(caller)?;
        let rows = self.store.databases().saved_queries(caller.account_id).await?;
        Ok(rows.into_iter().map(SavedQueryView::from).collect())
    }

    pub async fn delete_saved_query(&self, caller: &Caller, id: i32) -> Result<(), MyQueriesError> {
        person(caller)?;
        if self.store.databases().delete_saved_query(caller.account_id, id).await? {
            Ok(())
        } else {
            Err(MyQueriesError::NotFound)
        }
    }

    /// Marks a certificate the account may read (adding it twice is fine).
    pub async fn add_favorite(&self, caller: &Caller, tenant: &str, no: &CertNo) -> Result<(), MyQueriesError> {
        person(caller)?;
        let view = self.lookup_as(caller, tenant, no, Locale::default()).await?;
        match self.store.databases().add_favorite(caller.account_id, tenant, &view.cert_no).await {
            Ok(()) | Err(InsertError::Duplicate) => Ok(()),
            Err(InsertError::Storage(e)) => Err(e.into()),
        }
    }

    pub async fn remove_favorite(&self, caller: &Caller, tenant: &str, no: &CertNo) -> Result<(), MyQueriesError> {
        person(caller)?;
        if self.store.databases().remove_favorite(caller.account_id, tenant, no.as_str()).await? {
            Ok(())
        } else {
            Err(MyQueriesError::NotFound)
        }
    }

    /// The account's favorites, each as it may see the certificate today.
    pub async fn favorites(&self, caller: &Caller, locale: Locale) -> Result<Vec<FavoriteView>, MyQueriesError> {
        person(caller)?;
        let rows = self.store.databases().favorites(caller.account_id).await?;
        let mut out = Vec::with_capacity(rows.len());
        for row in rows {
            let certificate = match CertNo::parse(&row.cert_no) {
                Ok(no) => match self.lookup_as(caller, &row.tenant_slug, &no, locale).await {
                    Ok(view) => Some(view),
                    Err(LookupError::NotFound | LookupError::Forbidden | LookupError::UnknownTenant) => None,
                    Err(e) => return Err(e.into()),
                },
                Err(_) => None,
            };
            out.push(FavoriteView {
                tenant: row.tenant_slug,
                cert_no: row.cert_no,
                added_at: row.created_at.to_utc(),
                certificate,
            });
        }
        Ok(out)
    }
}
