//! Handlers, one file per area. Each has the same shape: extract, check,
//! call the platform, map the error.

pub mod access;
pub mod account_pages;
pub mod api_clients;
pub mod batch;
pub mod batch_pages;
pub mod certificates;
pub mod health;
pub mod identity;
pub mod institutions;
pub mod my_queries;
pub mod pages;
pub mod privacy;
pub mod proofs;
pub mod rules;
pub mod subscriptions;
pub mod tenants;
pub mod verify;

use std::{collections::HashMap, net::IpAddr};

use actix_web::{
    HttpRequest, HttpResponse, HttpResponseBuilder,
    http::header::{CACHE_CONTROL, CONTENT_TYPE, HeaderValue},
};
use safecert_domain::{CertNo, HolderName};

use crate::{
    error::{ApiError, ErrorKind},
    lang::Lang,
    state::AppState,
};

/// A 200 that no cache between the caller and the service may keep.
pub fn not_stored() -> HttpResponseBuilder {
    no_store(HttpResponse::Ok())
}

/// A 200 of JSON already written, that no cache between the caller and
/// the service may keep. The header is a constant: nothing is parsed or
/// allocated for it.
pub fn not_stored_json(body: impl Into<actix_web::web::Bytes>) -> HttpResponse {
    const JSON: HeaderValue = HeaderValue::from_static("application/json");
    not_stored().insert_header((CONTENT_TYPE, JSON)).body(body.into())
}

/// `response`, marked so that no cache between the caller and the service
/// may keep it.
pub fn no_store(mut response: HttpResponseBuilder) -> HttpResponseBuilder {
    const NO_STORE: HeaderValue = HeaderValue::from_static("no-store");
    response.insert_header((CACHE_CONTROL, NO_STORE));
    response
}

/// The client's address: the peer, or the first `X-Forwarded-For` hop
/// when the service is configured to trust its proxy.
pub fn client_addr(req: &HttpRequest, app: &AppState) -> Option<IpAddr> {
    if app.platform.config.trust_forwarded_for
        && let Some(ip) = req
            .connection_info()
            .realip_remote_addr()
            .and_then(|a| a.parse::<IpAddr>().ok().or_else(|| a.parse::<std::net::SocketAddr>().ok().map(|s| s.ip())))
    {
        return Some(ip);
    }
    req.peer_addr().map(|a| a.ip())
}

/// Applies the per-address limit of public endpoints.
pub fn rate_limit(req: &HttpRequest, lang: &Lang) -> Result<(), ApiError> {
    let app = lang.app();
    let Some(addr) = client_addr(req, app) else {
        return Ok(());
    };
    app.limiter.check(addr).map_err(|retry_after| lang.error(ErrorKind::RateLimited { retry_after }))
}

fn hex(b: u8) -> Option<u8> {
    (b as char).to_digit(16).map(|d| d as u8)
}

/// `a%20b+c` → bytes, refusing malformed escapes.
fn percent_decode(raw: &str) -> Option<Vec<u8>> {
    let bytes = raw.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hi = hex(*bytes.get(i + 1)?)?;
                let lo = hex(*bytes.get(i + 2)?)?;
                out.push(hi << 4 | lo);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(out)
}

/// One `name` or `value` of a query string, decoded; `None` for malformed
/// escapes or invalid UTF-8.
pub fn decode_component(raw: &str) -> Option<String> {
    percent_decode(raw).and_then(|b| String::from_utf8(b).ok())
}

/// The query string as parameters. Unlike a lossy decoder, malformed
/// escapes and invalid UTF-8 are refused with a clear error instead of
/// being turned into replacement characters.
pub fn query_params(req: &HttpRequest, lang: &Lang) -> Result<HashMap<String, String>, ApiError> {
    let mut params = HashMap::new();
    for pair in req.query_string().split('&').filter(|p| !p.is_empty()) {
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let (Some(k), Some(v)) = (decode_component(k), decode_component(v)) else {
            return Err(lang.error(ErrorKind::BadRequest));
        };
        params.entry(k).or_insert(v);
    }
    Ok(params)
}

/// A required parameter, present and not blank.
pub fn required<'a>(params: &'a HashMap<String, String>, name: &'static str, lang: &Lang) -> Result<&'a str, ApiError> {
    params
        .get(name)
        .map(String::as_str)
        .filter(|v| !v.trim().is_empty())
        .ok_or_else(|| lang.error(ErrorKind::MissingParameter(name)))
}

pub fn parse_cert_no(raw: &str, lang: &Lang) -> Result<CertNo, ApiError> {
    CertNo::parse(raw).map_err(|_| lang.error(ErrorKind::InvalidCertNo))
}

pub fn parse_name(raw: &str, lang: &Lang) -> Result<HolderName, ApiError> {
    HolderName::parse(raw).map_err(|_| lang.error(ErrorKind::InvalidName))
}

/// Logs a storage failure with the request's context and turns it into a
/// 503: the client learns nothing of the cause.
pub fn unavailable(err: &dyn std::fmt::Display, lang: &Lang) -> ApiError {
    tracing::error!(error = %err, "storage or rules failed");
    lang.error(ErrorKind::Unavailable)
}
