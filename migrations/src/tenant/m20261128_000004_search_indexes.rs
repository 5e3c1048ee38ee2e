use sea_orm_migration::{prelude::*, sea_orm::DatabaseBackend};

/// Indexes for certificate search: names within one edit (PostgreSQL: GIN
/// over `platform.name_variants`), and name and number prefixes for
/// autocomplete, in byte order (PostgreSQL: `COLLATE "C"`, whatever the
/// database's own collation, so `LIKE 'x%'` and the order both use it;
/// SQLite: `GLOB 'x*'` uses a plain index).
#[derive(DeriveMigrationName)]
pub struct Migration;

const PG_UP: [&str; 3] = [
    "CREATE INDEX IF NOT EXISTS idx_certificates_name_variants ON certificates \
     USING gin (platform.name_variants(holder_name))",
    "CREATE INDEX IF NOT EXISTS idx_certificates_name_prefix ON certificates ((holder_name COLLATE \"C\"))",
    "CREATE INDEX IF NOT EXISTS idx_certificates_cert_no_prefix ON certificates ((cert_no COLLATE \"C\"))",
];

const PG_DOWN: [&str; 3] = [
    "DROP INDEX IF EXISTS idx_certificates_name_variants",
    "DROP INDEX IF EXISTS idx_certificates_name_prefix",
    "DROP INDEX IF EXISTS idx_certificates_cert_no_prefix",
];

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &PG_UP,
            _ => &["CREATE INDEX IF NOT EXISTS idx_certificates_name ON certificates (holder_name)"],
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        let statements: &[&str] = match manager.get_database_backend() {
            DatabaseBackend::Postgres => &PG_DOWN,
            _ => &["DROP INDEX IF EXISTS idx_certificates_name"],
        };
        for sql in statements {
            manager.get_connection().execute_unprepared(sql).await?;
        }
        Ok(())
    }
}
