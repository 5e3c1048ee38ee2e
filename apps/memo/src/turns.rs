//! One fill at a time for each missing key.
//!
//! When a remembered answer runs out (or was never there), every request
//! in flight for the same key misses at once: a popular certificate, or an
//! API client on hundreds of connections. Each would send the same read to
//! a database of a few connections, and requests would queue behind those
//! reads for seconds. With a turn, the first miss reads; the others wait
//! for its turn to end and then find the answer remembered.

use std::{
    collections::HashMap,
    hash::Hash,
    sync::{Arc, Mutex, MutexGuard},
};

type Gate = Arc<tokio::sync::Mutex<()>>;

pub struct Turns<K> {
    /// Keys being filled, each with the gate its other requests wait at.
    under_way: Mutex<HashMap<K, Gate>>,
}

impl<K> Default for Turns<K> {
    fn default() -> Self {
        Self { under_way: Mutex::new(HashMap::new()) }
    }
}

impl<K> Turns<K> {
    fn under_way(&self) -> MutexGuard<'_, HashMap<K, Gate>> {
        self.under_way.lock().unwrap_or_else(|p| p.into_inner())
    }
}

/// The right to fill one key; other requests for the key wait until it is
/// dropped.
pub struct Turn<'a, K: Hash + Eq> {
    turns: &'a Turns<K>,
    key: K,
    gate: Gate,
    waited: bool,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl<K: Hash + Eq + Clone> Turns<K> {
    /// Waits for the turn of any request filling the same key, then takes
    /// the turn.
    pub async fn take(&self, key: &K) -> Turn<'_, K> {
        let (gate, waited) = {
            let mut under_way = self.under_way();
            match under_way.get(key) {
                Some(gate) => (Arc::clone(gate), true),
                None => {
                    let gate = Gate::default();
                    under_way.insert(key.clone(), Arc::clone(&gate));
                    (gate, false)
                }
            }
        };
        let held = Arc::clone(&gate).lock_owned().await;
        Turn { turns: self, key: key.clone(), gate, waited, _held: held }
    }

    /// The turn for `key` if no other request has it; never waits. For
    /// reading an answer again ahead of time: whoever finds the turn taken
    /// goes on with the answer it has.
    pub fn try_take(&self, key: &K) -> Option<Turn<'_, K>> {
        let gate = Gate::default();
        let held = Arc::clone(&gate).try_lock_owned().ok()?;
        let mut under_way = self.under_way();
        if under_way.contains_key(key) {
            return None;
        }
        under_way.insert(key.clone(), Arc::clone(&gate));
        Some(Turn { turns: self, key: key.clone(), gate, waited: false, _held: held })
    }

    /// Keys being filled now.
    pub fn under_way_now(&self) -> usize {
        self.under_way().len()
    }
}

impl<K: Hash + Eq> Turn<'_, K> {
    /// Whether another request had the turn first, so that what it
    /// filled is worth looking for even where looking costs a round trip.
    /// (A request can also miss just before another's turn ends and take
    /// the next one without waiting: look again where it is cheap.)
    pub fn waited(&self) -> bool {
        self.waited
    }
}

impl<K: Hash + Eq> Drop for Turn<'_, K> {
    /// Whoever waits at the gate still gets a turn; requests that come
    /// later find no gate, and fill only if the answer is not remembered.
    fn drop(&mut self) {
        let mut under_way = self.turns.under_way();
        if under_way.get(&self.key).is_some_and(|gate| Arc::ptr_eq(gate, &self.gate)) {
            under_way.remove(&self.key);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::Turns;

    #[tokio::test]
    async fn a_second_request_for_the_same_key_waits_for_the_first_turn() {
        let turns = Arc::new(Turns::<String>::default());
        let first = turns.take(&"a".to_owned()).await;
        assert!(!first.waited());
        let waiting = {
            let turns = Arc::clone(&turns);
            tokio::spawn(async move { turns.take(&"a".to_owned()).await.waited() })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the second turn came while the first was held");
        let other = tokio::time::timeout(Duration::from_secs(1), turns.take(&"b".to_owned())).await;
        assert!(other.is_ok_and(|turn| !turn.waited()), "another key does not wait");
        drop(first);
        let waited = tokio::time::timeout(Duration::from_secs(1), waiting).await.unwrap().unwrap();
        assert!(waited, "the second request knows to look again");
        assert_eq!(turns.under_way_now(), 0, "finished turns leave nothing behind");
    }

    #[tokio::test]
    async fn a_turn_tried_while_another_holds_it_is_not_given() {
        let turns = Turns::<String>::default();
        let key = "a".to_owned();
        let first = turns.try_take(&key).expect("nobody holds the turn");
        assert!(turns.try_take(&key).is_none(), "a second request goes on without it");
        let waiting = tokio::time::timeout(Duration::from_millis(20), turns.take(&key)).await;
        assert!(waiting.is_err(), "a tried turn holds back waiting requests like any other");
        drop(first);
        assert!(turns.try_take(&key).is_some(), "free again once dropped");
        assert_eq!(turns.under_way_now(), 0);
    }
}
