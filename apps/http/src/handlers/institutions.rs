//! Training institutions over HTTP: an institution applies; the provincial
//! admin lists the applications and approves or rejects each once.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use safecert_core::identity::{InstitutionApplication, Review, TotpEnrollment};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::identity::{caller, identity_error, tenant_of_region};
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

#[derive(Deserialize, ToSchema)]
pub struct ApplicationBody {
    /// 统一社会信用代码 of the institution (GB 32100 check character).
    uscc: String,
    name: String,
    /// The training licence or filing number.
    licence_no: String,
    /// What it trains for, such as "主要负责人、安全生产管理人员".
    training_scope: String,
    login: String,
    password: String,
    email: Option<String>,
    phone: Option<String>,
    /// `sms`, `email` or `totp`.
    second_factor: String,
}

#[derive(Serialize, ToSchema)]
pub struct ApplicationAnswer {
    institution_id: i32,
    account_id: i32,
    tenant: String,
    /// `pending` until a provincial admin decides.
    status: String,
    /// Present for `totp`: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    totp: Option<TotpEnrollment>,
}

/// A training institution applies; its account can sign in at once but
/// may upload nothing until a provincial admin approves it.
#[utoipa::path(post, path = "/api/v1/institutions", tag = "accounts", request_body = ApplicationBody,
    responses((status = 201, body = ApplicationAnswer), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/institutions")]
pub async fn apply(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let b: ApplicationBody = super::rules::json_body(payload, &lang).await?;
    let application = InstitutionApplication {
        uscc: b.uscc,
        name: b.name,
        licence_no: b.licence_no,
        training_scope: b.training_scope,
        login: b.login,
        password: b.password,
        email: b.email,
        phone: b.phone,
        second_factor: b.second_factor,
    };
    let applied = lang
        .app()
        .platform
        .identity
        .apply_institution(application, tenant_of_region(&lang))
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(ApplicationAnswer {
        institution_id: applied.institution.id,
        account_id: applied.institution.account_id,
        tenant: applied.institution.tenant_slug,
        status: applied.institution.status,
        totp: applied.totp,
    }))
}

/// The signed-in institution's application and its state.
#[utoipa::path(get, path = "/api/v1/institution", tag = "accounts",
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/institution")]
pub async fn mine(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let row = lang.app().platform.identity.my_institution(&caller).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(row))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct StatusQuery {
    /// `pending`, `approved` or `rejected`; all when left out.
    status: Option<String>,
}

/// A province's applications (provincial admins).
#[utoipa::path(get, path = "/api/v1/t/{tenant}/institutions", tag = "accounts",
    params(("tenant" = String, Path), StatusQuery),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/institutions")]
pub async fn list(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    query: web::Query<StatusQuery>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let platform = &lang.app().platform;
    let tenant = platform.tenants.find(&tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let rows = platform
        .identity
        .institutions(&caller, tenant.slug.as_str(), query.status.as_deref())
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(rows))
}

#[derive(Deserialize, ToSchema)]
pub struct ReviewBody {
    reason: String,
}

/// Approves or rejects an application (`decision` is `approve` or
/// `reject`), once.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/institutions/{id}/{decision}", tag = "accounts",
    request_body = ReviewBody,
    params(("tenant" = String, Path), ("id" = i32, Path), ("decision" = String, Path)),
    responses((status = 200, body = Object), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/institutions/{id}/{decision}")]
pub async fn review(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<(String, i32, String)>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (tenant, id, decision) = path.into_inner();
    let caller = caller(&req, &lang).await?;
    let platform = &lang.app().platform;
    let tenant = platform.tenants.find(&tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let review = match decision.as_str() {
        "approve" => Review::Approve,
        "reject" => Review::Reject,
        _ => return Err(lang.error(ErrorKind::NotFound)),
    };
    let b: ReviewBody = super::rules::json_body(payload, &lang).await?;
    let row = platform
        .identity
        .review_institution(&caller, tenant.slug.as_str(), id, review, &b.reason)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(row))
}
