//! Working state a thread reuses from one call to the next, such as a
//! script engine's function-resolution cache: one per thread slot, so a
//! call never waits for another thread's. Threads that share a slot and
//! meet there get a fresh value for that call instead of waiting.

use std::sync::TryLockError;

use crate::ThreadSlots;

pub struct Scratch<T> {
    slots: ThreadSlots<T>,
}

impl<T: Default> Default for Scratch<T> {
    fn default() -> Self {
        Self { slots: ThreadSlots::default() }
    }
}

impl<T: Default> Scratch<T> {
    /// Runs `work` with this thread's value. A value left behind by a call
    /// that panicked is replaced by a fresh one first: it may be half
    /// updated.
    pub fn with<R>(&self, work: impl FnOnce(&mut T) -> R) -> R {
        let slot = self.slots.mine();
        match slot.try_lock() {
            Ok(mut value) => work(&mut value),
            Err(TryLockError::Poisoned(poisoned)) => {
                let mut value = poisoned.into_inner();
                *value = T::default();
                slot.clear_poison();
                work(&mut value)
            }
            Err(TryLockError::WouldBlock) => work(&mut T::default()),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::panic::{AssertUnwindSafe, catch_unwind};

    use super::Scratch;

    #[test]
    fn a_thread_finds_what_it_left_on_its_last_call() {
        let scratch = Scratch::<Vec<u32>>::default();
        scratch.with(|v| v.push(1));
        scratch.with(|v| v.push(2));
        assert_eq!(scratch.with(|v| v.clone()), vec![1, 2]);
    }

    #[test]
    fn a_value_left_by_a_panic_is_started_afresh() {
        let scratch = Scratch::<Vec<u32>>::default();
        scratch.with(|v| v.push(1));
        let panicked = catch_unwind(AssertUnwindSafe(|| {
            scratch.with(|v| {
                v.push(2);
                panic!("stopped half way");
            })
        }));
        assert!(panicked.is_err());
        assert!(scratch.with(|v| v.is_empty()));
    }

    #[test]
    fn a_call_within_a_call_gets_its_own_value_instead_of_waiting() {
        let scratch = Scratch::<Vec<u32>>::default();
        let inner = scratch.with(|outer| {
            outer.push(1);
            scratch.with(|inner| {
                inner.push(2);
                inner.clone()
            })
        });
        assert_eq!(inner, vec![2]);
        assert_eq!(scratch.with(|v| v.clone()), vec![1]);
    }
}
