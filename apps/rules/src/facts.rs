//! What a script knows about a certificate: the `cert` variable.
//!
//! Expiry and status see only the facts the national directory also holds
//! (number, type, dates, revocation), so public verification and the
//! tenant's own lookups always agree. Validation sees the whole record.

use std::{cell::Cell, sync::Arc};

use chrono::NaiveDate;
use rhai::{Array, Dynamic, Engine, INT, ImmutableString, Map};

use crate::dates::to_day;

/// The facts every rule may read.
#[derive(Clone, Debug)]
pub struct CertFacts {
    pub number: ImmutableString,
    pub cert_type: ImmutableString,
    pub issue_date: INT,
    /// The last passed review (复审) or continuing-training extension.
    pub reviewed_on: Option<INT>,
    /// `revoked` or `suspended`.
    pub revocation: Option<ImmutableString>,
    /// The rest of the record, present only when a whole record is
    /// validated (import, seed, test cases).
    pub record: Option<Arc<RecordFacts>>,
}

/// The parts of a record only validation reads.
#[derive(Clone, Debug, Default)]
pub struct RecordFacts {
    pub holder_name: ImmutableString,
    /// Plain ID number; never logged, never returned by a rule.
    pub id_number: ImmutableString,
    pub employer_uscc: ImmutableString,
    pub region: ImmutableString,
    pub position: ImmutableString,
    pub industry: ImmutableString,
    /// Each course as `#{course, hours, score}`.
    pub training: Array,
    /// Custom fields, typed by the tenant's field definitions.
    pub fields: Map,
}

impl CertFacts {
    pub fn new(number: &str, cert_type: &str, issue_date: NaiveDate) -> Self {
        Self {
            number: number.into(),
            cert_type: cert_type.into(),
            issue_date: to_day(issue_date),
            reviewed_on: None,
            revocation: None,
            record: None,
        }
    }

    pub fn reviewed_on(mut self, day: Option<NaiveDate>) -> Self {
        self.reviewed_on = day.map(to_day);
        self
    }

    pub fn revocation(mut self, kind: Option<&str>) -> Self {
        self.revocation = kind.map(ImmutableString::from);
        self
    }

    pub fn with_record(mut self, record: RecordFacts) -> Self {
        self.record = Some(Arc::new(record));
        self
    }
}

thread_local! {
    /// Set when a rule reads `cert.number` (see [`noting_number_reads`]).
    static NUMBER_READ: Cell<bool> = const { Cell::new(false) };
}

/// Runs `rules` (evaluations on this thread), telling whether they read
/// `cert.number`.
pub(crate) fn noting_number_reads<T>(rules: impl FnOnce() -> T) -> (T, bool) {
    NUMBER_READ.with(|read| read.set(false));
    let out = rules();
    (out, NUMBER_READ.with(|read| read.replace(false)))
}

fn optional(value: Option<INT>) -> Dynamic {
    value.map_or(Dynamic::UNIT, Dynamic::from_int)
}

fn record_part(cert: &CertFacts, part: impl Fn(&RecordFacts) -> Dynamic) -> Dynamic {
    cert.record.as_deref().map_or(Dynamic::UNIT, part)
}

/// Makes `cert.<property>` readable in scripts. Nothing can be written.
pub(crate) fn register(engine: &mut Engine) {
    engine.register_type_with_name::<CertFacts>("Certificate");
    engine.register_get("number", |c: &mut CertFacts| {
        NUMBER_READ.with(|read| read.set(true));
        c.number.clone()
    });
    engine.register_get("cert_type", |c: &mut CertFacts| c.cert_type.clone());
    engine.register_get("issue_date", |c: &mut CertFacts| c.issue_date);
    engine.register_get("reviewed_on", |c: &mut CertFacts| optional(c.reviewed_on));
    engine.register_get("revocation", |c: &mut CertFacts| c.revocation.clone().map_or(Dynamic::UNIT, Dynamic::from));
    engine.register_get("holder_name", |c: &mut CertFacts| record_part(c, |r| r.holder_name.clone().into()));
    engine.register_get("id_number", |c: &mut CertFacts| record_part(c, |r| r.id_number.clone().into()));
    engine.register_get("employer_uscc", |c: &mut CertFacts| record_part(c, |r| r.employer_uscc.clone().into()));
    engine.register_get("region", |c: &mut CertFacts| record_part(c, |r| r.region.clone().into()));
    engine.register_get("position", |c: &mut CertFacts| record_part(c, |r| r.position.clone().into()));
    engine.register_get("industry", |c: &mut CertFacts| record_part(c, |r| r.industry.clone().into()));
    engine.register_get("training", |c: &mut CertFacts| record_part(c, |r| r.training.clone().into()));
    engine.register_get("fields", |c: &mut CertFacts| record_part(c, |r| r.fields.clone().into()));
}
