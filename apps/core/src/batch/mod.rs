//! Batch verification: an account uploads a spreadsheet of certificates
//! (number, name, optionally ID number); a background job checks every row
//! and keeps a summary and a row-by-row report. The uploaded rows and the
//! results are sealed like other personal data. A job a restart
//! interrupted starts again when the service does; one that cannot finish
//! says so (state `failed`), never a partial report shown as complete.
//!
//! Who may upload, and who sees rows rather than counts only, is the
//! access policy's answer (`batch_verification`/`upload`,
//! `batch_rows`/`read`), which a province's settings can narrow.

pub mod check;
pub mod columns;
mod report;
pub mod sheet;

use std::sync::{Arc, Mutex};

use chrono::{DateTime, FixedOffset};
use flate2::{Compression, read::ZlibDecoder, write::ZlibEncoder};
use safecert_policy::{Action, ObjectKind, Resource};
use safecert_storage::{BatchJobRow, NewBatchJob, StorageError};
use serde::{Deserialize, Serialize};
use tokio::sync::mpsc;

pub use check::{Outcome, Reason, RowResult};
pub use columns::{Columns, MappingError, column_letters};
pub use report::{Labels, Summary};
pub use sheet::{MAX_ROWS, MAX_UPLOAD_BYTES, SheetError, SheetRow};

use crate::{Platform, identity::Caller};

const INPUT_CONTEXT: &str = "batch:input";
const RESULTS_CONTEXT: &str = "batch:results";

#[derive(Debug, thiserror::Error)]
pub enum BatchError {
    #[error(transparent)]
    Sheet(#[from] SheetError),
    #[error(transparent)]
    Mapping(#[from] MappingError),
    #[error("not allowed to run batch verifications")]
    Forbidden,
    #[error("no such batch verification")]
    NotFound,
    #[error("the batch verification is not waiting for a column mapping")]
    NotWaiting,
    #[error("the batch verification has not finished")]
    NotReady,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Rules(#[from] safecert_rules::RuleError),
    #[error("sealed batch data: {0}")]
    Sealed(String),
    #[error("report: {0}")]
    Report(String),
}

/// Jobs waiting for the worker: filled by uploads and by the restart
/// scan, emptied by [`Platform::run_batches`].
pub struct BatchQueue {
    tx: mpsc::UnboundedSender<i32>,
    rx: Mutex<Option<mpsc::UnboundedReceiver<i32>>>,
}

impl Default for BatchQueue {
    fn default() -> Self {
        let (tx, rx) = mpsc::unbounded_channel();
        Self { tx, rx: Mutex::new(Some(rx)) }
    }
}

/// A column of the uploaded sheet, as the mapping step shows it.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SheetColumn {
    /// `A`, `B`, …
    pub letter: String,
    /// What the first row says there.
    pub header: String,
}

/// Which column holds what, by letter.
#[derive(Clone, Debug, Serialize, Deserialize, utoipa::ToSchema)]
pub struct ColumnMapping {
    pub cert_no: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    /// Whether the first row is a header (not checked). Default true.
    #[serde(default = "yes")]
    pub header: bool,
}

fn yes() -> bool {
    true
}

impl From<Columns> for ColumnMapping {
    fn from(c: Columns) -> Self {
        Self {
            cert_no: column_letters(c.cert_no),
            name: column_letters(c.name),
            id_number: c.id_number.map(column_letters),
            header: c.header,
        }
    }
}

/// A batch verification as its owner follows it.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct BatchJobView {
    pub id: i32,
    pub file_name: String,
    /// `mapping` (waiting for the columns), `queued`, `running`, `done` or
    /// `failed`.
    pub state: String,
    pub rows_total: u32,
    pub rows_done: u32,
    /// Per-person rows are withheld: the summary is all there is.
    pub counts_only: bool,
    /// The sheet's columns, while a mapping is awaited.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub columns: Vec<SheetColumn>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mapping: Option<ColumnMapping>,
    /// Counts per outcome (`valid`, `expiring`, `expired`, `revoked`,
    /// `suspended`, `not_found`, `mismatch`, `invalid`) and `total`.
    #[serde(skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<Object>)]
    pub summary: Option<Summary>,
    /// Why it failed, as a message key.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub finished_at: Option<DateTime<FixedOffset>>,
}

impl TryFrom<BatchJobRow> for BatchJobView {
    type Error = BatchError;

    fn try_from(row: BatchJobRow) -> Result<Self, BatchError> {
        let corrupt = |what: &str, e: serde_json::Error| BatchError::Sealed(format!("job {}: {what}: {e}", row.id));
        let columns = if row.state == "mapping" {
            serde_json::from_str(&row.columns).map_err(|e| corrupt("columns", e))?
        } else {
            Vec::new()
        };
        let mapping = match &row.mapping {
            Some(m) => Some(serde_json::from_str::<Columns>(m).map_err(|e| corrupt("mapping", e))?.into()),
            None => None,
        };
        let summary = match &row.summary {
            Some(s) => Some(serde_json::from_str(s).map_err(|e| corrupt("summary", e))?),
            None => None,
        };
        Ok(Self {
            id: row.id,
            file_name: row.file_name,
            state: row.state,
            rows_total: u32::try_from(row.rows_total).unwrap_or(0),
            rows_done: u32::try_from(row.rows_done).unwrap_or(0),
            counts_only: row.counts_only,
            columns,
            mapping,
            summary,
            error: row.error,
            created_at: row.created_at,
            finished_at: row.finished_at,
        })
    }
}

/// A report file.
pub struct ReportFile {
    pub bytes: Vec<u8>,
    pub content_type: &'static str,
    pub file_name: String,
}

impl ReportFile {
    /// The `Content-Disposition` of a download: an ASCII name for old
    /// clients, the real one (RFC 6266 / 5987) for the rest.
    pub fn disposition(&self, id: i32) -> String {
        let extension = self.file_name.rsplit_once('.').map_or("", |(_, e)| e);
        format!(
            "attachment; filename=\"batch-{id}-report.{extension}\"; filename*=UTF-8''{}",
            safecert_notify::percent_encode(&self.file_name)
        )
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReportFormat {
    Xlsx,
    Csv,
}

/// A file name without its extension and without characters that would
/// break a download header.
fn stem(file_name: &str) -> String {
    let stem = file_name.rsplit_once('.').map_or(file_name, |(s, _)| s);
    let clean: String = stem.chars().filter(|c| !c.is_control() && !matches!(c, '"' | '\\' | '/')).take(80).collect();
    if clean.trim().is_empty() { "batch".to_owned() } else { clean }
}

impl Platform {
    /// Whether the caller may run batch verifications.
    pub fn may_upload_batches(&self, caller: &Caller) -> bool {
        self.identity.authorize(caller, Action::Upload, &Resource::new(ObjectKind::BatchVerification, &caller.tenant))
    }

    /// Reads an upload and files it as a job: queued when its headers say
    /// where the fields are, waiting for a mapping otherwise.
    pub async fn start_batch(
        &self,
        caller: &Caller,
        file_name: &str,
        bytes: Vec<u8>,
    ) -> Result<BatchJobView, BatchError> {
        if !self.may_upload_batches(caller) {
            return Err(BatchError::Forbidden);
        }
        let counts_only =
            !self.identity.authorize(caller, Action::Read, &Resource::new(ObjectKind::BatchRows, &caller.tenant));
        let rows = tokio::task::spawn_blocking(move || sheet::read_upload(&bytes))
            .await
            .map_err(|e| BatchError::Report(e.to_string()))??;
        let columns = Columns::recognize(&rows[0]);
        let shown: Vec<SheetColumn> = rows[0]
            .cells
            .iter()
            .enumerate()
            .map(|(i, h)| SheetColumn { letter: column_letters(i), header: h.clone() })
            .collect();
        let total = rows.len() - usize::from(columns.is_none_or(|c| c.header));
        let sealed = self.seal(INPUT_CONTEXT, &rows)?;
        let mapping =
            columns.map(|c| serde_json::to_string(&c)).transpose().map_err(|e| BatchError::Sealed(e.to_string()))?;
        let shown_json = serde_json::to_string(&shown).map_err(|e| BatchError::Sealed(e.to_string()))?;
        let id = self
            .store
            .databases()
            .insert_batch_job(NewBatchJob {
                account_id: caller.account_id,
                tenant: &caller.tenant,
                file_name,
                state: if columns.is_some() { "queued" } else { "mapping" },
                rows_total: total as i32,
                columns: &shown_json,
                mapping: mapping.as_deref(),
                counts_only,
                input: sealed,
            })
            .await
            .map_err(StorageError::from)?;
        if columns.is_some() {
            self.enqueue_batch(id);
        }
        self.batch_job(caller, id).await
    }

    /// The columns of a job that waits for them; queues it.
    pub async fn map_batch(
        &self,
        caller: &Caller,
        id: i32,
        mapping: &ColumnMapping,
    ) -> Result<BatchJobView, BatchError> {
        let job = self.owned_job(caller, id).await?;
        if job.state != "mapping" {
            return Err(BatchError::NotWaiting);
        }
        let rows = self.input_rows(id).await?;
        let width = rows.iter().map(|r| r.cells.len()).max().unwrap_or(0);
        let columns = Columns::from_letters(
            &mapping.cert_no,
            &mapping.name,
            mapping.id_number.as_deref(),
            mapping.header,
            width,
        )?;
        let total = rows.len() - usize::from(columns.header);
        let json = serde_json::to_string(&columns).map_err(|e| BatchError::Sealed(e.to_string()))?;
        if !self.store.databases().map_batch_job(id, &json, total as i32).await? {
            return Err(BatchError::NotWaiting);
        }
        self.enqueue_batch(id);
        self.batch_job(caller, id).await
    }

    async fn owned_job(&self, caller: &Caller, id: i32) -> Result<BatchJobRow, BatchError> {
        self.store.databases().batch_job(id, Some(caller.account_id)).await?.ok_or(BatchError::NotFound)
    }

    /// One of the caller's jobs.
    pub async fn batch_job(&self, caller: &Caller, id: i32) -> Result<BatchJobView, BatchError> {
        self.owned_job(caller, id).await?.try_into()
    }

    /// The caller's newest jobs.
    pub async fn batch_jobs(&self, caller: &Caller) -> Result<Vec<BatchJobView>, BatchError> {
        let rows = self.store.databases().batch_jobs(caller.account_id, 50).await?;
        rows.into_iter().map(BatchJobView::try_from).collect()
    }

    /// A finished job's report: the summary, and the rows unless the
    /// caller gets counts only (then only the rows that could not be read,
    /// which say nothing about anyone).
    pub async fn batch_report(
        &self,
        caller: &Caller,
        id: i32,
        format: ReportFormat,
        labels: &dyn Labels,
        locale: safecert_domain::Locale,
    ) -> Result<ReportFile, BatchError> {
        let job = self.owned_job(caller, id).await?;
        let view = BatchJobView::try_from(job.clone())?;
        let (Some(summary), "done") = (&view.summary, job.state.as_str()) else {
            return Err(BatchError::NotReady);
        };
        let sealed = self.store.databases().batch_job_results(id).await?.ok_or(BatchError::NotReady)?;
        let rows: Vec<RowResult> = self.open(RESULTS_CONTEXT, &sealed)?;
        let provinces =
            self.tenants.all().iter().map(|t| (t.slug.to_string(), t.names.get(locale).to_owned())).collect();
        let texts = report::Texts::new(labels, provinces);
        let name = stem(&job.file_name);
        let (summary, counts_only) = (summary.clone(), job.counts_only);
        // Drawing 50,000 rows takes a while: not on a thread that answers requests.
        let drawn = tokio::task::spawn_blocking(move || match format {
            ReportFormat::Xlsx => report::xlsx(&summary, &rows, counts_only, &texts).map_err(|e| e.to_string()),
            ReportFormat::Csv => report::csv(&summary, &rows, counts_only, &texts).map_err(|e| e.to_string()),
        })
        .await
        .map_err(|e| BatchError::Report(e.to_string()))?
        .map_err(BatchError::Report)?;
        Ok(match format {
            ReportFormat::Xlsx => ReportFile {
                bytes: drawn,
                content_type: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
                file_name: format!("{name}-report.xlsx"),
            },
            ReportFormat::Csv => ReportFile {
                bytes: drawn,
                content_type: "text/csv; charset=utf-8",
                file_name: format!("{name}-report.csv"),
            },
        })
    }

    /// Compressed, then encrypted: a batch's rows are personal data, and
    /// compressed they take a fifth of the room (and of the memory on the
    /// way to the database).
    fn seal<T: Serialize>(&self, context: &str, value: &T) -> Result<Vec<u8>, BatchError> {
        let sealed = |e: String| BatchError::Sealed(e);
        let mut encoder = ZlibEncoder::new(Vec::new(), Compression::fast());
        serde_json::to_writer(&mut encoder, value).map_err(|e| sealed(e.to_string()))?;
        let packed = encoder.finish().map_err(|e| sealed(e.to_string()))?;
        self.store.cipher().encrypt_bytes(context, &packed).map_err(|e| sealed(e.to_string()))
    }

    fn open<T: for<'de> Deserialize<'de>>(&self, context: &str, sealed: &[u8]) -> Result<T, BatchError> {
        let packed =
            self.store.cipher().decrypt_bytes(context, sealed).map_err(|e| BatchError::Sealed(e.to_string()))?;
        serde_json::from_reader(ZlibDecoder::new(packed.as_slice())).map_err(|e| BatchError::Sealed(e.to_string()))
    }

    async fn input_rows(&self, id: i32) -> Result<Vec<SheetRow>, BatchError> {
        let sealed = self.store.databases().batch_job_input(id).await?.ok_or(BatchError::NotFound)?;
        self.open(INPUT_CONTEXT, &sealed)
    }

    fn enqueue_batch(&self, id: i32) {
        // The receiver lives as long as the platform; a send can only fail
        // during shutdown, and the job is picked up again at the next start.
        let _ = self.batch_queue.tx.send(id);
    }

    /// Works through queued jobs one at a time, after queuing the jobs a
    /// stop left unfinished. Call once, inside the runtime.
    pub(crate) async fn run_batches(self: Arc<Self>) {
        let Some(mut rx) = self.batch_queue.rx.lock().unwrap_or_else(|p| p.into_inner()).take() else {
            return;
        };
        match self.store.databases().unfinished_batch_jobs().await {
            Ok(ids) => ids.into_iter().for_each(|id| self.enqueue_batch(id)),
            Err(e) => tracing::warn!(error = %e, "cannot read unfinished batch verifications"),
        }
        while let Some(id) = rx.recv().await {
            if let Err(e) = self.run_batch(id).await {
                tracing::warn!(job = id, error = %e, "batch verification failed");
                if let Err(e) = self.store.databases().fail_batch_job(id, "batch-failed").await {
                    tracing::warn!(job = id, error = %e, "cannot mark the batch verification failed");
                }
            }
        }
    }

    async fn run_batch(&self, id: i32) -> Result<(), BatchError> {
        let dbs = self.store.databases();
        if !dbs.start_batch_job(id).await? {
            return Ok(());
        }
        let job = dbs.batch_job(id, None).await?.ok_or(BatchError::NotFound)?;
        let columns: Columns = serde_json::from_str(job.mapping.as_deref().unwrap_or_default())
            .map_err(|e| BatchError::Sealed(format!("job {id}: mapping: {e}")))?;
        let input = self.input_rows(id).await?;
        let rows = &input[usize::from(columns.header).min(input.len())..];
        let today = self.today();
        let mut results = Vec::with_capacity(rows.len());
        for chunk in rows.chunks(check::CHUNK) {
            results.extend(self.check_rows(chunk, &columns, today).await?);
            dbs.batch_job_progress(id, results.len() as i32).await?;
        }
        let checked = rows.len() as i32;
        drop(input);
        let summary = report::summarize(&results);
        if job.counts_only {
            results.retain(|r| r.outcome == Outcome::Invalid);
        }
        let sealed = self.seal(RESULTS_CONTEXT, &results)?;
        let summary = serde_json::to_string(&summary).map_err(|e| BatchError::Sealed(e.to_string()))?;
        dbs.finish_batch_job(id, checked, &summary, sealed).await?;
        Ok(())
    }
}
