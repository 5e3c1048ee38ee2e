//! API clients over HTTP: an account makes a key for a system of its own,
//! lists, rotates and revokes them. The key is in the answer once.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use safecert_core::identity::{ApiClientView, IssuedKey, NewApiClient};
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::{caller, identity_error};
use crate::{
    error::{ApiError, ErrorBody},
    lang::Lang,
};

#[derive(Deserialize, ToSchema)]
pub struct NewClientBody {
    /// What the system is, such as "HR system".
    name: String,
    /// One or more of `certificate:read`, `certificate:read_personal`,
    /// `certificate:export`; the key never does more than the account
    /// that makes it may.
    scopes: Vec<String>,
    /// 1 to 365.
    expires_in_days: i64,
}

/// Makes an API client acting for the signed-in account; the key is shown
/// this once.
#[utoipa::path(post, path = "/api/v1/api-clients", tag = "accounts", request_body = NewClientBody,
    responses((status = 201, body = IssuedKey), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/api-clients")]
pub async fn create(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let b: NewClientBody = super::rules::json_body(payload, &lang).await?;
    let new = NewApiClient { name: b.name, scopes: b.scopes, expires_in_days: b.expires_in_days };
    let issued =
        lang.app().platform.identity.create_api_client(&caller, new).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::no_store(HttpResponse::Created()).json(issued))
}

/// The signed-in account's API clients and the keys that work now (by
/// prefix; keys themselves are never shown again).
#[utoipa::path(get, path = "/api/v1/api-clients", tag = "accounts",
    responses((status = 200, body = Vec<ApiClientView>), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/api-clients")]
pub async fn list(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let clients = lang.app().platform.identity.api_clients(&caller).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(clients))
}

#[derive(Deserialize, ToSchema)]
pub struct RotateBody {
    /// How long the keys it replaces keep working: 0 to 168 hours,
    /// 24 when left out.
    overlap_hours: Option<i64>,
}

/// A new key for a client; the old one keeps working through the overlap.
#[utoipa::path(post, path = "/api/v1/api-clients/{id}/rotate", tag = "accounts", request_body = RotateBody,
    params(("id" = i32, Path)),
    responses((status = 200, body = IssuedKey), (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/api-clients/{id}/rotate")]
pub async fn rotate(
    req: HttpRequest,
    lang: Lang,
    id: web::Path<i32>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let b: RotateBody = super::rules::json_body(payload, &lang).await?;
    let issued = lang
        .app()
        .platform
        .identity
        .rotate_api_key(&caller, *id, b.overlap_hours)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored().json(issued))
}

/// Ends a client and every key of it at once.
#[utoipa::path(post, path = "/api/v1/api-clients/{id}/revoke", tag = "accounts", params(("id" = i32, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/api-clients/{id}/revoke")]
pub async fn revoke(req: HttpRequest, lang: Lang, id: web::Path<i32>) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    lang.app().platform.identity.revoke_api_client(&caller, *id).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}
