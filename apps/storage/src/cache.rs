//! The lookup cache: an in-process tier (`Memo`) in front of an optional
//! Redis tier. Both keep found certificates and, for a shorter time, the
//! fact that a number does not exist, so probing unknown numbers does not
//! reach the database every time.

use std::{sync::Arc, time::Duration};

use safecert_domain::{CertNo, TenantSlug};
use safecert_memo::{Memo, Tally};
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
    rules_changed: tokio::sync::Notify,
}

pub(crate) fn cert_key(tenant: &TenantSlug, no: &CertNo) -> String {
    format!("cert:{tenant}:{no}")
}

pub(crate) fn directory_key(no: &CertNo) -> String {
    format!("dir:{no}")
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
            rules_changed: tokio::sync::Notify::new(),
        }
    }

    /// Starts listening for invalidations from other replicas. Call once,
    /// inside the runtime, after wrapping the cache in an `Arc`.
    pub fn start_listener(self: &Arc<Self>) {
        let Some(redis) = &self.redis else { return };
        let on_keys = Arc::clone(self);
        let on_gap = Arc::clone(self);
        redis.spawn_listener(
            move |key| on_keys.drop_local(key),
            move || {
                on_gap.certs.clear();
                on_gap.directory.clear();
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
    }

    pub fn stats(&self) -> CacheStats {
        CacheStats { local_hits: self.local_hits.get(), redis_hits: self.redis_hits.get(), misses: self.misses.get() }
    }

    async fn get<T>(&self, local: &Memo<String, Entry<T>>, key: String) -> Option<Entry<T>>
    where
        T: Clone + Send + Sync + 'static + for<'de> Deserialize<'de>,
    {
        if let Some(hit) = local.get(&key) {
            self.local_hits.add(1);
            return Some(hit);
        }
        if let Some(redis) = &self.redis
            && let Some(bytes) = redis.get(&key).await
            && let Ok(entry) = serde_json::from_slice::<Entry<T>>(&bytes)
        {
            self.redis_hits.add(1);
            local.insert(key, entry.clone());
            return Some(entry);
        }
        self.misses.add(1);
        None
    }

    async fn put<T>(&self, local: &Memo<String, Entry<T>>, key: String, entry: Entry<T>)
    where
        T: Clone + Send + Sync + 'static + Serialize,
    {
        if let Some(redis) = &self.redis
            && let Ok(bytes) = serde_json::to_vec(&entry)
        {
            // The answer does not wait for Redis to store it.
            let ttl = matches!(entry, Entry::Missing).then_some(MISSING_TTL_SECS);
            let (redis, key) = (Arc::clone(redis), key.clone());
            tokio::spawn(async move { redis.set(&key, bytes, ttl).await });
        }
        local.insert(key, entry);
    }

    pub(crate) async fn get_cert(&self, tenant: &TenantSlug, no: &CertNo) -> Option<Entry<Arc<CertificateRecord>>> {
        self.get(&self.certs, cert_key(tenant, no)).await
    }

    pub(crate) async fn put_cert(&self, tenant: &TenantSlug, no: &CertNo, entry: Entry<Arc<CertificateRecord>>) {
        self.put(&self.certs, cert_key(tenant, no), entry).await
    }

    pub(crate) async fn get_directory(&self, no: &CertNo) -> Option<Entry<Arc<DirectoryEntry>>> {
        self.get(&self.directory, directory_key(no)).await
    }

    pub(crate) async fn put_directory(&self, no: &CertNo, entry: Entry<Arc<DirectoryEntry>>) {
        self.put(&self.directory, directory_key(no), entry).await
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
