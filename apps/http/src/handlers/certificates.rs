use actix_web::{HttpRequest, HttpResponse, http::Method, web};
use safecert_core::{
    CertificateDetail, LookupError, SearchError, SearchPage, SearchRequest, Suggestion,
    identity::Caller,
    query_log::{loggable_pairs, push_loggable},
};
use serde::Deserialize;

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
    let (tenant, rest) = rest.strip_prefix('/')?.split_once('/')?;
    let no = rest.strip_prefix("certificates/")?;
    let shaped = !tenant.is_empty() && !no.is_empty() && !no.contains('/');
    shaped.then_some((tenant, no))
}

/// Whether [`tenant_api`] answers this path: lookups, searches,
/// autocomplete and rules administration. The scope is asked first and
/// only takes these, so the hottest request, a lookup, is routed by a few
/// string comparisons instead of trying every pattern registered before it
/// (each a regular expression).
pub fn handles(path: &str) -> bool {
    let Some(rest) = path.strip_prefix(SCOPE) else { return false };
    if certificate_path(rest).is_some() {
        return true;
    }
    let mut segments = rest.strip_prefix('/').unwrap_or_default().split('/');
    let (_tenant, what, more) = (segments.next(), segments.next(), segments.next());
    matches!((what, more), (Some("certificates" | "autocomplete"), None) | (Some("rules"), _))
}

/// Everything under [`SCOPE`]: the shape of the path picks the handler.
pub async fn tenant_api(req: HttpRequest, payload: web::Payload, lang: Lang) -> Result<HttpResponse, ApiError> {
    let rest = req.path().strip_prefix(SCOPE).unwrap_or_default();
    if let Some((tenant, no)) = certificate_path(rest) {
        if req.method() == Method::GET {
            return lookup(&req, &lang, tenant, no).await;
        }
        return Ok(super::health::unrouted(&req, &lang));
    }
    // The other routes wait in boxes of their own: this handler's future,
    // made and moved for every lookup, stays the size a lookup needs.
    let segments: Vec<&str> = rest.strip_prefix('/').unwrap_or_default().split('/').collect();
    match (segments.as_slice(), req.method() == Method::GET) {
        ([tenant, "certificates"], true) => return Box::pin(search(&req, &lang, tenant)).await,
        ([tenant, "autocomplete"], true) => return Box::pin(autocomplete(&req, &lang, tenant)).await,
        _ => {}
    }
    if let [tenant, "rules", more @ ..] = segments.as_slice()
        && let Some(route) = super::rules::Route::parse(more, req.method())
    {
        let tenant = lang.app().platform.tenants.find(tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
        return Box::pin(super::rules::handle(&req, payload, &lang, tenant, route)).await;
    }
    Ok(super::health::unrouted(&req, &lang))
}

/// The query string of a lookup.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct LookupParams {
    /// `quick` (default): status, validity, holder as the role allows;
    /// `detailed`: also training records (courses, hours, exam scores),
    /// the last review, the revocation reason and the province's own
    /// fields with their labels in the response language.
    view: Option<String>,
}

/// One certificate of a province by its number, as the signed-in caller's
/// role allows: in full, masked, or refused (as if it did not exist).
#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/certificates/{cert_no}",
    tag = "tenant",
    params(
        ("tenant" = String, Path, description = "Tenant slug, e.g. gd (see /api/v1/tenants)"),
        ("cert_no" = String, Path, description = "Certificate number", pattern = r"^\s*(?:[0-9A-Za-z-]\s*){4,32}$"),
        LookupParams,
    ),
    responses(
        (status = 200, description = "The quick view; the detailed view adds training, review and custom fields", body = CertificateDetail),
        (status = 400, description = "Malformed certificate number or view", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 404, description = "Unknown tenant or certificate, or one the caller's role does not cover", body = ErrorBody),
        (status = 429, description = "Too many requests from this address", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn lookup(req: &HttpRequest, lang: &Lang, tenant: &str, raw_no: &str) -> Result<HttpResponse, ApiError> {
    super::rate_limit(req, lang)?;
    let platform = &lang.app().platform;
    let province = platform.tenants.find(tenant).ok_or_else(|| lang.error(ErrorKind::UnknownTenant))?;
    let cert_no = super::parse_cert_no(raw_no, lang)?;
    let asked_view = match req.query_string() {
        "" => None,
        query => web::Query::<LookupParams>::from_query(query).ok().and_then(|q| q.view.clone()),
    };
    let detailed = match asked_view {
        None => false,
        Some(view) if view == "quick" => false,
        Some(view) if view == "detailed" => true,
        Some(_) => {
            return Err(lang
                .error(ErrorKind::InvalidInput)
                .with_details(serde_json::json!({ "reason": "view is quick or detailed" })));
        }
    };
    let caller = super::identity::caller(req, lang).await?;
    let mut query = String::with_capacity(64);
    query.push_str("cert_no=");
    push_loggable(&mut query, cert_no.as_str());
    if detailed {
        query.push_str("&view=detailed");
    }
    log_query(req, lang, &caller, tenant, if detailed { "detail" } else { "lookup" }, query).await;
    let found = if detailed {
        Box::pin(platform.lookup_detailed_as(&caller, tenant, &cert_no, lang.locale))
            .await
            .map(|view| super::not_stored().json(view))
    } else {
        // The same JSON `.json(view)` writes, kept written for most callers.
        let body = platform.lookup_json_as(&caller, province, &cert_no, lang.locale).await;
        body.map(super::not_stored_json)
    };
    found.map_err(|e| lookup_error(e, lang))
}

pub(super) fn lookup_error(e: LookupError, lang: &Lang) -> ApiError {
    match e {
        LookupError::UnknownTenant => lang.error(ErrorKind::UnknownTenant),
        LookupError::NotFound => lang.error(ErrorKind::CertificateNotFound),
        // Outside the caller's reach looks like a number that does not
        // exist: a lookup cannot tell who holds what elsewhere.
        LookupError::Forbidden => lang.error(ErrorKind::CertificateNotFound),
        LookupError::Storage(e) => super::unavailable(&e, lang),
        LookupError::Rules(e) => super::unavailable(&e, lang),
    }
}

/// Logs a certificate query of the caller: who, what (personal numbers
/// masked), when, from where.
pub(super) async fn log_query(
    req: &HttpRequest,
    lang: &Lang,
    caller: &Caller,
    tenant: &str,
    kind: &'static str,
    query: String,
) {
    let ip = super::client_addr(req, lang.app());
    lang.app().platform.query_log.record(caller, tenant, kind, query, ip).await;
}

/// The query string of a search.
#[derive(Deserialize, utoipa::IntoParams)]
pub struct SearchParams {
    /// Holder name; one wrong, missing or extra character still matches.
    name: Option<String>,
    /// ID number (exact).
    id_number: Option<String>,
    /// Employer's USCC.
    enterprise: Option<String>,
    department: Option<String>,
    position: Option<String>,
    industry: Option<String>,
    cert_type: Option<String>,
    issue_year: Option<i32>,
    /// `valid`, `expiring`, `expired`, `revoked` or `suspended` (as of the
    /// last nightly scan).
    status: Option<String>,
    /// `cert_no` (default), `holder_name`, `issue_date`, `expiry_date`;
    /// `-` in front sorts descending.
    sort: Option<String>,
    /// From 1.
    page: Option<u64>,
    /// 1 to 100, 20 by default.
    per_page: Option<u64>,
}

pub(super) fn search_error(e: SearchError, lang: &Lang) -> ApiError {
    match e {
        SearchError::UnknownTenant => lang.error(ErrorKind::UnknownTenant),
        SearchError::Invalid(reason) => {
            lang.error(ErrorKind::InvalidInput).with_details(serde_json::json!({ "reason": reason }))
        }
        SearchError::Forbidden => lang.error(ErrorKind::Forbidden),
        SearchError::Storage(e) => super::unavailable(&e, lang),
        SearchError::Rules(e) => super::unavailable(&e, lang),
    }
}

/// Searches a province's certificates within what the caller may read:
/// personal data only where the caller may see it.
#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/certificates",
    tag = "tenant",
    params(("tenant" = String, Path, description = "Tenant slug"), SearchParams),
    responses(
        (status = 200, body = SearchPage),
        (status = 400, description = "Malformed query string", body = ErrorBody),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 403, description = "The caller reads no certificates here", body = ErrorBody),
        (status = 422, description = "A filter is malformed; details say which", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn search(req: &HttpRequest, lang: &Lang, tenant: &str) -> Result<HttpResponse, ApiError> {
    super::rate_limit(req, lang)?;
    let p =
        web::Query::<SearchParams>::from_query(req.query_string()).map_err(|_| lang.error(ErrorKind::BadRequest))?;
    let caller = super::identity::caller(req, lang).await?;
    let request = SearchRequest {
        name: p.name.clone(),
        id_number: p.id_number.clone(),
        enterprise: p.enterprise.clone(),
        department: p.department.clone(),
        position: p.position.clone(),
        industry: p.industry.clone(),
        cert_type: p.cert_type.clone(),
        issue_year: p.issue_year,
        status: p.status.clone(),
        sort: p.sort.clone(),
        page: p.page,
        per_page: p.per_page,
    };
    let logged = loggable_pairs(&request.pairs());
    log_query(req, lang, &caller, tenant, "search", logged).await;
    let page = lang
        .app()
        .platform
        .search_as(&caller, tenant, &request, lang.locale)
        .await
        .map_err(|e| search_error(e, lang))?;
    Ok(super::not_stored().json(page))
}

#[derive(Deserialize, utoipa::IntoParams)]
pub struct AutocompleteParams {
    /// What has been typed: the start of a holder name or a number.
    #[param(min_length = 1)]
    q: String,
}

/// Up to ten certificates whose holder name or number starts with `q`,
/// within what the caller may read.
#[utoipa::path(
    get,
    path = "/api/v1/t/{tenant}/autocomplete",
    tag = "tenant",
    params(("tenant" = String, Path, description = "Tenant slug"), AutocompleteParams),
    responses(
        (status = 200, body = Vec<Suggestion>),
        (status = 401, description = "Not signed in", body = ErrorBody),
        (status = 422, description = "Not the start of a name or number", body = ErrorBody),
    ),
    security(("bearer" = []))
)]
async fn autocomplete(req: &HttpRequest, lang: &Lang, tenant: &str) -> Result<HttpResponse, ApiError> {
    let p = web::Query::<AutocompleteParams>::from_query(req.query_string())
        .map_err(|_| lang.error(ErrorKind::MissingParameter("q")))?;
    let caller = super::identity::caller(req, lang).await?;
    // Keystrokes are not queries: what the user then looks up or searches
    // for is logged, not every prefix on the way (a partial number in the
    // log would be personal data for nothing).
    let found = lang.app().platform.suggest_as(&caller, tenant, &p.q).await.map_err(|e| search_error(e, lang))?;
    Ok(super::not_stored().json(found))
}

#[cfg(test)]
mod routing_tests {
    use super::handles;

    #[test]
    fn the_hot_scope_takes_only_its_own_paths() {
        assert!(handles("/api/v1/t/gd/certificates/GD2024000001"));
        assert!(handles("/api/v1/t/gd/certificates"));
        assert!(handles("/api/v1/t/gd/autocomplete"));
        assert!(handles("/api/v1/t/gd/rules/3/activate"));
        assert!(!handles("/api/v1/t/gd/certificates/GD2024000001/report.pdf"));
        assert!(!handles("/api/v1/t/gd/report.pdf"));
        assert!(!handles("/api/v1/t/gd/staff"));
        assert!(!handles("/api/v1/verify"));
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
