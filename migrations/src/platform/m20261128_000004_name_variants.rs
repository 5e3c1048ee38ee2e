use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

/// PostgreSQL: `platform.name_variants(name)`, the name and the name with
/// each character left out in turn. Every tenant indexes its holders'
/// names by it (GIN), so a search tolerant of one wrong, missing or extra
/// character narrows its candidates through an index: two names within
/// one edit always share a variant.
#[derive(DeriveMigrationName)]
pub struct Migration;

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager
                .get_connection()
                .execute_unprepared(
                    "CREATE OR REPLACE FUNCTION platform.name_variants(n text) RETURNS text[] \
                     LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE AS $$ \
                       SELECT array_agg(DISTINCT v) FROM ( \
                         SELECT n AS v \
                         UNION ALL \
                         SELECT overlay(n placing '' from i for 1) FROM generate_series(1, char_length(n)) AS i \
                       ) AS variants \
                     $$",
                )
                .await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        if manager.get_database_backend() == DatabaseBackend::Postgres {
            manager.get_connection().execute_unprepared("DROP FUNCTION IF EXISTS platform.name_variants(text)").await?;
        }
        Ok(())
    }
}
