//! A value replaced now and then and read on every request, such as the
//! access policy in force. A read through a lock and a shared reference
//! count writes two words that every core writes too, so each read pulls
//! them from the other core. Here each thread slot keeps its own handle to
//! the value with the number of the replacement it saw; a read compares
//! that number with the latest, a word only a replacement writes.
//!
//! What it gives up: a slot holds on to a replaced value until its next
//! read there.

use std::sync::{
    Arc, RwLock,
    atomic::{AtomicU64, Ordering},
};

use crate::Scratch;

pub struct Current<T> {
    latest: RwLock<Arc<T>>,
    /// Replacements so far.
    replaced: AtomicU64,
    /// Each slot's handle, with the count of replacements it was taken at.
    seen: Scratch<Option<(u64, Arc<T>)>>,
}

impl<T> Current<T> {
    pub fn new(value: T) -> Self {
        Self { latest: RwLock::new(Arc::new(value)), replaced: AtomicU64::new(0), seen: Scratch::default() }
    }

    /// The value in force now, to keep or to pass on.
    pub fn get(&self) -> Arc<T> {
        Arc::clone(&self.latest.read().unwrap_or_else(|p| p.into_inner()))
    }

    /// What `read` makes of the value in force now.
    pub fn read<R>(&self, read: impl FnOnce(&T) -> R) -> R {
        // Counted after the value is put in force, under the same lock:
        // the value taken after seeing a count is at least that new.
        let replaced = self.replaced.load(Ordering::Acquire);
        self.seen.with(|seen| match seen {
            Some((at, value)) if *at == replaced => read(value),
            _ => read(&seen.insert((replaced, self.get())).1),
        })
    }

    /// Puts `value` in force for every read that starts from now on.
    pub fn replace(&self, value: T) {
        let mut latest = self.latest.write().unwrap_or_else(|p| p.into_inner());
        *latest = Arc::new(value);
        self.replaced.fetch_add(1, Ordering::Release);
    }
}

#[cfg(test)]
mod tests {
    use super::Current;

    #[test]
    fn a_read_after_a_replacement_sees_the_new_value() {
        let current = Current::new(1);
        assert_eq!(current.read(|v| *v), 1);
        current.replace(2);
        assert_eq!(current.read(|v| *v), 2);
        assert_eq!(*current.get(), 2);
    }

    #[test]
    fn another_threads_replacement_reaches_this_threads_next_read() {
        let current = std::sync::Arc::new(Current::new(String::from("before")));
        assert_eq!(current.read(|v| v.clone()), "before");
        let other = std::sync::Arc::clone(&current);
        std::thread::spawn(move || other.replace(String::from("after"))).join().unwrap();
        assert_eq!(current.read(|v| v.clone()), "after");
    }

    #[test]
    fn a_read_within_a_read_sees_the_same_value() {
        let current = Current::new(7);
        assert_eq!(current.read(|outer| current.read(|inner| (*outer, *inner))), (7, 7));
    }
}
