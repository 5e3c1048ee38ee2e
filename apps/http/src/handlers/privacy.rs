//! Privacy mode over HTTP: a fresh code, then the session's certificate
//! queries stay out of the query log for 15 minutes.

use actix_web::{HttpRequest, HttpResponse, post, web};
use safecert_core::identity::Origin;
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::{caller, identity_error, origin_of, session_token};
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

/// Sends a code to the account's second factor (holders and enterprises;
/// regulators' and administrators' queries are always logged).
#[utoipa::path(post, path = "/api/v1/me/private-queries", tag = "queries",
    responses((status = 200, body = super::identity::SignInChallenge), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/me/private-queries")]
pub async fn start(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let started = lang.app().platform.identity.start_privacy(&caller).await.map_err(|e| identity_error(e, &lang))?;
    Ok(super::identity::challenge_response(&lang, started))
}

#[derive(Deserialize, ToSchema)]
pub struct PrivacyCode {
    challenge: String,
    code: String,
}

/// The code: privacy mode until the time answered.
#[utoipa::path(post, path = "/api/v1/me/private-queries/verify", tag = "queries", request_body = PrivacyCode,
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/me/private-queries/verify")]
pub async fn verify(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let token = session_token(&req).ok_or_else(|| lang.error(ErrorKind::Forbidden))?;
    let b: PrivacyCode = super::rules::json_body(payload, &lang).await?;
    let (ip, ua) = origin_of(&req, &lang);
    let until = lang
        .app()
        .platform
        .identity
        .enter_privacy(&caller, &token, &b.challenge, &b.code, &Origin { ip: &ip, user_agent: &ua })
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(serde_json::json!({ "private_until": until })))
}

/// Ends privacy mode now.
#[utoipa::path(post, path = "/api/v1/me/private-queries/end", tag = "queries",
    responses((status = 204), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/me/private-queries/end")]
pub async fn end(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let token = session_token(&req).ok_or_else(|| lang.error(ErrorKind::Forbidden))?;
    lang.app().platform.identity.leave_privacy(&caller, &token).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}
