//! The lookup cache: an in-process tier (`Memo`) in front of an optional
//! Redis tier. Both keep found certificates and, for a shorter time, the
//! fact that a number does not exist, so probing unknown numbers does not
//! reach the database every time.

use std::{
    sync::{
        Arc,
        atomic::{AtomicU64, Ordering},
    },
    time::Duration,
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

/// Entries of each kind kept by each thread that serves lookups.
const LOCAL_CAPACITY: usize = 100_000;
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
        let Some(redis) = &self.redis else { return };
        let changes = Arc::clone(self);
        redis.spawn_writer(move || changes.changes());
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

    /// Wakes whoever waits for rule changes announced by any replica.
    pub fn rules_changed(&self) -> &tokio::sync::Notify {
        &self.rules_changed
    }

    /// Tells every replica (through Redis, when configured) that a
    /// tenant's active rules changed.
    pub async fn announce_rules_change(&self, tenant: &str) {
        self.rules_changed.notify_one();
        if let Some(redis) = &self.redis {
            redis.invalidate(&[format!("{RULES_KEY}{tenant}")]).await;
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
        if let Some(redis) = &self.redis
            && let Some(bytes) = redis.get(key).await
            && let Ok(entry) = serde_json::from_slice::<Entry<T>>(&bytes)
        {
            self.redis_hits.add(1);
            local.insert(key.clone(), entry.clone());
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
        let before = Before { changes: self.changes(), local_removals: local.removal_mark() };
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
            redis.store_later(key.clone(), bytes, ttl, before.changes);
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
