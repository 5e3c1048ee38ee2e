//! A bounded map of answers that are read far more often than they
//! change: found certificates, rule outcomes, signed-in callers, rate
//! buckets.
//!
//! A read takes a shared lock on one slot and clones the value (an `Arc`
//! or a small copy); nothing else is written on a read. A general-purpose
//! cache keeps recency or frequency on every read and runs upkeep on the
//! reading thread; on lookups answered in a few microseconds that
//! bookkeeping cost more than the lookup itself.
//!
//! Two placements:
//! - [`Memo::per_thread`]: each thread reads and fills a slot of its own,
//!   so the lock word a read touches stays in that thread's core (two
//!   cores taking turns on one lock word pass it back and forth on every
//!   read). Each thread keeps up to the capacity; removal reaches every
//!   slot. For answers that are the same whichever thread finds them.
//! - [`Memo::shared`]: one map for every thread, split by key, for state
//!   that must be one (a rate bucket).
//!
//! What it gives up: there is no recency order. A full slot first forgets
//! what expired (or what its `keep` test lets go), then, if still full,
//! every other entry: whatever is still wanted comes back on the next
//! miss.
//!
//! Beside it: [`Tally`], a counter each thread adds to in its own slot;
//! [`Scratch`], working state each thread reuses from call to call;
//! [`Gathering`], entries each thread puts down for one reader to take;
//! [`Turns`], one load at a time of each missing key; [`Current`], a value
//! replaced now and then and read on every request.

mod current;
mod gathering;
mod scratch;
mod tally;
mod turns;

pub use current::Current;
pub use gathering::Gathering;
pub use scratch::Scratch;
pub use tally::Tally;
pub use turns::{Turn, Turns};

use std::{
    borrow::Borrow,
    collections::HashMap,
    hash::{BuildHasher, Hash},
    sync::{
        Mutex, RwLock, RwLockReadGuard, RwLockWriteGuard,
        atomic::{AtomicU64, AtomicUsize, Ordering},
    },
    time::{Duration, Instant},
};

/// Slots of a shared memo, picked by key.
const SHARDS: usize = 16;
/// Slots of a per-thread memo: threads beyond this many share slots.
const THREAD_SLOTS: usize = 8;

/// This thread's slot number, given on its first use.
fn thread_slot() -> usize {
    static NEXT: AtomicUsize = AtomicUsize::new(0);
    thread_local! {
        static SLOT: usize = NEXT.fetch_add(1, Ordering::Relaxed) % THREAD_SLOTS;
    }
    SLOT.with(|slot| *slot)
}

/// A value for each thread slot, each behind a lock of its own on a cache
/// line of its own: [`Scratch`] and [`Gathering`] differ only in what a
/// thread does when it finds its slot taken.
struct ThreadSlots<T> {
    slots: [Slot<T>; THREAD_SLOTS],
}

#[repr(align(128))]
#[derive(Default)]
struct Slot<T>(Mutex<T>);

impl<T: Default> Default for ThreadSlots<T> {
    fn default() -> Self {
        Self { slots: std::array::from_fn(|_| Slot::default()) }
    }
}

impl<T> ThreadSlots<T> {
    /// This thread's slot.
    fn mine(&self) -> &Mutex<T> {
        &self.slots[thread_slot()].0
    }

    /// Every slot, in the same order each time.
    fn all(&self) -> impl Iterator<Item = &Mutex<T>> {
        self.slots.iter().map(|slot| &slot.0)
    }
}

#[derive(Clone, Copy)]
enum Placement {
    ByKey,
    ByThread,
}

struct Kept<V> {
    value: V,
    until: Option<Instant>,
}

impl<V> Kept<V> {
    fn live(&self, now: Instant) -> bool {
        self.until.is_none_or(|until| now < until)
    }
}

/// Keys are hashed with foldhash, seeded at random for each map (and
/// apart for picking a shard): a hot lookup reads half a dozen memos, and
/// SipHash, the standard library's default, cost more than the rest of
/// each read. A random seed keeps where a key from outside (a number
/// asked, an address) lands unguessable.
type Hasher = foldhash::fast::RandomState;

type Shard<K, V> = HashMap<K, Kept<V>, Hasher>;

/// Whether an entry is still worth keeping when its shard is full.
type Keep<V> = Box<dyn Fn(&V) -> bool + Send + Sync>;

pub struct Memo<K, V> {
    shards: Box<[RwLock<Shard<K, V>>]>,
    placement: Placement,
    per_shard: usize,
    ttl: Option<Duration>,
    keep: Option<Keep<V>>,
    hasher: Hasher,
    /// Removals so far (see [`Memo::insert_unless_removed_since`]).
    removals: AtomicU64,
}

impl<K: Hash + Eq, V: Clone> Memo<K, V> {
    /// Up to `capacity` entries for each thread that uses it.
    pub fn per_thread(capacity: usize) -> Self {
        Self::placed(Placement::ByThread, THREAD_SLOTS, capacity.max(1))
    }

    /// At most about `capacity` entries, one map for every thread.
    pub fn shared(capacity: usize) -> Self {
        Self::placed(Placement::ByKey, SHARDS, capacity.div_ceil(SHARDS).max(1))
    }

    fn placed(placement: Placement, slots: usize, per_shard: usize) -> Self {
        Self {
            shards: (0..slots).map(|_| RwLock::new(HashMap::with_hasher(Hasher::default()))).collect(),
            placement,
            per_shard,
            ttl: None,
            keep: None,
            hasher: Hasher::default(),
            removals: AtomicU64::new(0),
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
        match self.placement {
            Placement::ByKey => (self.hasher.hash_one(key) as usize) % SHARDS,
            Placement::ByThread => thread_slot(),
        }
    }

    fn shared_lock(&self, i: usize) -> RwLockReadGuard<'_, Shard<K, V>> {
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
        self.read(key, V::clone)
    }

    /// What `read` makes of the value for `key`, without cloning it.
    pub fn read<Q, R>(&self, key: &Q, read: impl FnOnce(&V) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read_live(key, |kept, _| read(&kept.value))
    }

    /// The value for `key`, and whether it runs out within `within`: an
    /// answer about to run out can be read again ahead of time by one
    /// request while the others go on using it.
    pub fn get_aging<Q>(&self, key: &Q, within: Duration) -> Option<(V, bool)>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        self.read_live(key, |kept, now| {
            let aging = now.zip(kept.until).is_some_and(|(now, until)| until <= now + within);
            (kept.value.clone(), aging)
        })
    }

    /// What `read` makes of the live entry for `key`, given the time it
    /// was judged live at (only entries that can run out need the clock).
    fn read_live<Q, R>(&self, key: &Q, read: impl FnOnce(&Kept<V>, Option<Instant>) -> R) -> Option<R>
    where
        K: Borrow<Q>,
        Q: Hash + Eq + ?Sized,
    {
        let shard = self.shared_lock(self.shard(key));
        let kept = shard.get(key)?;
        let now = self.ttl.map(|_| Instant::now());
        if now.is_some_and(|now| !kept.live(now)) {
            return None;
        }
        Some(read(kept, now))
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

    /// A mark to read a value from its source under: see
    /// [`Memo::insert_unless_removed_since`].
    pub fn removal_mark(&self) -> u64 {
        self.removals.load(Ordering::SeqCst)
    }

    /// Stores a value read from its source after `mark` was taken, unless
    /// something was removed since: a removal says the source changed (a
    /// session ended, say), and a value read before that must not come back
    /// after it. Whether it was stored.
    pub fn insert_unless_removed_since(&self, mark: u64, key: K, value: V) -> bool {
        let i = self.shard(&key);
        let mut shard = self.write(i);
        // A removal counts itself before it reaches the slots: one that
        // has not counted yet removes this entry too.
        if self.removals.load(Ordering::SeqCst) != mark {
            return false;
        }
        self.store(&mut shard, key, value, Instant::now());
        true
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
        self.removals.fetch_add(1, Ordering::SeqCst);
        match self.placement {
            Placement::ByKey => {
                self.write(self.shard(key)).remove(key);
            }
            Placement::ByThread => {
                for i in 0..self.shards.len() {
                    self.write(i).remove(key);
                }
            }
        }
    }

    /// Forgets the entries `forget` picks.
    pub fn remove_where(&self, mut forget: impl FnMut(&K, &V) -> bool) {
        self.removals.fetch_add(1, Ordering::SeqCst);
        for i in 0..self.shards.len() {
            self.write(i).retain(|k, kept| !forget(k, &kept.value));
        }
    }

    pub fn clear(&self) {
        self.removals.fetch_add(1, Ordering::SeqCst);
        for i in 0..self.shards.len() {
            self.write(i).clear();
        }
    }

    /// Entries held in every slot, expired ones included until they are
    /// pushed out.
    pub fn len(&self) -> usize {
        (0..self.shards.len()).map(|i| self.shared_lock(i).len()).sum()
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
        let memo = Memo::shared(100);
        memo.insert("GD2023".to_owned(), 1);
        assert_eq!(memo.get("GD2023"), Some(1));
        assert_eq!(memo.get("JS2023"), None);
        memo.remove("GD2023");
        assert_eq!(memo.get("GD2023"), None);
    }

    #[test]
    fn it_never_holds_much_more_than_its_capacity() {
        let memo = Memo::shared(1_000);
        for i in 0..100_000 {
            memo.insert(i, i);
        }
        assert!(memo.len() <= 1_000 + SHARDS, "{} entries", memo.len());
        assert_eq!(memo.get(&99_999), Some(99_999), "the newest entry is kept");
    }

    #[test]
    fn entries_expire_after_their_time() {
        let memo = Memo::per_thread(10).expiring_after(Duration::from_millis(30));
        memo.insert(1, "one");
        assert_eq!(memo.get(&1), Some("one"));
        std::thread::sleep(Duration::from_millis(40));
        assert_eq!(memo.get(&1), None);
        assert_eq!(memo.get_or_insert_with(1, || "again"), "again");
    }

    #[test]
    fn an_entry_near_its_end_is_told_apart_from_a_fresh_one() {
        let memo = Memo::per_thread(10).expiring_after(Duration::from_millis(200));
        memo.insert(1, "one");
        assert_eq!(memo.get_aging(&1, Duration::from_millis(50)), Some(("one", false)));
        assert_eq!(memo.get_aging(&1, Duration::from_millis(500)), Some(("one", true)));
        assert_eq!(memo.get_aging(&2, Duration::from_millis(500)), None);
        let lasting = Memo::per_thread(10);
        lasting.insert(1, "one");
        assert_eq!(lasting.get_aging(&1, Duration::from_secs(3600)), Some(("one", false)), "no expiry, never aging");
    }

    #[test]
    fn a_full_memo_lets_go_of_what_is_not_worth_keeping_first() {
        // Even numbers are worth keeping: only odd ones make room.
        let memo = Memo::shared(SHARDS * 64).keeping(|v: &u32| v.is_multiple_of(2));
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
        let memo = Memo::per_thread(100);
        for i in 0..10 {
            memo.insert(i, i % 3);
        }
        memo.remove_where(|_, v| *v == 0);
        assert_eq!(memo.len(), 6);
        memo.clear();
        assert!(memo.is_empty());
    }

    #[test]
    fn a_value_read_before_a_removal_is_not_stored_after_it() {
        let memo = Memo::per_thread(10);
        let mark = memo.removal_mark();
        // Meanwhile the source changed, and the memo was told.
        memo.remove("session-a");
        assert!(!memo.insert_unless_removed_since(mark, "session-a", "signed in"));
        assert_eq!(memo.get("session-a"), None);
        let mark = memo.removal_mark();
        assert!(memo.insert_unless_removed_since(mark, "session-a", "signed in again"));
        assert_eq!(memo.get("session-a"), Some("signed in again"));
    }

    #[test]
    fn removal_reaches_what_every_thread_kept() {
        let memo = std::sync::Arc::new(Memo::per_thread(10));
        memo.insert("GD1", 1);
        let other = std::sync::Arc::clone(&memo);
        let filled = std::thread::spawn(move || other.insert("GD1", 2)).join();
        assert!(filled.is_ok());
        memo.remove("GD1");
        assert!(memo.is_empty());
        let other = std::sync::Arc::clone(&memo);
        let seen = std::thread::spawn(move || other.get("GD1")).join();
        assert!(matches!(seen, Ok(None)));
    }
}
