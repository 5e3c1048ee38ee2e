//! API clients: a system of an enterprise, a regulator or a province that
//! calls the API for the account that made it. Its key is shown once and
//! kept only as a SHA-256; it is limited to the scopes chosen for it (and
//! never reaches past its account), ends on a date, can be rotated with a
//! window in which the old key still works, and can be revoked at once.

use std::sync::Arc;

use chrono::{DateTime, Duration, Utc};
use safecert_policy::{Action, ObjectKind, Resource};
use safecert_storage::{ApiClientRow, ApiKeyRow, NewApiClientRow, StoredKey};

use super::{Caller, Identity, IdentityError, TokenDigest, new_token, token_hash};

/// Every key starts with this, so a key and a session token never mix.
pub const KEY_PREFIX: &str = "sck_";

/// What a key may be scoped to: certificate queries, nothing that changes
/// accounts or access.
const API_SCOPES: [(ObjectKind, Action); 3] = [
    (ObjectKind::Certificate, Action::Read),
    (ObjectKind::Certificate, Action::ReadPersonal),
    (ObjectKind::Certificate, Action::Export),
];

const MAX_DAYS: i64 = 365;
const MAX_OVERLAP_HOURS: i64 = 168;
const DEFAULT_OVERLAP_HOURS: i64 = 24;

pub struct NewApiClient {
    pub name: String,
    /// `certificate:read`, `certificate:read_personal`, `certificate:export`.
    pub scopes: Vec<String>,
    pub expires_in_days: i64,
}

/// A key, shown this once.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct IssuedKey {
    pub client_id: i32,
    /// Send as `Authorization: Bearer <key>` or `X-Api-Key: <key>`.
    pub key: String,
    /// The first characters, as the client list shows them.
    pub prefix: String,
    pub expires_at: DateTime<Utc>,
    /// After a rotation: when the key it replaces stops working.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub previous_key_retires_at: Option<DateTime<Utc>>,
}

/// A client as its owner sees it.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct ApiClientView {
    pub id: i32,
    pub name: String,
    pub scopes: Vec<String>,
    /// `active`, `expired` or `revoked`.
    pub state: &'static str,
    pub expires_at: DateTime<Utc>,
    pub created_at: DateTime<Utc>,
    /// Keys that work now (the newest, and any within its rotation window).
    #[schema(value_type = Vec<Object>)]
    pub keys: Vec<ApiKeyRow>,
}

fn new_key() -> Result<(String, String), IdentityError> {
    let key = format!("{KEY_PREFIX}{}", new_token().ok_or(IdentityError::Invalid("no randomness"))?);
    let prefix = key[..KEY_PREFIX.len() + 8].to_owned();
    Ok((key, prefix))
}

/// The scopes asked for, checked and in one order.
fn parse_scopes(raw: &[String]) -> Result<String, IdentityError> {
    const HELP: &str = "scopes are one or more of certificate:read, certificate:read_personal, certificate:export";
    let mut scopes = Vec::new();
    for s in raw {
        let (object, action) = s.trim().split_once(':').ok_or(IdentityError::Invalid(HELP))?;
        let pair = (ObjectKind::parse(object), Action::parse(action));
        let known =
            API_SCOPES.iter().position(|(o, a)| pair == (Some(*o), Some(*a))).ok_or(IdentityError::Invalid(HELP))?;
        scopes.push(known);
    }
    scopes.sort_unstable();
    scopes.dedup();
    if scopes.is_empty() {
        return Err(IdentityError::Invalid(HELP));
    }
    Ok(scopes
        .iter()
        .map(|i| format!("{}:{}", API_SCOPES[*i].0.as_str(), API_SCOPES[*i].1.as_str()))
        .collect::<Vec<_>>()
        .join(" "))
}

impl Identity {
    /// "An API client of this caller", for the decision whether it may
    /// manage them.
    fn client_resource(caller: &Caller) -> Resource {
        Resource::new(ObjectKind::ApiClient, &caller.tenant)
            .enterprise(caller.enterprise_uscc.as_deref().unwrap_or_default())
            .region(&caller.subject.region)
    }

    fn may_manage_clients(&self, caller: &Caller) -> Result<(), IdentityError> {
        if self.authorize(caller, Action::Manage, &Self::client_resource(caller)) {
            Ok(())
        } else {
            Err(IdentityError::Forbidden)
        }
    }

    pub async fn create_api_client(&self, caller: &Caller, req: NewApiClient) -> Result<IssuedKey, IdentityError> {
        self.may_manage_clients(caller)?;
        let name = req.name.trim();
        if name.is_empty() || name.chars().count() > 64 {
            return Err(IdentityError::Invalid("a client's name is 1 to 64 characters"));
        }
        let scopes = parse_scopes(&req.scopes)?;
        if !(1..=MAX_DAYS).contains(&req.expires_in_days) {
            return Err(IdentityError::Invalid("expires_in_days is 1 to 365"));
        }
        let expires_at = Utc::now() + Duration::days(req.expires_in_days);
        let (key, prefix) = new_key()?;
        let row = NewApiClientRow {
            account_id: caller.account_id,
            tenant: &caller.tenant,
            name,
            scopes: &scopes,
            expires_at,
        };
        let id = self.dbs.insert_api_client(&row, &StoredKey { hash: &token_hash(&key), prefix: &prefix }).await?;
        let detail = serde_json::json!({ "client": id, "scopes": scopes, "expires_at": expires_at, "key": prefix });
        self.dbs
            .audit(Some(caller.account_id), &caller.tenant, "api_client.create", &format!("api_client:{id}"), detail)
            .await?;
        Ok(IssuedKey { client_id: id, key, prefix, expires_at, previous_key_retires_at: None })
    }

    pub async fn api_clients(&self, caller: &Caller) -> Result<Vec<ApiClientView>, IdentityError> {
        self.may_manage_clients(caller)?;
        let clients = self.dbs.api_clients_of(caller.account_id).await?;
        let ids: Vec<i32> = clients.iter().map(|c| c.id).collect();
        let keys = if ids.is_empty() { Vec::new() } else { self.dbs.api_keys_of(&ids).await? };
        let now = Utc::now();
        Ok(clients
            .into_iter()
            .map(|c| ApiClientView {
                id: c.id,
                state: match (&c.revoked_at, c.expires_at.to_utc() <= now) {
                    (Some(_), _) => "revoked",
                    (None, true) => "expired",
                    (None, false) => "active",
                },
                name: c.name,
                scopes: c.scopes.split_ascii_whitespace().map(str::to_owned).collect(),
                expires_at: c.expires_at.to_utc(),
                created_at: c.created_at.to_utc(),
                keys: if c.revoked_at.is_some() {
                    Vec::new()
                } else {
                    keys.iter().filter(|k| k.client_id == c.id).cloned().collect()
                },
            })
            .collect())
    }

    /// One of the caller's own clients that still works.
    async fn own_live_client(&self, caller: &Caller, id: i32) -> Result<ApiClientRow, IdentityError> {
        self.may_manage_clients(caller)?;
        let client = self
            .dbs
            .api_client(id)
            .await?
            .filter(|c| c.account_id == caller.account_id)
            .ok_or(IdentityError::UnknownClient)?;
        if client.revoked_at.is_some() {
            return Err(IdentityError::KeyRevoked);
        }
        if client.expires_at.to_utc() <= Utc::now() {
            return Err(IdentityError::KeyExpired);
        }
        Ok(client)
    }

    /// A new key for a client; the keys it had keep working for
    /// `overlap_hours` (24 by default, at most 168; 0 ends them now).
    pub async fn rotate_api_key(
        &self,
        caller: &Caller,
        id: i32,
        overlap_hours: Option<i64>,
    ) -> Result<IssuedKey, IdentityError> {
        let client = self.own_live_client(caller, id).await?;
        let overlap = overlap_hours.unwrap_or(DEFAULT_OVERLAP_HOURS);
        if !(0..=MAX_OVERLAP_HOURS).contains(&overlap) {
            return Err(IdentityError::Invalid("overlap_hours is 0 to 168"));
        }
        let retire_at = (Utc::now() + Duration::hours(overlap)).min(client.expires_at.to_utc());
        let (key, prefix) = new_key()?;
        self.dbs.rotate_api_key(id, retire_at, &StoredKey { hash: &token_hash(&key), prefix: &prefix }).await?;
        self.forget_client_keys(id).await?;
        let detail = serde_json::json!({ "client": id, "key": prefix, "previous_retire_at": retire_at });
        self.dbs
            .audit(Some(caller.account_id), &caller.tenant, "api_client.rotate", &format!("api_client:{id}"), detail)
            .await?;
        Ok(IssuedKey {
            client_id: id,
            key,
            prefix,
            expires_at: client.expires_at.to_utc(),
            previous_key_retires_at: Some(retire_at),
        })
    }

    /// Ends a client and all its keys now.
    pub async fn revoke_api_client(&self, caller: &Caller, id: i32) -> Result<(), IdentityError> {
        self.own_live_client(caller, id).await?;
        if !self.dbs.revoke_api_client(id).await? {
            return Err(IdentityError::KeyRevoked);
        }
        self.forget_client_keys(id).await?;
        let detail = serde_json::json!({ "client": id });
        self.dbs
            .audit(Some(caller.account_id), &caller.tenant, "api_client.revoke", &format!("api_client:{id}"), detail)
            .await?;
        Ok(())
    }

    async fn forget_client_keys(&self, id: i32) -> Result<(), IdentityError> {
        for hash in self.dbs.api_key_hashes(id).await? {
            if let Some(digest) = TokenDigest::from_hex(&hash) {
                self.callers.remove(&digest);
            }
        }
        Ok(())
    }

    /// The caller behind an API key: its account, limited to the key's
    /// scopes. A key past its rotation window, an expired or a revoked
    /// client each get their own answer, so the system's operator knows
    /// what to do.
    pub(crate) async fn api_caller(&self, key: &str) -> Result<Arc<Caller>, IdentityError> {
        let digest = TokenDigest::of(key);
        self.remembered_or_read(digest, async || {
            let holder = self.dbs.key_holder(&digest.hex()).await?.ok_or(IdentityError::Unauthenticated)?;
            let now = Utc::now();
            let client = holder.client;
            if client.revoked_at.is_some() {
                return Err(IdentityError::KeyRevoked);
            }
            let expires_at = client.expires_at.to_utc();
            if expires_at <= now {
                return Err(IdentityError::KeyExpired);
            }
            let retire_at = holder.key_retire_at.map(|r| r.to_utc());
            if retire_at.is_some_and(|r| r <= now) {
                return Err(IdentityError::KeyRetired);
            }
            let valid_until = retire_at.map_or(expires_at, |r| r.min(expires_at));
            let mut caller = self.caller_of_account(client.account_id, valid_until).await?;
            caller.subject = caller.subject.limited_to(&client.scopes);
            caller.api_client = Some(client.id);
            Ok(caller)
        })
        .await
    }
}
