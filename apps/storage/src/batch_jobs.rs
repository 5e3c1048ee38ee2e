//! Batch verification jobs: what was uploaded (sealed), how far checking
//! got, and the results (sealed).

use chrono::{DateTime, FixedOffset};
use sea_orm::{
    ConnectionTrait, DeriveIden, FromQueryResult,
    sea_query::{Expr, ExprTrait, Order, Query},
};

use crate::{
    Databases, InsertError, StorageError,
    accounts::{insert_returning_id, now},
    queries::clip,
};

#[derive(DeriveIden, Clone, Copy)]
enum BatchJobs {
    Table,
    Id,
    AccountId,
    TenantSlug,
    FileName,
    State,
    RowsTotal,
    RowsDone,
    Columns,
    Mapping,
    CountsOnly,
    Summary,
    Error,
    Input,
    Results,
    CreatedAt,
    UpdatedAt,
    FinishedAt,
}

/// A job as its owner follows it (without the sealed rows).
#[derive(Clone, Debug, FromQueryResult)]
pub struct BatchJobRow {
    pub id: i32,
    pub account_id: i32,
    pub tenant_slug: String,
    pub file_name: String,
    /// `mapping`, `queued`, `running`, `done` or `failed`.
    pub state: String,
    pub rows_total: i32,
    pub rows_done: i32,
    /// The header row as found, JSON.
    pub columns: String,
    /// Which column holds what, JSON; none until known.
    pub mapping: Option<String>,
    pub counts_only: bool,
    /// Counts per outcome, JSON; set when done.
    pub summary: Option<String>,
    pub error: Option<String>,
    pub created_at: DateTime<FixedOffset>,
    pub updated_at: DateTime<FixedOffset>,
    pub finished_at: Option<DateTime<FixedOffset>>,
}

const JOB_COLUMNS: [BatchJobs; 15] = [
    BatchJobs::Id,
    BatchJobs::AccountId,
    BatchJobs::TenantSlug,
    BatchJobs::FileName,
    BatchJobs::State,
    BatchJobs::RowsTotal,
    BatchJobs::RowsDone,
    BatchJobs::Columns,
    BatchJobs::Mapping,
    BatchJobs::CountsOnly,
    BatchJobs::Summary,
    BatchJobs::Error,
    BatchJobs::CreatedAt,
    BatchJobs::UpdatedAt,
    BatchJobs::FinishedAt,
];

/// A job as uploaded.
pub struct NewBatchJob<'a> {
    pub account_id: i32,
    pub tenant: &'a str,
    pub file_name: &'a str,
    pub state: &'a str,
    pub rows_total: i32,
    pub columns: &'a str,
    pub mapping: Option<&'a str>,
    pub counts_only: bool,
    /// The rows, sealed.
    pub input: Vec<u8>,
}

impl Databases {
    pub async fn insert_batch_job(&self, job: NewBatchJob<'_>) -> Result<i32, InsertError> {
        let p = self.platform();
        let at = now();
        let insert = Query::insert()
            .into_table(p.table(BatchJobs::Table))
            .columns([
                BatchJobs::AccountId,
                BatchJobs::TenantSlug,
                BatchJobs::FileName,
                BatchJobs::State,
                BatchJobs::RowsTotal,
                BatchJobs::RowsDone,
                BatchJobs::Columns,
                BatchJobs::Mapping,
                BatchJobs::CountsOnly,
                BatchJobs::Input,
                BatchJobs::CreatedAt,
                BatchJobs::UpdatedAt,
            ])
            .values_panic([
                job.account_id.into(),
                job.tenant.into(),
                clip(job.file_name, 255).into(),
                job.state.into(),
                job.rows_total.into(),
                0.into(),
                job.columns.into(),
                job.mapping.map(str::to_owned).into(),
                job.counts_only.into(),
                job.input.into(),
                at.into(),
                at.into(),
            ])
            .to_owned();
        insert_returning_id(&p.conn, insert, BatchJobs::Id).await
    }

    /// One job; with `owner`, only if that account owns it.
    pub async fn batch_job(&self, id: i32, owner: Option<i32>) -> Result<Option<BatchJobRow>, StorageError> {
        let p = self.platform();
        let mut stmt = Query::select()
            .columns(JOB_COLUMNS)
            .from(p.table(BatchJobs::Table))
            .and_where(Expr::col(BatchJobs::Id).eq(id))
            .to_owned();
        if let Some(owner) = owner {
            stmt.and_where(Expr::col(BatchJobs::AccountId).eq(owner));
        }
        Ok(BatchJobRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).one(&p.conn).await?)
    }

    /// An account's newest jobs.
    pub async fn batch_jobs(&self, owner: i32, limit: u64) -> Result<Vec<BatchJobRow>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .columns(JOB_COLUMNS)
            .from(p.table(BatchJobs::Table))
            .and_where(Expr::col(BatchJobs::AccountId).eq(owner))
            .order_by(BatchJobs::Id, Order::Desc)
            .limit(limit)
            .to_owned();
        Ok(BatchJobRow::find_by_statement(p.conn.get_database_backend().build(&stmt)).all(&p.conn).await?)
    }

    /// Jobs a stop of the server left queued or running.
    pub async fn unfinished_batch_jobs(&self) -> Result<Vec<i32>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .column(BatchJobs::Id)
            .from(p.table(BatchJobs::Table))
            .and_where(Expr::col(BatchJobs::State).is_in(["queued", "running"]))
            .order_by(BatchJobs::Id, Order::Asc)
            .to_owned();
        let rows = p.conn.query_all(&stmt).await?;
        rows.iter().map(|r| r.try_get::<i32>("", "id").map_err(StorageError::from)).collect()
    }

    async fn sealed(&self, id: i32, column: BatchJobs) -> Result<Option<Vec<u8>>, StorageError> {
        let p = self.platform();
        let stmt = Query::select()
            .expr_as(Expr::col(column), "sealed")
            .from(p.table(BatchJobs::Table))
            .and_where(Expr::col(BatchJobs::Id).eq(id))
            .to_owned();
        match p.conn.query_one(&stmt).await? {
            Some(row) => Ok(row.try_get::<Option<Vec<u8>>>("", "sealed")?),
            None => Ok(None),
        }
    }

    /// The sealed rows of a job.
    pub async fn batch_job_input(&self, id: i32) -> Result<Option<Vec<u8>>, StorageError> {
        self.sealed(id, BatchJobs::Input).await
    }

    /// The sealed results of a finished job.
    pub async fn batch_job_results(&self, id: i32) -> Result<Option<Vec<u8>>, StorageError> {
        self.sealed(id, BatchJobs::Results).await
    }

    async fn update_job(
        &self,
        id: i32,
        only_in: &[&str],
        values: Vec<(BatchJobs, sea_orm::sea_query::SimpleExpr)>,
    ) -> Result<bool, StorageError> {
        let p = self.platform();
        let mut stmt = Query::update();
        stmt.table(p.table(BatchJobs::Table)).value(BatchJobs::UpdatedAt, now());
        for (column, value) in values {
            stmt.value(column, value);
        }
        stmt.and_where(Expr::col(BatchJobs::Id).eq(id));
        if !only_in.is_empty() {
            stmt.and_where(Expr::col(BatchJobs::State).is_in(only_in.iter().copied()));
        }
        Ok(p.conn.execute(&stmt).await?.rows_affected() > 0)
    }

    /// The column mapping of a job that waited for one; queues it. False
    /// when the job was not waiting.
    pub async fn map_batch_job(&self, id: i32, mapping: &str, rows_total: i32) -> Result<bool, StorageError> {
        self.update_job(
            id,
            &["mapping"],
            vec![
                (BatchJobs::Mapping, mapping.into()),
                (BatchJobs::RowsTotal, rows_total.into()),
                (BatchJobs::State, "queued".into()),
            ],
        )
        .await
    }

    /// Marks a job running, from the start.
    pub async fn start_batch_job(&self, id: i32) -> Result<bool, StorageError> {
        self.update_job(
            id,
            &["queued", "running"],
            vec![(BatchJobs::State, "running".into()), (BatchJobs::RowsDone, 0.into())],
        )
        .await
    }

    pub async fn batch_job_progress(&self, id: i32, rows_done: i32) -> Result<(), StorageError> {
        self.update_job(id, &["running"], vec![(BatchJobs::RowsDone, rows_done.into())]).await.map(drop)
    }

    pub async fn finish_batch_job(
        &self,
        id: i32,
        rows_done: i32,
        summary: &str,
        results: Vec<u8>,
    ) -> Result<(), StorageError> {
        self.update_job(
            id,
            &["running"],
            vec![
                (BatchJobs::State, "done".into()),
                (BatchJobs::RowsDone, rows_done.into()),
                (BatchJobs::Summary, summary.into()),
                (BatchJobs::Results, results.into()),
                (BatchJobs::FinishedAt, now().into()),
            ],
        )
        .await
        .map(drop)
    }

    /// Marks a job failed, saying why (a message key, never personal data).
    pub async fn fail_batch_job(&self, id: i32, error: &str) -> Result<(), StorageError> {
        self.update_job(
            id,
            &[],
            vec![
                (BatchJobs::State, "failed".into()),
                (BatchJobs::Error, clip(error, 255).into()),
                (BatchJobs::FinishedAt, now().into()),
            ],
        )
        .await
        .map(drop)
    }
}
