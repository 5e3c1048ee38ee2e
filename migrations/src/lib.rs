//! Database migrations: one migrator for the platform schema (or file) and
//! one for every tenant schema (or file). Each keeps its own
//! `seaql_migrations` table inside the schema it migrates.

pub use sea_orm_migration::MigratorTrait;
use sea_orm_migration::prelude::*;

mod platform;
mod tenant;

/// Tables shared by the whole platform: the tenant registry and the
/// national certificate directory.
pub struct PlatformMigrator;

impl MigratorTrait for PlatformMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(platform::m20261127_000001_tenants_and_directory::Migration),
            Box::new(platform::m20261127_000002_directory_public_fields::Migration),
            Box::new(platform::m20261127_000003_rules::Migration),
            Box::new(platform::m20261128_000001_identity::Migration),
            Box::new(platform::m20261128_000002_region_access_and_audit::Migration),
            Box::new(platform::m20261128_000003_clients_and_institutions::Migration),
            Box::new(platform::m20261128_000004_name_variants::Migration),
            Box::new(platform::m20261128_000005_queries::Migration),
            Box::new(platform::m20261128_000006_private_queries::Migration),
            Box::new(platform::m20261128_000007_batch_jobs::Migration),
            Box::new(platform::m20261128_000008_issued_reports::Migration),
            Box::new(platform::m20261129_000001_query_log_by_time::Migration),
            Box::new(platform::m20261206_000001_query_log_without_id::Migration),
        ]
    }
}

/// Tables of one province: its certificates.
pub struct TenantMigrator;

impl MigratorTrait for TenantMigrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        vec![
            Box::new(tenant::m20261127_000001_certificates::Migration),
            Box::new(tenant::m20261127_000002_review_and_status::Migration),
            Box::new(tenant::m20261127_000003_room_for_status_updates::Migration),
            Box::new(tenant::m20261128_000004_search_indexes::Migration),
            Box::new(tenant::m20261128_000005_review_history::Migration),
        ]
    }
}
