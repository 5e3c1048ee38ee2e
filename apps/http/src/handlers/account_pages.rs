//! The signed-in web pages: sign in, enter the code, see what your role
//! may see, sign out. Server-rendered, no scripts, in the three languages.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use askama::Template;
use safecert_core::{
    LookupError, SearchRequest,
    identity::{Caller, Origin},
};
use safecert_domain::CertNo;
use safecert_policy::{Action, ObjectKind};

use super::identity::{SESSION_COOKIE, identity_error, origin_of, removed_session_cookie, session_cookie};
use super::pages::{Field, LanguageLink, ResultCard, html_response, languages};
use crate::{error::ErrorKind, lang::Lang};

struct Me {
    login: String,
    role: String,
    province: String,
    sees: String,
    cert_no: String,
    result: Option<ResultCard>,
    search: SearchForm,
    found: Option<Found>,
    saved: Vec<Link>,
    history: Vec<Link>,
    favorites: Vec<Link>,
    /// A certificate shown that may be kept as a favorite.
    can_keep: bool,
    /// May run batch verifications.
    can_batch: bool,
    /// The PDFs of the certificate shown: its report, and the holder's
    /// electronic certificate.
    pdfs: Vec<Link>,
}

impl Me {
    /// The account as its page starts: who, what it sees, nothing asked yet.
    fn of(lang: &Lang, caller: &Caller) -> Self {
        let province = lang.app().platform.tenants.find(&caller.tenant).map(|t| t.names.get(lang.locale).to_owned());
        Self {
            login: caller.login.clone(),
            role: lang.text(&format!("role-{}", caller.role.as_str())),
            province: province.unwrap_or_default(),
            sees: sees(lang, caller),
            cert_no: String::new(),
            result: None,
            search: SearchForm::default(),
            found: None,
            saved: Vec::new(),
            history: Vec::new(),
            favorites: Vec::new(),
            can_keep: false,
            can_batch: lang.app().platform.may_upload_batches(caller),
            pdfs: Vec::new(),
        }
    }
}

/// The search form as filled in.
#[derive(Default)]
struct SearchForm {
    name: String,
    status: String,
    issue_year: String,
}

struct Found {
    total: u64,
    rows: Vec<FoundRow>,
    error: Option<String>,
}

struct FoundRow {
    cert_no: String,
    holder: String,
    class: &'static str,
    status: String,
    expiry: String,
}

struct Link {
    text: String,
    href: String,
}

enum AccountView {
    SignIn,
    Code(String),
    Account(Box<Me>),
}

#[derive(Template)]
#[template(path = "account.html")]
struct AccountPage<'a> {
    lang: &'static str,
    dir: &'static str,
    here: &'static str,
    heading: String,
    languages: Vec<LanguageLink>,
    error: Option<String>,
    view: AccountView,
    texts: &'a Lang,
}

impl AccountPage<'_> {
    fn t(&self, id: &str) -> String {
        self.texts.text(id)
    }
}

const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn render(
    lang: &Lang,
    status: StatusCode,
    here: &'static str,
    view: AccountView,
    error: Option<String>,
) -> HttpResponse {
    let heading = lang.text(match &view {
        AccountView::SignIn => "signin-heading",
        AccountView::Code(_) => "code-heading",
        AccountView::Account(_) => "account-heading",
    });
    let page = AccountPage {
        lang: lang.locale.tag(),
        dir: if lang.locale.is_rtl() { "rtl" } else { "ltr" },
        here,
        heading,
        languages: languages(lang),
        error,
        view,
        texts: lang,
    };
    html_response(lang, status, PAGE_CSP, page.render())
}

pub(super) fn redirect(to: String) -> HttpResponse {
    HttpResponse::SeeOther().insert_header(("Location", to)).finish()
}

pub(super) fn form(body: &[u8]) -> HashMap<String, String> {
    serde_urlencoded::from_bytes(body).unwrap_or_default()
}

/// The sign-in form.
#[get("/sign-in")]
pub async fn sign_in_page(lang: Lang) -> HttpResponse {
    render(&lang, StatusCode::OK, "/sign-in", AccountView::SignIn, None)
}

/// Name and password: the code page follows, whatever the outcome.
#[post("/sign-in")]
pub async fn sign_in_submit(req: HttpRequest, lang: Lang, body: web::Bytes) -> HttpResponse {
    if let Err(e) = super::rate_limit(&req, &lang) {
        return render(&lang, e.kind.status(), "/sign-in", AccountView::SignIn, Some(e.message));
    }
    let f = form(&body);
    let (ip, ua) = origin_of(&req, &lang);
    let login = f.get("login").map(String::as_str).unwrap_or_default();
    let password = f.get("password").map(String::as_str).unwrap_or_default();
    match lang.app().platform.identity.start_sign_in(login, password, &Origin { ip: &ip, user_agent: &ua }).await {
        Ok(started) => render(&lang, StatusCode::OK, "/sign-in", AccountView::Code(started.challenge), None),
        Err(e) => {
            let e = identity_error(e, &lang);
            render(&lang, e.kind.status(), "/sign-in", AccountView::SignIn, Some(e.message))
        }
    }
}

/// The code: a session cookie and the account page, or the form again.
#[post("/sign-in/code")]
pub async fn code_submit(req: HttpRequest, lang: Lang, body: web::Bytes) -> HttpResponse {
    if let Err(e) = super::rate_limit(&req, &lang) {
        return render(&lang, e.kind.status(), "/sign-in", AccountView::SignIn, Some(e.message));
    }
    let f = form(&body);
    let (ip, ua) = origin_of(&req, &lang);
    let challenge = f.get("challenge").cloned().unwrap_or_default();
    let code = f.get("code").map(String::as_str).unwrap_or_default();
    match lang.app().platform.identity.finish_sign_in(&challenge, code, &Origin { ip: &ip, user_agent: &ua }).await {
        Ok(session) => {
            let mut response = redirect(format!("/account?lang={}", lang.locale.tag()));
            let _ = response.add_cookie(&session_cookie(session.token));
            response
        }
        Err(e) => {
            // A wrong code may be retried on the same challenge, within its tries.
            let e = identity_error(e, &lang);
            render(&lang, e.kind.status(), "/sign-in", AccountView::Code(challenge), Some(e.message))
        }
    }
}

/// What the caller's certificate queries cover, in words.
fn sees(lang: &Lang, caller: &Caller) -> String {
    let scope = lang.app().platform.identity.scope(caller, &caller.tenant, ObjectKind::Certificate, Action::Read);
    if scope.whole_tenant {
        return lang.text("sees-whole-province");
    }
    let mut parts: Vec<String> = Vec::new();
    for slice in &scope.slices {
        let part = match (&slice.region, &slice.enterprise, &slice.dept, &slice.holder) {
            (Some(region), ..) => lang.text_with("sees-region", &[("region", region.clone().into())]),
            (None, Some(_), Some(_), _) => lang.text("sees-department"),
            (None, Some(_), None, _) => lang.text("sees-enterprise"),
            (None, None, None, Some(_)) => lang.text("sees-own"),
            _ => continue,
        };
        if !parts.contains(&part) {
            parts.push(part);
        }
    }
    if parts.is_empty() { lang.text("sees-nothing") } else { parts.join(" · ") }
}

/// The account page, with a lookup in the caller's province.
#[get("/account")]
pub async fn account_page(req: HttpRequest, lang: Lang, query: web::Query<HashMap<String, String>>) -> HttpResponse {
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let platform = &lang.app().platform;
    let mut me = Me::of(&lang, &caller);
    let mut status = StatusCode::OK;
    if query.contains_key("search") {
        let (form, found) = web_search(&req, &lang, &caller, &query).await;
        if found.error.is_some() {
            status = StatusCode::UNPROCESSABLE_ENTITY;
        }
        me.search = form;
        me.found = Some(found);
    }
    if caller.api_client.is_none() {
        let tag = lang.locale.tag();
        if let Ok(saved) = platform.saved_queries(&caller).await {
            me.saved = saved
                .into_iter()
                .filter(|q| q.tenant == caller.tenant)
                .map(|q| Link { href: format!("/account?lang={tag}&search=1&{}", q.query), text: q.name })
                .collect();
        }
        if let Ok(favorites) = platform.favorites(&caller, lang.locale).await {
            me.favorites = favorites
                .into_iter()
                .filter(|f| f.tenant == caller.tenant)
                .map(|f| {
                    let status = f.certificate.as_ref().map(|c| lang.text(&format!("status-{}", c.status.code())));
                    Link {
                        href: format!("/account?lang={tag}&cert_no={}", f.cert_no),
                        text: format!("{} · {}", f.cert_no, status.unwrap_or_else(|| lang.text("result-not-found"))),
                    }
                })
                .collect();
        }
        if let Ok(history) = platform.query_history(&caller).await {
            me.history = history
                .into_iter()
                .take(10)
                .map(|h| Link {
                    text: format!("{} · {} · {}", h.at.format("%Y-%m-%d %H:%M"), h.kind, h.query),
                    href: String::new(),
                })
                .collect();
        }
    }
    if let Some(raw) = query.get("cert_no").filter(|r| !r.trim().is_empty()) {
        me.cert_no = raw.chars().take(40).collect();
        let card = |class: &'static str, verdict: String| ResultCard { class, verdict, status: None, fields: vec![] };
        me.result = Some(match CertNo::parse(raw) {
            Err(_) => {
                status = StatusCode::BAD_REQUEST;
                card("nomatch", lang.error(ErrorKind::InvalidCertNo).message)
            }
            Ok(no) => match logged_lookup(&req, &lang, &caller, &no).await {
                Ok(view) => {
                    me.can_keep = caller.api_client.is_none();
                    let tenant = &caller.tenant;
                    me.pdfs.push(Link {
                        text: lang.text("pdf-report-download"),
                        href: format!("/api/v1/t/{tenant}/certificates/{}/report.pdf", view.cert_no),
                    });
                    if platform.may_issue_e_certificate(&caller, tenant, &no).await {
                        me.pdfs.push(Link {
                            text: lang.text("pdf-ecert-download"),
                            href: format!("/api/v1/me/certificates/{tenant}/{}/e-certificate.pdf", view.cert_no),
                        });
                    }
                    let field = |id: &str, value: String| Field { label: lang.text(id), value };
                    ResultCard {
                        class: view.status.code(),
                        verdict: lang.text(&format!("status-{}", view.status.code())),
                        status: None,
                        fields: vec![
                            field("field-holder", view.holder_name.clone()),
                            field("field-cert-no", view.cert_no.clone()),
                            field("field-id-number", view.id_number.clone().unwrap_or_default()),
                            field("field-cert-type", view.cert_type.clone()),
                            field("field-authority", view.issuing_authority.clone()),
                            field("field-expiry-date", view.expiry_date.to_string()),
                        ],
                    }
                }
                Err(LookupError::Forbidden | LookupError::NotFound) => {
                    status = StatusCode::NOT_FOUND;
                    card("nomatch", lang.text("result-not-found"))
                }
                Err(e) => {
                    status = StatusCode::SERVICE_UNAVAILABLE;
                    card("nomatch", super::unavailable(&e, &lang).message)
                }
            },
        });
    }
    render(&lang, status, "/account", AccountView::Account(Box::new(me)), None)
}

/// A search from the account page (name, status, issue year), logged like
/// one through the API.
async fn web_search(
    req: &HttpRequest,
    lang: &Lang,
    caller: &Caller,
    query: &HashMap<String, String>,
) -> (SearchForm, Found) {
    let value = |k: &str| query.get(k).map(|v| v.trim().chars().take(40).collect::<String>()).filter(|v| !v.is_empty());
    let name = value("name");
    let status = value("status");
    let issue_year = value("issue_year");
    let year = issue_year.as_deref().map(str::parse::<i32>);
    let form = SearchForm {
        name: name.clone().unwrap_or_default(),
        status: status.clone().unwrap_or_default(),
        issue_year: issue_year.unwrap_or_default(),
    };
    let mut request = SearchRequest { name, status, ..SearchRequest::default() };
    let fail = |message: String| Found { total: 0, rows: Vec::new(), error: Some(message) };
    match year {
        Some(Err(_)) => return (form, fail(lang.error(ErrorKind::InvalidInput).message)),
        Some(Ok(y)) => request.issue_year = Some(y),
        None => {}
    }
    let logged = safecert_core::query_log::loggable_pairs(&request.pairs());
    super::certificates::log_query(req, lang, caller, &caller.tenant, "search", logged).await;
    match lang.app().platform.search_as(caller, &caller.tenant, &request, lang.locale).await {
        Ok(page) => {
            let rows = page
                .items
                .into_iter()
                .map(|v| FoundRow {
                    class: v.status.code(),
                    status: lang.text(&format!("status-{}", v.status.code())),
                    expiry: v.expiry_date.to_string(),
                    cert_no: v.cert_no,
                    holder: v.holder_name,
                })
                .collect();
            (form, Found { total: page.total, rows, error: None })
        }
        Err(e) => (form, fail(super::certificates::search_error(e, lang).message)),
    }
}

/// The signed-in caller of a page, or the redirect to the sign-in page.
pub(super) async fn page_caller(req: &HttpRequest, lang: &Lang) -> Result<std::sync::Arc<Caller>, HttpResponse> {
    let back = || redirect(format!("/sign-in?lang={}", lang.locale.tag()));
    let token = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned()).ok_or_else(back)?;
    lang.app().platform.identity.caller(&token).await.map_err(|_| back())
}

/// Saves the search shown on the account page under a name.
#[post("/account/saved")]
pub async fn save_search(req: HttpRequest, lang: Lang, body: web::Bytes) -> HttpResponse {
    let tag = lang.locale.tag();
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let platform = &lang.app().platform;
    let f = form(&body);
    let value = |k: &str| f.get(k).map(|v| v.trim().to_owned()).filter(|v| !v.is_empty());
    let request = SearchRequest {
        name: value("name"),
        status: value("status"),
        issue_year: value("issue_year").and_then(|y| y.parse().ok()),
        ..SearchRequest::default()
    };
    let title = value("title").unwrap_or_default();
    match platform.save_query(&caller, &caller.tenant, &title, &request).await {
        Ok(saved) => redirect(format!("/account?lang={tag}&search=1&{}", saved.query)),
        Err(e) => {
            let message = match e {
                safecert_core::MyQueriesError::NameTaken => lang.error(ErrorKind::NameTaken).message,
                _ => lang.error(ErrorKind::InvalidInput).message,
            };
            let me = Me::of(&lang, &caller);
            render(
                &lang,
                StatusCode::UNPROCESSABLE_ENTITY,
                "/account",
                AccountView::Account(Box::new(me)),
                Some(message),
            )
        }
    }
}

/// Keeps (or, with `remove`, forgets) a certificate of the account's
/// province as a favorite, from the account page.
#[post("/account/favorites")]
pub async fn keep_favorite(req: HttpRequest, lang: Lang, body: web::Bytes) -> HttpResponse {
    let tag = lang.locale.tag();
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let platform = &lang.app().platform;
    let f = form(&body);
    let Some(no) = f.get("cert_no").and_then(|n| CertNo::parse(n).ok()) else {
        return redirect(format!("/account?lang={tag}"));
    };
    let outcome = if f.contains_key("remove") {
        platform.remove_favorite(&caller, &caller.tenant, &no).await
    } else {
        platform.add_favorite(&caller, &caller.tenant, &no).await
    };
    if let Err(e) = outcome {
        tracing::debug!(error = %e, "favorite not changed");
    }
    redirect(format!("/account?lang={tag}&cert_no={}", no.as_str()))
}

/// A lookup from the account page, logged like one through the API.
async fn logged_lookup(
    req: &HttpRequest,
    lang: &Lang,
    caller: &Caller,
    no: &CertNo,
) -> Result<safecert_core::CertificateView, LookupError> {
    let query = format!("cert_no={}", safecert_core::query_log::loggable(no.as_str()));
    super::certificates::log_query(req, lang, caller, &caller.tenant, "lookup", query).await;
    lang.app().platform.lookup_as(caller, &caller.tenant, no, lang.locale).await
}

/// Ends the session and clears the cookie.
#[post("/sign-out")]
pub async fn sign_out_submit(req: HttpRequest, lang: Lang) -> HttpResponse {
    if let Some(token) = req.cookie(SESSION_COOKIE).map(|c| c.value().to_owned())
        && let Err(e) = lang.app().platform.identity.sign_out(&token).await
    {
        tracing::warn!(error = %e, "sign-out could not reach the database");
    }
    let mut response = redirect(format!("/sign-in?lang={}", lang.locale.tag()));
    let _ = response.add_cookie(&removed_session_cookie());
    response
}
