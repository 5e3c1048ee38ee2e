//! One database read per expired caller, however many requests carry its
//! token at that moment.
//!
//! A signed-in caller is remembered for a few seconds. When that runs out,
//! every request in flight with the same token misses at once: an API
//! client on hundreds of connections would send hundreds of identical
//! reads to a pool of a few connections, and requests would queue behind
//! them for seconds. Instead the first miss reads, and the others wait for
//! its turn to end, then find the caller remembered.

use std::{
    collections::HashMap,
    sync::{
        Arc, Mutex,
        atomic::{AtomicU64, Ordering},
    },
};

type Gate = Arc<tokio::sync::Mutex<()>>;

#[derive(Default)]
pub(crate) struct CallerReads {
    /// Tokens (hashed) whose caller is being read, each with the gate its
    /// other requests wait at.
    under_way: Mutex<HashMap<String, Gate>>,
    done: AtomicU64,
}

/// The right to read one token's caller; other requests with the token
/// wait until it is dropped.
pub(crate) struct Turn<'a> {
    reads: &'a CallerReads,
    hash: String,
    gate: Gate,
    _held: tokio::sync::OwnedMutexGuard<()>,
}

impl CallerReads {
    /// Waits for any read of the same token under way, then takes the turn.
    pub(crate) async fn turn(&self, hash: &str) -> Turn<'_> {
        let gate = Arc::clone(self.under_way().entry(hash.to_owned()).or_default());
        let held = Arc::clone(&gate).lock_owned().await;
        Turn { reads: self, hash: hash.to_owned(), gate, _held: held }
    }

    /// Callers read from the database so far.
    pub(crate) fn count(&self) -> u64 {
        self.done.load(Ordering::Relaxed)
    }

    fn under_way(&self) -> std::sync::MutexGuard<'_, HashMap<String, Gate>> {
        self.under_way.lock().unwrap_or_else(|p| p.into_inner())
    }
}

impl Turn<'_> {
    /// Counts the read this turn makes.
    pub(crate) fn reading(&self) {
        self.reads.done.fetch_add(1, Ordering::Relaxed);
    }
}

impl Drop for Turn<'_> {
    /// Whoever waits at the gate still gets a turn (and finds the caller
    /// remembered); requests that come later find no gate and read only if
    /// the caller is not remembered.
    fn drop(&mut self) {
        let mut under_way = self.reads.under_way();
        if under_way.get(&self.hash).is_some_and(|gate| Arc::ptr_eq(gate, &self.gate)) {
            under_way.remove(&self.hash);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::{sync::Arc, time::Duration};

    use super::CallerReads;

    #[tokio::test]
    async fn a_second_request_for_the_same_token_waits_for_the_first_turn() {
        let reads = Arc::new(CallerReads::default());
        let first = reads.turn("a").await;
        let waiting = {
            let reads = Arc::clone(&reads);
            tokio::spawn(async move {
                let _turn = reads.turn("a").await;
            })
        };
        tokio::time::sleep(Duration::from_millis(20)).await;
        assert!(!waiting.is_finished(), "the second turn came while the first was held");
        let other = tokio::time::timeout(Duration::from_secs(1), reads.turn("b")).await;
        assert!(other.is_ok(), "another token does not wait");
        drop(other);
        drop(first);
        tokio::time::timeout(Duration::from_secs(1), waiting).await.unwrap().unwrap();
        assert!(reads.under_way().is_empty(), "finished turns leave nothing behind");
    }
}
