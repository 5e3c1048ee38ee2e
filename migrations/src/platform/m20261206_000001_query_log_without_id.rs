use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

use super::{m20261128_000001_identity::index, m20261128_000005_queries::QueryLog};

/// PostgreSQL: the query log loses its `id` column, with the primary key
/// and the sequence behind it. Nothing reads or refers to an entry by its
/// id: a history is listed by account and time. Each row written paid for
/// a sequence number and for two indexes; now it pays for one, by account
/// and time, which is about half of what PostgreSQL spends on the log.
/// SQLite keeps the column: there it is the rowid every table has anyway,
/// and costs nothing of its own.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        // Dropping the column drops the key, the sequence it owned and the
        // index that held it (`query_log_account_at`).
        manager.alter_table(Table::alter().table(QueryLog::Table).drop_column(QueryLog::Id).to_owned()).await?;
        index(manager, "query_log_account_at", QueryLog::Table, &["account_id", "at"], false).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() != DatabaseBackend::Postgres {
            return Ok(());
        }
        manager.drop_index(Index::drop().name("query_log_account_at").table(QueryLog::Table).to_owned()).await?;
        manager
            .alter_table(
                Table::alter()
                    .table(QueryLog::Table)
                    .add_column(ColumnDef::new(QueryLog::Id).big_integer().not_null().auto_increment().primary_key())
                    .to_owned(),
            )
            .await?;
        index(manager, "query_log_account_at", QueryLog::Table, &["account_id", "at", "id"], false).await
    }
}
