use sea_orm_migration::prelude::*;

use super::m20261128_000001_identity::index;

/// An account's history is listed by when each query was asked: the log is
/// written in batches, two at a time, so a later batch can take lower ids.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[derive(DeriveIden)]
enum QueryLog {
    Table,
}

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "query_log_account_at", QueryLog::Table, &["account_id", "at", "id"], false).await?;
        manager.drop_index(Index::drop().name("query_log_account").table(QueryLog::Table).to_owned()).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        index(manager, "query_log_account", QueryLog::Table, &["account_id", "id"], false).await?;
        manager.drop_index(Index::drop().name("query_log_account_at").table(QueryLog::Table).to_owned()).await
    }
}
