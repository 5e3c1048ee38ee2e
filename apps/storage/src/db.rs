//! Connections: PostgreSQL with a bounded set of pools shared by the platform
//! schema and every tenant schema (tables are schema-qualified per query),
//! or SQLite with one small pool per file.

use std::{
    collections::HashMap,
    path::{Path, PathBuf},
    sync::{
        Arc, RwLock,
        atomic::{AtomicBool, AtomicUsize, Ordering},
    },
    time::Duration,
};

use safecert_domain::TenantSlug;
use safecert_migrations::{MigratorTrait, PlatformMigrator, TenantMigrator};
use sea_orm::{
    ConnectOptions, ConnectionTrait, Database, DatabaseConnection, DbBackend,
    sea_query::{Alias, IntoIden, SchemaName, TableName, TableRef},
    sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqliteSynchronous},
};

use crate::{
    StorageError,
    read_connections::{ReadConnections, Reads},
};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Postgres,
    Sqlite,
}

#[derive(Clone, Debug)]
pub struct DbConfig {
    /// `postgres://…`, `sqlite://<directory>`, or `None` for SQLite files
    /// under `data_dir`.
    pub url: Option<String>,
    pub data_dir: PathBuf,
    /// PostgreSQL: the most connections this process opens, whatever the
    /// number of tenants. SQLite: connections per file.
    pub max_connections: u32,
    /// PostgreSQL: the connections are split over this many pools, one per
    /// worker thread, so threads do not contend for one pool.
    pub pools: u32,
}

impl DbConfig {
    pub fn backend(&self) -> Backend {
        match &self.url {
            Some(url) if url.starts_with("postgres://") || url.starts_with("postgresql://") => Backend::Postgres,
            _ => Backend::Sqlite,
        }
    }

    fn sqlite_dir(&self) -> PathBuf {
        match &self.url {
            Some(url) => PathBuf::from(url.trim_start_matches("sqlite://")),
            None => self.data_dir.clone(),
        }
    }
}

pub const PLATFORM_SCHEMA: &str = "platform";

static NEXT_SLOT: AtomicUsize = AtomicUsize::new(0);

/// A connection to one tenant's tables, or to the platform's.
#[derive(Clone)]
pub(crate) struct Scoped {
    pub conn: DatabaseConnection,
    /// Point reads of lookups: on PostgreSQL, connections apart from the
    /// pool (see [`ReadConnections`]).
    pub reads: Reads,
    schema: Option<String>,
}

impl Scoped {
    /// The table, qualified with the schema on PostgreSQL.
    pub fn table(&self, table: impl IntoIden) -> TableRef {
        let schema = self.schema.as_ref().map(|s| SchemaName(None, Alias::new(s).into_iden()));
        TableRef::Table(TableName(schema, table.into_iden()), None)
    }

    /// The table's name for hand-written SQL, quoted and qualified like
    /// [`Scoped::table`]. Schema and table names are ours, never input.
    pub fn qualified_name(&self, table: &str) -> String {
        match &self.schema {
            Some(schema) => format!("\"{schema}\".\"{table}\""),
            None => format!("\"{table}\""),
        }
    }
}

/// One worker thread's share of the PostgreSQL connections.
struct Slot {
    pool: DatabaseConnection,
    reads: Reads,
}

pub struct Databases {
    config: DbConfig,
    backend: Backend,
    platform: DatabaseConnection,
    /// PostgreSQL: the connections queries use, picked by thread (the
    /// first pool is `platform`). SQLite: empty.
    pg_slots: Vec<Slot>,
    /// PostgreSQL: the connections `pg_slots` may open.
    pg_connections: u32,
    sqlite_tenants: RwLock<HashMap<TenantSlug, DatabaseConnection>>,
    pg_tenants: RwLock<Vec<TenantSlug>>,
}

fn io_err(path: &Path) -> impl FnOnce(std::io::Error) -> StorageError + '_ {
    move |source| StorageError::DataDir { path: path.display().to_string(), source }
}

async fn connect_sqlite(file: &Path, max_connections: u32) -> Result<DatabaseConnection, StorageError> {
    let url = format!("sqlite://{}?mode=rwc", file.display());
    let mut opts = ConnectOptions::new(url);
    opts.max_connections(max_connections.clamp(1, 8))
        .min_connections(0)
        .test_before_acquire(false)
        .sqlx_logging(false)
        .map_sqlx_sqlite_opts(|o: SqliteConnectOptions| {
            o.journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
        });
    Ok(Database::connect(opts).await?)
}

/// Connections a background writer holds on PostgreSQL.
const BACKGROUND_WRITERS: usize = 2;
/// One more beside the writer's, for the polls that follow changes made on
/// other replicas: they never queue behind a slow write or behind requests.
const BACKGROUND_POLLS: usize = 1;

/// A PostgreSQL pool of at most `max` connections.
fn pg_options(url: &str, max: u32) -> ConnectOptions {
    let mut opts = ConnectOptions::new(url.to_owned());
    opts.max_connections(max.max(1))
        .min_connections(0)
        .acquire_timeout(Duration::from_secs(5))
        .connect_timeout(Duration::from_secs(5))
        .idle_timeout(Duration::from_secs(300))
        .sqlx_logging(false);
    opts
}

/// A PostgreSQL pool with all its connections open: opened now, side by
/// side, rather than when work first needs them. On a busy machine a new
/// connection (a server process started, TLS negotiated) can take seconds,
/// and work that waits for one then times out.
async fn open_pg(opts: ConnectOptions) -> Result<DatabaseConnection, StorageError> {
    let size = opts.get_max_connections().unwrap_or(1);
    let conn = Database::connect(opts).await?;
    let pool = conn.get_postgres_connection_pool();
    let opened = futures_util::future::try_join_all((0..size).map(|_| pool.acquire())).await;
    drop(opened.map_err(crate::read_connections::conn_err)?);
    Ok(conn)
}

/// The one connection migrations run on, closed when they are done. The
/// search path set on it must hold for every statement of a migration, as
/// must the advisory lock it takes, so it is never replaced while open: no
/// idle or lifetime limit, no ping that could swap it, and a second
/// connection is refused, which fails the migration instead of letting it
/// go on in the default schema.
async fn connect_pg_for_migrations(url: &str) -> Result<DatabaseConnection, StorageError> {
    let opened = Arc::new(AtomicBool::new(false));
    let mut opts = pg_options(url, 1);
    opts.idle_timeout(None).max_lifetime(None).test_before_acquire(false).map_sqlx_postgres_pool_opts(move |pool| {
        let opened = Arc::clone(&opened);
        pool.after_connect(move |_, _| {
            let again = opened.swap(true, Ordering::SeqCst);
            Box::pin(async move {
                if again {
                    return Err(sea_orm::sqlx::Error::Protocol(
                        "the migration connection was lost; run the migration again".into(),
                    ));
                }
                Ok(())
            })
        })
    });
    Ok(Database::connect(opts).await?)
}

/// A pool's share of connections split between the pool (`.0`) and reads
/// of their own (`.1`): half each, the reads' half rounded up, as long as
/// the pool keeps one.
fn split_connections(share: u32) -> (u32, u32) {
    let reading = if share < 2 { 0 } else { share.div_ceil(2) };
    (share - reading, reading)
}

/// Creates or upgrades PostgreSQL schemas (`true`: the platform's, else a
/// tenant's), one after another on one connection whose search path is
/// set to each in turn, so the migrator and its bookkeeping table land
/// there. A new connection costs about 0.1 s over TCP with TLS, which one per
/// schema made seconds at every start with 32 tenants. A session advisory
/// lock per schema keeps replicas that start together from migrating the
/// same schema at once.
async fn migrate_pg_schemas(url: &str, schemas: &[(&str, bool)]) -> Result<(), StorageError> {
    if schemas.is_empty() {
        return Ok(());
    }
    let conn = connect_pg_for_migrations(url).await?;
    let mut result = Ok(());
    for (schema, platform) in schemas {
        result = migrate_pg_schema(&conn, schema, *platform).await;
        if result.is_err() {
            break;
        }
    }
    // A failed migration says why, even if closing fails too.
    let closed = conn.close().await;
    result?;
    Ok(closed?)
}

async fn migrate_pg_schema(conn: &DatabaseConnection, schema: &str, platform: bool) -> Result<(), StorageError> {
    conn.execute_unprepared(&format!("CREATE SCHEMA IF NOT EXISTS \"{schema}\"")).await?;
    conn.execute_unprepared(&format!("SET search_path TO \"{schema}\"")).await?;
    let lock_key = format!("hashtext('safecert:migrate:{schema}')");
    conn.execute_unprepared(&format!("SELECT pg_advisory_lock({lock_key})")).await?;
    let result = if platform { PlatformMigrator::up(conn, None).await } else { TenantMigrator::up(conn, None).await };
    let _ = conn.execute_unprepared(&format!("SELECT pg_advisory_unlock({lock_key})")).await;
    Ok(result?)
}

impl Databases {
    /// Opens the platform database and migrates it. Tenants are opened
    /// (and migrated) with [`Databases::ensure_tenants`].
    pub async fn connect(config: DbConfig) -> Result<Self, StorageError> {
        let backend = config.backend();
        let mut pg_slots = Vec::new();
        let mut pg_connections = 0;
        let platform = match backend {
            Backend::Postgres => {
                let url = config.url.clone().unwrap_or_default();
                let count = config.pools.clamp(1, config.max_connections.max(1));
                let (pooled, reading) = split_connections((config.max_connections.max(1) / count).max(1));
                for _ in 0..count {
                    let pool = open_pg(pg_options(&url, pooled)).await?;
                    let reads = match reading {
                        0 => Reads::Pool(pool.clone()),
                        n => Reads::Own(std::sync::Arc::new(ReadConnections::open(&url, n as usize).await?)),
                    };
                    pg_slots.push(Slot { pool, reads });
                    pg_connections += pooled + reading;
                }
                let pool = pg_slots[0].pool.clone();
                migrate_pg_schemas(&url, &[(PLATFORM_SCHEMA, true)]).await?;
                pool
            }
            Backend::Sqlite => {
                let dir = config.sqlite_dir();
                std::fs::create_dir_all(dir.join("tenants")).map_err(io_err(&dir))?;
                let conn = connect_sqlite(&dir.join("platform.sqlite"), config.max_connections).await?;
                PlatformMigrator::up(&conn, None).await?;
                conn
            }
        };
        Ok(Self {
            config,
            backend,
            platform,
            pg_slots,
            pg_connections,
            sqlite_tenants: RwLock::default(),
            pg_tenants: RwLock::default(),
        })
    }

    /// Creates or upgrades the tenants' schemas (or files) and makes them
    /// available to queries; on PostgreSQL the schemas are migrated one
    /// after another on one connection.
    pub async fn ensure_tenants(&self, slugs: &[TenantSlug]) -> Result<(), StorageError> {
        match self.backend {
            Backend::Postgres => {
                let url = self.config.url.clone().unwrap_or_default();
                let schemas: Vec<String> = slugs.iter().map(TenantSlug::schema).collect();
                let each: Vec<(&str, bool)> = schemas.iter().map(|schema| (schema.as_str(), false)).collect();
                migrate_pg_schemas(&url, &each).await?;
                let mut known = self.pg_tenants.write().unwrap_or_else(|e| e.into_inner());
                for slug in slugs {
                    if !known.contains(slug) {
                        known.push(slug.clone());
                    }
                }
            }
            Backend::Sqlite => {
                for slug in slugs {
                    let file = self.config.sqlite_dir().join("tenants").join(format!("{slug}.sqlite"));
                    let conn = connect_sqlite(&file, self.config.max_connections).await?;
                    TenantMigrator::up(&conn, None).await?;
                    self.sqlite_tenants.write().unwrap_or_else(|e| e.into_inner()).insert(slug.clone(), conn);
                }
            }
        }
        Ok(())
    }

    /// This thread's PostgreSQL pool and read connections (threads are
    /// spread over the pools in the order they first ask).
    fn pool(&self) -> (&DatabaseConnection, Reads) {
        thread_local! {
            static SLOT: usize = NEXT_SLOT.fetch_add(1, Ordering::Relaxed);
        }
        let slot = SLOT.with(|s| *s);
        match self.pg_slots.get(slot % self.pg_slots.len().max(1)) {
            Some(Slot { pool, reads }) => (pool, reads.clone()),
            None => (&self.platform, Reads::Pool(self.platform.clone())),
        }
    }

    pub fn backend(&self) -> Backend {
        self.backend
    }

    /// How many writes a background writer may have in flight at once:
    /// PostgreSQL takes them side by side, each on its own connection;
    /// SQLite takes one writer at a time anyway.
    pub fn background_writers(&self) -> usize {
        match self.backend {
            Backend::Postgres => BACKGROUND_WRITERS,
            Backend::Sqlite => 1,
        }
    }

    /// Connections of their own to the platform tables, for background
    /// work that must not take connections from requests: the query-log
    /// writer and the polls for rule and grant changes (PostgreSQL:
    /// [`Databases::background_connections`] more connections; SQLite: the
    /// platform file's pool).
    pub async fn background_platform(&self) -> Result<Databases, StorageError> {
        let own = self.background_connections();
        let platform = match self.backend {
            Backend::Postgres => {
                // Kept open however long they rest: the writer's second
                // connection is wanted only when the log falls behind, which
                // is when the machine is busiest.
                let mut opts = pg_options(&self.config.url.clone().unwrap_or_default(), own);
                opts.idle_timeout(None);
                open_pg(opts).await?
            }
            Backend::Sqlite => self.platform.clone(),
        };
        Ok(Databases {
            config: self.config.clone(),
            backend: self.backend,
            platform,
            pg_slots: Vec::new(),
            pg_connections: own,
            sqlite_tenants: RwLock::default(),
            pg_tenants: RwLock::default(),
        })
    }

    /// The connections [`Databases::background_platform`] opens beyond
    /// [`Databases::connection_bound`] (none on SQLite, which shares the
    /// platform file's pool).
    pub fn background_connections(&self) -> u32 {
        match self.backend {
            Backend::Postgres => (BACKGROUND_WRITERS + BACKGROUND_POLLS) as u32,
            Backend::Sqlite => 0,
        }
    }

    pub(crate) fn platform(&self) -> Scoped {
        let schema = (self.backend == Backend::Postgres).then(|| PLATFORM_SCHEMA.to_owned());
        let (conn, reads) = self.pool();
        Scoped { conn: conn.clone(), reads, schema }
    }

    pub(crate) fn tenant(&self, slug: &TenantSlug) -> Result<Scoped, StorageError> {
        match self.backend {
            Backend::Postgres => {
                let known = self.pg_tenants.read().unwrap_or_else(|e| e.into_inner());
                if known.contains(slug) {
                    let (conn, reads) = self.pool();
                    Ok(Scoped { conn: conn.clone(), reads, schema: Some(slug.schema()) })
                } else {
                    Err(StorageError::UnknownTenant(slug.clone()))
                }
            }
            Backend::Sqlite => self
                .sqlite_tenants
                .read()
                .unwrap_or_else(|e| e.into_inner())
                .get(slug)
                .map(|conn| Scoped { conn: conn.clone(), reads: Reads::Pool(conn.clone()), schema: None })
                .ok_or_else(|| StorageError::UnknownTenant(slug.clone())),
        }
    }

    /// True when the tenant's storage is open here.
    pub fn has_tenant(&self, slug: &TenantSlug) -> bool {
        self.tenant(slug).is_ok()
    }

    /// A trivial query on the platform database, for readiness checks.
    pub async fn ping(&self) -> Result<(), StorageError> {
        let backend: DbBackend = self.platform.get_database_backend();
        self.platform.execute_raw(sea_orm::Statement::from_string(backend, "SELECT 1")).await?;
        Ok(())
    }

    /// The most database connections this process may open.
    pub fn connection_bound(&self) -> u32 {
        match self.backend {
            Backend::Postgres => self.pg_connections + 1,
            Backend::Sqlite => {
                let files = 1 + self.sqlite_tenants.read().map(|t| t.len()).unwrap_or(0) as u32;
                files * self.config.max_connections.clamp(1, 8)
            }
        }
    }

    pub async fn close(&self) {
        // On PostgreSQL `platform` is the first slot's pool.
        if self.pg_slots.is_empty() {
            let _ = self.platform.clone().close().await;
        }
        for slot in &self.pg_slots {
            slot.reads.close().await;
            let _ = slot.pool.clone().close().await;
        }
        let tenant_pools: Vec<_> =
            self.sqlite_tenants.read().map(|t| t.values().cloned().collect()).unwrap_or_default();
        for pool in tenant_pools {
            let _ = pool.close().await;
        }
    }
}
