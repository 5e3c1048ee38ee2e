//! SME subscriptions: one subscriber account manages several enterprises.
//! What it may do in each is a set of grants of kind `enterprise` naming
//! the enterprise's USCC, made when the subscriber registers the
//! enterprise or when the enterprise's own admin adds the subscriber, and
//! ended when either side lets go. The policy decides every request, as it
//! does for everyone else.

use safecert_policy::{Action, GrantEffect, GrantKind, ObjectKind, Resource, Role};
use safecert_storage::{EnterpriseRow, FirstManager, NewGrant};

use super::{Caller, Identity, IdentityError, TotpEnrollment, enterprise::Organisation, grants::refreshed};

/// What a subscriber may do in each enterprise it manages.
const OPERATIONS: [(ObjectKind, Action); 6] = [
    (ObjectKind::Certificate, Action::Read),
    (ObjectKind::Certificate, Action::ReadPersonal),
    (ObjectKind::Certificate, Action::Export),
    (ObjectKind::Department, Action::Read),
    (ObjectKind::Department, Action::Manage),
    (ObjectKind::Account, Action::Manage),
];

/// How many enterprises one subscription manages at most.
pub const MAX_ENTERPRISES: usize = 20;

/// A subscriber's own account.
pub struct RegisterSubscriber {
    /// The province the subscriber is based in (its home).
    pub tenant: String,
    pub login: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub second_factor: String,
}

/// One enterprise of a subscription, or one subscriber of an enterprise.
#[derive(Debug, Clone, serde::Serialize, utoipa::ToSchema)]
pub struct SubscriptionLink {
    pub subscriber_id: i32,
    pub subscriber_login: String,
    pub uscc: String,
    pub enterprise_name: String,
    pub tenant: String,
}

fn link_grants<'a>(subscriber: i32, enterprise: &'a EnterpriseRow, by: i32, reason: &'a str) -> Vec<NewGrant<'a>> {
    OPERATIONS
        .iter()
        .map(|(object, action)| NewGrant {
            account_id: subscriber,
            tenant: &enterprise.tenant_slug,
            object: object.as_str(),
            action: action.as_str(),
            kind: GrantKind::Enterprise.as_str(),
            target: &enterprise.uscc,
            effect: GrantEffect::Allow.as_str(),
            until: None,
            granted_by: by,
            reason,
        })
        .collect()
}

impl Identity {
    pub async fn register_subscriber(
        &self,
        req: RegisterSubscriber,
    ) -> Result<(i32, Option<TotpEnrollment>), IdentityError> {
        let creds = self
            .credentials(&req.login, &req.password, req.email.as_deref(), req.phone.as_deref(), &req.second_factor)
            .await?;
        let account = self.new_account(&creds, Role::SmeSubscriber, &req.tenant, None, None, None);
        let id = self.dbs.insert_account(&account).await?;
        let detail = serde_json::json!({ "account": id });
        self.dbs.audit(None, &req.tenant, "subscription.register", &format!("account:{id}"), detail).await?;
        Ok((id, self.enroll(id, &creds).await?))
    }

    fn may_manage_subscription(&self, caller: &Caller) -> Result<(), IdentityError> {
        if self.authorize(caller, Action::Manage, &Resource::new(ObjectKind::Subscription, &caller.tenant)) {
            Ok(())
        } else {
            Err(IdentityError::Forbidden)
        }
    }

    /// The USCCs a subscriber manages now.
    async fn subscribed(&self, subscriber: i32) -> Result<Vec<String>, IdentityError> {
        let mut usccs: Vec<String> = self
            .dbs
            .grants_of_kind(GrantKind::Enterprise.as_str(), Some(subscriber), None)
            .await?
            .into_iter()
            .map(|g| g.target)
            .collect();
        usccs.sort_unstable();
        usccs.dedup();
        Ok(usccs)
    }

    async fn has_room(&self, subscriber: i32, uscc: &str) -> Result<(), IdentityError> {
        let usccs = self.subscribed(subscriber).await?;
        if usccs.iter().any(|u| u == uscc) {
            return Err(IdentityError::Duplicate);
        }
        if usccs.len() >= MAX_ENTERPRISES {
            return Err(IdentityError::Invalid("a subscription manages at most 20 enterprises"));
        }
        Ok(())
    }

    /// The enterprises the subscriber manages.
    pub async fn subscription(&self, caller: &Caller) -> Result<Vec<SubscriptionLink>, IdentityError> {
        self.may_manage_subscription(caller)?;
        let usccs = self.subscribed(caller.account_id).await?;
        if usccs.is_empty() {
            return Ok(Vec::new());
        }
        Ok(self
            .dbs
            .enterprises_by_uscc(&usccs)
            .await?
            .into_iter()
            .map(|e| SubscriptionLink {
                subscriber_id: caller.account_id,
                subscriber_login: caller.login.clone(),
                uscc: e.uscc,
                enterprise_name: e.name,
                tenant: e.tenant_slug,
            })
            .collect())
    }

    /// A subscriber registers a new enterprise, which it then manages (no
    /// admin account of its own is made; one can be added later).
    pub async fn subscribe_new_enterprise(
        &self,
        caller: &Caller,
        uscc: &str,
        name: &str,
        tenant_of_region: impl Fn(&str) -> Option<String>,
    ) -> Result<SubscriptionLink, IdentityError> {
        self.may_manage_subscription(caller)?;
        let org = Organisation::parse(uscc, name, tenant_of_region)?;
        self.has_room(caller.account_id, org.uscc.as_str()).await?;
        let pending = EnterpriseRow {
            id: 0,
            uscc: org.uscc.as_str().to_owned(),
            name: org.name.clone(),
            tenant_slug: org.tenant.clone(),
            region_code: org.region().to_owned(),
        };
        let grants = link_grants(caller.account_id, &pending, caller.account_id, "registered by the subscriber");
        let (id, _) = self
            .dbs
            .insert_enterprise(
                &pending.uscc,
                &pending.name,
                &pending.tenant_slug,
                org.region(),
                FirstManager::Grants(&grants),
            )
            .await?;
        let detail = serde_json::json!({ "enterprise": id, "subscriber": caller.account_id });
        self.dbs
            .audit(
                Some(caller.account_id),
                &org.tenant,
                "subscription.enterprise.register",
                &format!("enterprise:{id}"),
                detail,
            )
            .await?;
        self.refresh_grants(true).await.map_err(refreshed)?;
        Ok(SubscriptionLink {
            subscriber_id: caller.account_id,
            subscriber_login: caller.login.clone(),
            uscc: pending.uscc,
            enterprise_name: pending.name,
            tenant: pending.tenant_slug,
        })
    }

    /// An enterprise's admin lets a subscriber manage the enterprise.
    pub async fn add_subscriber(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
        subscriber_login: &str,
    ) -> Result<SubscriptionLink, IdentityError> {
        let resource = Resource::new(ObjectKind::Subscription, &enterprise.tenant_slug).enterprise(&enterprise.uscc);
        if !self.authorize(caller, Action::Approve, &resource) {
            return Err(IdentityError::Forbidden);
        }
        // An unknown login and an account of another kind answer alike.
        let subscriber = self
            .dbs
            .account_by_login(subscriber_login.trim())
            .await?
            .filter(|a| a.role == Role::SmeSubscriber.as_str())
            .ok_or(IdentityError::Invalid("no SME subscriber has that sign-in name"))?;
        self.has_room(subscriber.id, &enterprise.uscc).await?;
        self.dbs
            .insert_grants(&link_grants(subscriber.id, enterprise, caller.account_id, "added by the enterprise"))
            .await?;
        let detail = serde_json::json!({ "enterprise": enterprise.id, "subscriber": subscriber.id });
        self.dbs
            .audit(
                Some(caller.account_id),
                &enterprise.tenant_slug,
                "subscription.add",
                &format!("account:{}", subscriber.id),
                detail,
            )
            .await?;
        self.refresh_grants(true).await.map_err(refreshed)?;
        Ok(SubscriptionLink {
            subscriber_id: subscriber.id,
            subscriber_login: subscriber.login,
            uscc: enterprise.uscc.clone(),
            enterprise_name: enterprise.name.clone(),
            tenant: enterprise.tenant_slug.clone(),
        })
    }

    /// The subscribers that manage an enterprise (for its admin).
    pub async fn subscribers(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
    ) -> Result<Vec<SubscriptionLink>, IdentityError> {
        let resource = Resource::new(ObjectKind::Subscription, &enterprise.tenant_slug).enterprise(&enterprise.uscc);
        if !self.authorize(caller, Action::Approve, &resource) {
            return Err(IdentityError::Forbidden);
        }
        let mut ids: Vec<i32> = self
            .dbs
            .grants_of_kind(GrantKind::Enterprise.as_str(), None, Some(&enterprise.uscc))
            .await?
            .into_iter()
            .map(|g| g.account_id)
            .collect();
        ids.sort_unstable();
        ids.dedup();
        let mut links = Vec::with_capacity(ids.len());
        for id in ids {
            if let Some(account) = self.dbs.account(id).await? {
                links.push(SubscriptionLink {
                    subscriber_id: id,
                    subscriber_login: account.login,
                    uscc: enterprise.uscc.clone(),
                    enterprise_name: enterprise.name.clone(),
                    tenant: enterprise.tenant_slug.clone(),
                });
            }
        }
        Ok(links)
    }

    /// Ends a subscriber's hold on an enterprise: the subscriber letting
    /// go, or the enterprise's admin removing it.
    pub async fn end_subscription(
        &self,
        caller: &Caller,
        enterprise: &EnterpriseRow,
        subscriber: i32,
    ) -> Result<(), IdentityError> {
        let own = subscriber == caller.account_id;
        let allowed = if own {
            self.may_manage_subscription(caller).is_ok()
        } else {
            let resource =
                Resource::new(ObjectKind::Subscription, &enterprise.tenant_slug).enterprise(&enterprise.uscc);
            self.authorize(caller, Action::Approve, &resource)
        };
        if !allowed {
            return Err(IdentityError::Forbidden);
        }
        if self.dbs.revoke_grants_of(subscriber, GrantKind::Enterprise.as_str(), &enterprise.uscc).await? == 0 {
            return Err(IdentityError::UnknownGrant);
        }
        let detail = serde_json::json!({ "enterprise": enterprise.id, "subscriber": subscriber });
        self.dbs
            .audit(
                Some(caller.account_id),
                &enterprise.tenant_slug,
                "subscription.end",
                &format!("account:{subscriber}"),
                detail,
            )
            .await?;
        self.refresh_grants(true).await.map_err(refreshed)?;
        Ok(())
    }
}
