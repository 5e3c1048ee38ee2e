//! Province rules administration: upload a version (checked, self-tested
//! and dry-run before it is kept), look at versions, activate one, roll
//! back. Guarded by the administrator token (SAFECERT_ADMIN_TOKEN) until
//! accounts and roles exist.

use actix_web::{HttpRequest, HttpResponse, web};
use safecert_core::{BASELINE, RulesAdminError, TenantConfig};
use safecert_rules::RuleSource;
use serde::{Deserialize, Serialize};

use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

/// Largest request body the rules API reads: a script at its size limit
/// plus its data, JSON-escaped.
const MAX_BODY: usize = 256 * 1024;

/// An upload, or a candidate to dry-run.
#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesUpload {
    /// The new rules.rhai.
    pub script: String,
    /// The new rules.toml (custom fields and test cases).
    #[serde(default)]
    pub data: String,
    /// What changes and why; kept with the version.
    #[serde(default)]
    pub note: String,
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RulesChange {
    /// Why; kept in the audit log.
    pub reason: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct VersionSummary {
    version: String,
    note: String,
    uploaded_by: String,
    uploaded_at: Option<chrono::DateTime<chrono::FixedOffset>>,
}

/// The routes under `/api/v1/t/{tenant}/rules`.
pub enum Route<'a> {
    List,
    Upload,
    DryRun,
    Rollback,
    Show(&'a str),
    Activate(&'a str),
}

impl<'a> Route<'a> {
    /// The route for the path segments after `rules`, if any.
    pub fn parse(rest: &[&'a str], method: &actix_web::http::Method) -> Option<Self> {
        let get = method == actix_web::http::Method::GET;
        let post = method == actix_web::http::Method::POST;
        match rest {
            [] if get => Some(Self::List),
            [] if post => Some(Self::Upload),
            ["dry-run"] if post => Some(Self::DryRun),
            ["rollback"] if post => Some(Self::Rollback),
            // The names of the POST-only routes are no versions.
            [version] if get && !matches!(*version, "" | "dry-run" | "rollback") => Some(Self::Show(version)),
            [version, "activate"] if post && !version.is_empty() => Some(Self::Activate(version)),
            _ => None,
        }
    }
}

/// Who may change a province's rules: a signed-in account the policy
/// allows (`rules`/`manage`), or the operator's token.
async fn admin(req: &HttpRequest, lang: &Lang, tenant: &str) -> Result<String, ApiError> {
    if super::identity::presents_account(req) {
        let caller = super::identity::caller(req, lang).await?;
        let resource = safecert_policy::Resource::new(safecert_policy::ObjectKind::Rules, tenant);
        if !lang.app().platform.identity.authorize(&caller, safecert_policy::Action::Manage, &resource) {
            return Err(lang.error(ErrorKind::Forbidden));
        }
        return Ok(format!("account {} ({})", caller.account_id, caller.login));
    }
    let app = lang.app();
    let Some(token) = &app.platform.config.admin_token else {
        return Err(lang.error(ErrorKind::AdminDisabled));
    };
    let presented = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.strip_prefix("Bearer "))
        .unwrap_or_default();
    if !token.matches(presented.trim()) {
        return Err(lang.error(ErrorKind::Unauthorized));
    }
    let from = super::client_addr(req, app).map_or_else(|| "unknown address".to_owned(), |a| a.to_string());
    Ok(format!("admin token from {from}"))
}

pub(super) async fn json_body<T: for<'de> Deserialize<'de>>(payload: web::Payload, lang: &Lang) -> Result<T, ApiError> {
    let body = crate::upload::body_bytes(payload, MAX_BODY, lang).await?;
    serde_json::from_slice(&body).map_err(|e| {
        let mut err = lang.error(ErrorKind::InvalidBody);
        err.details = Some(serde_json::json!({ "reason": e.to_string() }));
        err
    })
}

fn admin_error(e: RulesAdminError, lang: &Lang) -> ApiError {
    match e {
        RulesAdminError::Rejected(check) => lang.error(ErrorKind::RulesRejected).with_details(*check),
        RulesAdminError::UnknownVersion(_) => lang.error(ErrorKind::UnknownRulesVersion),
        RulesAdminError::AlreadyActive(_) | RulesAdminError::NothingToRollBack | RulesAdminError::Conflict(_) => {
            let reason = e.to_string();
            lang.error(ErrorKind::RulesConflict).with_details(serde_json::json!({ "reason": reason }))
        }
        RulesAdminError::Rules(e) => {
            lang.error(ErrorKind::RulesRejected).with_details(serde_json::json!({ "error": e }))
        }
        RulesAdminError::Storage(e) => super::unavailable(&e, lang),
    }
}

fn reason(change: &RulesChange, lang: &Lang) -> Result<String, ApiError> {
    let reason = change.reason.trim();
    if reason.is_empty() || reason.chars().count() > 500 {
        return Err(lang.error(ErrorKind::MissingParameter("reason")));
    }
    Ok(reason.to_owned())
}

pub async fn handle(
    req: &HttpRequest,
    payload: web::Payload,
    lang: &Lang,
    tenant: &TenantConfig,
    route: Route<'_>,
) -> Result<HttpResponse, ApiError> {
    let actor = admin(req, lang, tenant.slug.as_str()).await?;
    match route {
        Route::List => list_versions(lang, tenant).await,
        Route::Show(version) => show_version(lang, tenant, version).await,
        Route::Upload => upload(payload, lang, tenant, &actor).await,
        Route::DryRun => dry_run(payload, lang, tenant).await,
        Route::Activate(version) => activate(payload, lang, tenant, version, &actor).await,
        Route::Rollback => rollback(payload, lang, tenant, &actor).await,
    }
}

/// The versions of a province's rules, which one is active, and every
/// activation so far.
#[derive(Serialize, utoipa::ToSchema)]
pub struct RulesList {
    /// The active version's name.
    active: Option<String>,
    /// `baseline` (the files in tenants/<slug>) first, then uploads in order.
    versions: Vec<VersionSummary>,
    /// Activations and rollbacks, oldest first: id, from_version,
    /// to_version, actor, reason, at.
    #[schema(value_type = Vec<Object>)]
    activations: Vec<safecert_storage::ActivationRow>,
}

/// What any rules operation may answer besides its own outcomes.
#[derive(utoipa::IntoResponses)]
#[allow(dead_code)] // Documents answers; the errors themselves are `ApiError`s.
enum Refusals {
    /// Neither signed in nor the administrator token.
    #[response(status = 401)]
    Unauthenticated(ErrorBody),
    /// The account may not manage this province's rules, or the
    /// administrator token is not configured.
    #[response(status = 403)]
    Forbidden(ErrorBody),
    /// The database cannot be reached.
    #[response(status = 503)]
    Unavailable(ErrorBody),
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/rules",
    tag = "rules",
    params(("tenant" = String, Path, description = "Tenant slug")),
    responses(
        Refusals,
        (status = 200, body = RulesList),
        (status = 404, description = "Unknown tenant", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn list_versions(lang: &Lang, tenant: &TenantConfig) -> Result<HttpResponse, ApiError> {
    let platform = &lang.app().platform;
    let dbs = platform.store.databases();
    let versions = dbs.rule_versions(tenant.slug.as_str()).await.map_err(|e| super::unavailable(&e, lang))?;
    let activations =
        dbs.rule_activations(Some(tenant.slug.as_str()), 0).await.map_err(|e| super::unavailable(&e, lang))?;
    let mut list = vec![VersionSummary {
        version: BASELINE.into(),
        note: format!("the files in tenants/{}", tenant.slug),
        uploaded_by: String::new(),
        uploaded_at: None,
    }];
    list.extend(versions.into_iter().map(|v| VersionSummary {
        version: v.version,
        note: v.note,
        uploaded_by: v.uploaded_by,
        uploaded_at: Some(v.uploaded_at),
    }));
    let active = platform.rules.get(&tenant.slug).map(|r| r.version().to_owned());
    Ok(super::no_store(HttpResponse::Ok()).json(RulesList { active, versions: list, activations }))
}

#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/rules/{version}",
    tag = "rules",
    params(
        ("tenant" = String, Path, description = "Tenant slug"),
        ("version" = String, Path, description = "A version's name, or `baseline`"),
    ),
    responses(
        Refusals,
        (status = 200, description = "The version's script and data; an upload also its note, uploader, time and the check it passed", body = Object),
        (status = 404, description = "Unknown tenant or version", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn show_version(lang: &Lang, tenant: &TenantConfig, version: &str) -> Result<HttpResponse, ApiError> {
    let platform = &lang.app().platform;
    let body = if version == BASELINE {
        let rules = platform.rules.baseline(&tenant.slug).ok_or_else(|| lang.error(ErrorKind::UnknownRulesVersion))?;
        serde_json::json!({ "version": BASELINE, "script": rules.source().script, "data": rules.source().data })
    } else {
        let row = platform
            .store
            .databases()
            .rule_version(tenant.slug.as_str(), version)
            .await
            .map_err(|e| super::unavailable(&e, lang))?
            .ok_or_else(|| lang.error(ErrorKind::UnknownRulesVersion))?;
        serde_json::to_value(row).unwrap_or_default()
    };
    Ok(super::no_store(HttpResponse::Ok()).json(body))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/rules",
    tag = "rules",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = RulesUpload,
    responses(
        Refusals,
        (status = 201, description = "Kept as a new version (not yet active), with the check it passed: compilation, its test cases and a dry run over the province's certificates", body = Object),
        (status = 400, description = "The body is not a rules upload", body = ErrorBody),
        (status = 404, description = "Unknown tenant", body = ErrorBody),
        (status = 413, description = "The body is larger than 256 KiB", body = ErrorBody),
        (status = 422, description = "The version does not pass its checks; details give the check", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn upload(
    payload: web::Payload,
    lang: &Lang,
    tenant: &TenantConfig,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    let upload: RulesUpload = json_body(payload, lang).await?;
    let source = RuleSource { script: upload.script, data: upload.data };
    let check = lang
        .app()
        .platform
        .upload_rules(tenant, source, upload.note.trim(), actor)
        .await
        .map_err(|e| admin_error(e, lang))?;
    Ok(super::no_store(HttpResponse::Created()).json(check))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/rules/dry-run",
    tag = "rules",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = RulesUpload,
    responses(
        Refusals,
        (status = 200, description = "The check a candidate would get, kept nowhere: compilation, its test cases, and how many certificates would change status", body = Object),
        (status = 400, description = "The body is not a rules upload", body = ErrorBody),
        (status = 404, description = "Unknown tenant", body = ErrorBody),
        (status = 413, description = "The body is larger than 256 KiB", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn dry_run(payload: web::Payload, lang: &Lang, tenant: &TenantConfig) -> Result<HttpResponse, ApiError> {
    let upload: RulesUpload = json_body(payload, lang).await?;
    let source = RuleSource { script: upload.script, data: upload.data };
    let check = lang
        .app()
        .platform
        .check_rules(tenant, "candidate", source, true)
        .await
        .map_err(|e| super::unavailable(&e, lang))?;
    Ok(super::no_store(HttpResponse::Ok()).json(check))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/rules/{version}/activate",
    tag = "rules",
    params(
        ("tenant" = String, Path, description = "Tenant slug"),
        ("version" = String, Path, description = "A version's name, or `baseline`"),
    ),
    request_body = RulesChange,
    responses(
        Refusals,
        (status = 200, description = "The activation, as kept in the audit log: id, from_version, to_version, actor, reason, at", body = Object),
        (status = 400, description = "The body is not a change with a reason (1 to 500 characters)", body = ErrorBody),
        (status = 404, description = "Unknown tenant or version", body = ErrorBody),
        (status = 409, description = "The version is already active, or another activation came first; reload and try again", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn activate(
    payload: web::Payload,
    lang: &Lang,
    tenant: &TenantConfig,
    version: &str,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    let change: RulesChange = json_body(payload, lang).await?;
    let why = reason(&change, lang)?;
    let row =
        lang.app().platform.activate_rules(tenant, version, &why, actor).await.map_err(|e| admin_error(e, lang))?;
    Ok(super::no_store(HttpResponse::Ok()).json(row))
}

#[utoipa::path(
    post,
    path = "/api/v1/t/{tenant}/rules/rollback",
    tag = "rules",
    params(("tenant" = String, Path, description = "Tenant slug")),
    request_body = RulesChange,
    responses(
        Refusals,
        (status = 200, description = "The rollback to the version active before, as kept in the audit log", body = Object),
        (status = 400, description = "The body is not a change with a reason (1 to 500 characters)", body = ErrorBody),
        (status = 404, description = "Unknown tenant", body = ErrorBody),
        (status = 409, description = "Nothing to roll back to, or another activation came first", body = ErrorBody),
    ),
    security(("bearer" = []), ("session" = []))
)]
async fn rollback(
    payload: web::Payload,
    lang: &Lang,
    tenant: &TenantConfig,
    actor: &str,
) -> Result<HttpResponse, ApiError> {
    let change: RulesChange = json_body(payload, lang).await?;
    let why = reason(&change, lang)?;
    let row = lang.app().platform.rollback_rules(tenant, &why, actor).await.map_err(|e| admin_error(e, lang))?;
    Ok(super::no_store(HttpResponse::Ok()).json(row))
}
