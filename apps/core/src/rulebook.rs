//! Every tenant's active rules. The baseline comes from the files in
//! tenants/ and is compiled and self-tested at start; versions activated
//! through the API replace it at run time and are kept in the platform
//! database.

use std::{
    collections::HashMap,
    path::Path,
    sync::{
        Arc, RwLock,
        atomic::{AtomicI32, AtomicU64, Ordering},
    },
};

use safecert_domain::{Certificate, RevocationKind, TenantSlug};
use safecert_rules::{CertFacts, Dynamic, RecordFacts, RuleError, RuleSet, RuleSettings, RuleSource, source};
use safecert_storage::{CertificateRecord, DirectoryEntry};

use crate::{TenantConfig, TenantRegistry};

/// The name of the version read from tenants/ at start.
pub const BASELINE: &str = "baseline";

#[derive(Debug, thiserror::Error)]
pub enum RulesStartError {
    #[error("rules of {tenant}: {why}")]
    Read { tenant: String, why: String },
    #[error(transparent)]
    Invalid(#[from] RuleError),
    #[error("rules of {tenant} (baseline): test case {case:?} fails: {why}")]
    TestFails { tenant: String, case: String, why: String },
}

pub struct RuleBook {
    engine: Arc<safecert_rules::Engine>,
    baselines: HashMap<TenantSlug, Arc<RuleSet>>,
    active: RwLock<HashMap<TenantSlug, Arc<RuleSet>>>,
    /// The newest activation this process has applied.
    seen: AtomicI32,
    /// How many versions were put in force since start: what was made
    /// under the rules is good while this stays the same.
    installed: AtomicU64,
    /// Field labels of each tenant, by (locale, message id).
    labels: HashMap<TenantSlug, HashMap<(String, String), String>>,
}

impl std::fmt::Debug for RuleBook {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "RuleBook({} tenants)", self.baselines.len())
    }
}

/// What a tenant's settings give its scripts as `settings`.
pub fn rule_settings(tenant: &TenantConfig) -> RuleSettings {
    let window = i32::try_from(tenant.settings.expiring_window_days).unwrap_or(i32::MAX);
    RuleSettings::new([("expiring_window_days", Dynamic::from_int(window))])
}

impl RuleBook {
    /// Compiles every tenant's baseline and runs its test cases; a broken
    /// baseline stops the start with the tenant, file and line.
    pub fn load(tenants_dir: &Path, tenants: &TenantRegistry) -> Result<Self, RulesStartError> {
        let engine = safecert_rules::engine();
        let mut baselines = HashMap::new();
        let mut labels = HashMap::new();
        for tenant in tenants.all() {
            let slug = tenant.slug.as_str();
            let base = source::baseline(tenants_dir, slug)
                .map_err(|why| RulesStartError::Read { tenant: slug.to_owned(), why })?;
            let rules = RuleSet::compile(&engine, slug, BASELINE, base.source, rule_settings(tenant))?;
            if let Some(failed) = safecert_rules::run_tests(&rules).into_iter().find(|r| !r.passed()) {
                return Err(RulesStartError::TestFails {
                    tenant: format!("{slug} (from tenants/{})", base.from),
                    case: failed.name,
                    why: failed.failures.join("; "),
                });
            }
            let rules = Arc::new(rules);
            baselines.insert(tenant.slug.clone(), rules);
            labels.insert(tenant.slug.clone(), source::label_messages(&base.dir));
        }
        Ok(Self {
            engine,
            active: RwLock::new(baselines.clone()),
            baselines,
            seen: AtomicI32::new(0),
            installed: AtomicU64::new(0),
            labels,
        })
    }

    pub fn engine(&self) -> &Arc<safecert_rules::Engine> {
        &self.engine
    }

    /// The rules in force for a tenant.
    pub fn get(&self, slug: &TenantSlug) -> Option<Arc<RuleSet>> {
        match self.active.read() {
            Ok(active) => active.get(slug).cloned(),
            Err(poisoned) => poisoned.into_inner().get(slug).cloned(),
        }
    }

    /// The text of a field label in a language, from the tenant's
    /// locales (zh-CN when the language has none).
    pub fn label(&self, slug: &TenantSlug, locale: safecert_domain::Locale, id: &str) -> Option<String> {
        let labels = self.labels.get(slug)?;
        labels
            .get(&(locale.tag().to_owned(), id.to_owned()))
            .or_else(|| labels.get(&("zh-CN".to_owned(), id.to_owned())))
            .cloned()
    }

    pub fn baseline(&self, slug: &TenantSlug) -> Option<Arc<RuleSet>> {
        self.baselines.get(slug).cloned()
    }

    /// Puts a version in force for a tenant (the caller has recorded the
    /// activation).
    pub fn install(&self, slug: &TenantSlug, rules: Arc<RuleSet>) {
        let mut active = match self.active.write() {
            Ok(active) => active,
            Err(poisoned) => poisoned.into_inner(),
        };
        active.insert(slug.clone(), rules);
        self.installed.fetch_add(1, Ordering::AcqRel);
    }

    /// The count of versions put in force so far (see [`RuleBook::install`]).
    pub fn installed(&self) -> u64 {
        self.installed.load(Ordering::Acquire)
    }

    pub fn last_seen_activation(&self) -> i32 {
        self.seen.load(Ordering::Acquire)
    }

    pub fn seen_activation(&self, id: i32) {
        self.seen.fetch_max(id, Ordering::AcqRel);
    }

    /// Compiles a version for a tenant with the tenant's settings.
    pub fn compile(&self, tenant: &TenantConfig, version: &str, source: RuleSource) -> Result<RuleSet, RuleError> {
        RuleSet::compile(&self.engine, tenant.slug.as_str(), version, source, rule_settings(tenant))
    }
}

/// The facts expiry and status are computed from, as the directory holds
/// them.
pub fn entry_facts(entry: &DirectoryEntry) -> CertFacts {
    CertFacts::new(&entry.cert_no, &entry.cert_type, entry.issue_date)
        .reviewed_on(entry.reviewed_on)
        .revocation(entry.revocation_kind.map(RevocationKind::code))
}

pub fn record_facts(record: &CertificateRecord) -> CertFacts {
    CertFacts::new(&record.cert_no, &record.cert_type, record.issue_date)
        .reviewed_on(record.reviewed_on)
        .revocation(record.revocation_kind.map(RevocationKind::code))
}

/// Every fact of a new certificate, for validation.
pub fn certificate_facts(cert: &Certificate) -> CertFacts {
    let training = cert
        .training
        .iter()
        .map(|t| {
            let mut m = safecert_rules::Map::new();
            m.insert("course".into(), Dynamic::from(safecert_rules::ImmutableString::from(t.course.as_str())));
            m.insert("hours".into(), Dynamic::from_int(i32::try_from(t.hours).unwrap_or(i32::MAX)));
            m.insert(
                "score".into(),
                t.exam_score.and_then(|s| i32::try_from(s).ok()).map_or(Dynamic::UNIT, Dynamic::from_int),
            );
            Dynamic::from_map(m)
        })
        .collect();
    CertFacts::new(cert.cert_no.as_str(), &cert.cert_type, cert.issue_date)
        .reviewed_on(cert.reviewed_on)
        .revocation(cert.revocation.as_ref().map(|r| r.kind.code()))
        .with_record(RecordFacts {
            holder_name: cert.holder_name.expose().into(),
            id_number: cert.id_number.expose().into(),
            employer_uscc: cert.employer_uscc.as_str().into(),
            region: cert.region.as_str().into(),
            position: cert.position.as_str().into(),
            industry: cert.industry.as_str().into(),
            training,
            fields: safecert_rules::Map::new(),
        })
}
