use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, web};
use serde::Serialize;

use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
    state::AppState,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct Health {
    /// `ok` or `ready`.
    pub status: &'static str,
}

/// Liveness: the process answers.
#[utoipa::path(tag = "operations", responses((status = 200, body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health { status: "ok" })
}

/// Readiness: the database answers within two seconds.
#[utoipa::path(
    tag = "operations",
    responses((status = 200, body = Health), (status = 503, description = "Database unreachable", body = ErrorBody))
)]
#[get("/readyz")]
pub async fn readyz(lang: Lang, state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    match tokio::time::timeout(Duration::from_secs(2), state.platform.store.databases().ping()).await {
        Ok(Ok(())) => Ok(HttpResponse::Ok().json(Health { status: "ready" })),
        Ok(Err(e)) => Err(super::unavailable(&e, &lang)),
        Err(_) => Err(super::unavailable(&"database ping timed out", &lang)),
    }
}

/// Prometheus metrics.
#[utoipa::path(tag = "operations", responses((status = 200, description = "Prometheus text format", content_type = "text/plain")))]
#[get("/metrics")]
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    let platform = &state.platform;
    let body = state.metrics.render(
        platform.store.cache().stats(),
        platform.identity.caller_reads(),
        platform.tenants.len(),
        platform.store.databases().connection_bound(),
    );
    HttpResponse::Ok().content_type("text/plain; version=0.0.4").body(body)
}

/// Any request that matches no route: 405 with `Allow` for an address of
/// the API asked with a method it does not take, 404 otherwise.
pub async fn not_found(req: HttpRequest, lang: Lang) -> HttpResponse {
    unrouted(&req, &lang)
}

/// The answer to a request no handler takes (see [`not_found`]).
pub fn unrouted(req: &HttpRequest, lang: &Lang) -> HttpResponse {
    match crate::known_routes::allowed_at(req.path()) {
        Some(allowed) => {
            let mut response = actix_web::ResponseError::error_response(&lang.error(ErrorKind::MethodNotAllowed));
            if let Ok(value) = actix_web::http::header::HeaderValue::from_str(&allowed) {
                response.headers_mut().insert(actix_web::http::header::ALLOW, value);
            }
            response
        }
        None => actix_web::ResponseError::error_response(&lang.error(ErrorKind::NotFound)),
    }
}
