//! Accounts, sign-in with a second factor, sessions, and the one function
//! every authorization decision goes through ([`Identity::authorize`]).

mod api_clients;
mod caller;
mod contact;
mod enterprise;
mod grants;
mod institutions;
mod password;
mod privacy;
mod regions;
mod signin;
mod subscriptions;
mod token_digest;
pub mod totp;

use std::{sync::Arc, time::Duration};

use safecert_notify::{Mailer, SmsSender};
use safecert_policy::{Action, Authorizer, Grant, GrantEffect, GrantKind, GrantTarget, ObjectKind, PolicyFiles};
use safecert_storage::{Databases, FieldCipher, GrantRow};
use token_digest::TokenDigest;

pub use api_clients::{ApiClientView, IssuedKey, KEY_PREFIX, NewApiClient};
pub use caller::Caller;
pub use contact::{ContactError, Login, Phone};
pub use enterprise::{BindIndividual, NewStaff, NewSubAccount, RegisterEnterprise, Registered, TotpEnrollment};
pub use grants::GrantRequest;
pub use institutions::{Applied, InstitutionApplication, Review};
pub use password::{Password, PasswordHashing, WeakPassword};
pub use privacy::PRIVATE_MINUTES;
pub use signin::{Origin, SecondFactor, SessionIssued, SignInStarted};
pub use subscriptions::{MAX_ENTERPRISES, RegisterSubscriber, SubscriptionLink};

/// What can go wrong with accounts, in words a caller can act on.
#[derive(Debug, thiserror::Error)]
pub enum IdentityError {
    #[error(transparent)]
    Contact(#[from] ContactError),
    #[error(transparent)]
    WeakPassword(#[from] WeakPassword),
    #[error("the USCC is not valid: {0}")]
    Uscc(String),
    #[error("the ID number is not valid: {0}")]
    IdNumber(String),
    #[error("no tenant covers the region of this USCC")]
    NoTenantForRegion,
    #[error("that enterprise or sign-in name is already registered")]
    Duplicate,
    #[error("that second factor needs {0}, which is not configured or not given")]
    FactorUnavailable(&'static str),
    #[error("the code is wrong, expired or already used")]
    InvalidCode,
    #[error("too many codes were requested; wait a few minutes")]
    TooManyCodes,
    #[error("the code could not be sent: {0}")]
    NotSent(String),
    #[error("not signed in, or the session ended")]
    Unauthenticated,
    #[error("not allowed")]
    Forbidden,
    #[error("no such department in this enterprise")]
    UnknownDepartment,
    #[error("no such grant in force")]
    UnknownGrant,
    #[error("no such request")]
    UnknownRequest,
    #[error("the request was already decided")]
    AlreadyDecided,
    #[error("a grant cannot give more than the granter has")]
    GrantExceedsGranter,
    #[error("no such API client of yours")]
    UnknownClient,
    #[error("this API key was replaced and its rotation window has ended")]
    KeyRetired,
    #[error("this API client has expired")]
    KeyExpired,
    #[error("this API client was revoked")]
    KeyRevoked,
    #[error("no such application")]
    UnknownApplication,
    #[error("{0}")]
    Invalid(&'static str),
    #[error(transparent)]
    Storage(#[from] safecert_storage::StorageError),
}

impl From<safecert_storage::InsertError> for IdentityError {
    fn from(e: safecert_storage::InsertError) -> Self {
        match e {
            safecert_storage::InsertError::Duplicate => IdentityError::Duplicate,
            safecert_storage::InsertError::Storage(e) => IdentityError::Storage(e),
        }
    }
}

pub struct Identity {
    dbs: Arc<Databases>,
    cipher: FieldCipher,
    hashing: PasswordHashing,
    authorizer: Authorizer,
    sms: Option<SmsSender>,
    mailer: Option<Mailer>,
    callers: safecert_memo::Memo<TokenDigest, Arc<Caller>>,
    /// One read at a time of each token's caller (see `safecert_memo::Turns`).
    caller_turns: safecert_memo::Turns<TokenDigest>,
    caller_reads: std::sync::atomic::AtomicU64,
    dummy_hash: String,
    grants_seen: std::sync::Mutex<(i32, i64)>,
}

/// SHA-256 hex of a secret token: what the database keeps.
pub(crate) fn token_hash(token: &str) -> String {
    TokenDigest::of(token).hex()
}

/// 32 random bytes, hex.
pub(crate) fn new_token() -> Option<String> {
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).ok()?;
    Some(hex::encode(bytes))
}

impl Identity {
    pub async fn start(
        dbs: Arc<Databases>,
        cipher: FieldCipher,
        policies: PolicyFiles,
        sms: Option<SmsSender>,
        mailer: Option<Mailer>,
    ) -> Result<Self, IdentityStartError> {
        let seen = dbs.grants_version().await?;
        let grants = grants_in_force(&dbs).await?;
        let authorizer =
            Authorizer::new(policies, grants).await.map_err(|e| IdentityStartError::Policy(e.to_string()))?;
        let hashing = PasswordHashing::new();
        let dummy_hash = hashing.hash("no account has this password").await.unwrap_or_default();
        Ok(Self {
            dbs,
            cipher,
            dummy_hash,
            hashing,
            authorizer,
            sms,
            mailer,
            callers: safecert_memo::Memo::per_thread(50_000).expiring_after(Duration::from_secs(5)),
            caller_turns: Default::default(),
            caller_reads: Default::default(),
            grants_seen: std::sync::Mutex::new(seen),
        })
    }

    pub fn authorizer(&self) -> &Authorizer {
        &self.authorizer
    }

    /// The one authorization function: may this caller do this to this?
    /// A denial is logged (without personal data).
    pub fn authorize(&self, caller: &Caller, action: Action, resource: &safecert_policy::Resource) -> bool {
        let allowed = self.permits(caller, action, resource);
        if !allowed {
            tracing::info!(account = caller.account_id, action = action.as_str(), object = resource.kind, tenant = %resource.tenant, "denied");
        }
        allowed
    }

    /// The same decision without the log line, for showing an account what
    /// it may do (its page, `GET /api/v1/me`) rather than guarding an action.
    pub fn permits(&self, caller: &Caller, action: Action, resource: &safecert_policy::Resource) -> bool {
        self.authorizer.decide(&caller.subject, &resource.tenant, resource, action).is_allowed()
    }

    /// Whether an answer shows this caller the personal data of `resource`
    /// (the holder's name and ID number) rather than masking them. A
    /// masked answer is not a refusal, so nothing is logged either way.
    pub fn shows_personal(&self, caller: &Caller, resource: &safecert_policy::Resource) -> bool {
        self.permits(caller, Action::ReadPersonal, resource)
    }

    /// The part of a tenant a query by this caller may cover.
    pub fn scope(&self, caller: &Caller, tenant: &str, kind: ObjectKind, action: Action) -> safecert_policy::Scope {
        self.authorizer.scope(&caller.subject, tenant, kind, action)
    }

    /// Reloads the grants when another replica (or this one) changed them;
    /// returns whether anything changed. Ended grants drop out here too.
    pub async fn refresh_grants(&self, force: bool) -> Result<bool, IdentityStartError> {
        self.follow_grants(&self.dbs, force).await
    }

    /// [`Identity::refresh_grants`], reading on `dbs` (the background
    /// poll's own connections).
    pub async fn follow_grants(&self, dbs: &Databases, force: bool) -> Result<bool, IdentityStartError> {
        let seen = dbs.grants_version().await?;
        {
            let last = self.grants_seen.lock().unwrap_or_else(|p| p.into_inner());
            if !force && *last == seen {
                return Ok(false);
            }
        }
        let grants = grants_in_force(dbs).await?;
        self.authorizer.replace_grants(grants).await.map_err(|e| IdentityStartError::Policy(e.to_string()))?;
        *self.grants_seen.lock().unwrap_or_else(|p| p.into_inner()) = seen;
        Ok(true)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum IdentityStartError {
    #[error("the access policy could not be loaded: {0}")]
    Policy(String),
    #[error(transparent)]
    Storage(#[from] safecert_storage::StorageError),
}

/// The grants in force, with the roles of the accounts that hold them.
async fn grants_in_force(dbs: &Databases) -> Result<Vec<Grant>, IdentityStartError> {
    let rows = dbs.active_grants().await?;
    let mut ids: Vec<i32> = rows.iter().map(|r| r.account_id).collect();
    ids.sort_unstable();
    ids.dedup();
    let roles = dbs.roles_of(&ids).await?;
    Ok(rows.iter().filter_map(|row| grant_of_row(row, roles.get(&row.account_id)?.parse().ok()?)).collect())
}

fn grant_of_row(row: &GrantRow, role: safecert_policy::Role) -> Option<Grant> {
    let parsed = (|| {
        Some(Grant {
            account_id: i64::from(row.account_id),
            role,
            tenant: row.tenant_slug.clone(),
            object: ObjectKind::parse(&row.object)?,
            action: Action::parse(&row.action)?,
            target: GrantTarget { kind: GrantKind::parse(&row.kind)?, value: row.target.clone() },
            effect: GrantEffect::parse(&row.effect)?,
            until: row.until.map(|u| u.naive_utc().format("%Y-%m-%dT%H:%M:%S").to_string()),
        })
    })();
    if parsed.is_none() {
        tracing::warn!(grant = row.id, "a stored grant names an unknown object, action, kind or effect; ignored");
    }
    parsed
}
