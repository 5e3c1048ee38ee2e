//! Privacy mode: for a while, a session's certificate queries stay out of
//! the query log. Entering it takes a fresh second factor (a new code, not
//! the session), and the policy says who may (`private_queries`/`request`:
//! holders and enterprises; regulators' and administrators' queries are
//! always on record). Entering and leaving it are in the audit log.

use chrono::{DateTime, TimeDelta, Utc};
use safecert_policy::{Action, ObjectKind, Resource};

use super::{Caller, Identity, IdentityError, Origin, SignInStarted, TokenDigest, signin::PRIVACY};

/// How long privacy mode lasts.
pub const PRIVATE_MINUTES: i64 = 15;

impl Identity {
    fn may_go_private(&self, caller: &Caller) -> Result<(), IdentityError> {
        let allowed = caller.api_client.is_none()
            && self.authorize(caller, Action::Request, &Resource::new(ObjectKind::PrivateQueries, &caller.tenant));
        if allowed { Ok(()) } else { Err(IdentityError::Forbidden) }
    }

    /// Sends a code to the caller's second factor, for privacy mode.
    pub async fn start_privacy(&self, caller: &Caller) -> Result<SignInStarted, IdentityError> {
        self.may_go_private(caller)?;
        let account = self.dbs.account(caller.account_id).await?.ok_or(IdentityError::Unauthenticated)?;
        let challenge = self.send_challenge(&account, PRIVACY).await?;
        Ok(SignInStarted { challenge, expires_in_secs: 5 * 60 })
    }

    /// The code: the session's queries are not logged until the answer.
    pub async fn enter_privacy(
        &self,
        caller: &Caller,
        session_token: &str,
        challenge: &str,
        code: &str,
        origin: &Origin<'_>,
    ) -> Result<DateTime<Utc>, IdentityError> {
        self.may_go_private(caller)?;
        let account = self.check_code(challenge, code, PRIVACY, origin.ip, origin.user_agent).await?;
        if account.id != caller.account_id {
            return Err(IdentityError::InvalidCode);
        }
        let until = Utc::now() + TimeDelta::minutes(PRIVATE_MINUTES);
        let digest = TokenDigest::of(session_token);
        self.dbs.set_private_until(&digest.hex(), Some(until)).await?;
        self.callers.remove(&digest);
        let detail = serde_json::json!({ "until": until });
        let subject = format!("account:{}", caller.account_id);
        self.dbs.audit(Some(caller.account_id), &caller.tenant, "privacy.start", &subject, detail).await?;
        Ok(until)
    }

    /// Ends privacy mode now.
    pub async fn leave_privacy(&self, caller: &Caller, session_token: &str) -> Result<(), IdentityError> {
        let digest = TokenDigest::of(session_token);
        self.dbs.set_private_until(&digest.hex(), None).await?;
        self.callers.remove(&digest);
        let subject = format!("account:{}", caller.account_id);
        self.dbs.audit(Some(caller.account_id), &caller.tenant, "privacy.end", &subject, serde_json::json!({})).await?;
        Ok(())
    }
}
