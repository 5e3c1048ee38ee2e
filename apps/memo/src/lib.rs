//! A bounded map of answers that are read far more often than they
//! change: found certificates, rule outcomes, signed-in callers, rate
//! buckets.
//!
//! A read takes a shared lock on one of several shards and clones the
//! value (an `Arc` or a small copy); nothing else is written on a read,
//! so two threads reading the same entries never wait for each other. A
//! general-purpose cache keeps recency or frequency on every read and
//! runs upkeep on the reading thread; on lookups answered in a few
//! microseconds that bookkeeping cost more than the lookup itself.
//!
//! What it gives up: there is no recency order. A full shard first forgets
//! what expired (or what its `keep` test lets go), then, if still full,
//! every other entry: whatever is still wanted comes back on the next
//! miss.

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::{BuildHasher, Hash, RandomState},
    sync::{RwLock, RwLockReadGuard, RwLockWriteGuard},
    time::{Duration, Instant},
};

const SHARDS: usize = 16;

struct Kept<V> {
    value: V,
    until: Option<Instant>,
}

impl<V> Kept<V> {
    fn live(&self, now: Instant) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

type Shard<K, V> = HashMap<K, Kept<V>>;

/// Whether an entry is still worth keeping when its shard is full.
type Keep<V> = Box<dyn Fn(&V) -> bool + Send + Sync>;

pub struct Memo<K, V> {
    shards: Box<[RwLock<Shard<K, V>>]>,
    per_shard: usize,
    ttl: Option<Duration>,
    keep: Option<Keep<V>>,
    hasher: RandomState,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// At most about `capacity` entries, kept until they are pushed out.
    pub fn new(capacity: usize) -> Self {
        let per_shard = capacity.div_ceil(SHARDS).max(1);
        Self {
            shards: (0..SHARDS).map(|_| RwLock::new(HashMap::new())).collect(),
            per_shard,
            ttl: None,
            keep: None,
            hasher: RandomState::new(),
        }
    }

    /// Entries are forgotten `ttl` after they were stored.
    pub fn expiring_after(mut self, ttl: Duration) -> Self {
        self.ttl = Some(ttl);
        self
    }

    /// A full shard lets go of the entries `keep` says are no longer worth
    /// keeping before it forgets any others.
    pub fn keeping(mut self, keep: impl Fn(&V) -> bool + Send + Sync + 'static) -> Self {
        self.keep = Some(Box::new(keep));
        self
    }

    fn shard<Q: Hash + ?Sized>(&self, key: &Q) -> usize {
        (self.hasher.hash_one(key) as usize) % SHARDS
    }

    fn read(&self, i: usize) -> RwLockReadGuard<'_, Shard<K, V>> {
        self.shards[i].read().unwrap_or_else(|p| p.into_inner())
    }

    fn write(&self, i: usize) -> RwLockWriteGuard<'_, Shard<K, V>> {
        self.shards[i].write().unwrap_or_else(|p| p.into_inner())
    }

    pub fn get<Q>(&self, key: &Q) -> Option<V>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let shard = self.read(self.shard(key));
        let kept = shard.get(key)?;
        if self.ttl.is_some() && !kept.live(Instant::now()) {
            return None;
        }
        Some(kept.value.clone())
    }

    /// The value for `key`, stored first from `make` if there is none.
    pub fn get_or_insert_with(&self, key: K, make: impl FnOnce() -> V) -> V {
        if let Some(value) = self.get(&key) {
            return value;
        }
        let i = self.shard(&key);
        let mut shard = self.write(i);
        let now = Instant::now();
        if let Some(kept) = shard.get(&key).filter(|k| k.live(now)) {
            return kept.value.clone();
        }
        let value = make();
        self.store(&mut shard, key, value.clone(), now);
        value
    }

    pub fn insert(&self, key: K, value: V) {
        let i = self.shard(&key);
        let mut shard = self.write(i);
        self.store(&mut shard, key, value, Instant::now());
    }

    fn store(&self, shard: &mut Shard<K, V>, key: K, value: V, now: Instant) {
        if shard.len() >= self.per_shard && !shard.contains_key(&key) {
            self.make_room(shard, now);
        }
        shard.insert(key, Kept { value, until: self.ttl.map(|ttl| now + ttl) });
    }

    fn make_room(&self, shard: &mut Shard<K, V>, now: Instant) {
        shard.retain(|_, kept| kept.live(now) && self.keep.as_ref().is_none_or(|keep| keep(&kept.value)));
        if shard.len() >= self.per_shard {
            let mut every_other = false;
            shard.retain(|_, _| {
                every_other = !every_other;
                every_other
            });
        }
    }

    pub fn remove<Q>(&self, key: &Q)
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.write(self.shard(key)).remove(key);
    }

    /// Forgets the entries `forget` picks.
    pub fn remove_where(&self, mut forget: impl FnMut(&K, &V) -> bool) {
        for i in 0..SHARDS {
            self.write(i).retain(|k, kept| !forget(k, &kept.value));
        }
    }

    pub fn clear(&self) {
        for i in 0..SHARDS {
            self.write(i).clear();
        }
    }

    /// Entries held, expired ones included until they are pushed out.
    pub fn len(&self) -> usize {
        (0..SHARDS).map(|i| self.read(i).len()).sum()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_is_stored_is_read_back_until_removed() {
        let memo = Memo::new(100);
        memo.insert("GD2023".to_owned(), 1);
        assert_eq!(memo.get("GD2023"), Some(1));
        assert_eq!(memo.get("JS2023"), None);
        memo.remove("GD2023");
        assert_eq!(memo.get("GD2023"), None);
    }

    #[test]
    fn it_never_holds_much_more_than_its_capacity() {
        let memo = Memo::new(1_000);
        for i in 0..100_000 {
            memo.insert(i, i);
        }
        assert!(memo.len() <= 1_000 + SHARDS, "{} entries", memo.len());
        assert_eq!(memo.get(&99_999), Some(99_999), "the newest entry is kept");
    }

    #[test]
    fn entries_expire_after_their_time() {
        let memo = Memo::new(10).expiring_after(Duration::from_millis(30));
        memo.insert(1, "one");
        assert_eq!(memo.get(&1), Some("one"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(memo.get(&1), None);
        assert_eq!(memo.get_or_insert_with(1, || "again"), "again");
    }

    #[test]
    fn a_full_memo_lets_go_of_what_is_not_worth_keeping_first() {
        // Even numbers are worth keeping: only odd ones make room.
        let memo = Memo::new(SHARDS * 64).keeping(|v: &u32| v % 2 == 0);
        for i in 0..16 {
            memo.insert(i * 2, i * 2);
        }
        for i in 0..10_000 {
            memo.insert(i * 2 + 1, i * 2 + 1);
        }
        for i in 0..16 {
            assert_eq!(memo.get(&(i * 2)), Some(i * 2));
        }
        assert!(memo.len() <= SHARDS * 64);
    }

    #[test]
    fn remove_where_forgets_the_entries_picked() {
        let memo = Memo::new(100);
        for i in 0..10 {
            memo.insert(i, i % 3);
        }
        memo.remove_where(|_, v| *v == 0);
        assert_eq!(memo.len(), 6);
        memo.clear();
        assert!(memo.is_empty());
    }
}
