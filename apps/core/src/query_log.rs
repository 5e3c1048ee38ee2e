//! Every certificate query is logged: who (account, API client), what
//! (with personal numbers masked), when, from where. Requests hand their
//! entry to a channel and go on; one writer, on a connection of its own,
//! gathers a second's entries, folds repeats of the same query by the same
//! caller into one row with a count, and stores them (PostgreSQL: one
//! COPY): logging adds no database round trip to a lookup. No entry is
//! dropped to keep up: when the writer falls behind by a full backlog,
//! requests wait for room, so the log slows queries down rather than lose
//! them; and a service that stops writes what it has gathered first.

use std::{
    net::IpAddr,
    sync::{
        Mutex,
        atomic::{AtomicBool, AtomicU64, Ordering},
    },
    time::Duration,
};

use safecert_domain::IdNumber;
use safecert_storage::{Databases, LoggedQuery};
use tokio::sync::{Notify, mpsc};

use crate::identity::Caller;

/// Entries waiting to be written at most; past it, requests wait.
const BACKLOG: usize = 100_000;
/// Distinct rows gathered before a write at most.
const BATCH: usize = 20_000;
/// How long after its first entry a batch is written: repeats within it
/// fold into one row, so at a busy moment the database takes a row per
/// distinct query a second, not one per query.
const GATHER: Duration = Duration::from_secs(1);
/// How often the gathering takes what waits in the channel.
const DRAIN_EVERY: Duration = Duration::from_millis(50);

pub struct QueryLog {
    tx: mpsc::Sender<LoggedQuery>,
    rx: Mutex<Option<mpsc::Receiver<LoggedQuery>>>,
    dropped: AtomicU64,
    waited: AtomicU64,
    /// Whether the writer runs (and has not stopped).
    writing: AtomicBool,
    /// Told to the writer when the service stops.
    stopping: Notify,
    /// Told by the writer once it has written everything and stopped.
    stopped: Notify,
}

impl Default for QueryLog {
    fn default() -> Self {
        let (tx, rx) = mpsc::channel(BACKLOG);
        Self {
            tx,
            rx: Mutex::new(Some(rx)),
            dropped: AtomicU64::new(0),
            waited: AtomicU64::new(0),
            writing: AtomicBool::new(false),
            stopping: Notify::new(),
            stopped: Notify::new(),
        }
    }
}

/// A value as the log may keep it: an ID number (a search term, or a
/// certificate number that is one) only masked, and a long run of digits
/// (part of one, typed into autocomplete) only its first six.
pub fn loggable(value: &str) -> String {
    let mut out = String::new();
    push_loggable(&mut out, value);
    out
}

/// [`loggable`], written at the end of `out`.
pub fn push_loggable(out: &mut String, value: &str) {
    let value = value.trim();
    if let Ok(id) = IdNumber::parse(value) {
        return out.push_str(&id.masked());
    }
    let digits = value.chars().filter(|c| c.is_ascii_digit() || matches!(c, 'x' | 'X')).count();
    if digits > 6 && value.chars().count() == digits {
        return out.extend(value.chars().take(6).chain(std::iter::repeat_n('*', digits - 6)));
    }
    out.push_str(value)
}

/// Query-string pairs as the log keeps them.
pub fn loggable_pairs(pairs: &[(&str, Option<String>)]) -> String {
    pairs
        .iter()
        .filter_map(|(k, v)| v.as_deref().filter(|v| !v.trim().is_empty()).map(|v| format!("{k}={}", loggable(v))))
        .collect::<Vec<_>>()
        .join("&")
}

impl QueryLog {
    /// Logs one query of `caller` (never blocks), unless the caller is in
    /// privacy mode.
    pub async fn record(&self, caller: &Caller, tenant: &str, kind: &'static str, query: String, ip: Option<IpAddr>) {
        if caller.is_private() {
            return;
        }
        let entry =
            LoggedQuery::asked(chrono::Utc::now(), (caller.account_id, caller.api_client), tenant, kind, query, ip);
        let entry = match self.tx.try_send(entry) {
            Ok(()) => return,
            Err(mpsc::error::TrySendError::Full(entry)) => entry,
            Err(mpsc::error::TrySendError::Closed(_)) => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
                return;
            }
        };
        let waits = self.waited.fetch_add(1, Ordering::Relaxed) + 1;
        if waits.is_power_of_two() {
            tracing::warn!(waits, "the query log is behind by a full backlog; queries wait for it");
        }
        // Only a stopping service closes the channel.
        if self.tx.send(entry).await.is_err() {
            self.dropped.fetch_add(1, Ordering::Relaxed);
        }
    }

    /// Entries lost: the database refused them three times, or the service
    /// was stopping.
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }

    /// Writes entries as they come, in batches of at most `writers` at
    /// once; runs until the service stops. Call once.
    pub async fn run_writer(&self, dbs: &Databases, writers: usize) {
        let Some(mut rx) = self.rx.lock().unwrap_or_else(|p| p.into_inner()).take() else { return };
        self.writing.store(true, Ordering::Release);
        self.write_loop(&mut rx, dbs, writers).await;
        self.writing.store(false, Ordering::Release);
        self.stopped.notify_one();
    }

    /// For a service that stops, after its last request: takes no more
    /// entries, writes what was gathered and waits for the writer to be
    /// done, at most `within`. Without it, a stop would lose up to the
    /// gathering second's queries.
    pub async fn finish(&self, within: Duration) {
        if !self.writing.load(Ordering::Acquire) {
            return;
        }
        self.stopping.notify_one();
        if tokio::time::timeout(within, self.stopped.notified()).await.is_err() {
            tracing::warn!(seconds = within.as_secs(), "the query log's last entries were not written in time");
        }
    }

    /// Gathers entries into folded batches and writes them, up to
    /// `writers` batches at once: a write spends much of its time waiting
    /// for the database to take its rows, and on a busy machine a second
    /// one keeps the log moving meanwhile.
    async fn write_loop(&self, rx: &mut mpsc::Receiver<LoggedQuery>, dbs: &Databases, writers: usize) {
        let (batches, next) = mpsc::channel::<Vec<LoggedQuery>>(1);
        let next = tokio::sync::Mutex::new(next);
        let stopping = &self.stopping;
        let gather = async move {
            let mut rows = 0;
            while let Some(gathered) = gather(rx, stopping, rows).await {
                rows = gathered.len();
                if batches.send(gathered).await.is_err() {
                    break;
                }
            }
        };
        let writer = || async {
            loop {
                let Some(batch) = next.lock().await.recv().await else { break };
                self.write(&batch, dbs).await;
            }
        };
        let writers = (0..writers.max(1)).map(|_| writer());
        tokio::join!(gather, futures_util::future::join_all(writers));
    }

    /// Stores one folded batch, trying three times before counting it lost.
    async fn write(&self, batch: &[LoggedQuery], dbs: &Databases) {
        let started = std::time::Instant::now();
        for attempt in 1..=3 {
            match dbs.log_queries(batch).await {
                Ok(()) => {
                    let ms = u64::try_from(started.elapsed().as_millis()).unwrap_or(u64::MAX);
                    tracing::debug!(rows = batch.len(), ms, "query log batch written");
                    return;
                }
                Err(e) if attempt < 3 => {
                    tracing::warn!(error = %e, "cannot write the query log; retrying");
                    tokio::time::sleep(Duration::from_millis(200 * attempt)).await;
                }
                Err(e) => {
                    tracing::error!(error = %e, entries = batch.len(), "query log entries lost");
                    self.dropped.fetch_add(batch.len() as u64, Ordering::Relaxed);
                }
            }
        }
    }
}

/// The next rows to write: the entries that come within the gathering
/// time after the first, folded, up to a batch of distinct rows. Takes
/// what waits in the channel every [`DRAIN_EVERY`] rather than waiting for
/// each entry, which would wake this task, and a thread, once per query.
/// Told to stop, it closes the channel and hands over what it holds at
/// once. `None` once the channel is closed and empty. Room is made for as
/// many rows as the batch before held (`rows`): a busy second's table is
/// not grown step by step, each step hashing every row again.
async fn gather(rx: &mut mpsc::Receiver<LoggedQuery>, stopping: &Notify, rows: usize) -> Option<Vec<LoggedQuery>> {
    let first = tokio::select! {
        first = rx.recv() => first?,
        () = stopping.notified() => {
            rx.close();
            rx.recv().await?
        }
    };
    let until = tokio::time::Instant::now() + GATHER;
    let mut gathered = Folded::with_room(rows);
    gathered.add(first);
    while drain(rx, &mut gathered) && !gathered.is_full() {
        let now = tokio::time::Instant::now();
        if now >= until {
            break;
        }
        tokio::select! {
            () = tokio::time::sleep_until((now + DRAIN_EVERY).min(until)) => {}
            () = stopping.notified() => rx.close(),
        }
    }
    Some(gathered.into_rows())
}

/// Folds what waits in the channel into `gathered`, until it holds a
/// batch; false once the service has stopped and the channel is empty.
fn drain(rx: &mut mpsc::Receiver<LoggedQuery>, gathered: &mut Folded) -> bool {
    while !gathered.is_full() {
        match rx.try_recv() {
            Ok(entry) => gathered.add(entry),
            Err(mpsc::error::TryRecvError::Empty) => return true,
            Err(mpsc::error::TryRecvError::Disconnected) => return false,
        }
    }
    true
}

/// Who asked what, from where: the same query by the same caller from the
/// same address is one row.
#[derive(PartialEq, Eq, Hash)]
struct SameQuery {
    account_id: i32,
    api_client_id: Option<i32>,
    tenant: String,
    kind: &'static str,
    query: String,
    ip: Option<IpAddr>,
}

/// When a query was first asked in the gathering, how many times, and
/// where it stands among the rows.
struct Asked {
    first_at: chrono::DateTime<chrono::Utc>,
    count: i32,
    order: usize,
}

/// Entries folded as they come: each distinct query once, with how many
/// times it came, at its first time. Hashed with a seeded fast hash, as
/// the writer hashes every entry.
#[derive(Default)]
struct Folded {
    rows: std::collections::HashMap<SameQuery, Asked, foldhash::fast::RandomState>,
}

impl Folded {
    /// Room for `rows` distinct rows (at most a batch).
    fn with_room(rows: usize) -> Self {
        Self { rows: std::collections::HashMap::with_capacity_and_hasher(rows.min(BATCH), Default::default()) }
    }

    fn add(&mut self, entry: LoggedQuery) {
        let LoggedQuery { at, account_id, api_client_id, tenant, kind, query, ip, count } = entry;
        let order = self.rows.len();
        self.rows
            .entry(SameQuery { account_id, api_client_id, tenant, kind, query, ip })
            .and_modify(|asked| asked.count = asked.count.saturating_add(count))
            .or_insert(Asked { first_at: at, count, order });
    }

    fn is_full(&self) -> bool {
        self.rows.len() >= BATCH
    }

    /// The rows, in the order first seen.
    fn into_rows(self) -> Vec<LoggedQuery> {
        let mut rows: Vec<_> = self.rows.into_iter().collect();
        rows.sort_unstable_by_key(|(_, asked)| asked.order);
        rows.into_iter()
            .map(|(same, asked)| LoggedQuery {
                at: asked.first_at,
                account_id: same.account_id,
                api_client_id: same.api_client_id,
                tenant: same.tenant,
                kind: same.kind,
                query: same.query,
                ip: same.ip,
                count: asked.count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use safecert_storage::LoggedQuery;

    use super::{Folded, loggable};

    fn entry(account_id: i32, query: &str, count: i32) -> LoggedQuery {
        let once = LoggedQuery::asked(
            chrono::Utc::now(),
            (account_id, None),
            "gd",
            "lookup",
            query.into(),
            "127.0.0.1".parse().ok(),
        );
        LoggedQuery { count, ..once }
    }

    #[test]
    fn repeats_of_a_query_by_one_caller_fold_into_its_first_entry_with_a_count() {
        let entries = [
            entry(1, "cert_no=A", 1),
            entry(2, "cert_no=A", 1),
            entry(1, "cert_no=B", 1),
            entry(1, "cert_no=A", 2),
            entry(2, "cert_no=A", 1),
        ];
        let first_at = entries[0].at;
        let mut gathered = Folded::default();
        entries.into_iter().for_each(|e| gathered.add(e));
        let folded = gathered.into_rows();
        let seen: Vec<(i32, &str, i32)> = folded.iter().map(|e| (e.account_id, e.query.as_str(), e.count)).collect();
        assert_eq!(seen, [(1, "cert_no=A", 3), (2, "cert_no=A", 2), (1, "cert_no=B", 1)]);
        assert_eq!(folded[0].at, first_at, "a folded row keeps the time it was first asked");
    }

    #[test]
    fn personal_numbers_are_masked_and_other_text_kept() {
        assert_eq!(loggable("11010519491231002X"), "110105********002X");
        assert_eq!(loggable("1101051949"), "110105****");
        assert_eq!(loggable("GD20230000001"), "GD20230000001");
        assert_eq!(loggable("张三"), "张三");
    }
}
