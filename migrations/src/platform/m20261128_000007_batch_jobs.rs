use sea_orm_migration::{prelude::*, schema::*};

use super::m20261128_000001_identity::index;

/// Batch verifications: a spreadsheet an account uploaded, checked row by
/// row in the background. The rows and the results are personal data and
/// are stored encrypted; a job left unfinished by a restart is picked up
/// again at start.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
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

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .create_table(
                Table::create()
                    .table(BatchJobs::Table)
                    .col(pk_auto(BatchJobs::Id))
                    .col(integer(BatchJobs::AccountId))
                    .col(string_len(BatchJobs::TenantSlug, 16))
                    .col(string_len(BatchJobs::FileName, 255))
                    .col(string_len(BatchJobs::State, 16))
                    .col(integer(BatchJobs::RowsTotal))
                    .col(integer(BatchJobs::RowsDone))
                    .col(text(BatchJobs::Columns))
                    .col(text_null(BatchJobs::Mapping))
                    .col(boolean(BatchJobs::CountsOnly))
                    .col(text_null(BatchJobs::Summary))
                    .col(string_len_null(BatchJobs::Error, 255))
                    .col(blob(BatchJobs::Input))
                    .col(blob_null(BatchJobs::Results))
                    .col(timestamp_with_time_zone(BatchJobs::CreatedAt))
                    .col(timestamp_with_time_zone(BatchJobs::UpdatedAt))
                    .col(timestamp_with_time_zone_null(BatchJobs::FinishedAt))
                    .to_owned(),
            )
            .await?;
        index(manager, "batch_jobs_account", BatchJobs::Table, &["account_id", "id"], false).await?;
        index(manager, "batch_jobs_state", BatchJobs::Table, &["state"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager.drop_table(Table::drop().table(BatchJobs::Table).to_owned()).await
    }
}
