//! Accounts over HTTP: enterprise registration, sign-in with a second
//! factor, sessions, departments and sub-accounts.

use std::{borrow::Cow, sync::Arc};

use actix_web::{
    HttpRequest, HttpResponse,
    cookie::Cookie,
    get,
    http::header::{self, HeaderName},
    post, web,
};
use safecert_core::identity::{
    Caller, IdentityError, KEY_PREFIX, NewSubAccount, Origin, RegisterEnterprise, TotpEnrollment,
};
use safecert_policy::{Action, ObjectKind, Resource};
use safecert_storage::EnterpriseRow;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

/// The session cookie of the web pages.
pub const SESSION_COOKIE: &str = "safecert_session";

/// Maps an account error to its HTTP answer; storage trouble is a 503 and
/// is logged without personal data.
pub fn identity_error(e: IdentityError, lang: &Lang) -> ApiError {
    let (kind, reason) = match &e {
        IdentityError::Contact(c) => (ErrorKind::InvalidInput, Some(c.to_string())),
        IdentityError::Uscc(r) => (ErrorKind::InvalidInput, Some(format!("uscc: {r}"))),
        IdentityError::IdNumber(r) => (ErrorKind::InvalidInput, Some(format!("id_number: {r}"))),
        IdentityError::NoTenantForRegion => (ErrorKind::InvalidInput, Some(e.to_string())),
        IdentityError::Invalid(r) => (ErrorKind::InvalidInput, Some((*r).to_owned())),
        IdentityError::WeakPassword(w) => (ErrorKind::WeakPassword, Some(w.to_string())),
        IdentityError::Duplicate => (ErrorKind::AlreadyRegistered, None),
        IdentityError::FactorUnavailable(what) => (ErrorKind::SecondFactorUnavailable, Some(format!("needs {what}"))),
        IdentityError::InvalidCode => (ErrorKind::InvalidCode, None),
        IdentityError::TooManyCodes => (ErrorKind::TooManyCodes, None),
        IdentityError::Unauthenticated => (ErrorKind::Unauthenticated, None),
        IdentityError::Forbidden => (ErrorKind::Forbidden, None),
        IdentityError::UnknownDepartment => (ErrorKind::UnknownDepartment, None),
        IdentityError::UnknownGrant => (ErrorKind::UnknownGrant, None),
        IdentityError::UnknownRequest => (ErrorKind::UnknownRequest, None),
        IdentityError::AlreadyDecided => (ErrorKind::AlreadyDecided, None),
        IdentityError::GrantExceedsGranter => (ErrorKind::GrantExceedsGranter, None),
        IdentityError::UnknownClient => (ErrorKind::UnknownClient, None),
        IdentityError::KeyRetired => (ErrorKind::KeyRetired, None),
        IdentityError::KeyExpired => (ErrorKind::KeyExpired, None),
        IdentityError::KeyRevoked => (ErrorKind::KeyRevoked, None),
        IdentityError::UnknownApplication => (ErrorKind::UnknownApplication, None),
        IdentityError::NotSent(_) | IdentityError::Storage(_) => return super::unavailable(&e, lang),
    };
    let err = lang.error(kind);
    match reason {
        Some(reason) => err.with_details(serde_json::json!({ "reason": reason })),
        None => err,
    }
}

/// The session token of a request: the cookie, or a bearer token.
pub fn session_token(req: &HttpRequest) -> Option<String> {
    session_token_of(req, bearer(req)).map(Cow::into_owned)
}

/// The session cookie's value. Cookies are parsed (and kept on the
/// request) only when the request has any: API callers send none.
fn session_cookie_value(req: &HttpRequest) -> Option<String> {
    if !req.headers().contains_key(header::COOKIE) {
        return None;
    }
    req.cookie(SESSION_COOKIE).map(|cookie| cookie.value().to_owned())
}

fn bearer(req: &HttpRequest) -> Option<&str> {
    req.headers()
        .get(header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .map(str::trim)
}

fn is_hex_token(t: &str) -> bool {
    t.len() == 64 && t.bytes().all(|b| b.is_ascii_hexdigit())
}

/// An API client's key: `X-Api-Key`, or a bearer token that starts with
/// the key prefix.
fn api_key<'r>(req: &'r HttpRequest, bearer: Option<&'r str>) -> Option<&'r str> {
    const X_API_KEY: HeaderName = HeaderName::from_static("x-api-key");
    let header = req.headers().get(X_API_KEY).and_then(|v| v.to_str().ok()).map(str::trim);
    header.or(bearer).filter(|k| k.strip_prefix(KEY_PREFIX).is_some_and(is_hex_token))
}

/// What the request signs in with: an API client's key, else a session
/// (the cookie, or a bearer token), borrowed where it can be.
fn credential(req: &HttpRequest) -> Option<Cow<'_, str>> {
    let bearer = bearer(req);
    if let Some(key) = api_key(req, bearer) {
        return Some(Cow::Borrowed(key));
    }
    session_token_of(req, bearer)
}

/// [`session_token`], given the bearer token.
fn session_token_of<'r>(req: &'r HttpRequest, bearer: Option<&'r str>) -> Option<Cow<'r, str>> {
    match session_cookie_value(req) {
        Some(cookie) => Some(Cow::Owned(cookie)),
        None => bearer.filter(|t| is_hex_token(t)).map(Cow::Borrowed),
    }
}

/// Whether the request comes with a session or an API client's key (and
/// not, say, the operator's token).
pub fn presents_account(req: &HttpRequest) -> bool {
    credential(req).is_some()
}

/// The signed-in caller, or 401.
pub async fn caller(req: &HttpRequest, lang: &Lang) -> Result<Arc<Caller>, ApiError> {
    let token = credential(req).ok_or_else(|| lang.error(ErrorKind::Unauthenticated))?;
    lang.app().platform.identity.caller(&token).await.map_err(|e| identity_error(e, lang))
}

/// The session cookie: script-proof, HTTPS-only, never sent cross-site.
pub(super) fn session_cookie(token: String) -> Cookie<'static> {
    Cookie::build(SESSION_COOKIE, token)
        .path("/")
        .http_only(true)
        .secure(true)
        .same_site(actix_web::cookie::SameSite::Strict)
        .finish()
}

/// The cookie that tells the browser to drop the session.
pub(super) fn removed_session_cookie() -> Cookie<'static> {
    let mut gone = Cookie::build(SESSION_COOKIE, "").path("/").finish();
    gone.make_removal();
    gone
}

/// The caller's address as the logs keep it (empty when unknown).
pub(super) fn address_of(req: &HttpRequest, lang: &Lang) -> String {
    safecert_storage::address_text(super::client_addr(req, lang.app()))
}

/// The caller's address and browser, for the login log.
pub(super) fn origin_of(req: &HttpRequest, lang: &Lang) -> (String, String) {
    let ip = address_of(req, lang);
    let ua = req.headers().get(header::USER_AGENT).and_then(|v| v.to_str().ok()).unwrap_or_default().to_owned();
    (ip, ua)
}

#[derive(Deserialize, ToSchema)]
pub struct EnterpriseRegistration {
    /// 统一社会信用代码 (18 characters, GB 32100 check character).
    uscc: String,
    name: String,
    /// Sign-in name of the first account, the enterprise's admin.
    login: String,
    password: String,
    email: Option<String>,
    phone: Option<String>,
    /// `sms`, `email` or `totp`.
    second_factor: String,
}

#[derive(Serialize, ToSchema)]
pub struct AccountCreated {
    pub(super) account_id: i32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) enterprise_id: Option<i32>,
    pub(super) tenant: String,
    /// Present for `totp`: shown this once.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(super) totp: Option<TotpEnrollment>,
}

/// Registers an enterprise; its first account is its admin.
#[utoipa::path(post, path = "/api/v1/enterprises", tag = "accounts", request_body = EnterpriseRegistration,
    responses((status = 201, body = AccountCreated), (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/enterprises")]
pub async fn register_enterprise(
    req: HttpRequest,
    lang: Lang,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let body: EnterpriseRegistration = super::rules::json_body(payload, &lang).await?;
    let platform = &lang.app().platform;
    let req = RegisterEnterprise {
        uscc: body.uscc,
        name: body.name,
        login: body.login,
        password: body.password,
        email: body.email,
        phone: body.phone,
        second_factor: body.second_factor,
    };
    let done = platform
        .identity
        .register_enterprise(req, tenant_of_region(&lang))
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(AccountCreated {
        account_id: done.account_id,
        enterprise_id: Some(done.enterprise_id),
        tenant: done.tenant,
        totp: done.totp,
    }))
}

/// The tenant of a six-digit region: the province it starts with.
pub(super) fn tenant_of_region(lang: &Lang) -> impl Fn(&str) -> Option<String> + '_ {
    move |region: &str| {
        let prefix = &region[..2.min(region.len())];
        let tenants = lang.app().platform.tenants.all();
        tenants.into_iter().find(|t| t.code.as_str().starts_with(prefix)).map(|t| t.slug.to_string())
    }
}

#[derive(Deserialize, ToSchema)]
pub struct SignIn {
    login: String,
    password: String,
}

#[derive(Serialize, ToSchema)]
pub struct SignInChallenge {
    /// Send it back with the code to /api/v1/auth/verify.
    challenge: String,
    expires_in_secs: i64,
    /// The same whether or not the sign-in name and password were right.
    message: String,
}

/// The same answer for every first step (sign-in or reset), whatever the
/// account and password were.
pub(super) fn challenge_response(lang: &Lang, started: safecert_core::identity::SignInStarted) -> HttpResponse {
    super::not_stored().json(SignInChallenge {
        challenge: started.challenge,
        expires_in_secs: started.expires_in_secs,
        message: lang.text("signin-code-sent"),
    })
}

/// First step: sign-in name and password. The answer is the same whether
/// or not they are right; a code goes to the account's second factor.
#[utoipa::path(post, path = "/api/v1/auth/sign-in", tag = "accounts", request_body = SignIn,
    responses((status = 200, body = SignInChallenge), (status = 429, body = ErrorBody)))]
#[post("/api/v1/auth/sign-in")]
pub async fn sign_in(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let body: SignIn = super::rules::json_body(payload, &lang).await?;
    let (ip, user_agent) = origin_of(&req, &lang);
    let started = lang
        .app()
        .platform
        .identity
        .start_sign_in(&body.login, &body.password, &Origin { ip: &ip, user_agent: &user_agent })
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(challenge_response(&lang, started))
}

#[derive(Deserialize, ToSchema)]
pub struct VerifyCode {
    challenge: String,
    code: String,
}

#[derive(Serialize, ToSchema)]
pub struct SessionToken {
    /// Bearer token for the API (the web pages get it as a cookie).
    token: String,
    expires_at: chrono::DateTime<chrono::Utc>,
}

/// Second step: the code from SMS, email or the authenticator app.
#[utoipa::path(post, path = "/api/v1/auth/verify", tag = "accounts", request_body = VerifyCode,
    responses((status = 200, body = SessionToken), (status = 401, body = ErrorBody)))]
#[post("/api/v1/auth/verify")]
pub async fn verify_code(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let body: VerifyCode = super::rules::json_body(payload, &lang).await?;
    let (ip, user_agent) = origin_of(&req, &lang);
    let session = lang
        .app()
        .platform
        .identity
        .finish_sign_in(&body.challenge, &body.code, &Origin { ip: &ip, user_agent: &user_agent })
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(super::not_stored()
        .cookie(session_cookie(session.token.clone()))
        .json(SessionToken { token: session.token, expires_at: session.expires_at }))
}

/// Ends the session at once.
#[utoipa::path(post, path = "/api/v1/auth/sign-out", tag = "accounts", responses((status = 204)))]
#[post("/api/v1/auth/sign-out")]
pub async fn sign_out(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    if let Some(token) = session_token(&req) {
        lang.app().platform.identity.sign_out(&token).await.map_err(|e| identity_error(e, &lang))?;
    }
    Ok(HttpResponse::NoContent().cookie(removed_session_cookie()).finish())
}

#[derive(Serialize, ToSchema)]
pub struct Me {
    account_id: i32,
    login: String,
    role: String,
    tenant: String,
    /// What certificate queries of this account cover in its tenant.
    certificates: ScopeView,
    /// What it may do in its own reach, as `object:action` pairs (such as
    /// `department:manage`, `training_record:upload`).
    may: Vec<String>,
    /// Set when the request came with an API client's key.
    #[serde(skip_serializing_if = "Option::is_none")]
    api_client: Option<i32>,
    /// Privacy mode: until when this session's queries are not logged.
    #[serde(skip_serializing_if = "Option::is_none")]
    private_until: Option<chrono::DateTime<chrono::Utc>>,
}

#[derive(Serialize, ToSchema)]
pub struct ScopeView {
    whole_tenant: bool,
    regions: Vec<String>,
    enterprises: Vec<String>,
    departments: Vec<String>,
    own_certificates: bool,
}

/// The signed-in account and what it may see.
#[utoipa::path(get, path = "/api/v1/me", tag = "accounts", responses((status = 200, body = Me), (status = 401, body = ErrorBody)), security(("bearer" = [])))]
#[get("/api/v1/me")]
pub async fn me(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let scope = lang.app().platform.identity.scope(&caller, &caller.tenant, ObjectKind::Certificate, Action::Read);
    let pick = |f: fn(&safecert_policy::ScopeProbe) -> Option<&String>| {
        scope.slices.iter().filter_map(f).cloned().collect::<Vec<_>>()
    };
    let view = ScopeView {
        whole_tenant: scope.whole_tenant,
        regions: pick(|p| p.region.as_ref()),
        enterprises: scope.slices.iter().filter(|p| p.dept.is_none()).filter_map(|p| p.enterprise.clone()).collect(),
        departments: pick(|p| p.dept.as_ref()),
        own_certificates: scope.slices.iter().any(|p| p.holder.is_some()),
    };
    let identity = &lang.app().platform.identity;
    let s = &caller.subject;
    let may = ObjectKind::ALL
        .into_iter()
        .flat_map(|kind| Action::ALL.into_iter().map(move |action| (kind, action)))
        .filter(|(kind, action)| {
            let own = Resource::new(*kind, &caller.tenant)
                .region(&s.region)
                .enterprise(&s.enterprise)
                .dept(&s.dept)
                .holder(&s.holder);
            identity.permits(&caller, *action, &own)
        })
        .map(|(kind, action)| format!("{}:{}", kind.as_str(), action.as_str()))
        .collect();
    Ok(super::not_stored().json(Me {
        account_id: caller.account_id,
        login: caller.login.clone(),
        role: caller.role.to_string(),
        tenant: caller.tenant.clone(),
        certificates: view,
        may,
        api_client: caller.api_client,
        private_until: caller.private_until.filter(|_| caller.is_private()),
    }))
}

/// The signed-in account's last 50 sign-in attempts: time, address,
/// browser, result.
#[utoipa::path(get, path = "/api/v1/me/sign-ins", tag = "accounts",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/sign-ins")]
pub async fn my_sign_ins(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let rows = lang
        .app()
        .platform
        .store
        .databases()
        .login_log(caller.account_id, 50)
        .await
        .map_err(|e| super::unavailable(&e, &lang))?;
    Ok(super::not_stored().json(rows))
}

/// The signed-in caller of an endpoint that acts in the caller's own
/// tenant only (enterprise structure, grants, regional requests).
pub(super) async fn home_caller(req: &HttpRequest, lang: &Lang, tenant: &str) -> Result<Arc<Caller>, ApiError> {
    let caller = caller(req, lang).await?;
    if lang.app().platform.tenants.find(tenant).is_none() {
        return Err(lang.error(ErrorKind::UnknownTenant));
    }
    if caller.tenant != tenant {
        return Err(lang.error(ErrorKind::Forbidden));
    }
    Ok(caller)
}

#[derive(Deserialize, ToSchema)]
pub struct NewDepartment {
    name: String,
    parent_id: Option<i32>,
}

/// Which enterprise a request acts on.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct EnterpriseQuery {
    /// The enterprise's USCC, for an SME subscriber managing several;
    /// others act on their own enterprise and leave it out.
    enterprise: Option<String>,
}

impl EnterpriseQuery {
    /// The caller's own enterprise.
    pub(super) fn own() -> Self {
        Self { enterprise: None }
    }
}

/// The signed-in caller and the enterprise of the request, in `tenant`.
pub(super) async fn enterprise_caller(
    req: &HttpRequest,
    lang: &Lang,
    tenant: &str,
    query: &EnterpriseQuery,
) -> Result<(Arc<Caller>, EnterpriseRow), ApiError> {
    let caller = caller(req, lang).await?;
    let identity = &lang.app().platform.identity;
    if lang.app().platform.tenants.find(tenant).is_none() {
        return Err(lang.error(ErrorKind::UnknownTenant));
    }
    let enterprise = identity
        .acting_enterprise(&caller, tenant, query.enterprise.as_deref())
        .await
        .map_err(|e| identity_error(e, lang))?;
    Ok((caller, enterprise))
}

/// Adds a department to an enterprise (its admin, or a subscriber that
/// manages it).
#[utoipa::path(post, path = "/api/v1/t/{tenant}/departments", tag = "accounts", request_body = NewDepartment,
    params(("tenant" = String, Path), EnterpriseQuery),
    responses((status = 201, body = Object), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/departments")]
pub async fn create_department(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    query: web::Query<EnterpriseQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &query).await?;
    let body: NewDepartment = super::rules::json_body(payload, &lang).await?;
    let dept = lang
        .app()
        .platform
        .identity
        .create_department(&caller, &enterprise, &body.name, body.parent_id)
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(dept))
}

/// An enterprise's departments.
#[utoipa::path(get, path = "/api/v1/t/{tenant}/departments", tag = "accounts",
    params(("tenant" = String, Path), EnterpriseQuery),
    responses((status = 200, body = Object), (status = 401, body = ErrorBody), (status = 403, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/t/{tenant}/departments")]
pub async fn list_departments(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    query: web::Query<EnterpriseQuery>,
) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &query).await?;
    let list =
        lang.app().platform.identity.departments(&caller, &enterprise).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Ok().json(list))
}

#[derive(Deserialize, ToSchema)]
pub struct SubAccount {
    login: String,
    password: String,
    /// `employee` or `department_admin`.
    role: String,
    department_id: i32,
    email: Option<String>,
    phone: Option<String>,
    second_factor: String,
    /// Binds the account to its holder's own certificates.
    id_number: Option<String>,
}

/// Adds a sub-account in one of an enterprise's departments.
#[utoipa::path(post, path = "/api/v1/t/{tenant}/accounts", tag = "accounts", request_body = SubAccount,
    params(("tenant" = String, Path), EnterpriseQuery),
    responses((status = 201, body = AccountCreated), (status = 403, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/t/{tenant}/accounts")]
pub async fn create_account(
    req: HttpRequest,
    lang: Lang,
    tenant: web::Path<String>,
    query: web::Query<EnterpriseQuery>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let (caller, enterprise) = enterprise_caller(&req, &lang, &tenant, &query).await?;
    let body: SubAccount = super::rules::json_body(payload, &lang).await?;
    let platform = &lang.app().platform;
    let new = NewSubAccount {
        login: body.login,
        password: body.password,
        role: body.role,
        department_id: body.department_id,
        email: body.email,
        phone: body.phone,
        second_factor: body.second_factor,
        id_number: body.id_number,
    };
    let (account_id, totp) = platform
        .identity
        .create_sub_account(&caller, &enterprise, new, |id| platform.store.holder_index(id))
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(AccountCreated {
        account_id,
        enterprise_id: Some(enterprise.id),
        tenant: enterprise.tenant_slug,
        totp,
    }))
}

#[derive(Deserialize, ToSchema)]
pub struct IndividualBinding {
    /// A certificate of the person.
    cert_no: String,
    /// The name on it.
    name: String,
    /// The person's ID number (GB 11643 check digit validated).
    id_number: String,
    login: String,
    password: String,
    email: Option<String>,
    phone: Option<String>,
    second_factor: String,
}

/// Real-name binding: a holder makes an account that sees their own
/// certificates. Number, name and ID number must match one certificate; a
/// mismatch answers the same whatever part was wrong.
#[utoipa::path(post, path = "/api/v1/individuals", tag = "accounts", request_body = IndividualBinding,
    responses((status = 201, body = AccountCreated), (status = 422, body = ErrorBody), (status = 429, body = ErrorBody)))]
#[post("/api/v1/individuals")]
pub async fn bind_individual(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let b: IndividualBinding = super::rules::json_body(payload, &lang).await?;
    let binding = safecert_core::identity::BindIndividual {
        cert_no: b.cert_no,
        name: b.name,
        id_number: b.id_number,
        login: b.login,
        password: b.password,
        email: b.email,
        phone: b.phone,
        second_factor: b.second_factor,
    };
    let (account_id, tenant, totp) =
        lang.app().platform.bind_individual(binding).await.map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::Created().json(AccountCreated { account_id, enterprise_id: None, tenant, totp }))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetRequest {
    login: String,
}

/// Asks for a password reset: a code goes to the account's second factor.
/// The answer is the same whether or not the account exists.
#[utoipa::path(post, path = "/api/v1/auth/reset", tag = "accounts", request_body = ResetRequest,
    responses((status = 200, body = SignInChallenge), (status = 429, body = ErrorBody)))]
#[post("/api/v1/auth/reset")]
pub async fn start_reset(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let body: ResetRequest = super::rules::json_body(payload, &lang).await?;
    let (ip, user_agent) = origin_of(&req, &lang);
    let started = lang
        .app()
        .platform
        .identity
        .start_reset(&body.login, &Origin { ip: &ip, user_agent: &user_agent })
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(challenge_response(&lang, started))
}

#[derive(Deserialize, ToSchema)]
pub struct ResetConfirm {
    challenge: String,
    code: String,
    new_password: String,
}

/// Sets the new password with the code; every session of the account ends.
#[utoipa::path(post, path = "/api/v1/auth/reset/confirm", tag = "accounts", request_body = ResetConfirm,
    responses((status = 204), (status = 401, body = ErrorBody), (status = 422, body = ErrorBody)))]
#[post("/api/v1/auth/reset/confirm")]
pub async fn finish_reset(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    super::rate_limit(&req, &lang)?;
    let body: ResetConfirm = super::rules::json_body(payload, &lang).await?;
    let (ip, user_agent) = origin_of(&req, &lang);
    lang.app()
        .platform
        .identity
        .finish_reset(&body.challenge, &body.code, &body.new_password, &Origin { ip: &ip, user_agent: &user_agent })
        .await
        .map_err(|e| identity_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}
