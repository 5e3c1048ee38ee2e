//! `safecert seed`: deterministic synthetic certificates with valid ID
//! numbers and USCCs, spread over every status, for demos, tests and
//! benchmarks. The same seed, date and tenants give the same data.

mod people;
mod rng;

use std::{
    collections::{HashMap, HashSet},
    io::Write,
    path::PathBuf,
    sync::Arc,
};

use chrono::{Datelike, NaiveDate, TimeDelta};
use safecert_domain::{
    CertNo, Certificate, HolderName, RegionCode, Review, Revocation, RevocationKind, Status, TrainingRecord,
};
use safecert_rules::{CertFacts, FieldKind, RuleError, RuleSet};
use safecert_storage::{Durability, StorageError};
use tokio::task::JoinSet;

use crate::{Platform, TenantConfig, certificate_facts};
pub use rng::Rng;

#[derive(Clone, Debug)]
pub struct SeedOptions {
    pub certs_per_tenant: u64,
    pub seed: u64,
    /// The day the statuses are spread around (valid, expiring, expired).
    pub as_of: NaiveDate,
    pub export: Option<PathBuf>,
    pub progress: bool,
    /// Only these tenants; all when empty.
    pub only: Vec<String>,
}

#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error("cannot write the export file: {0}")]
    Export(String),
    #[error("generated data failed to parse: {0}")]
    Generated(String),
    #[error("unknown tenant {0:?}")]
    UnknownTenant(String),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error("the rules of {tenant} reject a generated certificate: {problems}")]
    Rejected { tenant: String, problems: String },
}

/// One generated certificate as the export lists it, with plain values.
#[derive(Clone, Debug)]
pub struct SeededCertificate {
    pub tenant: String,
    pub cert_no: String,
    pub holder_name: String,
    pub id_number: String,
    pub status: &'static str,
}

#[derive(Debug, Default)]
pub struct SeedReport {
    pub inserted: u64,
    pub generated: u64,
    /// A few certificates per tenant, to try the service with.
    pub samples: Vec<SeededCertificate>,
}

const BATCH: usize = 5_000;
/// Batches being written at once.
const IN_FLIGHT: usize = 3;

fn joined(done: Option<Result<Result<u64, StorageError>, tokio::task::JoinError>>) -> Result<u64, SeedError> {
    match done {
        None => Ok(0),
        Some(Ok(result)) => Ok(result?),
        Some(Err(e)) => Err(SeedError::Generated(format!("a write task failed: {e}"))),
    }
}

struct TenantGenerator<'a> {
    tenant: &'a TenantConfig,
    rules: Arc<RuleSet>,
    rng: Rng,
    as_of: NaiveDate,
    sequence: u64,
    used_ids: HashSet<String>,
    employers: Vec<people::Employer>,
    /// How long each kind of certificate lasts, reviewed or not, under the
    /// province's rules: asked once per generator, not per certificate.
    spans: HashMap<(&'static str, bool), i64>,
}

impl<'a> TenantGenerator<'a> {
    fn new(
        tenant: &'a TenantConfig,
        rules: Arc<RuleSet>,
        seed: u64,
        as_of: NaiveDate,
        total: u64,
    ) -> Result<Self, SeedError> {
        let mut rng = Rng::for_stream(seed, tenant.slug.as_str());
        let count = (total / 150).clamp(3, 2_000) as usize;
        let employers = (0..count).map(|_| people::employer(&mut rng, &tenant.code)).collect::<Result<_, _>>()?;
        Ok(Self { tenant, rules, rng, as_of, sequence: 0, used_ids: HashSet::new(), employers, spans: HashMap::new() })
    }

    /// Days from issue to expiry of a certificate of this type issued on
    /// the generator's day, reviewed in time or not.
    fn span(&mut self, cert_type: &'static str, reviewed: bool) -> Result<i64, SeedError> {
        if let Some(span) = self.spans.get(&(cert_type, reviewed)) {
            return Ok(*span);
        }
        let review = self.as_of + TimeDelta::days(review_offset(&self.rules, cert_type, self.as_of)?);
        let probe = CertFacts::new("PROBE", cert_type, self.as_of).reviewed_on(reviewed.then_some(review));
        let span = (self.rules.expiry(&probe)? - self.as_of).num_days().max(1);
        self.spans.insert((cert_type, reviewed), span);
        Ok(span)
    }

    fn region(&mut self) -> Result<RegionCode, SeedError> {
        let prov = &self.tenant.code.as_str()[..2];
        let city = 1 + self.rng.below(9);
        let county = 2 + self.rng.below(8);
        RegionCode::parse(&format!("{prov}{city:02}{county:02}")).map_err(|e| SeedError::Generated(e.to_string()))
    }

    fn next(&mut self) -> Result<Certificate, SeedError> {
        let region = self.region()?;
        let id_number = loop {
            let id = people::id_number(&mut self.rng, &region, self.as_of)?;
            if self.used_ids.insert(id.expose().to_owned()) {
                break id;
            }
        };
        let holder_name =
            HolderName::parse(&people::name(&mut self.rng)).map_err(|e| SeedError::Generated(e.to_string()))?;
        let employer = self.employers[self.rng.below(self.employers.len() as u64) as usize].clone();
        let kind = people::cert_kind(&mut self.rng);
        // Most special-operations holders pass their review in time; a few
        // managers have had their certificate extended.
        let reviewed = self.rng.below(100) < if kind.number_is_id { 75 } else { 10 };
        let span = self.span(kind.cert_type, reviewed)?;
        let settings = &self.tenant.settings;
        let window = i64::from(settings.expiring_window_days.max(1));
        let target_expiry = match self.rng.below(100) {
            0..22 => self.as_of - TimeDelta::days(1 + self.rng.below(900) as i64),
            22..30 => self.as_of + TimeDelta::days(self.rng.below(window as u64) as i64),
            _ => self.as_of + TimeDelta::days(window + self.rng.below((span - window).max(1) as u64) as i64),
        };
        let issue = (target_expiry - TimeDelta::days(span)).min(self.as_of);
        let reviewed_on = if reviewed {
            Some(issue + TimeDelta::days(review_offset(&self.rules, kind.cert_type, issue)?))
                .filter(|d| *d <= self.as_of)
        } else {
            None
        };
        self.sequence += 1;
        let raw_no = if kind.number_is_id {
            format!("T{}", id_number.expose())
        } else {
            format!("{}{}{:07}", self.tenant.slug.as_str().to_ascii_uppercase(), issue.year(), self.sequence)
        };
        let normalized = self.rules.normalize_number(&raw_no)?.ok_or_else(|| SeedError::Rejected {
            tenant: self.tenant.slug.to_string(),
            problems: format!("number {raw_no} is not in the province's format"),
        })?;
        let revocation = match self.rng.below(100) {
            0..2 => Some(Revocation {
                kind: RevocationKind::Revoked,
                on: issue + TimeDelta::days(200),
                reason: "违规作业，依法撤销".into(),
            }),
            2..3 => Some(Revocation {
                kind: RevocationKind::Suspended,
                on: issue + TimeDelta::days(100),
                reason: "复审未通过，暂扣证书".into(),
            }),
            _ => None,
        };
        let training = (0..2 + self.rng.below(2))
            .map(|i| TrainingRecord {
                course: people::COURSES[(i as usize + self.rng.below(4) as usize) % people::COURSES.len()].to_owned(),
                hours: 24 + 8 * self.rng.below(4) as u32,
                exam_score: Some(60 + self.rng.below(41) as u32),
            })
            .collect();
        let custom_fields = self.custom_fields(kind.cert_type);
        let mut cert = Certificate {
            tenant: self.tenant.slug.clone(),
            cert_no: CertNo::parse(&normalized).map_err(|e| SeedError::Generated(e.to_string()))?,
            holder_name,
            id_number,
            employer_uscc: employer.uscc,
            employer_name: employer.name,
            department: people::pick(&mut self.rng, people::DEPARTMENTS).to_owned(),
            region,
            position: kind.position(&mut self.rng).to_owned(),
            industry: people::pick(&mut self.rng, people::INDUSTRIES).to_owned(),
            cert_type: kind.cert_type.to_owned(),
            issuing_authority: settings.issuing_authority.clone(),
            issue_date: issue,
            expiry_date: issue,
            reviewed_on,
            reviews: reviewed_on
                .map(|on| vec![Review { on, authority: settings.issuing_authority.clone() }])
                .unwrap_or_default(),
            status: Status::Valid,
            training,
            revocation,
            custom_fields,
        };
        let facts = certificate_facts(&cert);
        let problems = self.rules.validate(&facts, &cert.custom_fields, self.as_of)?;
        if !problems.is_empty() {
            let problems = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join(", ");
            return Err(SeedError::Rejected { tenant: self.tenant.slug.to_string(), problems });
        }
        let outcome = self.rules.outcome(&facts, self.as_of)?;
        cert.expiry_date = outcome.expiry;
        cert.status = outcome.status;
        Ok(cert)
    }

    /// Values for the province's custom fields: every choice field gets one
    /// of its values; other kinds are left out unless required.
    fn custom_fields(&mut self, cert_type: &str) -> serde_json::Map<String, serde_json::Value> {
        let mut fields = serde_json::Map::new();
        for def in self.rules.fields() {
            let required = def.required || def.required_for.iter().any(|t| t == cert_type);
            if def.kind == FieldKind::Choice && (required || self.rng.below(2) == 0) {
                let value = &def.values[self.rng.below(def.values.len() as u64) as usize];
                fields.insert(def.key.clone(), value.clone().into());
            }
        }
        fields
    }
}

/// Days after `issue` a timely review or extension is granted: 30 days
/// before the first expiry the rules give.
fn review_offset(rules: &RuleSet, cert_type: &str, issue: NaiveDate) -> Result<i64, SeedError> {
    let first = rules.expiry(&CertFacts::new("PROBE", cert_type, issue))?;
    Ok(((first - issue).num_days() - 30).max(0))
}

fn progress_bar(total: u64, visible: bool) -> indicatif::ProgressBar {
    if !visible {
        return indicatif::ProgressBar::hidden();
    }
    let bar = indicatif::ProgressBar::new(total);
    if let Ok(style) = indicatif::ProgressStyle::with_template(
        "{spinner} {msg:>4} [{bar:40}] {human_pos}/{human_len} certificates ({per_sec}, {eta} left)",
    ) {
        bar.set_style(style.progress_chars("=> "));
    }
    bar
}

/// Generates and stores the certificates; see [`SeedOptions`].
pub async fn run(platform: &Arc<Platform>, opts: &SeedOptions) -> Result<SeedReport, SeedError> {
    let tenants: Vec<&TenantConfig> = if opts.only.is_empty() {
        platform.tenants.all()
    } else {
        opts.only
            .iter()
            .map(|s| platform.tenants.find(s).ok_or_else(|| SeedError::UnknownTenant(s.clone())))
            .collect::<Result<_, _>>()?
    };
    let mut export = match &opts.export {
        Some(path) => {
            let file =
                std::fs::File::create(path).map_err(|e| SeedError::Export(format!("{}: {e}", path.display())))?;
            let mut w = std::io::BufWriter::new(file);
            writeln!(w, "tenant,cert_no,holder_name,id_number,cert_type,status,issue_date,expiry_date,employer_uscc")
                .map_err(|e| SeedError::Export(e.to_string()))?;
            Some(w)
        }
        None => None,
    };
    let bar = progress_bar(opts.certs_per_tenant * tenants.len() as u64, opts.progress);
    let mut report = SeedReport::default();
    // Batches are written while the next ones are generated.
    let mut writes: JoinSet<Result<u64, StorageError>> = JoinSet::new();
    for tenant in tenants {
        bar.set_message(tenant.slug.to_string());
        let rules =
            platform.rules.get(&tenant.slug).ok_or_else(|| SeedError::UnknownTenant(tenant.slug.to_string()))?;
        let mut generator = TenantGenerator::new(tenant, rules, opts.seed, opts.as_of, opts.certs_per_tenant)?;
        let mut left = opts.certs_per_tenant;
        while left > 0 {
            let n = left.min(BATCH as u64);
            let batch = (0..n).map(|_| generator.next()).collect::<Result<Vec<_>, _>>()?;
            for (i, cert) in batch.iter().enumerate() {
                let status = cert.status.code();
                if let Some(w) = export.as_mut() {
                    writeln!(
                        w,
                        "{},{},{},{},{},{},{},{},{}",
                        tenant.slug,
                        cert.cert_no,
                        cert.holder_name.expose(),
                        cert.id_number.expose(),
                        cert.cert_type,
                        status,
                        cert.issue_date,
                        cert.expiry_date,
                        cert.employer_uscc
                    )
                    .map_err(|e| SeedError::Export(e.to_string()))?;
                }
                if left == opts.certs_per_tenant && i < 3 {
                    report.samples.push(SeededCertificate {
                        tenant: tenant.slug.to_string(),
                        cert_no: cert.cert_no.to_string(),
                        holder_name: cert.holder_name.expose().to_owned(),
                        id_number: cert.id_number.expose().to_owned(),
                        status,
                    });
                }
            }
            while writes.len() >= IN_FLIGHT {
                report.inserted += joined(writes.join_next().await)?;
            }
            let writer = Arc::clone(platform);
            let slug = tenant.slug.clone();
            writes.spawn(async move { writer.store.insert_new(&slug, &batch, Durability::Bulk).await });
            report.generated += n;
            left -= n;
            bar.inc(n);
        }
    }
    while let Some(done) = writes.join_next().await {
        report.inserted += joined(Some(done))?;
    }
    if let Some(mut w) = export {
        w.flush().map_err(|e| SeedError::Export(e.to_string()))?;
    }
    bar.finish_and_clear();
    Ok(report)
}

impl From<safecert_domain::UsccError> for SeedError {
    fn from(e: safecert_domain::UsccError) -> Self {
        SeedError::Generated(e.to_string())
    }
}

impl From<safecert_domain::IdNumberError> for SeedError {
    fn from(e: safecert_domain::IdNumberError) -> Self {
        SeedError::Generated(e.to_string())
    }
}
