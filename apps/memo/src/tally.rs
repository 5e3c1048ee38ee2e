//! A counter that every request adds to and only the metrics page reads.
//! One shared atomic would be passed between the cores on every add; each
//! thread adds to its own slot (on a cache line of its own) instead, and a
//! read sums the slots.

use std::sync::atomic::{AtomicU64, Ordering};

use crate::{THREAD_SLOTS, thread_slot};

#[derive(Default)]
#[repr(align(128))]
struct Slot(AtomicU64);

#[derive(Default)]
pub struct Tally {
    slots: [Slot; THREAD_SLOTS],
}

impl Tally {
    pub fn add(&self, n: u64) {
        self.slots[thread_slot()].0.fetch_add(n, Ordering::Relaxed);
    }

    pub fn get(&self) -> u64 {
        self.slots.iter().map(|s| s.0.load(Ordering::Relaxed)).sum()
    }
}

#[cfg(test)]
mod tests {
    use super::Tally;

    #[test]
    fn adds_from_every_thread_are_counted() {
        let tally = std::sync::Arc::new(Tally::default());
        let threads: Vec<_> = (0..12)
            .map(|_| {
                let tally = std::sync::Arc::clone(&tally);
                std::thread::spawn(move || (0..1000).for_each(|_| tally.add(1)))
            })
            .collect();
        for t in threads {
            assert!(t.join().is_ok());
        }
        assert_eq!(tally.get(), 12_000);
    }
}
