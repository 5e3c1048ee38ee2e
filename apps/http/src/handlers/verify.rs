use actix_web::{HttpRequest, HttpResponse, get};
use safecert_core::CertificateView;
use serde::Serialize;

use crate::{
    error::{ApiError, ErrorBody},
    lang::Lang,
};

#[derive(Serialize, utoipa::ToSchema)]
pub struct VerifyBody {
    /// True only when a certificate has this number and this holder name.
    pub genuine: bool,
    /// The certificate, masked; absent when not genuine.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub certificate: Option<CertificateView>,
    /// A sentence for people, in the response language.
    pub message: String,
}

/// Public verification across every province. A wrong name and an unknown
/// number give the same answer.
#[utoipa::path(
    tag = "public",
    params(
        ("cert_no" = String, Query, description = "Certificate number as printed, e.g. GD20230000123", pattern = r"^\s*(?:[0-9A-Za-z-]\s*){4,32}$"),
        ("name" = String, Query, description = "Holder's full name as printed", max_length = 40, pattern = r"\S"),
    ),
    responses(
        (status = 200, body = VerifyBody),
        (status = 400, description = "Missing or malformed parameter", body = ErrorBody),
        (status = 429, description = "Too many requests from this address; see Retry-After", body = ErrorBody),
    )
)]
#[get("/api/v1/verify")]
pub async fn verify(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let query = super::query_params(&req, &lang)?;
    let cert_no = super::parse_cert_no(super::required(&query, "cert_no", &lang)?, &lang)?;
    let name = super::parse_name(super::required(&query, "name", &lang)?, &lang)?;
    let app = lang.app();
    let written = app
        .platform
        .verify_written(&cert_no, &name, lang.locale, |view| {
            let message = lang.text("result-genuine");
            serde_json::to_vec(&VerifyBody { genuine: true, certificate: Some(view), message })
        })
        .await
        .map_err(|e| super::unavailable(&e, &lang))?;
    match written {
        Some(body) => {
            app.metrics.verify_genuine.add(1);
            Ok(super::not_stored_json(body))
        }
        None => {
            app.metrics.verify_no_match.add(1);
            let body = VerifyBody { genuine: false, certificate: None, message: lang.text("result-no-match") };
            Ok(super::not_stored().json(body))
        }
    }
}
