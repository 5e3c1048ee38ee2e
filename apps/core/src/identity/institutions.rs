//! Training institutions: an institution applies with its USCC and the
//! licence it trains under; a provincial admin reviews the qualification
//! and approves or rejects it. Only an approved institution's account has
//! the role that may upload training records. Every step is audited.

use safecert_policy::{Action, ObjectKind, Resource, Role};
use safecert_storage::{InstitutionRow, NewInstitution};

use super::{Caller, Identity, IdentityError, TotpEnrollment, enterprise::Organisation, grants::reason_of};

pub struct InstitutionApplication {
    pub uscc: String,
    pub name: String,
    /// The training licence or filing number.
    pub licence_no: String,
    /// What it trains for.
    pub training_scope: String,
    pub login: String,
    pub password: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub second_factor: String,
}

/// A submitted application.
pub struct Applied {
    pub institution: InstitutionRow,
    pub totp: Option<TotpEnrollment>,
}

fn text_field(raw: &str, max: usize, what: &'static str) -> Result<String, IdentityError> {
    let text = raw.trim();
    if text.is_empty() || text.chars().count() > max || text.chars().any(char::is_control) {
        return Err(IdentityError::Invalid(what));
    }
    Ok(text.to_owned())
}

/// A review decision.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Review {
    Approve,
    Reject,
}

impl Identity {
    pub async fn apply_institution(
        &self,
        req: InstitutionApplication,
        tenant_of_region: impl Fn(&str) -> Option<String>,
    ) -> Result<Applied, IdentityError> {
        let org = Organisation::parse(&req.uscc, &req.name, tenant_of_region)?;
        let licence_no = text_field(&req.licence_no, 64, "licence_no is 1 to 64 characters")?;
        let training_scope = text_field(&req.training_scope, 500, "training_scope is 1 to 500 characters")?;
        let creds = self
            .credentials(&req.login, &req.password, req.email.as_deref(), req.phone.as_deref(), &req.second_factor)
            .await?;
        let account = self.new_account(&creds, Role::InstitutionApplicant, &org.tenant, None, None, None);
        let application = NewInstitution {
            tenant: &org.tenant,
            uscc: org.uscc.as_str(),
            name: &org.name,
            licence_no: &licence_no,
            training_scope: &training_scope,
        };
        let (id, account_id) = self.dbs.insert_institution(&application, &account).await?;
        let detail = serde_json::json!({ "institution": id, "account": account_id });
        self.dbs.audit(None, &org.tenant, "institution.apply", &format!("institution:{id}"), detail).await?;
        let totp = self.enroll(account_id, &creds).await?;
        let institution = self.dbs.institution(id).await?.ok_or(IdentityError::UnknownApplication)?;
        Ok(Applied { institution, totp })
    }

    /// The caller's own institution and the state of its application.
    pub async fn my_institution(&self, caller: &Caller) -> Result<InstitutionRow, IdentityError> {
        if !self.authorize(caller, Action::Read, &Resource::new(ObjectKind::Institution, &caller.tenant)) {
            return Err(IdentityError::Forbidden);
        }
        self.dbs.institution_of_account(caller.account_id).await?.ok_or(IdentityError::UnknownApplication)
    }

    /// A province's applications, optionally in one state.
    pub async fn institutions(
        &self,
        caller: &Caller,
        tenant: &str,
        status: Option<&str>,
    ) -> Result<Vec<InstitutionRow>, IdentityError> {
        if !self.authorize(caller, Action::Review, &Resource::new(ObjectKind::Institution, tenant)) {
            return Err(IdentityError::Forbidden);
        }
        let status = match status.map(str::trim).filter(|s| !s.is_empty()) {
            None => None,
            Some(s @ ("pending" | "approved" | "rejected")) => Some(s),
            Some(_) => return Err(IdentityError::Invalid("status is pending, approved or rejected")),
        };
        Ok(self.dbs.institutions(tenant, status).await?)
    }

    /// Approves or rejects a pending application, once.
    pub async fn review_institution(
        &self,
        caller: &Caller,
        tenant: &str,
        id: i32,
        review: Review,
        reason: &str,
    ) -> Result<InstitutionRow, IdentityError> {
        if !self.authorize(caller, Action::Review, &Resource::new(ObjectKind::Institution, tenant)) {
            return Err(IdentityError::Forbidden);
        }
        let reason = reason_of(reason)?;
        let application = self
            .dbs
            .institution(id)
            .await?
            .filter(|i| i.tenant_slug == tenant)
            .ok_or(IdentityError::UnknownApplication)?;
        let (status, role) = match review {
            Review::Approve => ("approved", Role::Institution),
            Review::Reject => ("rejected", Role::InstitutionApplicant),
        };
        if !self
            .dbs
            .decide_institution(id, status, caller.account_id, reason, application.account_id, role.as_str())
            .await?
        {
            return Err(IdentityError::AlreadyDecided);
        }
        self.forget_account(application.account_id);
        let detail = serde_json::json!({ "institution": id, "decision": status, "reason": reason });
        self.dbs
            .audit(
                Some(caller.account_id),
                tenant,
                &format!("institution.{status}"),
                &format!("institution:{id}"),
                detail,
            )
            .await?;
        self.dbs.institution(id).await?.ok_or(IdentityError::UnknownApplication)
    }
}
