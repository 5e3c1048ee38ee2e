//! Every certificate query is logged: who (account, API client), what
//! (with personal numbers masked), when, from where. A request folds its
//! entry into its thread's own table, where a repeat of the same query by
//! the same caller from the same address only adds to a count, and goes
//! on: nothing it touches is written by another core, and logging adds no
//! database round trip to a lookup. One writer, on a connection of its
//! own, takes every thread's table a second after the first entry, merges
//! them, and stores the rows (PostgreSQL: one COPY). No entry is dropped
//! to keep up: when the writer falls behind by a full backlog, requests
//! wait for it, so the log slows queries down rather than lose them; and
//! a service that stops writes what it has gathered first.

use std::{
    net::IpAddr,
    sync::atomic::{AtomicBool, AtomicU64, Ordering},
    time::Duration,
};

use chrono::{DateTime, Utc};
use safecert_domain::IdNumber;
use safecert_memo::Gathering;
use safecert_storage::{Databases, LoggedQuery};
use tokio::sync::{Notify, mpsc};

use crate::identity::Caller;

/// Distinct rows a thread holds at most; past it, its requests wait for
/// the writer.
const BACKLOG: usize = 100_000;
/// Rows written at once at most, and the rows that make a thread's table
/// worth taking before its second is over.
const BATCH: usize = 20_000;
/// How long after the first entry the tables are taken: repeats within it
/// fold into one row, so at a busy moment the database takes a row per
/// distinct query a second, not one per query.
const GATHER: Duration = Duration::from_secs(1);

pub struct QueryLog {
    gathering: Gathering<Folded>,
    /// Told by a request that puts the first row in its thread's table, or
    /// fills it to a batch.
    entered: Notify,
    /// Told to waiting requests whenever the writer has taken the tables.
    taken: Notify,
    /// Set when the writer takes its last rows: entries after it are lost.
    closed: AtomicBool,
    /// Whether a writer was started.
    claimed: AtomicBool,
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
        Self {
            gathering: Gathering::default(),
            entered: Notify::new(),
            taken: Notify::new(),
            closed: AtomicBool::new(false),
            claimed: AtomicBool::new(false),
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
    /// Logs one query of `caller`, unless the caller is in privacy mode.
    /// Waits only when the writer is a full backlog behind.
    pub async fn record(&self, caller: &Caller, tenant: &str, kind: &'static str, query: String, ip: Option<IpAddr>) {
        if caller.is_private() {
            return;
        }
        let entry = Entry { account_id: caller.account_id, api_client_id: caller.api_client, tenant, kind, query, ip };
        let put = self.gathering.put(|folded| {
            // Read under the slot's lock: the writer closes before it
            // takes the slots, so an entry either sees it or is taken.
            if self.closed.load(Ordering::Acquire) {
                return None;
            }
            // The rows the table holds with this entry, if it made one.
            Some(folded.add(entry).then(|| folded.len()))
        });
        match put {
            None => {
                self.dropped.fetch_add(1, Ordering::Relaxed);
            }
            Some(Some(rows)) if rows == 1 || rows == BATCH => self.entered.notify_one(),
            Some(Some(rows)) if rows >= BACKLOG => self.wait_for_room().await,
            Some(_) => {}
        }
    }

    /// Waits until the writer has taken this thread's table (or stopped).
    async fn wait_for_room(&self) {
        let waits = self.waited.fetch_add(1, Ordering::Relaxed) + 1;
        if waits.is_power_of_two() {
            tracing::warn!(waits, "the query log is behind by a full backlog; queries wait for it");
        }
        loop {
            let taken = self.taken.notified();
            tokio::pin!(taken);
            taken.as_mut().enable();
            let full = self.gathering.put(|folded| folded.len() >= BACKLOG);
            if !full || self.closed.load(Ordering::Acquire) {
                return;
            }
            self.entered.notify_one();
            taken.await;
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
        if self.claimed.swap(true, Ordering::AcqRel) {
            return;
        }
        self.writing.store(true, Ordering::Release);
        self.write_loop(dbs, writers).await;
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
    async fn write_loop(&self, dbs: &Databases, writers: usize) {
        let (batches, next) = mpsc::channel::<Vec<LoggedQuery>>(1);
        let next = tokio::sync::Mutex::new(next);
        let gather = async move {
            let mut room = Vec::new();
            loop {
                let last = self.next_gathering().await;
                if last {
                    self.closed.store(true, Ordering::Release);
                }
                let mut rows = self.take(&mut room).into_rows();
                while !rows.is_empty() {
                    let rest = rows.split_off(rows.len().min(BATCH));
                    if batches.send(rows).await.is_err() {
                        return;
                    }
                    rows = rest;
                }
                if last {
                    return;
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

    /// Waits for a first entry, then for the gathering time after it or a
    /// table that holds a batch; true if the service is stopping instead.
    async fn next_gathering(&self) -> bool {
        tokio::select! {
            () = self.entered.notified() => {}
            () = self.stopping.notified() => return true,
        }
        let until = tokio::time::Instant::now() + GATHER;
        loop {
            tokio::select! {
                () = tokio::time::sleep_until(until) => return false,
                () = self.entered.notified() => {
                    let mut full = false;
                    self.gathering.for_each(|folded| full |= folded.len() >= BATCH);
                    if full {
                        return false;
                    }
                }
                () = self.stopping.notified() => return true,
            }
        }
    }

    /// Every thread's table, merged; each thread gets an empty one with
    /// room for as many rows as its last (`room`), made beforehand: a busy
    /// second's table is not grown step by step on the request's thread,
    /// each step hashing every row again. Requests waiting for room go on.
    fn take(&self, room: &mut Vec<usize>) -> Folded {
        let mut spares: Vec<Folded> = room.iter().map(|&rows| Folded::with_room(rows)).collect();
        let mut taken = Vec::with_capacity(spares.len());
        self.gathering.for_each(|folded| {
            let spare = spares.get_mut(taken.len()).map(std::mem::take).unwrap_or_default();
            taken.push(std::mem::replace(folded, spare));
        });
        self.taken.notify_waiters();
        *room = taken.iter().map(Folded::len).collect();
        taken.sort_unstable_by_key(|folded| std::cmp::Reverse(folded.len()));
        let mut taken = taken.into_iter();
        let mut merged = taken.next().unwrap_or_default();
        taken.for_each(|folded| merged.merge(folded));
        merged
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

/// One query as a request hands it over.
struct Entry<'a> {
    account_id: i32,
    api_client_id: Option<i32>,
    tenant: &'a str,
    kind: &'static str,
    query: String,
    ip: Option<IpAddr>,
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

/// [`SameQuery`], borrowed: a repeat is found without copying its texts.
/// Its fields, in the same order and of the same hashes, hash as the
/// owned key's do.
#[derive(Hash)]
struct SameQueryRef<'a> {
    account_id: i32,
    api_client_id: Option<i32>,
    tenant: &'a str,
    kind: &'static str,
    query: &'a str,
    ip: Option<IpAddr>,
}

impl hashbrown::Equivalent<SameQuery> for SameQueryRef<'_> {
    fn equivalent(&self, key: &SameQuery) -> bool {
        self.account_id == key.account_id
            && self.api_client_id == key.api_client_id
            && self.tenant == key.tenant
            && self.kind == key.kind
            && self.query == key.query
            && self.ip == key.ip
    }
}

/// When a query was first asked in the gathering, how many times, and
/// where it stands among its thread's rows.
struct Times {
    first_at: DateTime<Utc>,
    count: i32,
    order: usize,
}

/// Entries folded as they come: each distinct query once, with how many
/// times it came, at its first time. Hashed with a seeded fast hash.
#[derive(Default)]
struct Folded {
    rows: hashbrown::HashMap<SameQuery, Times, foldhash::fast::RandomState>,
}

impl Folded {
    /// Room for `rows` distinct rows (at most a batch).
    fn with_room(rows: usize) -> Self {
        Self { rows: hashbrown::HashMap::with_capacity_and_hasher(rows.min(BATCH), Default::default()) }
    }

    fn len(&self) -> usize {
        self.rows.len()
    }

    /// Counts `entry` asked now; true if it is a new row, false if a
    /// repeat.
    fn add(&mut self, entry: Entry<'_>) -> bool {
        let Entry { account_id, api_client_id, tenant, kind, query, ip } = entry;
        let same = SameQueryRef { account_id, api_client_id, tenant, kind, query: &query, ip };
        if let Some(times) = self.rows.get_mut(&same) {
            times.count = times.count.saturating_add(1);
            return false;
        }
        let order = self.rows.len();
        let same = SameQuery { account_id, api_client_id, tenant: tenant.to_owned(), kind, query, ip };
        self.rows.insert(same, Times { first_at: Utc::now(), count: 1, order });
        true
    }

    /// Adds another thread's rows: a query both hold keeps the earlier
    /// time and both counts.
    fn merge(&mut self, other: Folded) {
        for (same, times) in other.rows {
            self.rows
                .entry(same)
                .and_modify(|mine| {
                    mine.count = mine.count.saturating_add(times.count);
                    mine.first_at = mine.first_at.min(times.first_at);
                })
                .or_insert(times);
        }
    }

    /// The rows, in the order first asked.
    fn into_rows(self) -> Vec<LoggedQuery> {
        let mut rows: Vec<_> = self.rows.into_iter().collect();
        rows.sort_unstable_by_key(|(_, times)| (times.first_at, times.order));
        rows.into_iter()
            .map(|(same, times)| LoggedQuery {
                at: times.first_at,
                account_id: same.account_id,
                api_client_id: same.api_client_id,
                tenant: same.tenant,
                kind: same.kind,
                query: same.query,
                ip: same.ip,
                count: times.count,
            })
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::atomic::Ordering, time::Duration};

    use safecert_policy::{Role, Subject};

    use super::{BACKLOG, Entry, Folded, QueryLog, loggable};
    use crate::identity::Caller;

    fn entry(account_id: i32, query: &str) -> Entry<'static> {
        Entry {
            account_id,
            api_client_id: None,
            tenant: "gd",
            kind: "lookup",
            query: query.into(),
            ip: "127.0.0.1".parse().ok(),
        }
    }

    fn seen(folded: Folded) -> Vec<(i32, String, i32)> {
        folded.into_rows().into_iter().map(|e| (e.account_id, e.query, e.count)).collect()
    }

    #[test]
    fn repeats_of_a_query_by_one_caller_fold_into_its_first_entry_with_a_count() {
        let before = chrono::Utc::now();
        let mut gathered = Folded::default();
        let new_rows: Vec<bool> =
            [(1, "cert_no=A"), (2, "cert_no=A"), (1, "cert_no=B"), (1, "cert_no=A"), (2, "cert_no=A")]
                .into_iter()
                .map(|(account, query)| gathered.add(entry(account, query)))
                .collect();
        assert_eq!(new_rows, [true, true, true, false, false]);
        let folded = gathered.into_rows();
        assert!(
            folded[0].at >= before && folded[0].at <= folded[1].at,
            "a folded row keeps the time it was first asked"
        );
        let seen: Vec<(i32, &str, i32)> = folded.iter().map(|e| (e.account_id, e.query.as_str(), e.count)).collect();
        assert_eq!(seen, [(1, "cert_no=A", 2), (2, "cert_no=A", 2), (1, "cert_no=B", 1)]);
    }

    #[test]
    fn the_same_query_on_two_threads_merges_into_one_row_at_its_earlier_time() {
        let mut first = Folded::default();
        first.add(entry(1, "cert_no=A"));
        let mut second = Folded::default();
        second.add(entry(1, "cert_no=B"));
        second.add(entry(1, "cert_no=A"));
        second.add(entry(1, "cert_no=A"));
        second.merge(first);
        assert_eq!(seen(second), [(1, "cert_no=A".into(), 3), (1, "cert_no=B".into(), 1)]);
    }

    fn caller() -> Caller {
        Caller {
            account_id: 7,
            login: "inspector".into(),
            role: Role::Regulator,
            tenant: "gd".into(),
            enterprise_id: None,
            enterprise_uscc: None,
            department_id: None,
            subject: Subject::default(),
            api_client: None,
            valid_until: chrono::Utc::now() + chrono::Duration::hours(1),
            private_until: None,
        }
    }

    #[tokio::test]
    async fn a_thread_a_full_backlog_behind_waits_until_the_writer_has_taken_its_rows() {
        let log = QueryLog::default();
        let caller = caller();
        for n in 1..BACKLOG {
            log.record(&caller, "gd", "lookup", format!("cert_no={n}"), None).await;
        }
        let last = log.record(&caller, "gd", "lookup", "cert_no=LAST".into(), None);
        tokio::pin!(last);
        let waited = tokio::time::timeout(Duration::from_millis(100), &mut last).await;
        assert!(waited.is_err(), "the request waits for the writer");
        let taken = log.take(&mut Vec::new());
        let went_on = tokio::time::timeout(Duration::from_secs(5), last).await;
        assert!(went_on.is_ok(), "it goes on once the writer has taken the rows");
        assert_eq!(taken.len(), BACKLOG, "every entry taken, the waiting one too");
        assert_eq!(log.dropped(), 0);
    }

    #[tokio::test]
    async fn an_entry_after_the_log_has_closed_is_counted_lost_and_a_repeat_is_one_row() {
        let log = QueryLog::default();
        let caller = caller();
        log.record(&caller, "gd", "lookup", "cert_no=A".into(), None).await;
        log.record(&caller, "gd", "lookup", "cert_no=A".into(), None).await;
        let rows = log.take(&mut Vec::new()).into_rows();
        assert_eq!((rows.len(), rows[0].count), (1, 2));
        log.closed.store(true, Ordering::Release);
        log.record(&caller, "gd", "lookup", "cert_no=B".into(), None).await;
        assert_eq!(log.dropped(), 1);
        assert_eq!(log.take(&mut Vec::new()).len(), 0);
    }

    #[test]
    fn personal_numbers_are_masked_and_other_text_kept() {
        assert_eq!(loggable("11010519491231002X"), "110105********002X");
        assert_eq!(loggable("1101051949"), "110105****");
        assert_eq!(loggable("GD20230000001"), "GD20230000001");
        assert_eq!(loggable("张三"), "张三");
    }
}
