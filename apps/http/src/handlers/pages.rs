//! The public verification page at `/`: server-rendered, no scripts.

use std::collections::HashMap;

use actix_web::{
    HttpRequest, HttpResponse, get,
    http::{StatusCode, header::ContentType},
    post, web,
};
use askama::Template;
use safecert_core::{CertificateView, VerifyOutcome};
use safecert_domain::{CertNo, HolderName, Locale};

use crate::{error::ErrorKind, lang::Lang};

/// A link of the language switch.
pub(super) struct LanguageLink {
    pub tag: &'static str,
    pub name: &'static str,
    pub current: bool,
}

/// The language switch, with the current language marked.
pub(super) fn languages(lang: &Lang) -> Vec<LanguageLink> {
    Locale::ALL
        .iter()
        .map(|l| LanguageLink { tag: l.tag(), name: l.native_name(), current: *l == lang.locale })
        .collect()
}

pub(super) struct Field {
    pub label: String,
    pub value: String,
}

/// A certificate shown on a page, with the status colour as its class.
pub(super) struct ResultCard {
    pub class: &'static str,
    pub verdict: String,
    pub status: Option<String>,
    pub fields: Vec<Field>,
}

/// A rendered page as the response: HTML, the page's content policy, never
/// cached, in the caller's language; a page that fails to render is a 500.
pub(super) fn html_response(
    lang: &Lang,
    status: StatusCode,
    csp: &str,
    rendered: askama::Result<String>,
) -> HttpResponse {
    match rendered {
        Ok(html) => super::no_store(HttpResponse::build(status))
            .content_type(ContentType::html())
            .insert_header(("Content-Security-Policy", csp))
            .insert_header(("Content-Language", lang.locale.tag()))
            .body(html),
        Err(e) => {
            tracing::error!(error = %e, "a page failed to render");
            actix_web::ResponseError::error_response(&lang.error(ErrorKind::Internal))
        }
    }
}

#[derive(Template)]
#[template(path = "verify.html")]
struct VerifyPage<'a> {
    lang: &'static str,
    dir: &'static str,
    here: &'static str,
    heading: String,
    languages: Vec<LanguageLink>,
    cert_no: String,
    name: String,
    error: Option<String>,
    error_field: &'static str,
    result: Option<ResultCard>,
    texts: &'a Lang,
    status: StatusCode,
}

impl VerifyPage<'_> {
    fn t(&self, id: &str) -> String {
        self.texts.text(id)
    }
}

const PAGE_CSP: &str = "default-src 'none'; style-src 'self'; img-src 'self' data:; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn page(lang: &Lang, fill: impl FnOnce(&mut VerifyPage)) -> HttpResponse {
    let mut page = VerifyPage {
        lang: lang.locale.tag(),
        dir: if lang.locale.is_rtl() { "rtl" } else { "ltr" },
        here: "/",
        heading: lang.text("verify-heading"),
        languages: languages(lang),
        cert_no: String::new(),
        name: String::new(),
        error: None,
        error_field: "",
        result: None,
        texts: lang,
        status: StatusCode::OK,
    };
    fill(&mut page);
    html_response(lang, page.status, PAGE_CSP, page.render())
}

/// The empty form. `?cert_no=` (as in a QR code) fills in the number.
#[get("/")]
pub async fn show(lang: Lang, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let prefill = query.get("cert_no").and_then(|raw| CertNo::parse(raw).ok()).map(|n| n.to_string());
    page(&lang, |p| p.cert_no = prefill.unwrap_or_default())
}

pub(super) fn result_card(lang: &Lang, view: &CertificateView) -> ResultCard {
    let field = |id: &str, value: String| Field { label: lang.text(id), value };
    ResultCard {
        class: view.status.code(),
        verdict: lang.text("result-genuine"),
        status: Some(lang.text(&format!("status-{}", view.status.code()))),
        fields: vec![
            field("field-holder", view.holder_name.clone()),
            field("field-cert-no", view.cert_no.clone()),
            field("field-cert-type", view.cert_type.clone()),
            field("field-province", view.province.name.clone()),
            field("field-authority", view.issuing_authority.clone()),
            field("field-issue-date", view.issue_date.to_string()),
            field("field-expiry-date", view.expiry_date.to_string()),
        ],
    }
}

/// The form, submitted: the same check as `GET /api/v1/verify`, as a page.
#[post("/")]
pub async fn submit(req: HttpRequest, lang: Lang, body: Result<web::Bytes, actix_web::Error>) -> HttpResponse {
    let form = match body {
        Err(_) => Err(ErrorKind::PayloadTooLarge),
        Ok(bytes) => serde_urlencoded::from_bytes::<HashMap<String, String>>(&bytes).map_err(|_| ErrorKind::BadRequest),
    };
    let form = match form {
        Ok(form) => form,
        Err(kind) => {
            return page(&lang, |p| {
                p.status = kind.status();
                p.error = Some(lang.error(kind).message);
            });
        }
    };
    let raw_no = form.get("cert_no").map(String::as_str).unwrap_or_default();
    let raw_name = form.get("name").map(String::as_str).unwrap_or_default();
    // Echo back only what fits the fields; the template escapes it.
    let echo_no: String = raw_no.chars().take(40).collect();
    let echo_name: String = raw_name.chars().take(40).collect();
    let fail = |field: &'static str, kind: ErrorKind| {
        page(&lang, |p| {
            p.cert_no = echo_no.clone();
            p.name = echo_name.clone();
            p.error_field = field;
            p.status = kind.status();
            p.error = Some(lang.error(kind).message);
        })
    };
    if let Err(e) = super::rate_limit(&req, &lang) {
        return fail("", e.kind);
    }
    let Ok(cert_no) = CertNo::parse(raw_no) else { return fail("cert_no", ErrorKind::InvalidCertNo) };
    let Ok(name) = HolderName::parse(raw_name) else { return fail("name", ErrorKind::InvalidName) };
    let outcome = match lang.app().platform.verify(&cert_no, &name, lang.locale).await {
        Ok(outcome) => outcome,
        Err(e) => return fail("", super::unavailable(&e, &lang).kind),
    };
    let result = match outcome {
        VerifyOutcome::Genuine(view) => result_card(&lang, &view),
        VerifyOutcome::NoMatch => {
            ResultCard { class: "nomatch", verdict: lang.text("result-no-match"), status: None, fields: vec![] }
        }
    };
    page(&lang, |p| {
        p.cert_no = cert_no.to_string();
        p.name = echo_name.clone();
        p.result = Some(result);
    })
}

/// The stylesheet, compiled into the binary.
#[get("/static/site.css")]
pub async fn stylesheet() -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/css; charset=utf-8")
        .insert_header(("Cache-Control", "public, max-age=3600"))
        .body(include_str!("../../static/site.css"))
}
