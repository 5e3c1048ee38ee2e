//! Hot lookups answered with JSON already written: most callers see a
//! certificate's masked view, which is the same for every one of them, so
//! it is written out once per number, language and day, and sent as it is
//! after that. Who may see it is still decided on every request, from the
//! certificate's attributes kept beside the answer.
//!
//! An answer is found by what was asked (tenant, number, language), held
//! inline in the key, before the certificate is looked up: a repeat lookup
//! reads one map entry instead of the number's normal form, the cached
//! record and the record's attributes, each in memory of its own. Every
//! answer carries a [`Stamp`] of what it was made from (the certificates
//! changed so far, the rules in force, the day); an answer with any other
//! stamp is not sent.
//!
//! Public verification keeps its genuine answers the same way, by number
//! and language, with the holder's name beside each: the name asked is
//! compared with it on every request.

use bytes::Bytes;
use chrono::NaiveDate;
use safecert_domain::{CertNo, Locale, MAX_CERT_NO_LEN, TenantSlug};
use safecert_memo::Memo;
use safecert_policy::Resource;

/// Answers kept for each thread that serves lookups, at most.
const ENTRIES: usize = 20_000;
/// How long an answer is kept. Changes reach it through the stamp; this
/// only bounds what a lost change message from another replica costs,
/// added to what the record cache's own time already allows.
const KEPT_FOR: std::time::Duration = std::time::Duration::from_secs(60);

/// Tenant slugs are 2 to 16 characters.
const SLUG_MAX: usize = 16;
const ASKED_LEN: usize = SLUG_MAX + 1 + MAX_CERT_NO_LEN;

/// What a lookup asked for: the tenant's slug (none for the national
/// directory), a separator, the number (already in its parsed form) and
/// the language, in one inline array so that hashing and comparing it
/// reads no other memory.
#[derive(Clone, PartialEq, Eq, Hash)]
pub(crate) struct Asked {
    text: [u8; ASKED_LEN],
    locale: Locale,
}

impl Asked {
    pub(crate) fn new(tenant: &TenantSlug, no: &CertNo, locale: Locale) -> Self {
        Self::within(tenant.as_str(), no, locale)
    }

    /// A number asked of the national directory.
    pub(crate) fn national(no: &CertNo, locale: Locale) -> Self {
        Self::within("", no, locale)
    }

    fn within(slug: &str, no: &CertNo, locale: Locale) -> Self {
        let mut text = [0; ASKED_LEN];
        // Both lengths are bounded by their parsers; the separator keeps
        // `ab` + `CD…` apart from `abc` + `D…`.
        let slug = slug.as_bytes();
        let slug = &slug[..slug.len().min(SLUG_MAX)];
        let no = no.as_str().as_bytes();
        let no = &no[..no.len().min(MAX_CERT_NO_LEN)];
        text[..slug.len()].copy_from_slice(slug);
        text[slug.len()] = b'/';
        text[slug.len() + 1..slug.len() + 1 + no.len()].copy_from_slice(no);
        Self { text, locale }
    }
}

/// What an answer was made from: it is sent only while all of it holds.
#[derive(Clone, Copy, PartialEq, Eq, Debug)]
pub(crate) struct Stamp {
    /// The lookup cache's count of certificate changes.
    pub(crate) changes: u64,
    /// The rule book's count of rules put in force.
    pub(crate) rules: u64,
    pub(crate) today: NaiveDate,
}

#[derive(Clone)]
struct Kept {
    stamp: Stamp,
    /// The certificate as the access policy sees it, without a department:
    /// callers of its own enterprise are never answered from here.
    resource: Resource,
    body: Bytes,
}

/// A genuine answer of public verification.
#[derive(Clone)]
struct KeptPublic {
    stamp: Stamp,
    holder_name: String,
    body: Bytes,
}

pub(crate) struct MaskedAnswers {
    kept: Memo<Asked, Kept>,
    public: Memo<Asked, KeptPublic>,
}

impl Default for MaskedAnswers {
    fn default() -> Self {
        Self {
            kept: Memo::per_thread(ENTRIES).expiring_after(KEPT_FOR),
            public: Memo::per_thread(ENTRIES).expiring_after(KEPT_FOR),
        }
    }
}

impl MaskedAnswers {
    /// The kept answer to `asked`, if it carries `stamp` and `may_have`
    /// says the caller may be sent it (given the certificate's attributes).
    /// Where it says no, the lookup runs in full and gives its own answer:
    /// a refusal, or more than the masked view.
    pub(crate) fn get(&self, asked: &Asked, stamp: Stamp, may_have: impl FnOnce(&Resource) -> bool) -> Option<Bytes> {
        self.kept
            .read(asked, |kept| (kept.stamp == stamp && may_have(&kept.resource)).then(|| kept.body.clone()))
            .flatten()
    }

    /// Keeps the masked answer to `asked`, made under `stamp` (read before
    /// the certificate was), for the certificate `resource` describes.
    pub(crate) fn keep(&self, asked: Asked, stamp: Stamp, resource: Resource, body: Bytes) {
        self.kept.insert(asked, Kept { stamp, resource, body });
    }

    /// What is kept of the number in `asked` under `stamp`: its genuine
    /// answer if `named` says the holder's name is the one asked, `None`
    /// if it is not. Nothing when nothing is kept.
    pub(crate) fn public(
        &self,
        asked: &Asked,
        stamp: Stamp,
        named: impl FnOnce(&str) -> bool,
    ) -> Option<Option<Bytes>> {
        self.public
            .read(asked, |kept| (kept.stamp == stamp).then(|| named(&kept.holder_name).then(|| kept.body.clone())))
            .flatten()
    }

    /// Keeps the genuine answer for the number in `asked`, held by
    /// `holder_name`, made under `stamp`.
    pub(crate) fn keep_public(&self, asked: Asked, stamp: Stamp, holder_name: &str, body: Bytes) {
        self.public.insert(asked, KeptPublic { stamp, holder_name: holder_name.to_owned(), body });
    }
}

#[cfg(test)]
mod tests {
    use safecert_policy::ObjectKind;

    use super::*;

    fn asked(tenant: &str, no: &str, locale: Locale) -> Asked {
        Asked::new(&TenantSlug::parse(tenant).unwrap(), &CertNo::parse(no).unwrap(), locale)
    }

    fn stamp(changes: u64) -> Stamp {
        Stamp { changes, rules: 1, today: NaiveDate::from_ymd_opt(2026, 12, 6).unwrap() }
    }

    fn kept_one() -> (MaskedAnswers, Asked) {
        let answers = MaskedAnswers::default();
        let key = asked("gd", "GD2023-0001", Locale::En);
        let resource = Resource::new(ObjectKind::Certificate, "gd").region("440300");
        answers.keep(key.clone(), stamp(1), resource, Bytes::from_static(b"{}"));
        (answers, key)
    }

    #[test]
    fn an_answer_is_found_by_tenant_number_and_language_only() {
        let (answers, _) = kept_one();
        let allow = |_: &Resource| true;
        let found = answers.get(&asked("gd", "gd2023-0001", Locale::En), stamp(1), allow);
        assert_eq!(found.as_deref(), Some(&b"{}"[..]), "the number as parsed");
        assert!(answers.get(&asked("gd", "GD2023-0001", Locale::ZhCn), stamp(1), allow).is_none());
        assert!(answers.get(&asked("gx", "GD2023-0001", Locale::En), stamp(1), allow).is_none());
        assert!(answers.get(&asked("gd", "GD2023-00012", Locale::En), stamp(1), allow).is_none());
        assert!(answers.get(&asked("gd", "GD2023-000", Locale::En), stamp(1), allow).is_none());
    }

    #[test]
    fn an_answer_made_before_a_change_is_not_sent() {
        let (answers, key) = kept_one();
        assert!(answers.get(&key, stamp(2), |_| true).is_none(), "a certificate changed since");
        let new_rules = Stamp { rules: 2, ..stamp(1) };
        assert!(answers.get(&key, new_rules, |_| true).is_none(), "other rules in force");
        let next_day = Stamp { today: stamp(1).today.succ_opt().unwrap(), ..stamp(1) };
        assert!(answers.get(&key, next_day, |_| true).is_none(), "another day");
        assert!(answers.get(&key, stamp(1), |_| true).is_some());
    }

    #[test]
    fn a_public_answer_goes_to_whoever_names_the_holder_and_to_nobody_else() {
        let answers = MaskedAnswers::default();
        let key = Asked::national(&CertNo::parse("GD2023-0001").unwrap(), Locale::En);
        assert!(answers.public(&key, stamp(1), |_| true).is_none(), "nothing kept yet");
        answers.keep_public(key.clone(), stamp(1), "张三", Bytes::from_static(b"{}"));
        let found = answers.public(&key, stamp(1), |holder| holder == "张三");
        assert_eq!(found.flatten().as_deref(), Some(&b"{}"[..]));
        assert_eq!(answers.public(&key, stamp(1), |holder| holder == "李四"), Some(None), "another name");
        assert!(answers.public(&key, stamp(2), |_| true).is_none(), "a certificate changed since");
        let in_gd = asked("gd", "GD2023-0001", Locale::En);
        assert!(answers.public(&in_gd, stamp(1), |_| true).is_none(), "a tenant's lookup is another question");
    }

    #[test]
    fn every_caller_is_judged_on_the_kept_attributes() {
        let (answers, key) = kept_one();
        assert!(answers.get(&key, stamp(1), |r| r.region.starts_with("4403")).is_some());
        let elsewhere = answers.get(&key, stamp(1), |r| r.region.starts_with("4401"));
        assert!(elsewhere.is_none(), "left to the full lookup to refuse");
    }
}
