use actix_web::{HttpRequest, HttpResponse, http::Method, web};
use safecert_core::{CertificateView, LookupError};

use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

/// The tenant-scoped API lives under this prefix. It is routed by the
/// handlers below rather than by route patterns: matching a dynamic
/// pattern costs a regular-expression run per request.
pub const SCOPE: &str = "/api/v1/t";

/// `{tenant}/certificates/{cert_no}` after the scope, if the path has that
/// shape.
fn certificate_path(rest: &str) -> Option<(&str, &str)> {
    let mut parts = rest.strip_prefix('/')?.split('/');
    match (parts.next(), parts.next(), parts.next(), parts.next()) {
        (Some(tenant), Some("certificates"), Some(no), None) if !tenant.is_empty() && !no.is_empty() => {
            Some((tenant, no))
        }
        _ => None,
    }
}

/// Everything under [`SCOPE`]: the shape of the path picks the handler.
pub async fn tenant_api(req: HttpRequest, payload: web::Payload, lang: Lang) -> Result<HttpResponse, ApiError> {
    let rest = req.path().strip_prefix(SCOPE).unwrap_or_default();
    if let Some((tenant, no)) = certificate_path(rest) {
        if req.method() == Method::GET {
            return lookup(&req, &lang, tenant, no).await;
        }
        return Err(lang.error(ErrorKind::NotFound));
    }
    let segments: Vec<&str> = rest.strip_prefix('/').unwrap_or_default().split('/').collect();
    if let [tenant, "rules", more @ ..] = segments.as_slice()
        && let Some(route) = super::rules::Route::parse(more, req.method())
    {
        let tenant = lang.app().platform.tenants.find(tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
        return super::rules::handle(&req, payload, &lang, tenant, route).await;
    }
    Err(lang.error(ErrorKind::NotFound))
}

/// One certificate of a province by its number, as the signed-in caller's
/// role allows: in full, masked, or refused (as if it did not exist).
#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/certificates/{cert_no}",
    tag = "tenant",
    params(
        ("tenant" = String, Path, description = "Tenant slug, e.g. gd (see /api/v1/tenants)"),
        ("cert_no" = String, Path, description = "Certificate number"),
    ),
    responses(
        (status = 200, body = CertificateView),
        (status = 400, description = "Malformed certificate number", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Unknown tenant or certificate, or one the caller's role does not cover", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
async fn lookup(req: &HttpRequest, lang: &Lang, tenant: &str, raw_no: &str) -> Result<HttpResponse, ApiError> {
    super::rate_limit(req, lang)?;
    let platform = &lang.app().platform;
    if platform.tenants.find(tenant).is_none() {
        return Err(lang.error(ErrorKind::UnknownTenant));
    }
    let cert_no = super::parse_cert_no(raw_no, lang)?;
    let caller = super::identity::caller(req, lang).await?;
    match platform.lookup_as(&caller, tenant, &cert_no, lang.locale).await {
        Ok(view) => Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view)),
        Err(LookupError::UnknownTenant) => Err(lang.error(ErrorKind::UnknownTenant)),
        Err(LookupError::NotFound) => Err(lang.error(ErrorKind::CertificateNotFound)),
        // Outside the caller's reach looks like a number that does not
        // exist: a lookup cannot tell who holds what elsewhere.
        Err(LookupError::Forbidden) => Err(lang.error(ErrorKind::CertificateNotFound)),
        Err(LookupError::Storage(e)) => Err(super::unavailable(&e, lang)),
        Err(LookupError::Rules(e)) => Err(super::unavailable(&e, lang)),
    }
}

#[cfg(test)]
mod tests {
    use super::certificate_path;

    #[test]
    fn only_the_certificate_shape_is_a_certificate_path() {
        assert_eq!(certificate_path("/gd/certificates/GD1"), Some(("gd", "GD1")));
        for other in [
            "",
            "/",
            "/gd",
            "/gd/certificates",
            "/gd/certificates/",
            "//certificates/x",
            "/gd/other/x",
            "/gd/certificates/x/y",
        ] {
            assert_eq!(certificate_path(other), None, "{other:?}");
        }
    }
}
