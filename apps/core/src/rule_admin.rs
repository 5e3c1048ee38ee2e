//! Changing a province's rules at run time: check a new version (compile,
//! its own test cases, labels, a dry run over the tenant's certificates),
//! keep it, activate it or roll back, and pick up changes made by other
//! replicas.

use std::{collections::BTreeMap, sync::Arc};

use chrono::NaiveDate;
use safecert_domain::{RevocationKind, Status};
use safecert_rules::{CertFacts, Outcome, RuleError, RuleSet, RuleSource, TestResult, source};
use safecert_storage::{ActivateError, ActivationRow, Databases, StatusFacts, StatusUpdate, StorageError};
use serde::Serialize;

use crate::{BASELINE, Platform, TenantConfig, rule_settings};

/// Certificates read and evaluated at a time.
const PAGE: u64 = 5_000;
/// Changed certificates a dry run lists as examples.
const EXAMPLES: usize = 20;
/// Certificates the rules failed on that a report lists.
const ERRORS_LISTED: usize = 20;

#[derive(Clone, Debug, Serialize, PartialEq, Eq, PartialOrd, Ord)]
pub struct Transition {
    pub from: Status,
    pub to: Status,
    pub count: u64,
}

#[derive(Clone, Debug, Serialize)]
pub struct ChangeExample {
    pub cert_no: String,
    pub from: Status,
    pub to: Status,
    pub expiry_from: NaiveDate,
    pub expiry_to: NaiveDate,
}

#[derive(Clone, Debug, Serialize)]
pub struct CertificateFailure {
    pub cert_no: String,
    pub error: String,
}

/// What a new version would change, certificate by certificate, compared
/// with the version in force, on one day.
#[derive(Clone, Debug, Default, Serialize)]
pub struct DryRun {
    pub on: Option<NaiveDate>,
    pub total: u64,
    pub status_changes: u64,
    pub expiry_changes: u64,
    /// From → to, with how many certificates, largest first.
    pub transitions: Vec<Transition>,
    pub examples: Vec<ChangeExample>,
    /// Certificates the new version fails on (all must be fixed).
    pub failures: Vec<CertificateFailure>,
    pub failure_count: u64,
}

/// The full check of a version.
#[derive(Clone, Debug, Serialize)]
pub struct RulesCheck {
    pub tenant: String,
    pub version: String,
    /// Why it doesn't compile, with file, line and column.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub error: Option<RuleError>,
    pub tests: Vec<TestResult>,
    /// `locale: message-id` of field labels without text.
    pub missing_labels: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub dry_run: Option<DryRun>,
}

impl RulesCheck {
    pub fn passed(&self) -> bool {
        self.error.is_none()
            && !self.tests.is_empty()
            && self.tests.iter().all(TestResult::passed)
            && self.missing_labels.is_empty()
            && self.dry_run.as_ref().is_none_or(|d| d.failure_count == 0)
    }
}

#[derive(Debug, thiserror::Error)]
pub enum RulesAdminError {
    #[error("the version does not pass its checks")]
    Rejected(Box<RulesCheck>),
    #[error("no version {0} for this tenant")]
    UnknownVersion(String),
    #[error("version {0} is already active")]
    AlreadyActive(String),
    #[error("nothing to roll back: no version was ever activated")]
    NothingToRollBack,
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Rules(#[from] RuleError),
    #[error(transparent)]
    Storage(#[from] StorageError),
}

impl From<ActivateError> for RulesAdminError {
    fn from(e: ActivateError) -> Self {
        match e {
            ActivateError::Conflict { .. } => Self::Conflict(e.to_string()),
            ActivateError::Storage(e) => Self::Storage(e),
        }
    }
}

/// How a nightly scan went.
#[derive(Clone, Debug, Default, Serialize)]
pub struct ScanReport {
    pub total: u64,
    pub updated: u64,
    pub failures: Vec<CertificateFailure>,
    pub failure_count: u64,
}

fn facts(row: &StatusFacts) -> CertFacts {
    CertFacts::new(&row.cert_no, &row.cert_type, row.issue_date)
        .reviewed_on(row.reviewed_on)
        .revocation(row.revocation_kind.map(RevocationKind::code))
}

/// One page of a dry run, evaluated off the async threads.
fn compare_page(current: &RuleSet, candidate: &RuleSet, page: &[StatusFacts], on: NaiveDate, into: &mut DryRunTally) {
    let started = std::time::Instant::now();
    compare_rows(current, candidate, page, on, into);
    into.evaluating += started.elapsed();
}

fn compare_rows(current: &RuleSet, candidate: &RuleSet, page: &[StatusFacts], on: NaiveDate, into: &mut DryRunTally) {
    for row in page {
        let facts = facts(row);
        let before = current
            .outcome(&facts, on)
            .unwrap_or(Outcome { expiry: row.expiry_date, status: row.status.unwrap_or(Status::Valid) });
        match candidate.outcome(&facts, on) {
            Ok(after) => into.count(row, before, after),
            Err(e) => into.fail(row, &e),
        }
    }
}

#[derive(Default)]
struct DryRunTally {
    report: DryRun,
    transitions: BTreeMap<(Status, Status), u64>,
    evaluating: std::time::Duration,
}

impl DryRunTally {
    fn count(&mut self, row: &StatusFacts, before: Outcome, after: Outcome) {
        let r = &mut self.report;
        r.total += 1;
        if before.expiry != after.expiry {
            r.expiry_changes += 1;
        }
        if before.status != after.status {
            r.status_changes += 1;
            *self.transitions.entry((before.status, after.status)).or_default() += 1;
        }
        if (before.status != after.status || before.expiry != after.expiry) && r.examples.len() < EXAMPLES {
            r.examples.push(ChangeExample {
                cert_no: row.cert_no.clone(),
                from: before.status,
                to: after.status,
                expiry_from: before.expiry,
                expiry_to: after.expiry,
            });
        }
    }

    fn fail(&mut self, row: &StatusFacts, e: &RuleError) {
        let r = &mut self.report;
        r.total += 1;
        r.failure_count += 1;
        if r.failures.len() < ERRORS_LISTED {
            r.failures.push(CertificateFailure { cert_no: row.cert_no.clone(), error: e.to_string() });
        }
    }

    /// Whether the version has shown itself too slow to serve lookups: on
    /// average over at least 20 certificates (both versions' rules timed
    /// together, so the bound is generous).
    fn too_slow(&mut self) -> bool {
        let n = u128::from(self.report.total.max(1));
        let per_certificate = self.evaluating.as_micros() / n;
        if self.report.total < 20 || per_certificate <= safecert_rules::limits::MAX_MICROS_PER_CERTIFICATE {
            return false;
        }
        self.report.failure_count += 1;
        self.report.failures.push(CertificateFailure {
            cert_no: String::new(),
            error: format!(
                "stopped after {} certificates: the rules take {per_certificate} µs per certificate; \
                 the limit is {} µs. Do less work per certificate.",
                self.report.total,
                safecert_rules::limits::MAX_MICROS_PER_CERTIFICATE
            ),
        });
        true
    }

    fn finish(mut self, on: NaiveDate) -> DryRun {
        let mut transitions: Vec<Transition> =
            self.transitions.into_iter().map(|((from, to), count)| Transition { from, to, count }).collect();
        transitions.sort_by_key(|t| std::cmp::Reverse(t.count));
        self.report.transitions = transitions;
        self.report.on = Some(on);
        self.report
    }
}

/// The checks that need no database: compile, test cases, labels (from
/// the tenant's folder under `tenants_dir`).
pub fn check_offline(
    engine: &Arc<safecert_rules::Engine>,
    tenant: &TenantConfig,
    tenants_dir: &std::path::Path,
    version: &str,
    source: RuleSource,
) -> (RulesCheck, Option<Arc<RuleSet>>) {
    let mut check = RulesCheck {
        tenant: tenant.slug.to_string(),
        version: version.to_owned(),
        error: None,
        tests: Vec::new(),
        missing_labels: Vec::new(),
        dry_run: None,
    };
    let compiled = match RuleSet::compile(engine, tenant.slug.as_str(), version, source, rule_settings(tenant)) {
        Ok(rules) => Arc::new(rules),
        Err(e) => {
            check.error = Some(e);
            return (check, None);
        }
    };
    check.tests = safecert_rules::run_tests(&compiled);
    let labels: Vec<String> = compiled.fields().map(|f| f.label.clone()).collect();
    let texts = source::label_texts(&tenants_dir.join(tenant.slug.as_str()));
    check.missing_labels = source::missing_labels(labels.iter().map(String::as_str), &texts);
    (check, Some(compiled))
}

fn join_failed(e: tokio::task::JoinError) -> StorageError {
    StorageError::Corrupt(format!("rule evaluation stopped: {e}"))
}

impl Platform {
    /// Compiles, self-tests and label-checks a version; when it compiles
    /// and `dry_run` is set, also compares it with the version in force
    /// over every certificate of the tenant.
    pub async fn check_rules(
        &self,
        tenant: &TenantConfig,
        version: &str,
        source: RuleSource,
        dry_run: bool,
    ) -> Result<RulesCheck, StorageError> {
        let (mut check, compiled) =
            check_offline(self.rules.engine(), tenant, &self.config.tenants_dir, version, source);
        if let (Some(compiled), true) = (compiled, dry_run) {
            check.dry_run = Some(self.dry_run(tenant, &compiled).await?);
        }
        Ok(check)
    }

    /// Compares `candidate` with the rules in force over every certificate
    /// of the tenant, on today's date.
    pub async fn dry_run(&self, tenant: &TenantConfig, candidate: &Arc<RuleSet>) -> Result<DryRun, StorageError> {
        let on = self.today();
        let current = self.rules.get(&tenant.slug).unwrap_or_else(|| Arc::clone(candidate));
        let mut tally = DryRunTally::default();
        let mut after = 0;
        loop {
            let page = self.store.status_page(&tenant.slug, after, PAGE).await?;
            let Some(last) = page.last() else { break };
            after = last.id;
            let (current, candidate) = (Arc::clone(&current), Arc::clone(candidate));
            tally = tokio::task::spawn_blocking(move || {
                compare_page(&current, &candidate, &page, on, &mut tally);
                tally
            })
            .await
            .map_err(join_failed)?;
            if tally.too_slow() {
                break;
            }
        }
        Ok(tally.finish(on))
    }

    /// The nightly scan: stores the expiry and status the rules in force
    /// give today for every certificate of the tenant whose stored values
    /// differ.
    pub async fn rescan_statuses(&self, tenant: &TenantConfig) -> Result<ScanReport, StorageError> {
        let on = self.today();
        let Some(rules) = self.rules.get(&tenant.slug) else { return Ok(ScanReport::default()) };
        let mut report = ScanReport::default();
        let mut pending: Option<tokio::task::JoinHandle<Result<u64, StorageError>>> = None;
        // Reading the next page while this one is evaluated and the last
        // one written.
        let read = |after: i64| {
            let (store, slug) = (Arc::clone(&self.store), tenant.slug.clone());
            tokio::spawn(async move { store.status_page(&slug, after, PAGE).await })
        };
        // On SQLite a page read while the previous one is being written can
        // keep a snapshot from before that write on its pooled connection,
        // so there each page is read only once the last one is written.
        let pipelined = self.store.databases().backend() == safecert_storage::Backend::Postgres;
        let mut after = 0;
        let mut next = Some(read(after));
        loop {
            let page = match next.take() {
                Some(reading) => reading.await.map_err(join_failed)??,
                None => read(after).await.map_err(join_failed)??,
            };
            let Some(last) = page.last() else { break };
            after = last.id;
            if pipelined {
                next = Some(read(after));
            }
            let rules = Arc::clone(&rules);
            let (updates, part) = tokio::task::spawn_blocking(move || {
                let mut part = ScanReport::default();
                let mut updates = Vec::new();
                for row in &page {
                    part.total += 1;
                    match rules.outcome(&facts(row), on) {
                        Ok(o) if o.expiry != row.expiry_date || Some(o.status) != row.status => {
                            updates.push(StatusUpdate {
                                id: row.id,
                                expiry_date: o.expiry,
                                expiry_changed: o.expiry != row.expiry_date,
                                status: o.status,
                            });
                        }
                        Ok(_) => {}
                        Err(e) => {
                            part.failure_count += 1;
                            if part.failures.len() < ERRORS_LISTED {
                                part.failures
                                    .push(CertificateFailure { cert_no: row.cert_no.clone(), error: e.to_string() });
                            }
                        }
                    }
                }
                (updates, part)
            })
            .await
            .map_err(join_failed)?;
            report.total += part.total;
            report.failure_count += part.failure_count;
            report.failures.extend(part.failures.into_iter().take(ERRORS_LISTED.saturating_sub(report.failures.len())));
            // Writing one page while the next is read and evaluated.
            if let Some(done) = pending.take() {
                report.updated += done.await.map_err(join_failed)??;
            }
            let store = Arc::clone(&self.store);
            let slug = tenant.slug.clone();
            pending = Some(tokio::spawn(async move { store.update_statuses(&slug, &updates).await }));
            if !pipelined && let Some(done) = pending.take() {
                report.updated += done.await.map_err(join_failed)??;
            }
        }
        if let Some(done) = pending {
            report.updated += done.await.map_err(join_failed)??;
        }
        Ok(report)
    }

    /// Checks and keeps an uploaded version. Nothing is kept unless every
    /// check passes.
    pub async fn upload_rules(
        &self,
        tenant: &TenantConfig,
        source: RuleSource,
        note: &str,
        actor: &str,
    ) -> Result<RulesCheck, RulesAdminError> {
        let mut check = self.check_rules(tenant, "upload", source.clone(), true).await?;
        if !check.passed() {
            return Err(RulesAdminError::Rejected(Box::new(check)));
        }
        let report = serde_json::to_value(&check).unwrap_or_default();
        let version = self
            .store
            .databases()
            .save_rule_version(&tenant.slug, &source.script, &source.data, note, actor, report)
            .await?;
        check.version = version;
        Ok(check)
    }

    async fn load_version(&self, tenant: &TenantConfig, version: &str) -> Result<Arc<RuleSet>, RulesAdminError> {
        if version == BASELINE {
            return self.rules.baseline(&tenant.slug).ok_or_else(|| RulesAdminError::UnknownVersion(version.into()));
        }
        let row = self
            .store
            .databases()
            .rule_version(tenant.slug.as_str(), version)
            .await?
            .ok_or_else(|| RulesAdminError::UnknownVersion(version.into()))?;
        let source = RuleSource { script: row.script, data: row.data };
        Ok(Arc::new(self.rules.compile(tenant, version, source)?))
    }

    /// Puts a kept version (or `baseline`) in force, recording who, when,
    /// from what and why; every replica follows within seconds.
    pub async fn activate_rules(
        &self,
        tenant: &TenantConfig,
        version: &str,
        reason: &str,
        actor: &str,
    ) -> Result<ActivationRow, RulesAdminError> {
        let current = self.rules.get(&tenant.slug).map(|r| r.version().to_owned()).unwrap_or_else(|| BASELINE.into());
        if current == version {
            return Err(RulesAdminError::AlreadyActive(version.into()));
        }
        let rules = self.load_version(tenant, version).await?;
        let row = self.store.databases().activate_rule_version(&tenant.slug, &current, version, actor, reason).await?;
        self.rules.install(&tenant.slug, rules);
        self.rules.seen_activation(row.id);
        tracing::info!(tenant = %tenant.slug, from = %row.from_version, to = %row.to_version, "rules activated");
        self.store.cache().announce_rules_change(tenant.slug.as_str()).await;
        Ok(row)
    }

    /// Goes back to the version in force before the latest activation.
    pub async fn rollback_rules(
        &self,
        tenant: &TenantConfig,
        reason: &str,
        actor: &str,
    ) -> Result<ActivationRow, RulesAdminError> {
        let latest = self.store.databases().rule_activations(Some(tenant.slug.as_str()), 0).await?;
        let previous = latest.first().map(|a| a.from_version.clone()).ok_or(RulesAdminError::NothingToRollBack)?;
        self.activate_rules(tenant, &previous, reason, actor).await
    }

    /// Applies activations recorded by other replicas since the last look,
    /// looking on `dbs`. Returns how many tenants changed.
    pub async fn sync_rules(&self, dbs: &Databases) -> Result<usize, StorageError> {
        let seen = self.rules.last_seen_activation();
        let rows = dbs.rule_activations(None, seen).await?;
        let mut changed = 0;
        let mut done = std::collections::HashSet::new();
        // Newest first: the first row of a tenant is what it runs now.
        for row in &rows {
            if !done.insert(row.tenant_slug.clone()) {
                continue;
            }
            let Some(tenant) = self.tenants.find(&row.tenant_slug) else { continue };
            if self.rules.get(&tenant.slug).is_some_and(|r| r.version() == row.to_version) {
                continue;
            }
            match self.load_version(tenant, &row.to_version).await {
                Ok(rules) => {
                    self.rules.install(&tenant.slug, rules);
                    changed += 1;
                    tracing::info!(tenant = %tenant.slug, version = %row.to_version, "rules changed by another replica");
                }
                Err(e) => {
                    tracing::error!(tenant = %tenant.slug, version = %row.to_version, error = %e, "cannot load activated rules")
                }
            }
        }
        if let Some(newest) = rows.first() {
            self.rules.seen_activation(newest.id);
        }
        Ok(changed)
    }
}
