//! The batch verification pages: upload a spreadsheet (a file field, so a
//! file dropped on it works without scripts), follow the job (the page
//! refreshes itself while it runs), map the columns, download the report.

use actix_web::{HttpRequest, HttpResponse, get, http::StatusCode, post, web};
use askama::Template;
use safecert_core::batch::{BatchJobView, ColumnMapping, MAX_UPLOAD_BYTES, Outcome, SheetColumn};
use safecert_i18n::FluentValue;

use super::account_pages::{page_caller, redirect};
use super::pages::{LanguageLink, html_response, languages};
use crate::{lang::Lang, upload::read_upload};

struct JobLink {
    text: String,
    href: String,
}

struct SummaryLine {
    label: String,
    count: u32,
    class: &'static str,
}

struct JobPage {
    id: i32,
    file_name: String,
    state: String,
    class: &'static str,
    rows_done: u32,
    rows_total: u32,
    progress: Option<String>,
    failed: bool,
    done: bool,
    counts_only: bool,
    summary: Vec<SummaryLine>,
    columns: Vec<SheetColumn>,
}

enum BatchView {
    List(Vec<JobLink>),
    Job(Box<JobPage>),
}

#[derive(Template)]
#[template(path = "batch.html")]
struct BatchPage<'a> {
    lang: &'static str,
    dir: &'static str,
    here: String,
    heading: String,
    languages: Vec<LanguageLink>,
    error: Option<String>,
    refresh: Option<u32>,
    view: BatchView,
    texts: &'a Lang,
}

impl BatchPage<'_> {
    fn t(&self, id: &str) -> String {
        self.texts.text(id)
    }
}

const PAGE_CSP: &str =
    "default-src 'none'; style-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'";

fn outcome_class(outcome: Outcome) -> &'static str {
    match outcome {
        Outcome::Valid => "valid",
        Outcome::Expiring => "expiring",
        Outcome::Expired | Outcome::Revoked | Outcome::Suspended => "expired",
        Outcome::NotFound | Outcome::Mismatch | Outcome::Invalid => "",
    }
}

fn job_page(lang: &Lang, job: BatchJobView) -> JobPage {
    let running = matches!(job.state.as_str(), "queued" | "running");
    let progress = running.then(|| {
        lang.text_with(
            "batch-progress",
            &[("done", FluentValue::from(job.rows_done)), ("total", FluentValue::from(job.rows_total))],
        )
    });
    let summary = job
        .summary
        .as_ref()
        .map(|s| {
            Outcome::ALL
                .iter()
                .map(|o| SummaryLine {
                    label: lang.text(&format!("batch-outcome-{}", o.code())),
                    count: s.get(o.code()).copied().unwrap_or(0),
                    class: outcome_class(*o),
                })
                .chain(std::iter::once(SummaryLine {
                    label: lang.text("batch-total"),
                    count: s.get("total").copied().unwrap_or(0),
                    class: "",
                }))
                .collect()
        })
        .unwrap_or_default();
    JobPage {
        id: job.id,
        file_name: job.file_name,
        state: lang.text(&format!("batch-state-{}", job.state)),
        class: match job.state.as_str() {
            "done" => "valid",
            "failed" => "expired",
            _ => "expiring",
        },
        rows_done: job.rows_done,
        rows_total: job.rows_total,
        progress,
        failed: job.state == "failed",
        done: job.state == "done",
        counts_only: job.counts_only,
        summary,
        columns: job.columns,
    }
}

fn render(lang: &Lang, status: StatusCode, here: String, view: BatchView, error: Option<String>) -> HttpResponse {
    let refresh = match &view {
        BatchView::Job(job) if job.progress.is_some() => Some(2),
        _ => None,
    };
    let page = BatchPage {
        lang: lang.locale.tag(),
        dir: if lang.locale.is_rtl() { "rtl" } else { "ltr" },
        here,
        heading: lang.text("batch-heading"),
        languages: languages(lang),
        error,
        refresh,
        view,
        texts: lang,
    };
    html_response(lang, status, PAGE_CSP, page.render())
}

async fn list_page(
    lang: &Lang,
    caller: &safecert_core::identity::Caller,
    status: StatusCode,
    error: Option<String>,
) -> HttpResponse {
    let tag = lang.locale.tag();
    let jobs = lang.app().platform.batch_jobs(caller).await.unwrap_or_default();
    let links = jobs
        .into_iter()
        .map(|j| JobLink {
            text: format!("#{} {} — {}", j.id, j.file_name, lang.text(&format!("batch-state-{}", j.state))),
            href: format!("/account/batch/{}?lang={tag}", j.id),
        })
        .collect();
    render(lang, status, "/account/batch".into(), BatchView::List(links), error)
}

/// The upload form and the account's jobs.
#[get("/account/batch")]
pub async fn batch_page(req: HttpRequest, lang: Lang) -> HttpResponse {
    match page_caller(&req, &lang).await {
        Ok(caller) => list_page(&lang, &caller, StatusCode::OK, None).await,
        Err(back) => back,
    }
}

/// An upload from the form: on to the job's page, or back with the reason.
#[post("/account/batch")]
pub async fn batch_upload(req: HttpRequest, lang: Lang, payload: web::Payload) -> HttpResponse {
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let started = match read_upload(&req, payload, MAX_UPLOAD_BYTES, &lang).await {
        Ok(file) => super::batch::start(&req, &lang, &caller, file).await,
        Err(e) => Err(e),
    };
    match started {
        Ok(job) => redirect(format!("/account/batch/{}?lang={}", job.id, lang.locale.tag())),
        Err(e) => list_page(&lang, &caller, e.kind.status(), Some(e.message)).await,
    }
}

/// One job: progress, the mapping form, the summary and the downloads.
#[get("/account/batch/{id}")]
pub async fn job_view(req: HttpRequest, lang: Lang, path: web::Path<String>) -> HttpResponse {
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let here = format!("/account/batch/{}", path.as_str());
    let found = match path.parse::<i32>() {
        Ok(id) => lang.app().platform.batch_job(&caller, id).await.map_err(|e| super::batch::batch_error(e, &lang)),
        Err(_) => Err(lang.error(crate::error::ErrorKind::UnknownBatch)),
    };
    match found {
        Ok(job) => render(&lang, StatusCode::OK, here, BatchView::Job(Box::new(job_page(&lang, job))), None),
        Err(e) => list_page(&lang, &caller, e.kind.status(), Some(e.message)).await,
    }
}

/// The mapping form of a job whose headers were not recognized.
#[post("/account/batch/{id}/mapping")]
pub async fn job_mapping(req: HttpRequest, lang: Lang, path: web::Path<String>, body: web::Bytes) -> HttpResponse {
    let caller = match page_caller(&req, &lang).await {
        Ok(caller) => caller,
        Err(back) => return back,
    };
    let f = super::account_pages::form(&body);
    let value = |k: &str| f.get(k).map(|v| v.trim().to_owned()).unwrap_or_default();
    let mapping = ColumnMapping {
        cert_no: value("cert_no"),
        name: value("name"),
        id_number: Some(value("id_number")).filter(|v| !v.is_empty()),
        header: f.contains_key("header"),
    };
    let id = path.parse::<i32>().unwrap_or(0);
    match lang.app().platform.map_batch(&caller, id, &mapping).await {
        Ok(job) => redirect(format!("/account/batch/{}?lang={}", job.id, lang.locale.tag())),
        Err(e) => {
            let e = super::batch::batch_error(e, &lang);
            list_page(&lang, &caller, e.kind.status(), Some(e.message)).await
        }
    }
}
