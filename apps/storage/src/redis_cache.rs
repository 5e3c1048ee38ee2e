//! The shared cache tier on Redis. Every call has a short deadline, and
//! after a failure Redis is left alone for a moment: a lookup never waits
//! on, or fails because of, the cache.
//!
//! A change leaves a tombstone under each key it touched, for a minute,
//! and values are stored only under keys that hold nothing: a replica
//! that read a certificate just before another replica changed it cannot
//! put the old one back in Redis, whenever its store arrives. A value
//! read before a change and stored after it would otherwise be served by
//! every replica for the rest of its TTL (an hour by default).
//!
//! Reads go through a connection of the reading thread's own, made on that
//! thread, so the task that sends and receives for it runs there too: a
//! read wakes no other thread. Through one shared connection, each read
//! would wake the thread that drives it and be woken back, and on busy
//! cores every such hand-over waits for a time slice.

use std::{
    sync::{
        Arc, Mutex,
        atomic::{AtomicU32, AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use futures_util::StreamExt;
use redis::{
    AsyncCommands, AsyncConnectionConfig, ExistenceCheck, RedisResult, SetExpiry, SetOptions,
    aio::{ConnectionManager, MultiplexedConnection},
};
use safecert_memo::Scratch;
use tokio::sync::mpsc;

#[derive(Clone, Debug)]
pub struct RedisConfig {
    pub url: String,
    /// Prepended to every key and channel, so several deployments (or test
    /// runs) can share one Redis.
    pub prefix: String,
    pub ttl: Duration,
    pub op_timeout: Duration,
}

pub(crate) struct RedisTier {
    client: redis::Client,
    /// For writes, invalidations and anything not on a lookup's path.
    manager: ConnectionManager,
    /// Each thread's connection for reads (see the module's note).
    readers: Scratch<Option<MultiplexedConnection>>,
    pub prefix: String,
    ttl_secs: u64,
    op_timeout: Duration,
    started: Instant,
    /// Milliseconds since `started` before which Redis is not tried again.
    resting_until: AtomicU64,
    /// Commands that failed or were late since the last that succeeded.
    failures_in_a_row: AtomicU32,
    /// Values to store, for the writer (see [`RedisTier::store_later`]).
    stores: mpsc::Sender<Store>,
    /// The writer's end, until [`RedisTier::spawn_writer`] takes it.
    stores_waiting: Mutex<Option<mpsc::Receiver<Store>>>,
}

/// A value to store under a key (without the prefix) for `ttl_secs`,
/// read while the count of changes was `changes`, from a read that began
/// at `read_from`.
struct Store {
    key: String,
    value: Vec<u8>,
    ttl_secs: u64,
    changes: u64,
    read_from: Instant,
}

/// What a changed key holds for [`TOMBSTONE_SECS`]: no value is stored
/// under it meanwhile, and a read of it is a miss.
const TOMBSTONE: &[u8] = b"changed";
const TOMBSTONE_SECS: u64 = 60;
/// A value whose read began this long ago is not stored: a tombstone laid
/// since may have expired by the time it arrives.
const STORE_WITHIN: Duration = Duration::from_secs(10);

/// Stores waiting for the writer at most; past it a value is not stored
/// (a later miss stores it).
const STORES_WAITING: usize = 4096;
/// Stores sent in one pipeline at most.
const STORES_AT_ONCE: usize = 256;
/// How long the writer gathers stores after the first before it sends
/// them: a replica that misses meanwhile reads the database itself.
const GATHER_STORES: Duration = Duration::from_millis(5);

const REST_AFTER_FAILURE: Duration = Duration::from_secs(2);

/// A late answer now and then is a busy host, not a Redis that is gone,
/// and a rest sends every lookup of the next two seconds to the database
/// (on two saturated cores: pool waits of 2–3 s). Redis rests after this
/// many failures in a row.
const FAILURES_BEFORE_REST: u32 = 3;

impl RedisTier {
    pub fn new(config: &RedisConfig) -> Result<Self, redis::RedisError> {
        let client = redis::Client::open(config.url.as_str())?;
        let manager_config = redis::aio::ConnectionManagerConfig::new()
            .set_connection_timeout(Some(config.op_timeout * 4))
            .set_response_timeout(Some(config.op_timeout))
            .set_number_of_retries(1)
            .set_max_delay(Duration::from_millis(500));
        let manager = ConnectionManager::new_lazy_with_config(client.clone(), manager_config)?;
        let (stores, waiting) = mpsc::channel(STORES_WAITING);
        Ok(Self {
            client,
            manager,
            readers: Scratch::default(),
            prefix: config.prefix.clone(),
            ttl_secs: config.ttl.as_secs().max(1),
            op_timeout: config.op_timeout,
            started: Instant::now(),
            resting_until: AtomicU64::new(0),
            failures_in_a_row: AtomicU32::new(0),
            stores,
            stores_waiting: Mutex::new(Some(waiting)),
        })
    }

    fn now_ms(&self) -> u64 {
        self.started.elapsed().as_millis() as u64
    }

    fn available(&self) -> bool {
        self.now_ms() >= self.resting_until.load(Ordering::Relaxed)
    }

    fn succeeded(&self) {
        // Read first: most commands succeed, and a write on every one would
        // pass the counter between cores.
        if self.failures_in_a_row.load(Ordering::Relaxed) != 0 {
            self.failures_in_a_row.store(0, Ordering::Relaxed);
        }
    }

    /// Counts a failure; rests Redis after [`FAILURES_BEFORE_REST`] in a
    /// row and logs once per rest, not per request.
    fn failed(&self, what: &str, err: &dyn std::fmt::Display) {
        let in_a_row = self.failures_in_a_row.fetch_add(1, Ordering::Relaxed) + 1;
        if in_a_row < FAILURES_BEFORE_REST {
            tracing::debug!(error = %err, in_a_row, "redis {what} failed; the lookup goes on without it");
            return;
        }
        self.failures_in_a_row.store(0, Ordering::Relaxed);
        let now = self.now_ms();
        let until = now + REST_AFTER_FAILURE.as_millis() as u64;
        let previous = self.resting_until.swap(until, Ordering::Relaxed);
        if previous <= now {
            tracing::warn!(
                error = %err,
                "redis {what} failed {FAILURES_BEFORE_REST} times in a row; serving without it for {}s",
                REST_AFTER_FAILURE.as_secs()
            );
        }
    }

    async fn run<T, F>(&self, what: &str, op: F) -> Option<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        if !self.available() {
            return None;
        }
        self.attempt(what, op).await
    }

    /// [`RedisTier::run`], even while Redis rests.
    async fn attempt<T, F>(&self, what: &str, op: F) -> Option<T>
    where
        F: std::future::Future<Output = redis::RedisResult<T>>,
    {
        match tokio::time::timeout(self.op_timeout, op).await {
            Ok(Ok(v)) => {
                self.succeeded();
                Some(v)
            }
            Ok(Err(e)) => {
                self.failed(what, &e);
                None
            }
            Err(_) => {
                self.failed(what, &"timed out");
                None
            }
        }
    }

    pub async fn get(&self, key: &str) -> Option<Vec<u8>> {
        let full = self.prefixed(key);
        self.run("get", async {
            let (mut conn, fresh) = self.reader().await?;
            match conn.get::<_, Option<Vec<u8>>>(&full).await.map(alive) {
                Ok(value) => Ok(value),
                Err(e) => {
                    self.readers.with(|reader| *reader = None);
                    // A connection kept from before may have lost its
                    // thread's runtime (a worker that stopped) or its
                    // server: one more try, on a new one.
                    if fresh {
                        return Err(e);
                    }
                    let (mut conn, _) = self.reader().await?;
                    conn.get::<_, Option<Vec<u8>>>(&full).await.map(alive)
                }
            }
        })
        .await
        .flatten()
    }

    /// This thread's connection for reads, and whether it was made just
    /// now; made here on its first use.
    async fn reader(&self) -> RedisResult<(MultiplexedConnection, bool)> {
        if let Some(conn) = self.readers.with(|reader| reader.clone()) {
            return Ok((conn, false));
        }
        let config = AsyncConnectionConfig::new()
            .set_connection_timeout(Some(self.op_timeout * 4))
            .set_response_timeout(Some(self.op_timeout));
        let conn = self.client.get_multiplexed_async_connection_with_config(&config).await?;
        self.readers.with(|reader| *reader = Some(conn.clone()));
        Ok((conn, true))
    }

    /// Stores `value` under `key` soon, without waiting for Redis: the
    /// writer ([`RedisTier::spawn_writer`]) sends what has gathered
    /// meanwhile in one pipeline, one round trip (and, for Redis, one
    /// read) for many values.
    ///
    /// `changes` is the count of changes (see [`RedisTier::spawn_writer`])
    /// read before the value was, and `read_from` when its read began: a
    /// value read before a change this replica has heard of is not stored
    /// after it, nor one read too long ago. Changes it has not heard of
    /// yet left tombstones that keep the value out.
    pub fn store_later(&self, key: String, value: Vec<u8>, ttl_secs: Option<u64>, changes: u64, read_from: Instant) {
        if !self.available() {
            return;
        }
        let ttl_secs = ttl_secs.unwrap_or(self.ttl_secs);
        // Full: the writer is behind, and this value waits for a later miss.
        let _ = self.stores.try_send(Store { key, value, ttl_secs, changes, read_from });
    }

    /// Starts the writer of [`RedisTier::store_later`] on this runtime,
    /// which must outlive the lookups (the service's main one). Call once.
    /// `changes` counts the changes seen so far; it moves before the
    /// changed keys are deleted.
    pub fn spawn_writer(self: &Arc<Self>, changes: impl Fn() -> u64 + Send + 'static) {
        if let Some(waiting) = self.stores_waiting.lock().unwrap_or_else(|e| e.into_inner()).take() {
            tokio::spawn(Arc::clone(self).write_stores(waiting, changes));
        }
    }

    /// Sends the stores in pipelines, each once the one before it is
    /// answered, with what came within [`GATHER_STORES`] of its first:
    /// taking each store as it comes would wake this task, and a thread,
    /// once per lookup that missed.
    ///
    /// A store read before the latest change heard of, or too long ago, is
    /// dropped; the others go only where Redis holds nothing (`NX`), so
    /// none lands on a tombstone.
    async fn write_stores(self: Arc<Self>, mut waiting: mpsc::Receiver<Store>, changes: impl Fn() -> u64) {
        let mut batch = Vec::with_capacity(STORES_AT_ONCE);
        while waiting.recv_many(&mut batch, STORES_AT_ONCE).await > 0 {
            if batch.len() < STORES_AT_ONCE {
                tokio::time::sleep(GATHER_STORES).await;
                while batch.len() < STORES_AT_ONCE
                    && let Ok(store) = waiting.try_recv()
                {
                    batch.push(store);
                }
            }
            let sent_at = changes();
            let mut pipe = redis::pipe();
            let mut sending = false;
            for Store { key, value, ttl_secs, .. } in
                batch.drain(..).filter(|store| store.changes == sent_at && store.read_from.elapsed() < STORE_WITHIN)
            {
                let unless_there =
                    SetOptions::default().conditional_set(ExistenceCheck::NX).with_expiration(SetExpiry::EX(ttl_secs));
                pipe.set_options(self.prefixed(&key), value, unless_there).ignore();
                sending = true;
            }
            if sending {
                let mut conn = self.manager.clone();
                self.run("set", async { pipe.query_async::<()>(&mut conn).await }).await;
            }
        }
    }

    /// Lays a tombstone on each key and tells every replica to drop its
    /// own copies. Tried even while Redis rests for lookups: a change
    /// other replicas do not hear of is served old until its TTL ends.
    pub async fn invalidate(&self, keys: &[String]) {
        let mut pipe = redis::pipe();
        for key in keys {
            pipe.set_ex(self.prefixed(key), TOMBSTONE, TOMBSTONE_SECS).ignore();
        }
        pipe.publish(self.channel(), keys.join("\n")).ignore();
        if !self.send("invalidate", pipe).await {
            tracing::warn!(
                keys = keys.len(),
                "cannot tell Redis of a changed certificate; other replicas may answer with the old one until \
                 its cache TTL ends (SAFECERT_CACHE_TTL_SECS)"
            );
        }
    }

    /// Tells every replica `message` (one or more lines) on the
    /// invalidation channel, touching no key.
    pub async fn announce(&self, message: &str) {
        let mut pipe = redis::pipe();
        pipe.publish(self.channel(), message).ignore();
        self.send("announce", pipe).await;
    }

    /// Sends a pipeline whether or not Redis rests; whether it went through.
    async fn send(&self, what: &str, pipe: redis::Pipeline) -> bool {
        let mut conn = self.manager.clone();
        self.attempt(what, async move { pipe.query_async::<()>(&mut conn).await }).await.is_some()
    }

    /// The key as Redis holds it, after the deployment's prefix.
    fn prefixed(&self, key: &str) -> String {
        [self.prefix.as_str(), key].concat()
    }

    pub fn channel(&self) -> String {
        self.prefixed("invalidate")
    }

    /// Listens for invalidations from other replicas for as long as the
    /// process lives, reconnecting after failures. `on_keys` gets the keys
    /// to drop; `on_gap` is called when messages may have been missed.
    pub fn spawn_listener(
        self: &Arc<Self>,
        on_keys: impl Fn(&str) + Send + 'static,
        on_gap: impl Fn() + Send + 'static,
    ) {
        let tier = Arc::clone(self);
        tokio::spawn(async move {
            loop {
                match tier.client.get_async_pubsub().await {
                    Ok(mut pubsub) => {
                        if pubsub.subscribe(tier.channel()).await.is_ok() {
                            on_gap();
                            let mut messages = pubsub.on_message();
                            while let Some(msg) = messages.next().await {
                                if let Ok(payload) = msg.get_payload::<String>() {
                                    payload.lines().for_each(&on_keys);
                                }
                            }
                        }
                        on_gap();
                    }
                    Err(e) => tracing::debug!(error = %e, "redis invalidation listener cannot connect"),
                }
                tokio::time::sleep(Duration::from_secs(1)).await;
            }
        });
    }
}

/// A value read, unless it is a tombstone.
fn alive(value: Option<Vec<u8>>) -> Option<Vec<u8>> {
    value.filter(|v| v != TOMBSTONE)
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use super::{FAILURES_BEFORE_REST, RedisConfig, RedisTier};

    fn tier() -> RedisTier {
        let config = RedisConfig {
            url: "redis://127.0.0.1:1".into(),
            prefix: "test:".into(),
            ttl: Duration::from_secs(60),
            op_timeout: Duration::from_millis(50),
        };
        RedisTier::new(&config).unwrap_or_else(|e| panic!("a tier for an address: {e}"))
    }

    #[tokio::test]
    async fn redis_rests_after_failures_in_a_row_not_after_one_late_answer() {
        let tier = tier();
        for _ in 1..FAILURES_BEFORE_REST {
            tier.failed("get", &"timed out");
            assert!(tier.available(), "one late answer is a busy host");
        }
        tier.succeeded();
        for _ in 1..FAILURES_BEFORE_REST {
            tier.failed("get", &"timed out");
        }
        assert!(tier.available(), "a success in between starts the count again");
        tier.failed("get", &"timed out");
        assert!(!tier.available(), "failures in a row rest Redis");
    }

    #[tokio::test]
    async fn an_unreachable_redis_is_rested_after_the_first_lookups() {
        let tier = tier();
        for _ in 0..FAILURES_BEFORE_REST {
            assert_eq!(tier.get("key").await, None);
        }
        assert!(!tier.available());
    }
}
