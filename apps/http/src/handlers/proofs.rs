//! PDFs that prove certificates, and the checks of them: a report of
//! certificates, a holder's electronic certificate, the platform's public
//! key, the check of a file or a verification code, and the pages a QR code
//! or a printed code opens.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use askama::Template;
use safecert_core::{
    CertificateView,
    proof::{IssuedPdf, PlatformKey, ProofError, ReportCheck, normalize_code},
};
use safecert_domain::CertNo;
use safecert_i18n::FluentValue;

use super::{
    identity::caller,
    pages::{Field, LanguageLink, ResultCard, html_response, languages},
};
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
    upload::read_upload,
};

/// A PDF to check is at most this large.
const MAX_PDF_BYTES: usize = 10 * 1024 * 1024;

fn proof_error(e: ProofError, lang: &Lang) -> ApiError {
    match e {
        ProofError::Lookup(e) => super::certificates::lookup_error(e, lang),
        ProofError::NotHolder => lang.error(ErrorKind::Forbidden),
        ProofError::TooMany => lang.error(ErrorKind::ReportTooMany),
        ProofError::Empty => lang.error(ErrorKind::MissingParameter("cert_nos")),
        ProofError::Font(why) => {
            tracing::error!(error = %why, "PDFs cannot be made");
            lang.error(ErrorKind::PdfUnavailable)
        }
        e @ (ProofError::Pdf(_) | ProofError::Storage(_) | ProofError::Random(_)) => super::unavailable(&e, lang),
    }
}

fn pdf_response(pdf: IssuedPdf) -> HttpResponse {
    super::not_stored()
        .content_type("application/pdf")
        .insert_header(("X-Verification-Code", pdf.code))
        .insert_header(("Content-Disposition", format!("attachment; filename=\"{}\"", pdf.file_name)))
        .body(pdf.bytes)
}

/// A PDF report of one certificate, each field as the caller may see it,
/// with a verification code and a signed QR code.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/certificates/{cert_no}/report.pdf", tag = "proof",
    params(("tenant" = String, Path), ("cert_no" = String, Path, pattern = r"^\s*(?:[0-9A-Za-z-]\s*){4,32}$")),
    responses((status = 200, description = "The PDF; its code in X-Verification-Code", content_type = "application/pdf"),
        (status = 400, description = "Malformed certificate number", body = ErrorBody), (status = 404, body = ErrorBody), (status = 503, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/certificates/{cert_no}/report.pdf")]
pub async fn certificate_report(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (tenant, no) = path.into_inner();
    let no = super::parse_cert_no(&no, &lang)?;
    report_of(&req, &lang, &tenant, &[no]).await
}

/// A report of these certificates for the signed-in caller, logged.
async fn report_of(req: &HttpRequest, lang: &Lang, tenant: &str, numbers: &[CertNo]) -> Result<HttpResponse, ApiError> {
    let caller = caller(req, lang).await?;
    let pdf = lang.app().platform.certificate_report(&caller, tenant, numbers, lang.locale).await;
    let pdf = pdf.map_err(|e| proof_error(e, lang))?;
    let listed: Vec<&str> = numbers.iter().map(CertNo::as_str).collect();
    super::certificates::log_query(req, lang, &caller, tenant, "report", format!("cert_no={}", listed.join(","))).await;
    Ok(pdf_response(pdf))
}

/// A PDF report of several certificates of one province (`?cert_nos=A,B,…`,
/// at most 100), one page each.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/report.pdf", tag = "proof",
    params(("tenant" = String, Path), ("cert_nos" = String, Query, description = "Certificate numbers, comma-separated", min_length = 1)),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 400, body = ErrorBody),
        (status = 404, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/report.pdf")]
pub async fn many_report(req: HttpRequest, lang: Lang, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let params = super::query_params(&req, &lang)?;
    let list = super::required(&params, "cert_nos", &lang)?;
    let numbers = list
        .split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .map(|n| super::parse_cert_no(n, &lang))
        .collect::<Result<Vec<CertNo>, _>>()?;
    report_of(&req, &lang, &path.into_inner(), &numbers).await
}

/// The holder's electronic certificate (电子证照): only for the holder.
#[utoipa::path(get, path = "/api/v1/me/certificates/{tenant}/{cert_no}/e-certificate.pdf", tag = "proof",
    params(("tenant" = String, Path), ("cert_no" = String, Path, pattern = r"^\s*(?:[0-9A-Za-z-]\s*){4,32}$")),
    responses((status = 200, description = "The PDF", content_type = "application/pdf"), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/certificates/{tenant}/{cert_no}/e-certificate.pdf")]
pub async fn e_certificate(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let (tenant, no) = path.into_inner();
    let no = super::parse_cert_no(&no, &lang)?;
    let pdf = lang.app().platform.e_certificate(&caller, &tenant, &no).await.map_err(|e| proof_error(e, &lang))?;
    super::certificates::log_query(&req, &lang, &caller, &tenant, "e_certificate", format!("cert_no={no}")).await;
    Ok(pdf_response(pdf))
}

/// The platform's public key: what checks a QR code's signature offline.
#[utoipa::path(get, path = "/api/v1/platform-key", tag = "proof", responses((status = 200, body = PlatformKey)))]
#[get("/api/v1/platform-key")]
pub async fn platform_key(lang: Lang) -> HttpResponse {
    HttpResponse::Ok().json(lang.app().platform.platform_key())
}

/// Checks a verification code (`?code=`): was it issued, and what do its
/// certificates show now.
#[utoipa::path(get, path = "/api/v1/verify-report", tag = "proof",
    params(("code" = String, Query, description = "The code printed on the PDF", min_length = 1)),
    responses((status = 200, body = ReportCheck), (status = 400, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[get("/api/v1/verify-report")]
pub async fn check_code(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let params = super::query_params(&req, &lang)?;
    let code = super::required(&params, "code", &lang)?;
    let check = lang.app().platform.check_report_code(code).await.map_err(|e| proof_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(check))
}

/// Checks a PDF (the body, or a form's file field): genuine when it is
/// byte for byte a file the platform issued; `altered` when it claims a
/// code whose file was different.
#[utoipa::path(post, path = "/api/v1/verify-report", tag = "proof",
    request_body(content = Vec<u8>, content_type = "application/pdf"),
    responses((status = 200, body = ReportCheck), (status = 413, body = ErrorBody), (status = 415, body = ErrorBody)))]
#[post("/api/v1/verify-report")]
pub async fn check_file(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let file = read_upload(&req, payload, MAX_PDF_BYTES, &lang).await?;
    if !file.bytes.starts_with(b"%PDF-") {
        return Err(lang.error(ErrorKind::NotAPdf));
    }
    let check = lang.app().platform.check_report_file(&file.bytes).await.map_err(|e| proof_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(check))
}

#[derive(Template)]
#[template(path = "proof.html")]
struct ProofPage<'a> {
    lang: &'static str,
    dir: &'static str,
    here: String,
    heading: String,
    languages: Vec<LanguageLink>,
    identity: String,
    verdict: String,
    genuine: bool,
    signed: Vec<Field>,
    cards: Vec<ResultCard>,
    missing: bool,
    texts: &'a Lang,
}

impl ProofPage<'_> {
    fn t(&self, id: &str) -> String {
        self.texts.text(id)
    }
}

const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/// The certificate as it stands now (no name was asked for: no verdict).
fn now_card(lang: &Lang, view: &CertificateView) -> ResultCard {
    ResultCard { verdict: String::new(), ..super::pages::result_card(lang, view) }
}

fn render(lang: &Lang, here: String, page: impl FnOnce(&mut ProofPage<'_>)) -> HttpResponse {
    let key = lang.app().platform.platform_key();
    let identity = lang.text_with(
        "proof-identity",
        &[
            ("url", FluentValue::from(key.public_url.clone())),
            ("fingerprint", FluentValue::from(key.fingerprint.clone())),
        ],
    );
    let mut p = ProofPage {
        lang: lang.locale.tag(),
        dir: if lang.locale.is_rtl() { "rtl" } else { "ltr" },
        here,
        heading: lang.text("proof-heading"),
        languages: languages(lang),
        identity,
        verdict: String::new(),
        genuine: false,
        signed: Vec::new(),
        cards: Vec::new(),
        missing: false,
        texts: lang,
    };
    page(&mut p);
    html_response(lang, StatusCode::OK, PAGE_CSP, p.render())
}

/// What a QR code opens: the signed facts, checked, beside the certificate
/// now, under the platform's identity.
#[get("/q/{token}")]
pub async fn qr_page(req: HttpRequest, lang: Lang, path: web::Path<String>) -> HttpResponse {
    if let Err(e) = super::rate_limit(&req, &lang) {
        return actix_web::ResponseError::error_response(&e);
    }
    let token = path.into_inner();
    let here = format!("/q/{token}");
    let read = lang.app().platform.read_qr(&token, lang.locale).await;
    let read = match read {
        Ok(read) => read,
        Err(e) => return actix_web::ResponseError::error_response(&proof_error(e, &lang)),
    };
    render(&lang, here, |p| match read {
        None => p.verdict = lang.text("proof-forged"),
        Some((facts, now)) => {
            p.genuine = true;
            p.verdict = lang.text("proof-signed");
            let field = |id: &str, value: String| Field { label: lang.text(id), value };
            p.signed = vec![
                field("field-verification-code", facts.code.clone()),
                field("field-cert-no", facts.cert_no.clone()),
                field("field-holder", facts.holder.clone()),
                field("field-status-issued", lang.text(&format!("status-{}", facts.status))),
                field("field-expiry-date", facts.expiry_date.to_string()),
                field("field-issued-on", facts.issued_on.to_string()),
            ];
            match now {
                Some(view) => p.cards.push(now_card(&lang, &view)),
                None => p.missing = true,
            }
        }
    })
}

/// What a printed verification code opens (`/r/{code}`).
#[get("/r/{code}")]
pub async fn code_page(req: HttpRequest, lang: Lang, path: web::Path<String>) -> HttpResponse {
    if let Err(e) = super::rate_limit(&req, &lang) {
        return actix_web::ResponseError::error_response(&e);
    }
    let code = path.into_inner();
    let here = format!("/r/{}", normalize_code(&code).unwrap_or_default());
    let check = match lang.app().platform.check_report_code(&code).await {
        Ok(check) => check,
        Err(e) => return actix_web::ResponseError::error_response(&proof_error(e, &lang)),
    };
    render(&lang, here, |p| {
        p.genuine = check.genuine;
        p.verdict = lang.text(if check.genuine { "proof-code-issued" } else { "proof-code-unknown" });
        p.cards = check.certificates.iter().map(|v| now_card(&lang, v)).collect();
    })
}
