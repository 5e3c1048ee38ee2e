//! Access changes over HTTP: grants, staff accounts, regulators' requests
//! for other regions and their decisions, and the audit log.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use safecert_core::identity::{GrantRequest, NewStaff};
use safecert_domain::RegionCode;
use safecert_policy::{Action, ObjectKind, Resource, Role};
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::{AccountCreated, caller, home_caller, identity_error};
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

#[derive(Deserialize, ToSchema)]
pub struct NewGrantBody {
    /// A sub-account of the caller's enterprise.
    account_id: i32,
    /// `read`, `read_personal` or `export` (certificates).
    action: String,
    /// The department subtree it covers.
    department_id: i32,
    /// `allow` (more than the role gives) or `deny` (less).
    effect: String,
    /// When it ends (UTC); none for no end.
    until: Option<chrono::DateTime<chrono::Utc>>,
    reason: String,
}

/// An enterprise admin gives a sub-account more, or less, within the
/// enterprise.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/grants", tag = "accounts", request_body = NewGrantBody,
    params(("tenant" = String, Path)),
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/grants")]
pub async fn create_grant(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = home_caller(&req, &lang, &tenant).await?;
    let b: NewGrantBody = super::rules::json_body(payload, &lang).await?;
    let grant = GrantRequest {
        account_id: b.account_id,
        action: b.action,
        department_id: b.department_id,
        effect: b.effect,
        until: b.until,
        reason: b.reason,
    };
    let id =
        lang.app().platform.identity.grant_in_enterprise(&caller, grant).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id })))
}

#[derive(Deserialize, ToSchema)]
pub struct Reason {
    reason: String,
}

/// Ends a grant at once.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/grants/{id}/revoke", tag = "accounts", request_body = Reason,
    params(("tenant" = String, Path), ("id" = i32, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody),
        (status = 422, description = "No reason given", body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/grants/{id}/revoke")]
pub async fn revoke_grant(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<(String, i32)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (tenant, id) = path.into_inner();
    let caller = home_caller(&req, &lang, &tenant).await?;
    let b: Reason = super::rules::json_body(payload, &lang).await?;
    lang.app().platform.identity.revoke_grant(&caller, id, &b.reason).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}

#[derive(Deserialize, ToSchema)]
pub struct NewStaffBody {
    /// `regulator` (by a provincial admin) or `provincial_admin` (by the
    /// platform operator).
    role: String,
    login: String,
    password: String,
    /// Six digits: province, city or county. Required for regulators.
    region_code: Option<String>,
    email: Option<String>,
    phone: Option<String>,
    second_factor: String,
}

/// Creates a regulator or a provincial administrator of a tenant.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/staff", tag = "accounts", request_body = NewStaffBody,
    params(("tenant" = String, Path)),
    responses((status = 201, body = AccountCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/staff")]
pub async fn create_staff(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let platform = &lang.app().platform;
    let config = platform.tenants.find(&tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let b: NewStaffBody = super::rules::json_body(payload, &lang).await?;
    let invalid =
        |reason: &str| lang.error(ErrorKind::InvalidInput).with_details(serde_json::json!({ "reason": reason }));
    let role = match b.role.as_str() {
        "regulator" => Role::Regulator,
        "provincial_admin" => Role::ProvincialAdmin,
        _ => return Err(invalid("role is regulator or provincial_admin")),
    };
    let region = match b.region_code.as_deref().filter(|r| !r.trim().is_empty()) {
        None => None,
        Some(raw) => {
            let region = RegionCode::parse(raw.trim()).map_err(|e| invalid(&e.to_string()))?;
            if !config.code.contains(&region) {
                return Err(invalid("the region is not in this province"));
            }
            Some(region)
        }
    };
    let staff = NewStaff {
        role,
        tenant: config.slug.as_str(),
        region,
        login: &b.login,
        password: &b.password,
        email: b.email.as_deref(),
        phone: b.phone.as_deref(),
        second_factor: &b.second_factor,
    };
    let (account_id, totp) =
        platform.identity.create_staff(staff, Some(&caller)).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(AccountCreated {
        account_id,
        enterprise_id: None,
        tenant: config.slug.to_string(),
        totp,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct RegionRequestBody {
    /// The six-digit region to see.
    region: String,
    reason: String,
    /// How long, 1 to 90 days.
    days: i32,
}

/// A regulator asks to see another region of the province.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/region-access", tag = "accounts", request_body = RegionRequestBody,
    params(("tenant" = String, Path)),
    responses((status = 201, body = Object), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/region-access")]
pub async fn request_region(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = home_caller(&req, &lang, &tenant).await?;
    let platform = &lang.app().platform;
    let province =
        platform.tenants.find(&tenant).map(|t| t.code).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let b: RegionRequestBody = super::rules::json_body(payload, &lang).await?;
    let id = platform
        .identity
        .request_region_access(&caller, &province, &b.region, &b.reason, b.days)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(serde_json::json!({ "id": id, "status": "pending" })))
}

/// Requests the caller made or may decide.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/region-access", tag = "accounts", params(("tenant" = String, Path)),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/region-access")]
pub async fn list_region_requests(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let caller = home_caller(&req, &lang, &tenant).await?;
    let rows =
        lang.app().platform.identity.region_requests(&caller, &tenant).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(rows))
}

/// Approves or rejects a request (`decision` is `approve` or `reject`).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/region-access/{id}/{decision}", tag = "accounts", request_body = Reason,
    params(("tenant" = String, Path), ("id" = i32, Path), ("decision" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/region-access/{id}/{decision}")]
pub async fn decide_region_request(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<(String, i32, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (tenant, id, decision) = path.into_inner();
    let caller = home_caller(&req, &lang, &tenant).await?;
    let approve = match decision.as_str() {
        "approve" => true,
        "reject" => false,
        _ => return Err(lang.error(ErrorKind::NotFound)),
    };
    let b: Reason = super::rules::json_body(payload, &lang).await?;
    let row = lang
        .app()
        .platform
        .identity
        .decide_region_request(&caller, id, approve, &b.reason)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(row))
}

/// The newest 200 access changes of a tenant (provincial and platform
/// administrators).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/audit", tag = "accounts", params(("tenant" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/audit")]
pub async fn audit_log(req: HttpRequest, lang: Lang, tenant: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let platform = &lang.app().platform;
    let config = platform.tenants.find(&tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    if !platform.identity.authorize(&caller, Action::Read, &Resource::new(ObjectKind::Audit, config.slug.as_str())) {
        return Err(lang.error(ErrorKind::Forbidden));
    }
    let rows = platform
        .store
        .databases()
        .audit_log(config.slug.as_str(), 200)
        .await
        .map_err(|e| super::unavailable(&e, &lang))?;
    Ok(super::not_stored().json(rows))
}
