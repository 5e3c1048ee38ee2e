//! Decisions by role lines, remembered. A role's lines never change while
//! the service runs and carry no end time, so what they decide for one
//! request is what they decide for the same request again: the answer is
//! kept and the matcher runs once per distinct request instead of once per
//! call. Decisions that involve grants (which end, and change at run time)
//! are never kept.

use std::cell::RefCell;

use safecert_memo::Memo;

use crate::{Action, Resource, Subject, reads::Reads};

/// Distinct requests kept at most by each thread (about 250 bytes each).
const LIMIT: usize = 50_000;

pub(crate) struct Remembered {
    answers: Memo<Vec<u8>, bool>,
}

impl Default for Remembered {
    fn default() -> Self {
        Self { answers: Memo::per_thread(LIMIT) }
    }
}

/// Everything the role's lines can read: the subject's attributes (not
/// its account: role lines never name one), the tenant asked in, the
/// resource's kind and tenant, the action, and those of the resource's
/// other attributes that `reads` names. Role, kind and action come first
/// and decide `reads`, so keys of different shapes never meet. Written at
/// the end of `key`.
pub(crate) fn write_key(
    key: &mut Vec<u8>,
    subject: &Subject,
    tenant: &str,
    resource: &Resource,
    action: Action,
    reads: Reads,
) {
    let parts = [
        subject.role.as_str(),
        &subject.tenant,
        &subject.region,
        &subject.enterprise,
        &subject.dept,
        &subject.holder,
        &subject.scopes,
        tenant,
        resource.kind,
        action.as_str(),
        &resource.tenant,
    ];
    // Each part after its length (four bytes: parts are names, codes and
    // keys, nowhere near 4 GiB): no two requests make the same key,
    // whatever their values contain.
    for part in parts.into_iter().chain(reads.of(resource)) {
        key.extend_from_slice(&(part.len() as u32).to_le_bytes());
        key.extend_from_slice(part.as_bytes());
    }
}

#[cfg(test)]
pub(crate) fn key(subject: &Subject, tenant: &str, resource: &Resource, action: Action, reads: Reads) -> Vec<u8> {
    let mut key = Vec::new();
    write_key(&mut key, subject, tenant, resource, action, reads);
    key
}

thread_local! {
    /// The key being looked for, written over on each decision: a
    /// decision whose answer is kept allocates nothing.
    static LOOKING_FOR: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

impl Remembered {
    /// The answer kept under the key `write_key` writes, or else
    /// `decide`'s, kept.
    pub(crate) fn answer(&self, write_key: impl FnOnce(&mut Vec<u8>), decide: impl FnOnce() -> bool) -> bool {
        let kept = LOOKING_FOR.with_borrow_mut(|key| {
            key.clear();
            write_key(key);
            self.answers.get(key.as_slice()).ok_or_else(|| key.clone())
        });
        match kept {
            Ok(allowed) => allowed,
            Err(key) => {
                let allowed = decide();
                self.answers.insert(key, allowed);
                allowed
            }
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.answers.len()
    }
}
