//! Who is asking: the account behind a session token, with the attributes
//! the access policy looks at.

use std::{
    sync::{Arc, atomic::Ordering},
    time::Duration,
};

use safecert_domain::RegionCode;
use safecert_policy::{Role, Subject};

use super::{Identity, IdentityError, TokenDigest};

/// A signed-in account.
#[derive(Clone, Debug)]
pub struct Caller {
    pub account_id: i32,
    pub login: String,
    pub role: Role,
    pub tenant: String,
    pub enterprise_id: Option<i32>,
    pub enterprise_uscc: Option<String>,
    pub department_id: Option<i32>,
    pub subject: Subject,
    /// Set when the request came with an API client's key instead of a
    /// session: the client acts for `account_id`, limited to its scopes.
    pub api_client: Option<i32>,
    /// When the session or key stops working.
    pub valid_until: chrono::DateTime<chrono::Utc>,
    /// Until when the session's certificate queries are not logged.
    pub private_until: Option<chrono::DateTime<chrono::Utc>>,
}

impl Caller {
    fn is_live(&self) -> bool {
        self.valid_until > chrono::Utc::now()
    }

    /// In privacy mode now: its queries stay out of the query log.
    pub fn is_private(&self) -> bool {
        self.private_until.is_some_and(|until| until > chrono::Utc::now())
    }
}

/// How long before a remembered caller runs out one request reads it
/// again, while the others go on with the one remembered.
const RENEW_BEFORE: Duration = Duration::from_secs(1);

impl Identity {
    /// The caller behind a session token, if the session is live.
    pub async fn caller(&self, token: &str) -> Result<Arc<Caller>, IdentityError> {
        if token.starts_with(super::api_clients::KEY_PREFIX) {
            return Box::pin(self.api_caller(token)).await;
        }
        let digest = TokenDigest::of(token);
        // The reads in a box of their own: the future of a remembered
        // caller, made on every request, does not carry them.
        self.remembered_or_read(digest, async || Box::pin(self.session_caller(digest)).await).await
    }

    /// The caller of the session whose token has `digest`, read from the
    /// database.
    async fn session_caller(&self, digest: TokenDigest) -> Result<Caller, IdentityError> {
        let session = self.dbs.session(&digest.hex()).await?.ok_or(IdentityError::Unauthenticated)?;
        let expires_at = session.expires_at.to_utc();
        if session.revoked_at.is_some() || expires_at < chrono::Utc::now() {
            return Err(IdentityError::Unauthenticated);
        }
        let mut caller = self.caller_of_account(session.account_id, expires_at).await?;
        caller.private_until = session.private_until.map(|u| u.to_utc());
        Ok(caller)
    }

    /// Signed-in callers (sessions and API keys) read from the database
    /// since start: remembered ones cost none.
    pub fn caller_reads(&self) -> u64 {
        self.caller_reads.load(Ordering::Relaxed)
    }

    /// The caller remembered for a token's `digest`, or else the one `read`
    /// finds, then remembered. One request reads a token at a time; the
    /// others wait for its answer. Shortly before a remembered caller runs
    /// out, one request reads it again while the others go on with it, so
    /// a busy session's requests never all wait for that read.
    pub(crate) async fn remembered_or_read(
        &self,
        digest: TokenDigest,
        read: impl AsyncFnOnce() -> Result<Caller, IdentityError>,
    ) -> Result<Arc<Caller>, IdentityError> {
        let mut remembered = None;
        let _turn = match self.callers.get_aging(&digest, RENEW_BEFORE) {
            Some((caller, aging)) if caller.is_live() => {
                let Some(turn) = aging.then(|| self.caller_turns.try_take(&digest)).flatten() else {
                    return Ok(caller);
                };
                remembered = Some(caller);
                turn
            }
            _ => {
                let turn = self.caller_turns.take(&digest).await;
                // Read meanwhile, while this request waited for the turn or
                // between its miss and its turn.
                if let Some(caller) = self.cached_caller(&digest) {
                    return Ok(caller);
                }
                turn
            }
        };
        self.caller_reads.fetch_add(1, Ordering::Relaxed);
        // A sign-out (or any change that forgets callers) while this read is
        // under way: the caller it read may predate it, so it answers this
        // request only and is not remembered.
        let mark = self.callers.removal_mark();
        match (read().await, remembered) {
            (Ok(caller), _) => {
                let caller = Arc::new(caller);
                self.callers.insert_unless_removed_since(mark, digest, Arc::clone(&caller));
                Ok(caller)
            }
            // The database did not answer: the remembered caller still
            // holds for the moment it has left.
            (Err(IdentityError::Storage(e)), Some(caller)) => {
                tracing::warn!(error = %e, "cannot read a signed-in caller again; the remembered one serves until it runs out");
                Ok(caller)
            }
            // Signed out, revoked or expired: so are the other requests.
            (Err(e), Some(_)) => {
                self.callers.remove(&digest);
                Err(e)
            }
            (Err(e), None) => Err(e),
        }
    }

    /// A cached caller whose session or key still works.
    fn cached_caller(&self, digest: &TokenDigest) -> Option<Arc<Caller>> {
        let caller = self.callers.get(digest)?;
        if caller.is_live() {
            return Some(caller);
        }
        self.callers.remove(digest);
        None
    }

    /// Forgets every cached caller of an account (its role or reach
    /// changed); other replicas follow when their cache entries expire.
    pub(crate) fn forget_account(&self, account_id: i32) {
        self.callers.remove_where(|_, c| c.account_id == account_id);
    }

    /// The account as a caller, until `valid_until`.
    pub(crate) async fn caller_of_account(
        &self,
        account_id: i32,
        valid_until: chrono::DateTime<chrono::Utc>,
    ) -> Result<Caller, IdentityError> {
        let account = self.dbs.account(account_id).await?.ok_or(IdentityError::Unauthenticated)?;
        let role: Role = account.role.parse().map_err(|_| IdentityError::Unauthenticated)?;
        let mut subject = Subject::new(i64::from(account.id), role, &account.tenant_slug);
        if let Some(region) = account.region_code.as_deref().and_then(|r| RegionCode::parse(r).ok()) {
            subject = subject.region(region.prefix());
        }
        let mut enterprise_uscc = None;
        if let Some(id) = account.enterprise_id
            && let Some(enterprise) = self.dbs.enterprise(id).await?
        {
            subject = subject.enterprise(&enterprise.uscc);
            enterprise_uscc = Some(enterprise.uscc);
            if let Some(dept_id) = account.department_id
                && let Some(dept) = self.dbs.department(id, dept_id).await?
            {
                subject = subject.dept(&dept.path);
            }
        }
        if let Some(holder) = &account.holder_index {
            subject = subject.holder(holder);
        }
        Ok(Caller {
            account_id: account.id,
            login: account.login,
            role,
            tenant: account.tenant_slug,
            enterprise_id: account.enterprise_id,
            enterprise_uscc,
            department_id: account.department_id,
            subject,
            api_client: None,
            valid_until,
            private_until: None,
        })
    }

    /// Ends a session at once (on this replica; others within seconds).
    /// Revoked first, then forgotten: a read of the session under way in
    /// between is then not remembered (see `remembered_or_read`).
    pub async fn sign_out(&self, token: &str) -> Result<(), IdentityError> {
        let digest = TokenDigest::of(token);
        self.dbs.revoke_session(&digest.hex()).await?;
        self.callers.remove(&digest);
        Ok(())
    }
}
