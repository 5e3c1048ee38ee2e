//! Entries that every request puts down and one reader takes away now and
//! then, such as the query log's: each thread puts them in a slot of its
//! own (on a cache line of its own), so a request touches nothing another
//! core writes, where a shared queue passes its tail and its count between
//! the cores on every entry. The reader visits every slot in turn.
//!
//! Unlike [`crate::Scratch`], a put waits for its slot when the reader
//! holds it, rather than working on a fresh value: nothing put down is
//! lost.

use std::sync::{Mutex, MutexGuard};

use crate::ThreadSlots;

pub struct Gathering<T> {
    slots: ThreadSlots<T>,
}

impl<T: Default> Default for Gathering<T> {
    fn default() -> Self {
        Self { slots: ThreadSlots::default() }
    }
}

impl<T> Gathering<T> {
    /// Runs `put` on this thread's slot.
    pub fn put<R>(&self, put: impl FnOnce(&mut T) -> R) -> R {
        put(&mut lock(self.slots.mine()))
    }

    /// Runs `visit` on every slot in turn, each while its threads wait:
    /// keep it short (to take what a slot holds, swap it for an empty value
    /// made beforehand).
    pub fn for_each(&self, mut visit: impl FnMut(&mut T)) {
        for slot in self.slots.all() {
            visit(&mut lock(slot));
        }
    }
}

/// A slot's value. One a put left half done when it panicked is kept: what
/// was put down before it is still there to take.
fn lock<T>(slot: &Mutex<T>) -> MutexGuard<'_, T> {
    slot.lock().unwrap_or_else(|poisoned| {
        slot.clear_poison();
        poisoned.into_inner()
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use super::Gathering;

    #[test]
    fn everything_put_down_on_any_thread_is_taken_once() {
        let gathering = Arc::new(Gathering::<Vec<u32>>::default());
        let threads: Vec<_> = (0..12)
            .map(|t| {
                let gathering = Arc::clone(&gathering);
                std::thread::spawn(move || (0..100).for_each(|i| gathering.put(|v| v.push(t * 100 + i))))
            })
            .collect();
        let mut taken = Vec::new();
        for t in threads {
            assert!(t.join().is_ok());
        }
        gathering.for_each(|v| taken.append(v));
        taken.sort_unstable();
        assert_eq!(taken, (0..1200).collect::<Vec<_>>());
        gathering.for_each(|v| assert!(v.is_empty(), "taken away, not copied"));
    }

    #[test]
    fn a_put_that_panicked_leaves_what_was_put_before_it() {
        let gathering = Gathering::<Vec<u32>>::default();
        gathering.put(|v| v.push(1));
        let panicked = std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| {
            gathering.put(|v| {
                v.push(2);
                panic!("half done");
            })
        }));
        assert!(panicked.is_err());
        gathering.put(|v| v.push(3));
        let mut taken = Vec::new();
        gathering.for_each(|v| taken.append(v));
        assert_eq!(taken, [1, 2, 3]);
    }
}
