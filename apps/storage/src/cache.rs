//! The lookup cache: an in-process tier (`Memo`) in front of an optional
//! Redis tier. Both keep found certificates and, for a shorter time, the
//! fact that a number does not exist, so probing unknown numbers does not
//! reach the database every time.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::{Duration, Instant},
};

use safecert_domain::{CertNo, TenantSlug};
use safecert_memo::{Memo, Tally, Turns};
use serde::{Deserialize, Serialize};

use crate::{
    CertificateRecord, DirectoryEntry,
    redis_cache::{RedisConfig, RedisTier},
};

/// What the cache knows about a key.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub(crate) enum Entry<T> {
    Found(T),
    Missing,
}

/// Entries of each kind kept by each thread that serves lookups: about
/// 50 MB of certificates per thread when full, as a scan of numbers nobody
/// asked before leaves it.
const LOCAL_CAPACITY: usize = 50_000;
/// With Redis, other replicas' changes arrive by pub/sub, and a gap in it
/// clears the local tier; the TTL only bounds what a lost message costs.
const LOCAL_TTL: Duration = Duration::from_secs(300);
const MISSING_TTL_SECS: u64 = 30;

#[derive(Default, Debug, Clone, Copy, Serialize)]
pub struct CacheStats {
    pub local_hits: u64,
    pub redis_hits: u64,
    pub misses: u64,
}

pub struct LookupCache {
    certs: Memo<String, Entry<Arc<CertificateRecord>>>,
    directory: Memo<String, Entry<Arc<DirectoryEntry>>>,
    redis: Option<Arc<RedisTier>>,
    local_hits: Tally,
    redis_hits: Tally,
    misses: Tally,
    /// One load at a time of each missing key.
    loads: Turns<String>,
    rules_changed: tokio::sync::Notify,
    /// How many times entries were dropped for a change: what was made
    /// from a cached certificate is good while this stays the same.
    changes: AtomicU64,
}

/// Where the caches stood before a load: what it loaded is kept only if
/// nothing changed since.
#[derive(Clone, Copy)]
struct Before {
    changes: u64,
    local_removals: u64,
    at: Instant,
}

pub(crate) fn cert_key(tenant: &TenantSlug, no: &CertNo) -> String {
    // Joined in one allocation: every lookup makes a key.
    ["cert:", tenant.as_str(), ":", no.as_str()].concat()
}

pub(crate) fn directory_key(no: &CertNo) -> String {
    ["dir:", no.as_str()].concat()
}

/// Invalidation messages starting with this name a tenant whose rules
/// changed, not a cache key.
const RULES_KEY: &str = "rules:";

impl LookupCache {
    /// An in-process cache only.
    pub fn local() -> Self {
        Self::build(None)
    }

    /// An in-process cache in front of Redis. Fails only on a malformed
    /// URL: an unreachable Redis is tolerated and retried.
    pub fn with_redis(config: &RedisConfig) -> Result<Self, redis::RedisError> {
        let tier = Arc::new(RedisTier::new(config)?);
        let cache = Self::build(Some(tier));
        Ok(cache)
    }

    fn build(redis: Option<Arc<RedisTier>>) -> Self {
        let local_ttl = if redis.is_some() { LOCAL_TTL } else { Duration::from_secs(600) };
        Self {
            certs: Memo::per_thread(LOCAL_CAPACITY).expiring_after(local_ttl),
            directory: Memo::per_thread(LOCAL_CAPACITY).expiring_after(local_ttl),
            redis,
            local_hits: Tally::default(),
            redis_hits: Tally::default(),
            misses: Tally::default(),
            loads: Turns::default(),
            rules_changed: tokio::sync::Notify::new(),
            changes: AtomicU64::new(0),
        }
    }

    /// Starts listening for invalidations from other replicas, and the
    /// writer that stores what lookups loaded. Call once, inside the
    /// runtime, after wrapping the cache in an `Arc`.
    pub fn start_listener(self: &Arc<Self>) {
        self.start_writer();
        let Some(redis) = &self.redis else { return };
        let on_keys = Arc::clone(self);
        let on_gap = Arc::clone(self);
        redis.spawn_listener(
            move |key| on_keys.drop_local(key),
            move || {
                on_gap.certs.clear();
                on_gap.directory.clear();
                on_gap.changes.fetch_add(1, Ordering::AcqRel);
            },
        );
    }

    /// Starts the writer that stores what lookups loaded in Redis.
    fn start_writer(self: &Arc<Self>) {
        if let Some(redis) = &self.redis {
            let changes = Arc::clone(self);
            redis.spawn_writer(move || changes.changes());
        }
    }

    /// Wakes whoever waits for rule changes announced by any replica.
    pub fn rules_changed(&self) -> &tokio::sync::Notify {
        &self.rules_changed
    }

    /// Tells every replica (through Redis, when configured) that a
    /// tenant's active rules changed.
    pub async fn announce_rules_change(&self, tenant: &str) {
        self.rules_changed.notify_one();
        if let Some(redis) = &self.redis {
            redis.announce(&format!("{RULES_KEY}{tenant}")).await;
        }
    }

    fn drop_local(&self, key: &str) {
        if key.starts_with(RULES_KEY) {
            self.rules_changed.notify_one();
            return;
        }
        self.certs.remove(key);
        self.directory.remove(key);
        self.changes.fetch_add(1, Ordering::AcqRel);
    }

    /// The count of changes so far. Read it before reading a certificate:
    /// whatever is made from what was read is out of date once the count
    /// moves on.
    pub fn changes(&self) -> u64 {
        self.changes.load(Ordering::Acquire)
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { local_hits: self.local_hits.get(), redis_hits: self.redis_hits.get(), misses: self.misses.get() }
    }

    /// The entry for `key` from either tier, without counting a miss.
    async fn get<T>(&self, local: &Memo<String, Entry<T>>, key: &String) -> Option<Entry<T>>
    where
        T: Clone + Send + Sync + 'static + for<'de> Deserialize<'de>,
    {
        if let Some(hit) = local.get(key) {
            self.local_hits.add(1);
            return Some(hit);
        }
        let Some(redis) = &self.redis else { return None };
        // A change heard of while Redis answers may have come after it.
        let mark = local.removal_mark();
        if let Some(bytes) = redis.get(key).await
            && let Ok(entry) = serde_json::from_slice::<Entry<T>>(&bytes)
        {
            self.redis_hits.add(1);
            local.insert_unless_removed_since(mark, key.clone(), entry.clone());
            return Some(entry);
        }
        None
    }

    /// The entry for `key` from the caches, or else what `load` finds
    /// (then kept). However many requests miss the same key at once, one
    /// loads and the others wait for it (`safecert_memo::Turns`).
    /// `load` makes its future only on a miss: a hit moves nothing more
    /// than a reference around.
    async fn get_or_load<T, E, F: Future<Output = Result<Option<T>, E>>>(
        &self,
        local: &Memo<String, Entry<T>>,
        key: String,
        load: impl FnOnce() -> F,
    ) -> Result<Option<T>, E>
    where
        T: Clone + Send + Sync + 'static + Serialize + for<'de> Deserialize<'de>,
    {
        let found = |entry| match entry {
            Entry::Found(value) => Some(value),
            Entry::Missing => None,
        };
        if let Some(hit) = self.get(local, &key).await {
            return Ok(found(hit));
        }
        let turn = self.loads.take(&key).await;
        // Loaded meanwhile, while this request waited for the turn or
        // between its miss and its turn: this thread's tier has it. Only
        // a request that waited asks Redis again.
        if let Some(hit) = local.get(&key) {
            self.local_hits.add(1);
            return Ok(found(hit));
        }
        if turn.waited()
            && let Some(hit) = self.get(local, &key).await
        {
            return Ok(found(hit));
        }
        self.misses.add(1);
        let before = Before { changes: self.changes(), local_removals: local.removal_mark(), at: Instant::now() };
        let loaded = load().await?;
        self.put(local, key, loaded.clone().map_or(Entry::Missing, Entry::Found), before);
        drop(turn);
        Ok(loaded)
    }

    /// Keeps what was loaded, unless a change came after `before`: then
    /// it may be what the change replaced.
    fn put<T>(&self, local: &Memo<String, Entry<T>>, key: String, entry: Entry<T>, before: Before)
    where
        T: Clone + Send + Sync + 'static + Serialize,
    {
        if let Some(redis) = &self.redis
            && let Ok(bytes) = serde_json::to_vec(&entry)
        {
            // The answer does not wait for Redis to store it.
            let ttl = matches!(entry, Entry::Missing).then_some(MISSING_TTL_SECS);
            redis.store_later(key.clone(), bytes, ttl, before.changes, before.at);
        }
        local.insert_unless_removed_since(before.local_removals, key, entry);
    }

    /// The certificate from the caches, or else from `load`.
    pub(crate) async fn cert_or_load<E, F: Future<Output = Result<Option<Arc<CertificateRecord>>, E>>>(
        &self,
        tenant: &TenantSlug,
        no: &CertNo,
        load: impl FnOnce() -> F,
    ) -> Result<Option<Arc<CertificateRecord>>, E> {
        self.get_or_load(&self.certs, cert_key(tenant, no), load).await
    }

    /// The directory entry from the caches, or else from `load`.
    pub(crate) async fn directory_or_load<E, F: Future<Output = Result<Option<Arc<DirectoryEntry>>, E>>>(
        &self,
        no: &CertNo,
        load: impl FnOnce() -> F,
    ) -> Result<Option<Arc<DirectoryEntry>>, E> {
        self.get_or_load(&self.directory, directory_key(no), load).await
    }

    /// Forgets everything about a certificate number, here and (through
    /// Redis) in every replica.
    pub(crate) async fn invalidate(&self, tenant: &TenantSlug, no: &CertNo) {
        let keys = [cert_key(tenant, no), directory_key(no)];
        for key in &keys {
            self.drop_local(key);
        }
        if let Some(redis) = &self.redis {
            redis.invalidate(&keys).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{
        process::{Child, Command, Stdio},
        sync::Arc,
        time::Duration,
    };

    use chrono::{NaiveDate, Utc};
    use safecert_domain::{CertNo, RevocationKind, TenantSlug};

    use super::LookupCache;
    use crate::{CertificateRecord, redis_cache::RedisConfig};

    /// A Redis of the test's own, on a free port.
    struct RedisServer {
        child: Child,
        port: u16,
    }

    impl RedisServer {
        fn start() -> Self {
            let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
            let child = Command::new("redis-server")
                .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
                .stdout(Stdio::null())
                .spawn()
                .expect("redis-server must be installed for this test (README: set-up)");
            for _ in 0..100 {
                if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                    break;
                }
                std::thread::sleep(Duration::from_millis(50));
            }
            Self { child, port }
        }

        /// A replica's cache on this Redis, all replicas under one prefix.
        fn replica(&self) -> Arc<LookupCache> {
            let config = RedisConfig {
                url: format!("redis://127.0.0.1:{}", self.port),
                prefix: "replicas:".into(),
                ttl: Duration::from_secs(600),
                op_timeout: Duration::from_secs(2),
            };
            Arc::new(LookupCache::with_redis(&config).unwrap())
        }

        fn holds(&self, key: &str) -> bool {
            use std::io::{Read, Write};
            let mut conn = std::net::TcpStream::connect(("127.0.0.1", self.port)).unwrap();
            conn.write_all(format!("EXISTS replicas:{key}\r\n").as_bytes()).unwrap();
            let mut reply = [0; 16];
            let n = conn.read(&mut reply).unwrap();
            &reply[..n] == b":1\r\n"
        }
    }

    impl Drop for RedisServer {
        fn drop(&mut self) {
            let _ = self.child.kill();
            let _ = self.child.wait();
        }
    }

    fn record(no: &str, revoked: bool) -> Arc<CertificateRecord> {
        let day = |d| NaiveDate::from_ymd_opt(2025, 3, d).unwrap();
        Arc::new(CertificateRecord {
            cert_no: no.into(),
            holder_name: "张三".into(),
            id_masked: "110105********002X".into(),
            id_index: "index".into(),
            employer_uscc: "91440300MA5FXXXX0X".into(),
            employer_name: "某某安全有限公司".into(),
            department: "安全部".into(),
            region_code: "440300".into(),
            position: "安全员".into(),
            industry: "建筑业".into(),
            cert_type: "安全生产管理人员".into(),
            issuing_authority: "广东省应急管理厅".into(),
            issue_date: day(1),
            expiry_date: day(31),
            revocation_kind: revoked.then_some(RevocationKind::Revoked),
            revocation_on: revoked.then(|| day(15)),
            revocation_reason: revoked.then(|| "test".into()),
            reviewed_on: None,
            updated_at: Utc::now().fixed_offset(),
        })
    }

    #[tokio::test]
    async fn a_certificate_read_before_another_replica_changed_it_is_not_put_back_in_redis_after_the_change() {
        let redis = RedisServer::start();
        let tenant = TenantSlug::parse("gd").unwrap();
        let (no, other) = (CertNo::parse("GD20250000001").unwrap(), CertNo::parse("GD20250000002").unwrap());
        // Replica A has not heard of the change yet: its writer runs, but
        // no invalidation message has reached it.
        let a = redis.replica();
        a.start_writer();
        let b = redis.replica();
        b.start_listener();

        let (reading, read_began) = tokio::sync::oneshot::channel();
        let (answer, database) = tokio::sync::oneshot::channel::<Arc<CertificateRecord>>();
        let a_reads = tokio::spawn({
            let (a, tenant, no) = (Arc::clone(&a), tenant.clone(), no.clone());
            async move {
                let load = || async move {
                    let _ = reading.send(());
                    Ok::<_, ()>(database.await.ok())
                };
                a.cert_or_load(&tenant, &no, load).await
            }
        });
        read_began.await.unwrap();
        b.invalidate(&tenant, &no).await;
        answer.send(record(no.as_str(), false)).unwrap();
        let read = a_reads.await.unwrap().unwrap().unwrap();
        assert!(read.revocation_kind.is_none(), "A answered with what it read before the change");

        // A's writer sends stores in order: once a later one is in Redis,
        // it has sent the old certificate's too.
        let later = a.cert_or_load(&tenant, &other, || async { Ok::<_, ()>(Some(record(other.as_str(), false))) });
        later.await.unwrap();
        let mut stored = false;
        for _ in 0..200 {
            stored = redis.holds(&super::cert_key(&tenant, &other));
            if stored {
                break;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        assert!(stored, "A's writer stores what it loads");

        // A replica that starts now reads the changed certificate.
        let c = redis.replica();
        let seen = c.cert_or_load(&tenant, &no, || async { Ok::<_, ()>(Some(record(no.as_str(), true))) });
        let seen = seen.await.unwrap().unwrap();
        assert_eq!(seen.revocation_kind, Some(RevocationKind::Revoked), "not the certificate from before the change");
    }
}
