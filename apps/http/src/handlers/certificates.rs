use actix_web::{HttpRequest, HttpResponse, get, web};
use safecert_core::{CertificateView, LookupError};

use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

/// One certificate of a province by its number, masked.
#[utoipa::path(
    tag = "tenant",
    params(
        ("tenant" = String, Path, description = "Tenant slug, e.g. gd (see /api/v1/tenants)"),
        ("cert_no" = String, Path, description = "Certificate number"),
    ),
    responses(
        (status = 200, body = CertificateView),
        (status = 400, description = "Malformed certificate number", body = ErrorBody),
        (status = 404, description = "Unknown tenant or certificate", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    )
)]
#[get("/api/v1/t/{tenant}/certificates/{cert_no}")]
pub async fn lookup(req: HttpRequest, lang: Lang, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let (tenant, raw_no) = path.into_inner();
    let platform = &lang.app().platform;
    if platform.tenants.find(&tenant).is_none() {
        return Err(lang.error(ErrorKind::UnknownTenant));
    }
    let cert_no = super::parse_cert_no(&raw_no, &lang)?;
    match platform.lookup(&tenant, &cert_no, lang.locale).await {
        Ok(view) => Ok(HttpResponse::Ok().insert_header(("Cache-Control", "no-store")).json(view)),
        Err(LookupError::UnknownTenant) => Err(lang.error(ErrorKind::UnknownTenant)),
        Err(LookupError::NotFound) => Err(lang.error(ErrorKind::CertificateNotFound)),
        Err(LookupError::Storage(e)) => Err(super::unavailable(&e, &lang)),
    }
}
