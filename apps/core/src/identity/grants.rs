//! Grants an enterprise admin makes to a sub-account: more (may export
//! department X) or less (may not read department Y), never more than the
//! admin has. Every grant and revocation is audited and reaches every
//! replica within seconds.

use chrono::{DateTime, Utc};
use safecert_policy::{Action, GrantEffect, GrantKind, ObjectKind, Resource};
use safecert_storage::NewGrant;

use super::{Caller, Identity, IdentityError};

pub struct GrantRequest {
    pub account_id: i32,
    pub action: String,
    pub department_id: i32,
    /// `allow` (more) or `deny` (less).
    pub effect: String,
    pub until: Option<DateTime<Utc>>,
    pub reason: String,
}

pub(crate) fn reason_of(raw: &str) -> Result<&str, IdentityError> {
    let reason = raw.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(IdentityError::Invalid("a reason of 1 to 500 characters is required"));
    }
    Ok(reason)
}

impl Identity {
    pub async fn grant_in_enterprise(&self, caller: &Caller, req: GrantRequest) -> Result<i32, IdentityError> {
        let (Some(enterprise_id), Some(uscc)) = (caller.enterprise_id, caller.enterprise_uscc.as_deref()) else {
            return Err(IdentityError::Forbidden);
        };
        if !self.authorize(caller, Action::Manage, &Resource::new(ObjectKind::Grant, &caller.tenant).enterprise(uscc)) {
            return Err(IdentityError::Forbidden);
        }
        let action = match Action::parse(&req.action) {
            Some(a @ (Action::Read | Action::ReadPersonal | Action::Export)) => a,
            _ => return Err(IdentityError::Invalid("action is read, read_personal or export")),
        };
        let effect = GrantEffect::parse(&req.effect).ok_or(IdentityError::Invalid("effect is allow or deny"))?;
        let reason = reason_of(&req.reason)?;
        if req.until.is_some_and(|u| u <= Utc::now()) {
            return Err(IdentityError::Invalid("until must be in the future"));
        }
        let account = self.dbs.account(req.account_id).await?;
        if account.as_ref().and_then(|a| a.enterprise_id) != Some(enterprise_id) || req.account_id == caller.account_id
        {
            return Err(IdentityError::Invalid("account_id is not a sub-account of your enterprise"));
        }
        let dept =
            self.dbs.department(enterprise_id, req.department_id).await?.ok_or(IdentityError::UnknownDepartment)?;
        // Nobody grants what they do not have themselves.
        let within = Resource::new(ObjectKind::Certificate, &caller.tenant).enterprise(uscc).dept(&dept.path);
        if effect == GrantEffect::Allow && !self.authorize(caller, action, &within) {
            return Err(IdentityError::GrantExceedsGranter);
        }
        let id = self
            .dbs
            .insert_grant(&NewGrant {
                account_id: req.account_id,
                tenant: &caller.tenant,
                object: ObjectKind::Certificate.as_str(),
                action: action.as_str(),
                kind: GrantKind::Department.as_str(),
                target: &dept.path,
                effect: effect.as_str(),
                until: req.until,
                granted_by: caller.account_id,
                reason,
            })
            .await?;
        let detail = serde_json::json!({ "grant": id, "account": req.account_id, "action": action.as_str(),
            "department": dept.id, "effect": effect.as_str(), "until": req.until, "reason": reason });
        self.dbs
            .audit(
                Some(caller.account_id),
                &caller.tenant,
                "grant.create",
                &format!("account:{}", req.account_id),
                detail,
            )
            .await?;
        self.refresh_grants(true).await.map_err(refreshed)?;
        Ok(id)
    }

    /// Ends a grant at once. Enterprise admins end their enterprise's
    /// grants; provincial admins any grant of their province.
    pub async fn revoke_grant(&self, caller: &Caller, id: i32, reason: &str) -> Result<(), IdentityError> {
        let reason = reason_of(reason)?;
        let grant = self.dbs.grant(id).await?.ok_or(IdentityError::UnknownGrant)?;
        let holder = self.dbs.account(grant.account_id).await?;
        let mut resource = Resource::new(ObjectKind::Grant, &grant.tenant_slug);
        if let Some(enterprise_id) = holder.and_then(|a| a.enterprise_id)
            && let Some(enterprise) = self.dbs.enterprise(enterprise_id).await?
        {
            resource = resource.enterprise(&enterprise.uscc);
        }
        if !self.authorize(caller, Action::Manage, &resource) {
            return Err(IdentityError::Forbidden);
        }
        if !self.dbs.revoke_grant(id).await? {
            return Err(IdentityError::UnknownGrant);
        }
        let detail = serde_json::json!({ "grant": id, "reason": reason });
        self.dbs
            .audit(
                Some(caller.account_id),
                &grant.tenant_slug,
                "grant.revoke",
                &format!("account:{}", grant.account_id),
                detail,
            )
            .await?;
        self.refresh_grants(true).await.map_err(refreshed)?;
        Ok(())
    }
}

/// A reload failure after the change was stored: the background reload
/// picks it up; say so without internals.
pub(crate) fn refreshed(e: super::IdentityStartError) -> IdentityError {
    tracing::warn!(error = %e, "grants stored but not yet reloaded here");
    IdentityError::Invalid("stored; it takes effect within seconds")
}
