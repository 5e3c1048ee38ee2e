//! The way back from a release: every migration can be undone, newest
//! first, and done again, on the backend the suite runs on. A `down` that
//! no test runs would first be tried on the day it is needed.

use safecert_migrations::{MigratorTrait, PlatformMigrator, TenantMigrator};
use sea_orm::{ConnectOptions, ConnectionTrait, Database, DatabaseConnection, Statement};

/// The schemas as the service names them: tenant tables use a function of
/// the platform's schema, which is therefore migrated first.
const PLATFORM: &str = "platform";
const TENANT: &str = "tenant_gd";

/// A database of its own: a new PostgreSQL database when the suite runs on
/// PostgreSQL, the migrator's tables in `schema`; else a new SQLite file.
struct Scratch {
    conn: DatabaseConnection,
    schema: &'static str,
    /// PostgreSQL: the server's admin URL and the database to drop.
    postgres: Option<(String, String)>,
}

fn suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
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

impl Scratch {
    async fn open(schema: &'static str) -> Self {
        let admin = std::env::var("SAFECERT_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty());
        let Some(admin) = admin else {
            let file = std::env::temp_dir().join(format!("safecert-migrations-{}.sqlite", suffix()));
            let conn = Database::connect(format!("sqlite://{}?mode=rwc", file.display())).await.unwrap();
            return Self { conn, schema, postgres: None };
        };
        let name = format!("safecert_migrations_{}", suffix());
        let server = Database::connect(admin.as_str()).await.unwrap();
        server.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
        server.close().await.unwrap();
        let base = admin.rsplit_once('/').map_or(admin.as_str(), |(base, _)| base);
        let url = format!("{base}/{name}");
        if schema != PLATFORM {
            let platform = on_schema(&url, PLATFORM).await;
            PlatformMigrator::up(&platform, None).await.unwrap();
            platform.close().await.unwrap();
        }
        let conn = on_schema(&url, schema).await;
        Self { conn, schema, postgres: Some((admin, name)) }
    }

    /// Tables, indexes and (PostgreSQL) functions, as `table name`,
    /// `index name`, `function name`, sorted.
    async fn objects(&self) -> Vec<String> {
        let schema = self.schema;
        let sql = match self.postgres {
            Some(_) => format!(
                "SELECT 'table ' || table_name AS object FROM information_schema.tables WHERE table_schema = '{schema}' \
                 UNION ALL SELECT 'index ' || indexname FROM pg_indexes WHERE schemaname = '{schema}' \
                 UNION ALL SELECT 'function ' || proname FROM pg_proc WHERE pronamespace = '{schema}'::regnamespace \
                 ORDER BY 1"
            ),
            None => "SELECT type || ' ' || name AS object FROM sqlite_master \
                     WHERE type IN ('table', 'index') AND name NOT LIKE 'sqlite_%' ORDER BY 1"
                .to_owned(),
        };
        let rows =
            self.conn.query_all_raw(Statement::from_string(self.conn.get_database_backend(), sql)).await.unwrap();
        rows.iter().map(|row| row.try_get::<String>("", "object").unwrap()).collect()
    }

    async fn close(self) {
        self.conn.close().await.unwrap();
        if let Some((admin, name)) = self.postgres {
            let server = Database::connect(admin.as_str()).await.unwrap();
            server.execute_unprepared(&format!("DROP DATABASE {name} WITH (FORCE)")).await.unwrap();
            server.close().await.unwrap();
        }
    }
}

/// Up, all the way down, up again: down leaves nothing but the migrator's
/// own bookkeeping, and up again builds what the first up built.
async fn undo_and_redo<M: MigratorTrait>(schema: &'static str, must_create: &str) {
    let db = Scratch::open(schema).await;
    M::up(&db.conn, None).await.unwrap();
    let built = db.objects().await;
    assert!(built.iter().any(|o| o == must_create), "{must_create} in {built:?}");

    M::down(&db.conn, None).await.unwrap();
    let left = db.objects().await;
    assert!(left.iter().all(|o| o.contains("seaql_migrations")), "down left {left:?}");
    assert!(M::get_applied_migrations(&db.conn).await.unwrap().is_empty());

    M::up(&db.conn, None).await.unwrap();
    assert_eq!(db.objects().await, built, "up again builds the same tables and indexes");
    assert!(M::get_pending_migrations(&db.conn).await.unwrap().is_empty());
    db.close().await;
}

#[tokio::test]
async fn every_platform_migration_can_be_undone_and_done_again() {
    undo_and_redo::<PlatformMigrator>(PLATFORM, "table tenants").await;
}

#[tokio::test]
async fn every_tenant_migration_can_be_undone_and_done_again() {
    undo_and_redo::<TenantMigrator>(TENANT, "table certificates").await;
}
