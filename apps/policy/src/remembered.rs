//! Decisions by role lines, remembered. A role's lines never change while
//! the service runs and carry no end time, so what they decide for one
//! request is what they decide for the same request again: the answer is
//! kept and the matcher runs once per distinct request instead of once per
//! call. Decisions that involve grants (which end, and change at run time)
//! are never kept.

use std::{collections::HashMap, fmt::Write, sync::RwLock};

use crate::{Action, Resource, Subject};

/// Distinct requests kept at most (about 250 bytes each); when full, the
/// memory starts over.
const LIMIT: usize = 50_000;

#[derive(Default)]
pub(crate) struct Remembered {
    answers: RwLock<HashMap<String, bool>>,
}

/// Everything a role line's condition can read: the subject's attributes
/// (not its account: role lines never name one), the tenant asked in, the
/// resource's attributes and the action.
pub(crate) fn key(subject: &Subject, tenant: &str, resource: &Resource, action: Action) -> String {
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
        &resource.tenant,
        &resource.region,
        &resource.enterprise,
        &resource.dept,
        &resource.holder,
        action.as_str(),
    ];
    // Each part after its length: no two requests make the same key,
    // whatever their values contain.
    let mut key = String::with_capacity(parts.iter().map(|p| p.len() + 4).sum());
    for part in parts {
        let _ = write!(key, "{}:", part.len());
        key.push_str(part);
    }
    key
}

impl Remembered {
    /// The kept answer for `key`, or `decide`'s, kept.
    pub(crate) fn answer(&self, key: String, decide: impl FnOnce() -> bool) -> bool {
        if let Some(&allowed) = self.answers.read().unwrap_or_else(|p| p.into_inner()).get(&key) {
            return allowed;
        }
        let allowed = decide();
        let mut answers = self.answers.write().unwrap_or_else(|p| p.into_inner());
        if answers.len() >= LIMIT {
            answers.clear();
        }
        answers.insert(key, allowed);
        allowed
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.answers.read().unwrap_or_else(|p| p.into_inner()).len()
    }
}
