//! SME subscriptions over HTTP: a subscriber signs up, registers the
//! enterprises it manages (or is added by their admins) and lets go; an
//! enterprise's admin adds or removes subscribers. Managing an enterprise
//! then uses the enterprise endpoints with `?enterprise=<USCC>`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use safecert_core::identity::{RegisterSubscriber, SubscriptionLink};
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::{AccountCreated, EnterpriseQuery, caller, enterprise_caller, identity_error, tenant_of_region};
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

#[derive(Deserialize, ToSchema)]
pub struct SubscriberRegistration {
    /// The province the subscriber is based in (a tenant slug).
    tenant: String,
    login: String,
    password: String,
    email: Option<String>,
    phone: Option<String>,
    /// `sms`, `email` or `totp`.
    second_factor: String,
}

/// Opens an SME subscription: one account that will manage several
/// enterprises.
#[utoipa::path(post, path = "/api/v1/subscribers", tag = "accounts", request_body = SubscriberRegistration,
    responses((status = 201, body = AccountCreated), (status = 404, description = "Unknown tenant", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/subscribers")]
pub async fn register(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let b: SubscriberRegistration = super::rules::json_body(payload, &lang).await?;
    let platform = &lang.app().platform;
    let tenant = platform.tenants.find(&b.tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let new = RegisterSubscriber {
        tenant: tenant.slug.to_string(),
        login: b.login,
        password: b.password,
        email: b.email,
        phone: b.phone,
        second_factor: b.second_factor,
    };
    let (account_id, totp) = platform.identity.register_subscriber(new).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(AccountCreated {
        account_id,
        enterprise_id: None,
        tenant: tenant.slug.to_string(),
        totp,
    }))
}

/// The enterprises the signed-in subscriber manages.
#[utoipa::path(get, path = "/api/v1/subscription/enterprises", tag = "accounts",
    responses((status = 200, body = Vec<SubscriptionLink>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/subscription/enterprises")]
pub async fn enterprises(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let links = lang.app().platform.identity.subscription(&caller).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(links))
}

#[derive(Deserialize, ToSchema)]
pub struct NewEnterpriseBody {
    /// 统一社会信用代码 (GB 32100 check character validated).
    uscc: String,
    name: String,
}

/// The subscriber registers an enterprise it will manage.
#[utoipa::path(post, path = "/api/v1/subscription/enterprises", tag = "accounts", request_body = NewEnterpriseBody,
    responses((status = 201, body = SubscriptionLink), (status = 403, body = ErrorBody), (status = 409, body = ErrorBody),
        (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/subscription/enterprises")]
pub async fn register_enterprise(
    req: HttpRequest,
    lang: Lang,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let b: NewEnterpriseBody = super::rules::json_body(payload, &lang).await?;
    let link = lang
        .app()
        .platform
        .identity
        .subscribe_new_enterprise(&caller, &b.uscc, &b.name, tenant_of_region(&lang))
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(link))
}

/// The subscriber stops managing an enterprise.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/subscription/leave", tag = "accounts",
    params(("tenant" = String, Path), EnterpriseQuery),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/subscription/leave")]
pub async fn leave(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    query: web::Query<EnterpriseQuery>,
) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &query).await?;
    let identity = &lang.app().platform.identity;
    identity.end_subscription(&caller, &enterprise, caller.account_id).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The subscribers managing the caller's enterprise.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/subscribers", tag = "accounts", params(("tenant" = String, Path)),
    responses((status = 200, body = Vec<SubscriptionLink>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/subscribers")]
pub async fn subscribers(req: HttpRequest, lang: Lang, tenant: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &EnterpriseQuery::own()).await?;
    let links =
        lang.app().platform.identity.subscribers(&caller, &enterprise).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(links))
}

#[derive(Deserialize, ToSchema)]
pub struct AddSubscriberBody {
    /// The subscriber's sign-in name.
    login: String,
}

/// An enterprise's admin lets a subscriber manage the enterprise.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/subscribers", tag = "accounts", request_body = AddSubscriberBody,
    params(("tenant" = String, Path)),
    responses((status = 201, body = SubscriptionLink), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/subscribers")]
pub async fn add(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &EnterpriseQuery::own()).await?;
    let b: AddSubscriberBody = super::rules::json_body(payload, &lang).await?;
    let link = lang
        .app()
        .platform
        .identity
        .add_subscriber(&caller, &enterprise, &b.login)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(link))
}

/// An enterprise's admin removes a subscriber.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/subscribers/{id}/remove", tag = "accounts",
    params(("tenant" = String, Path), ("id" = i32, Path)),
    responses((status = 204), (status = 403, body = ErrorBody), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/subscribers/{id}/remove")]
pub async fn remove(req: HttpRequest, lang: Lang, path: web::Path<(String, i32)>) -> Result<HttpResponse, ApiError> {
    let (tenant, subscriber) = path.into_inner();
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &EnterpriseQuery::own()).await?;
    let identity = &lang.app().platform.identity;
    identity.end_subscription(&caller, &enterprise, subscriber).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}
