//! Hot lookups answered with JSON already written: most callers see a
//! certificate's masked view, which is the same for every one of them, so
//! it is written out once per cached record, rules version, language and
//! day, and sent as it is after that. Building and writing the view was a
//! fifth of a hot lookup's time in the service. Who may see the answer is
//! still decided on every request, before it is sent.

use std::sync::{Arc, Weak};

use bytes::Bytes;
use chrono::NaiveDate;
use safecert_domain::Locale;
use safecert_memo::Memo;
use safecert_rules::RuleSet;
use safecert_storage::CertificateRecord;

use crate::LookupError;

/// Answers kept for each thread that serves lookups, at most.
const ENTRIES: usize = 20_000;
/// How long an answer is kept: what it holds of a changed or deleted
/// certificate (never sent again) leaves memory within this time, as the
/// in-process record cache's copies do.
const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(300);

/// The record's and the rules version's addresses, the language, the day.
type Key = (usize, usize, Locale, NaiveDate);

/// The answer, and what keeps its key's addresses from being reused while
/// it is kept: the record itself, and the rules version's allocation (not
/// the version: a replaced one is let go as usual).
type Kept = (Arc<CertificateRecord>, Weak<RuleSet>, Bytes);

pub(crate) struct MaskedAnswers {
    kept: Memo<Key, Kept>,
}

impl Default for MaskedAnswers {
    fn default() -> Self {
        Self { kept: Memo::per_thread(ENTRIES).expiring_after(KEPT_FOR) }
    }
}

impl MaskedAnswers {
    /// The answer for `record` judged by `rules` in `locale` on `today`:
    /// kept, or written by `write` and kept. A changed certificate is a
    /// new record and a new rules version a new `RuleSet`, so neither is
    /// answered from what was kept for the old one.
    pub(crate) fn answer(
        &self,
        record: &Arc<CertificateRecord>,
        rules: &Arc<RuleSet>,
        locale: Locale,
        today: NaiveDate,
        write: impl FnOnce() -> Result<Vec<u8>, LookupError>,
    ) -> Result<Bytes, LookupError> {
        let key = (Arc::as_ptr(record) as usize, Arc::as_ptr(rules) as usize, locale, today);
        if let Some(body) = self.kept.read(&key, |(_, _, body)| body.clone()) {
            return Ok(body);
        }
        let body = Bytes::from(write()?);
        self.kept.insert(key, (Arc::clone(record), Arc::downgrade(rules), body.clone()));
        Ok(body)
    }
}
