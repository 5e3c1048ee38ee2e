//! A regulator asks to see another region with a reason; a regulator of a
//! region above it (or the provincial administrator) approves or rejects.
//! An approval is a time-limited grant. Every step is audited.

use chrono::{TimeDelta, Utc};
use safecert_domain::RegionCode;
use safecert_policy::{Action, GrantKind, ObjectKind, Resource};
use safecert_storage::{NewGrant, RegionRequestRow};

use super::{Caller, Identity, IdentityError, grants::reason_of};

/// The longest access one approval gives.
pub const MAX_DAYS: i32 = 90;

fn request_resource(tenant: &str, region: &RegionCode) -> Resource {
    Resource::new(ObjectKind::RegionAccess, tenant).region(region.prefix())
}

impl Identity {
    /// `province` is the tenant's own region code: requests stay inside it.
    pub async fn request_region_access(
        &self,
        caller: &Caller,
        province: &RegionCode,
        region: &str,
        reason: &str,
        days: i32,
    ) -> Result<i32, IdentityError> {
        let region = RegionCode::parse(region.trim())
            .map_err(|_| IdentityError::Invalid("region is a six-digit region code"))?;
        if !province.contains(&region) {
            return Err(IdentityError::Invalid("the region is not in this province"));
        }
        if !self.authorize(caller, Action::Request, &request_resource(&caller.tenant, &region)) {
            return Err(IdentityError::Forbidden);
        }
        if !caller.subject.region.is_empty() && region.as_str().starts_with(caller.subject.region.as_str()) {
            return Err(IdentityError::Invalid("that region is already within yours"));
        }
        if !(1..=MAX_DAYS).contains(&days) {
            return Err(IdentityError::Invalid("days is 1 to 90"));
        }
        let reason = reason_of(reason)?;
        let id =
            self.dbs.insert_region_request(&caller.tenant, caller.account_id, region.as_str(), reason, days).await?;
        let detail = serde_json::json!({ "request": id, "region": region.as_str(), "days": days, "reason": reason });
        self.dbs
            .audit(Some(caller.account_id), &caller.tenant, "region_access.request", &format!("request:{id}"), detail)
            .await?;
        Ok(id)
    }

    /// Approves (a grant until now + days) or rejects a pending request.
    pub async fn decide_region_request(
        &self,
        caller: &Caller,
        id: i32,
        approve: bool,
        reason: &str,
    ) -> Result<RegionRequestRow, IdentityError> {
        let reason = reason_of(reason)?;
        let row = self.dbs.region_request(id).await?.ok_or(IdentityError::UnknownRequest)?;
        let region = RegionCode::parse(&row.region).map_err(|_| IdentityError::UnknownRequest)?;
        if row.requester_id == caller.account_id
            || !self.authorize(caller, Action::Approve, &request_resource(&row.tenant_slug, &region))
        {
            return Err(IdentityError::Forbidden);
        }
        let status = if approve { "approved" } else { "rejected" };
        if !self.dbs.decide_region_request(id, status, caller.account_id, reason).await? {
            return Err(IdentityError::AlreadyDecided);
        }
        let until = Utc::now() + TimeDelta::days(i64::from(row.days));
        if approve {
            for action in [Action::Read, Action::ReadPersonal] {
                self.dbs
                    .insert_grant(&NewGrant {
                        account_id: row.requester_id,
                        tenant: &row.tenant_slug,
                        object: ObjectKind::Certificate.as_str(),
                        action: action.as_str(),
                        kind: GrantKind::Region.as_str(),
                        target: region.prefix(),
                        effect: "allow",
                        until: Some(until),
                        granted_by: caller.account_id,
                        reason,
                    })
                    .await?;
            }
        }
        let detail = serde_json::json!({ "request": id, "decision": status, "reason": reason,
            "until": approve.then_some(until) });
        self.dbs
            .audit(Some(caller.account_id), &row.tenant_slug, "region_access.decide", &format!("request:{id}"), detail)
            .await?;
        if approve && let Err(e) = self.refresh_grants(true).await {
            tracing::warn!(error = %e, "grant stored but not yet reloaded here");
        }
        self.dbs.region_request(id).await?.ok_or(IdentityError::UnknownRequest)
    }

    /// Requests the caller made or may decide.
    pub async fn region_requests(&self, caller: &Caller, tenant: &str) -> Result<Vec<RegionRequestRow>, IdentityError> {
        let any = Resource::new(ObjectKind::RegionAccess, tenant);
        if !self.authorize(caller, Action::Request, &any) && !self.authorize(caller, Action::Approve, &any) {
            return Err(IdentityError::Forbidden);
        }
        let rows = self.dbs.region_requests(tenant).await?;
        Ok(rows
            .into_iter()
            .filter(|r| {
                r.requester_id == caller.account_id
                    || RegionCode::parse(&r.region)
                        .is_ok_and(|code| self.authorize(caller, Action::Approve, &request_resource(tenant, &code)))
            })
            .collect())
    }
}
