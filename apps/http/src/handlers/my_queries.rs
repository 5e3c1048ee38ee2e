//! An account's own queries over HTTP: history, saved searches, favorites.

use actix_web::{HttpRequest, HttpResponse, delete, get, post, put, web};
use safecert_core::{FavoriteView, MyQueriesError, SavedQueryView, SearchRequest};
use serde::Deserialize;
use utoipa::ToSchema;

use super::identity::caller;
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
};

fn my_error(e: MyQueriesError, lang: &Lang) -> ApiError {
    match e {
        MyQueriesError::NotForKeys => lang.error(ErrorKind::Forbidden),
        MyQueriesError::Search(e) => super::certificates::search_error(e, lang),
        MyQueriesError::Lookup(e) => super::certificates::lookup_error(e, lang),
        MyQueriesError::NameTaken => lang.error(ErrorKind::NameTaken),
        MyQueriesError::NotFound => lang.error(ErrorKind::NotSaved),
        MyQueriesError::Storage(e) => super::unavailable(&e, lang),
    }
}

/// The signed-in account's newest 100 certificate queries (ID numbers
/// masked).
#[utoipa::path(get, path = "/api/v1/me/queries", tag = "queries",
    responses((status = 200, body = Object), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/queries")]
pub async fn history(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let rows = lang.app().platform.query_history(&caller).await.map_err(|e| my_error(e, &lang))?;
    Ok(super::not_stored().json(rows))
}

/// The search filters of a saved search (as the search takes them).
#[derive(Deserialize, ToSchema, Default)]
pub struct SearchFilters {
    name: Option<String>,
    enterprise: Option<String>,
    department: Option<String>,
    position: Option<String>,
    industry: Option<String>,
    cert_type: Option<String>,
    issue_year: Option<i32>,
    status: Option<String>,
    sort: Option<String>,
    per_page: Option<u64>,
}

#[derive(Deserialize, ToSchema)]
pub struct SaveQueryBody {
    /// Such as "2023年发证" or "安全管理员".
    name: String,
    /// The province it searches.
    tenant: String,
    query: SearchFilters,
}

/// Saves a search under a name.
#[utoipa::path(post, path = "/api/v1/me/saved-queries", tag = "queries", request_body = SaveQueryBody,
    responses((status = 201, body = SavedQueryView), (status = 404, description = "Unknown tenant", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/me/saved-queries")]
pub async fn save(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let b: SaveQueryBody = super::rules::json_body(payload, &lang).await?;
    let q = b.query;
    let search = SearchRequest {
        name: q.name,
        enterprise: q.enterprise,
        department: q.department,
        position: q.position,
        industry: q.industry,
        cert_type: q.cert_type,
        issue_year: q.issue_year,
        status: q.status,
        sort: q.sort,
        per_page: q.per_page,
        ..SearchRequest::default()
    };
    let created =
        lang.app().platform.save_query(&caller, &b.tenant, &b.name, &search).await.map_err(|e| my_error(e, &lang))?;
    Ok(HttpResponse::Created().json(created))
}

/// The account's saved searches, by name.
#[utoipa::path(get, path = "/api/v1/me/saved-queries", tag = "queries",
    responses((status = 200, body = Vec<SavedQueryView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/saved-queries")]
pub async fn list_saved(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let rows = lang.app().platform.saved_queries(&caller).await.map_err(|e| my_error(e, &lang))?;
    Ok(super::not_stored().json(rows))
}

#[utoipa::path(delete, path = "/api/v1/me/saved-queries/{id}", tag = "queries", params(("id" = i32, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/me/saved-queries/{id}")]
pub async fn forget(req: HttpRequest, lang: Lang, id: web::Path<i32>) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    lang.app().platform.delete_saved_query(&caller, *id).await.map_err(|e| my_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}

/// The account's favorite certificates, each as it may see it today.
#[utoipa::path(get, path = "/api/v1/me/favorites", tag = "queries",
    responses((status = 200, body = Vec<FavoriteView>), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/me/favorites")]
pub async fn favorites(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let rows = lang.app().platform.favorites(&caller, lang.locale).await.map_err(|e| my_error(e, &lang))?;
    Ok(super::not_stored().json(rows))
}

/// Marks a certificate the account may read as a favorite.
#[utoipa::path(put, path = "/api/v1/me/favorites/{tenant}/{cert_no}", tag = "queries",
    params(("tenant" = String, Path), ("cert_no" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[put("/api/v1/me/favorites/{tenant}/{cert_no}")]
pub async fn mark(req: HttpRequest, lang: Lang, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (tenant, raw) = path.into_inner();
    let caller = caller(&req, &lang).await?;
    let no = super::parse_cert_no(&raw, &lang)?;
    lang.app().platform.add_favorite(&caller, &tenant, &no).await.map_err(|e| my_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}

#[utoipa::path(delete, path = "/api/v1/me/favorites/{tenant}/{cert_no}", tag = "queries",
    params(("tenant" = String, Path), ("cert_no" = String, Path)),
    responses((status = 204), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[delete("/api/v1/me/favorites/{tenant}/{cert_no}")]
pub async fn unmark(req: HttpRequest, lang: Lang, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let (tenant, raw) = path.into_inner();
    let caller = caller(&req, &lang).await?;
    let no = super::parse_cert_no(&raw, &lang)?;
    lang.app().platform.remove_favorite(&caller, &tenant, &no).await.map_err(|e| my_error(e, &lang))?;
    Ok(HttpResponse::NoContent().finish())
}
