//! The way back from a release: every migration can be undone, one at a
//! time, newest first, and done again, on the backend the suite runs on.
//! A `down` that no test runs would first be tried on the day it is
//! needed.

use safecert_migrations::{MigratorTrait, PlatformMigrator, TenantMigrator};
use safecert_tests::{create_database, drop_database, postgres_admin_url, random_suffix};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// The schemas as the service names them: tenant tables use a function of
/// the platform's schema, which is therefore migrated first.
const PLATFORM: &str = "platform";
const TENANT: &str = "tenant_gd";

/// Where a database of one test lives, removed when the test ends,
/// whether it passed or not.
enum Place {
    SqliteFile(std::path::PathBuf),
    /// The server's admin URL and the database's name.
    Postgres(String, String),
}

impl Drop for Place {
    fn drop(&mut self) {
        match self {
            Place::SqliteFile(file) => {
                let _ = std::fs::remove_file(file);
            }
            Place::Postgres(admin, name) => drop_database(admin.clone(), name.clone()),
        }
    }
}

/// A database of its own: a new PostgreSQL database when the suite runs on
/// PostgreSQL, the migrator's tables in `schema`; else a new SQLite file.
struct MigrationDb {
    conn: DatabaseConnection,
    schema: &'static str,
    place: Place,
}

/// One connection whose tables and functions land in `schema`.
async fn on_schema(url: &str, schema: &str) -> DatabaseConnection {
    let setup = Database::connect(url).await.unwrap();
    setup.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS {schema}")).await.unwrap();
    setup.close().await.unwrap();
    let mut options = ConnectOptions::new(url);
    options.set_schema_search_path(schema).max_connections(1);
    Database::connect(options).await.unwrap()
}

impl MigrationDb {
    async fn open(schema: &'static str) -> Self {
        let Some(admin) = postgres_admin_url() else {
            let file = std::env::temp_dir().join(format!("safecert-migrations-{}.sqlite", random_suffix()));
            let conn = Database::connect(format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
            return Self { conn, schema, place: Place::SqliteFile(file) };
        };
        let (url, name) = create_database(&admin).await;
        let place = Place::Postgres(admin, name);
        if schema != PLATFORM {
            let platform = on_schema(&url, PLATFORM).await;
            PlatformMigrator::up(&platform, None).await.unwrap();
            platform.close().await.unwrap();
        }
        let conn = on_schema(&url, schema).await;
        Self { conn, schema, place }
    }

    /// Every column (with its type), index (with its definition) and, on
    /// PostgreSQL, function of the schema, sorted; the migrator's own
    /// bookkeeping left out.
    async fn shape(&self) -> Vec<String> {
        let schema = self.schema;
        let sql = match self.place {
            Place::Postgres(..) => format!(
                "SELECT 'column ' || table_name || '.' || column_name || ' ' || data_type || ' ' || is_nullable AS item \
                 FROM information_schema.columns WHERE table_schema = '{schema}' \
                 UNION ALL SELECT 'index ' || indexdef FROM pg_indexes WHERE schemaname = '{schema}' \
                 UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = '{schema}'::regnamespace \
                 ORDER BY 1"
            ),
            Place::SqliteFile(_) => {
                "SELECT 'column ' || m.name || '.' || c.name || ' ' || c.type || ' ' || c.\"notnull\" AS item \
                     FROM sqlite_master m JOIN pragma_table_info(m.name) c WHERE m.type = 'table' \
                     UNION ALL SELECT 'index ' || coalesce(sql, name) FROM sqlite_master WHERE type = 'index' \
                     ORDER BY 1"
                    .to_owned()
            }
        };
        let rows =
            self.conn.query_all_raw(Statement::from_string(self.conn.get_database_backend(), sql)).await.unwrap();
        rows.iter()
            .map(|row| row.try_get::<String>("", "item").unwrap())
            .filter(|item| !item.contains("seaql_migrations") && !item.contains("sqlite_"))
            .collect()
    }
}

/// Each migration in turn, noting the shape after it; then each undone,
/// newest first: the shape goes back to what it was before that
/// migration. Then all of them again, to the same shape as the first time.
async fn undo_and_redo<M: MigratorTrait>(schema: &'static str, must_create: &str) {
    let db = MigrationDb::open(schema).await;
    let count = M::migrations().len();
    let mut shapes = vec![db.shape().await];
    for _ in 0..count {
        M::up(&db.conn, Some(1)).await.unwrap();
        shapes.push(db.shape().await);
    }
    let built = shapes.last().cloned().unwrap_or_default();
    assert!(built.iter().any(|item| item.starts_with(must_create)), "{must_create} in {built:?}");

    for step in (0..count).rev() {
        M::down(&db.conn, Some(1)).await.unwrap();
        let name = M::migrations()[step].name().to_owned();
        assert_eq!(db.shape().await, shapes[step], "undoing {name} leaves what was there before it");
    }
    assert!(M::get_applied_migrations(&db.conn).await.unwrap().is_empty());

    M::up(&db.conn, None).await.unwrap();
    assert_eq!(db.shape().await, built, "doing them all again builds the same");
    assert!(M::get_pending_migrations(&db.conn).await.unwrap().is_empty());
    db.conn.close().await.unwrap();
}

#[tokio::test]
async fn every_platform_migration_can_be_undone_and_done_again() {
    undo_and_redo::<PlatformMigrator>(PLATFORM, "column tenants.").await;
}

#[tokio::test]
async fn every_tenant_migration_can_be_undone_and_done_again() {
    undo_and_redo::<TenantMigrator>(TENANT, "column certificates.").await;
}
