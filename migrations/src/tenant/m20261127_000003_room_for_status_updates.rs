use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

/// Leaves a tenth of each table page free on PostgreSQL, so that the
/// nightly scan's status updates stay on the same page (HOT updates: no
/// index writes, the status column being unindexed).
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("ALTER TABLE certificates SET (fillfactor = 90)").await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("ALTER TABLE certificates RESET (fillfactor)").await?;
        }
        Ok(())
    }
}
