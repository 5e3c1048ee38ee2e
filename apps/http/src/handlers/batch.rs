//! Batch verification over HTTP: upload a spreadsheet, map its columns if
//! its headers are its own, follow the job, download the report.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use safecert_core::batch::{
    BatchError, BatchJobView, ColumnMapping, Labels, MAX_UPLOAD_BYTES, ReportFormat, SheetError,
};

use super::identity::caller;
use crate::{
    error::{ApiError, ErrorBody, ErrorKind},
    lang::Lang,
    upload::read_upload,
};

impl Labels for Lang {
    fn label(&self, id: &str) -> String {
        self.text(id)
    }
}

pub(crate) fn sheet_error(e: SheetError, lang: &Lang) -> ApiError {
    lang.error(match e {
        SheetError::Empty => ErrorKind::SheetEmpty,
        SheetError::NotASpreadsheet => ErrorKind::NotASpreadsheet,
        SheetError::Protected => ErrorKind::SheetProtected,
        SheetError::Damaged => ErrorKind::SheetDamaged,
        SheetError::TooLarge => ErrorKind::PayloadTooLarge,
        SheetError::TooManyRows => ErrorKind::TooManyRows,
        SheetError::Encoding => ErrorKind::SheetEncoding,
    })
}

pub(crate) fn batch_error(e: BatchError, lang: &Lang) -> ApiError {
    match e {
        BatchError::Sheet(e) => sheet_error(e, lang),
        BatchError::Mapping(e) => {
            lang.error(ErrorKind::ColumnMapping).with_details(serde_json::json!({ "reason": e.to_string() }))
        }
        BatchError::Forbidden => lang.error(ErrorKind::Forbidden),
        BatchError::NotFound => lang.error(ErrorKind::UnknownBatch),
        BatchError::NotWaiting => lang.error(ErrorKind::BatchNotWaiting),
        BatchError::NotReady => lang.error(ErrorKind::BatchNotReady),
        e @ (BatchError::Storage(_) | BatchError::Rules(_) | BatchError::Sealed(_) | BatchError::Report(_)) => {
            super::unavailable(&e, lang)
        }
    }
}

fn job_id(raw: &str, lang: &Lang) -> Result<i32, ApiError> {
    raw.parse().map_err(|_| lang.error(ErrorKind::UnknownBatch))
}

/// Uploads a spreadsheet (.xlsx, or .csv in UTF-8 or GBK; at most 50,000
/// rows and 20 MB) to check every row: certificate number, name and
/// optionally ID number. Send the file as the body (name it with
/// `?file_name=`) or as the file field of a `multipart/form-data` form.
/// Answers 202 with the job; follow it at its address. When the headers
/// are not recognized the state is `mapping`: send the columns to
/// `/mapping`.
#[utoipa::path(post, path = "/api/v1/batch-verifications", tag = "batch",
    params(("file_name" = Option<String>, Query, description = "The file's name, for the report")),
    request_body(content = Vec<u8>, content_type = "application/octet-stream"),
    responses((status = 202, body = BatchJobView), (status = 403, body = ErrorBody), (status = 413, body = ErrorBody),
        (status = 415, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/batch-verifications")]
pub async fn upload(req: HttpRequest, lang: Lang, payload: web::Payload) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let file = read_upload(&req, payload, MAX_UPLOAD_BYTES, &lang).await?;
    let job = start(&req, &lang, &caller, file).await?;
    Ok(super::no_store(HttpResponse::Accepted())
        .insert_header(("Location", format!("/api/v1/batch-verifications/{}", job.id)))
        .json(job))
}

/// Starts a job from an upload and puts it in the caller's query log.
pub(crate) async fn start(
    req: &HttpRequest,
    lang: &Lang,
    caller: &safecert_core::identity::Caller,
    file: crate::upload::Upload,
) -> Result<BatchJobView, ApiError> {
    let platform = &lang.app().platform;
    let job = platform.start_batch(caller, &file.file_name, file.bytes).await.map_err(|e| batch_error(e, lang))?;
    let query = format!("job={}&rows={}", job.id, job.rows_total);
    super::certificates::log_query(req, lang, caller, &caller.tenant, "batch", query).await;
    Ok(job)
}

/// The caller's newest 50 batch verifications.
#[utoipa::path(get, path = "/api/v1/batch-verifications", tag = "batch",
    responses((status = 200, body = [BatchJobView]), (status = 401, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/batch-verifications")]
pub async fn list(req: HttpRequest, lang: Lang) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let jobs = lang.app().platform.batch_jobs(&caller).await.map_err(|e| batch_error(e, &lang))?;
    Ok(super::no_store(HttpResponse::Ok()).json(jobs))
}

/// One batch verification: state, progress (`rows_done` of `rows_total`)
/// and, when done, the summary.
#[utoipa::path(get, path = "/api/v1/batch-verifications/{id}", tag = "batch",
    params(("id" = i32, Path)),
    responses((status = 200, body = BatchJobView), (status = 404, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/batch-verifications/{id}")]
pub async fn show(req: HttpRequest, lang: Lang, path: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let id = job_id(&path, &lang)?;
    let job = lang.app().platform.batch_job(&caller, id).await.map_err(|e| batch_error(e, &lang))?;
    Ok(super::no_store(HttpResponse::Ok()).json(job))
}

/// Which column holds what (letters as the spreadsheet shows them), for a
/// job whose headers were not recognized; starts it.
#[utoipa::path(post, path = "/api/v1/batch-verifications/{id}/mapping", tag = "batch",
    params(("id" = i32, Path)), request_body = ColumnMapping,
    responses((status = 202, body = BatchJobView), (status = 404, description = "Unknown batch", body = ErrorBody),
        (status = 409, body = ErrorBody), (status = 422, body = ErrorBody)),
    security(("bearer" = [])))]
#[post("/api/v1/batch-verifications/{id}/mapping")]
pub async fn map(
    req: HttpRequest,
    lang: Lang,
    path: web::Path<String>,
    payload: web::Payload,
) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let id = job_id(&path, &lang)?;
    let mapping: ColumnMapping = super::rules::json_body(payload, &lang).await?;
    let job = lang.app().platform.map_batch(&caller, id, &mapping).await.map_err(|e| batch_error(e, &lang))?;
    Ok(super::no_store(HttpResponse::Accepted()).json(job))
}

/// The report of a finished job, `report.xlsx` or `report.csv`: the
/// summary and every row with its result and reason (counts only where the
/// province gives the caller's role no per-person rows).
#[utoipa::path(get, path = "/api/v1/batch-verifications/{id}/{report}", tag = "batch",
    params(("id" = i32, Path), ("report" = String, Path, description = "`report.xlsx` or `report.csv`")),
    responses((status = 200, description = "The report file"), (status = 404, body = ErrorBody),
        (status = 409, body = ErrorBody)),
    security(("bearer" = [])))]
#[get("/api/v1/batch-verifications/{id}/{report}")]
pub async fn report(req: HttpRequest, lang: Lang, path: web::Path<(String, String)>) -> Result<HttpResponse, ApiError> {
    let caller = caller(&req, &lang).await?;
    let (id, file) = path.into_inner();
    let id = job_id(&id, &lang)?;
    let format = match file.as_str() {
        "report.xlsx" => ReportFormat::Xlsx,
        "report.csv" => ReportFormat::Csv,
        _ => return Err(lang.error(ErrorKind::NotFound)),
    };
    let platform = &lang.app().platform;
    let file =
        platform.batch_report(&caller, id, format, &lang, lang.locale).await.map_err(|e| batch_error(e, &lang))?;
    Ok(super::no_store(HttpResponse::Ok())
        .content_type(file.content_type)
        .insert_header(("Content-Disposition", file.disposition(id)))
        .body(file.bytes))
}
