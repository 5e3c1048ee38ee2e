//! PostgreSQL connections for point reads, kept apart from sqlx's pool.
//!
//! sqlx's pool sends a round trip (`Sync`, then waits for `ReadyForQuery`)
//! every time a connection goes back, to find out whether a cancelled
//! statement left it half-way. For a lookup that is one query, it doubles
//! the messages PostgreSQL handles. Here a connection goes back without
//! one: a read that finishes returns its connection as it is, a read that
//! fails or is dropped half-way closes it (the next read opens another).
//! A connection idle for a while is pinged before it is used again, as
//! the pool would (the server, a proxy or a firewall may have dropped it).
//!
//! A connection's socket reports to the runtime it was opened on. One
//! opened at start, on the service's main runtime, and read through by a
//! worker makes every read wake a main-runtime thread, which then wakes
//! the worker: on busy cores each hand-over waits for a time slice. So a
//! worker (a single-threaded runtime) that takes such a connection closes
//! it and opens one of its own, which then serves its reads from its own
//! thread. Connections opened on a worker stay where they are.

use std::{
    sync::{Arc, Mutex},
    time::{Duration, Instant},
};

use sea_orm::{
    ConnAcquireErr, ConnectionTrait, DatabaseConnection, DbBackend, DbErr, FromQueryResult, QueryResult, RuntimeErr,
    Statement, StatementBuilder,
    sqlx::{
        self, Connection, PgConnection,
        postgres::{PgConnectOptions, PgRow},
    },
};
use sea_query_sqlx::SqlxValues;
use tokio::sync::{Semaphore, SemaphorePermit};

use crate::point_read::{InOrder, ReadInOrder};

/// Longest wait for a free connection before a read fails.
const ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);
/// Longest wait for a new connection to open.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// A connection idle this long is pinged before it serves a read.
const PING_IF_IDLE_FOR: Duration = Duration::from_secs(30);
/// A connection idle this long is closed instead of used.
const CLOSE_IF_IDLE_FOR: Duration = Duration::from_secs(300);

/// At most `size` connections to one database; one that closes is opened
/// again when a read needs it.
pub(crate) struct ReadConnections {
    options: PgConnectOptions,
    free: Semaphore,
    resting: Mutex<Vec<Resting>>,
}

struct Resting {
    conn: PgConnection,
    since: Instant,
    opened_on: Opened,
}

/// The runtime a connection was opened on.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Opened {
    runtime: Option<tokio::runtime::Id>,
    /// On a worker's single-threaded runtime.
    by_worker: bool,
}

impl Opened {
    fn here() -> Self {
        match tokio::runtime::Handle::try_current() {
            Ok(handle) => Self {
                runtime: Some(handle.id()),
                by_worker: handle.runtime_flavor() == tokio::runtime::RuntimeFlavor::CurrentThread,
            },
            Err(_) => Self { runtime: None, by_worker: false },
        }
    }

    /// Whether a connection opened on `self` is better closed and opened
    /// again `here`: it came from a shared runtime and is now wanted by a
    /// worker.
    fn belongs_elsewhere(self, here: Opened) -> bool {
        here.by_worker && !self.by_worker
    }
}

fn query_err(e: sqlx::Error) -> DbErr {
    DbErr::Query(RuntimeErr::SqlxError(Arc::new(e)))
}

pub(crate) fn conn_err(e: sqlx::Error) -> DbErr {
    DbErr::Conn(RuntimeErr::SqlxError(Arc::new(e)))
}

impl ReadConnections {
    /// Opens all `size` connections, so the first lookups after a start
    /// do not wait for connections to open (and fail the start as the
    /// pool would when the database cannot be reached).
    pub(crate) async fn open(url: &str, size: usize) -> Result<Self, DbErr> {
        let options: PgConnectOptions = url.parse().map_err(conn_err)?;
        // Side by side: opening one mostly waits on the network (about
        // 0.1 s over TCP with TLS), not on either end's CPU.
        let opened = futures_util::future::try_join_all((0..size).map(|_| connect(&options))).await?;
        let opened_on = Opened::here();
        let resting = opened.into_iter().map(|conn| Resting { conn, since: Instant::now(), opened_on }).collect();
        Ok(Self { options, free: Semaphore::new(size), resting: Mutex::new(resting) })
    }

    /// The row the statement finds, if any.
    ///
    /// A connection that was used before and turns out lost (the server
    /// restarted, or ended the session) is closed and the read tried once
    /// more on a new one: a read can be repeated, and a restarted database
    /// should not cost a failed lookup per connection held.
    pub(crate) async fn one(&self, stmt: Statement) -> Result<Option<QueryResult>, DbErr> {
        Ok(self.one_row(stmt).await?.map(QueryResult::from))
    }

    /// [`ReadConnections::one`], the row as PostgreSQL's.
    async fn one_row(&self, stmt: Statement) -> Result<Option<PgRow>, DbErr> {
        let mut lease = self.lease(Reuse::Resting).await?;
        let row = match query(&stmt).fetch_optional(&mut lease.conn).await {
            Err(e) if lease.reused && session_lost(&e) => {
                drop(lease);
                lease = self.lease(Reuse::No).await?;
                query(&stmt).fetch_optional(&mut lease.conn).await
            }
            found => found,
        }
        .map_err(query_err)?;
        lease.give_back();
        Ok(row)
    }

    /// Closes the resting connections (those out for a read close when
    /// their lease ends), telling PostgreSQL the session is over.
    async fn close(&self) {
        while let Some(Resting { conn, .. }) = self.take_resting(Opened::here()) {
            let _ = conn.close().await;
        }
    }

    /// A resting connection, one opened `here` if there is one.
    fn take_resting(&self, here: Opened) -> Option<Resting> {
        let mut resting = self.resting.lock().unwrap_or_else(|e| e.into_inner());
        match resting.iter().rposition(|r| r.opened_on == here) {
            Some(i) => Some(resting.swap_remove(i)),
            None => resting.pop(),
        }
    }

    async fn lease(&self, reuse: Reuse) -> Result<Lease<'_>, DbErr> {
        let permit = tokio::time::timeout(ACQUIRE_TIMEOUT, self.free.acquire())
            .await
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
            .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::ConnectionClosed))?;
        let here = Opened::here();
        if reuse == Reuse::Resting {
            while let Some(Resting { mut conn, since, opened_on }) = self.take_resting(here) {
                if opened_on.belongs_elsewhere(here) {
                    // Told the session is over, off this read's path.
                    tokio::spawn(async move {
                        let _ = conn.close().await;
                    });
                    break;
                }
                let idle = since.elapsed();
                // A stale connection is dropped (closed) and the next one tried.
                if idle >= CLOSE_IF_IDLE_FOR || (idle >= PING_IF_IDLE_FOR && conn.ping().await.is_err()) {
                    continue;
                }
                return Ok(Lease { conn, reused: true, opened_on, home: self, _permit: permit });
            }
        }
        let conn = connect(&self.options).await?;
        Ok(Lease { conn, reused: false, opened_on: here, home: self, _permit: permit })
    }
}

async fn connect(options: &PgConnectOptions) -> Result<PgConnection, DbErr> {
    tokio::time::timeout(CONNECT_TIMEOUT, PgConnection::connect_with(options))
        .await
        .map_err(|_| DbErr::ConnectionAcquire(ConnAcquireErr::Timeout))?
        .map_err(conn_err)
}

/// Whether a lease may take a resting connection or must open a new one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Reuse {
    Resting,
    No,
}

/// Whether the error says the session is gone rather than the statement
/// wrong: the connection broke, or PostgreSQL ended the session (class 08,
/// connection exception; 57P01–57P03, shut down or terminated by an
/// administrator).
fn session_lost(e: &sqlx::Error) -> bool {
    match e {
        sqlx::Error::Database(db) => {
            db.code().is_some_and(|code| code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03"))
        }
        sqlx::Error::Io(_) | sqlx::Error::Tls(_) | sqlx::Error::Protocol(_) => true,
        _ => false,
    }
}

fn query(stmt: &Statement) -> sqlx::query::Query<'_, sqlx::Postgres, SqlxValues> {
    let values = stmt.values.clone().unwrap_or(sea_orm::sea_query::Values(Vec::new()));
    sqlx::query_with(sqlx::AssertSqlSafe(stmt.sql.as_str()), SqlxValues(values))
}

/// A connection out for one read. Unless given back, it is closed when
/// the lease ends: a read dropped half-way leaves it in a state nobody
/// knows.
struct Lease<'a> {
    conn: PgConnection,
    /// The connection served reads before this one.
    reused: bool,
    opened_on: Opened,
    home: &'a ReadConnections,
    _permit: SemaphorePermit<'a>,
}

impl Lease<'_> {
    /// The connection rests until the next read; the permit goes after it.
    fn give_back(self) {
        let Lease { conn, home, opened_on, .. } = self;
        let resting = Resting { conn, since: Instant::now(), opened_on };
        home.resting.lock().unwrap_or_else(|e| e.into_inner()).push(resting);
    }
}

/// Where a scope's point reads go: connections of their own on
/// PostgreSQL, the pool where there are none (SQLite, or too few
/// connections allowed to set any apart).
#[derive(Clone)]
pub(crate) enum Reads {
    Pool(DatabaseConnection),
    Own(Arc<ReadConnections>),
}

impl Reads {
    pub(crate) async fn close(&self) {
        if let Reads::Own(own) = self {
            own.close().await;
        }
    }

    pub(crate) async fn one(&self, stmt: &impl StatementBuilder) -> Result<Option<QueryResult>, DbErr> {
        match self {
            Reads::Pool(conn) => conn.query_one(stmt).await,
            Reads::Own(own) => own.one(DbBackend::Postgres.build(stmt)).await,
        }
    }

    /// [`Reads::one`], the row read as `T`.
    pub(crate) async fn one_as<T: FromQueryResult>(&self, stmt: &impl StatementBuilder) -> Result<Option<T>, DbErr> {
        self.one(stmt).await?.map(|row| T::from_query_result(&row, "")).transpose()
    }

    /// The row `stmt` finds, read as `T`: by position on PostgreSQL's own
    /// connections (see `point_read`), by name elsewhere.
    pub(crate) async fn one_in_order<T: ReadInOrder>(&self, stmt: Statement) -> Result<Option<T>, DbErr> {
        match self {
            Reads::Pool(conn) => conn.query_one_raw(stmt).await?.map(|row| T::from_query_result(&row, "")).transpose(),
            Reads::Own(own) => own
                .one_row(stmt)
                .await?
                .map(|row| T::read_in_order(&mut InOrder::new(&row)).map_err(query_err))
                .transpose(),
        }
    }
}
