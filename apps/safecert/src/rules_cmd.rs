//! `safecert rules check` and `safecert rules scan`.

use std::{io::Write, path::PathBuf, sync::Arc};

use anyhow::Context;
use safecert_core::{Config, DryRun, Platform, RulesCheck, TenantConfig, TenantRegistry, check_offline};
use safecert_rules::{DATA_FILE, RuleSource, SCRIPT_FILE, source};

pub struct CheckArgs {
    pub tenant: String,
    pub script: Option<PathBuf>,
    pub data: Option<PathBuf>,
    pub dry_run: bool,
}

fn read(path: &PathBuf) -> anyhow::Result<String> {
    std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
}

/// The version to check: the given files, or the tenant's baseline.
/// Where a version's two files came from, for messages.
struct Origin {
    script: String,
    data: String,
}

fn candidate(
    tenants_dir: &std::path::Path,
    tenant: &TenantConfig,
    args: &CheckArgs,
) -> anyhow::Result<(Origin, RuleSource)> {
    let Some(script) = &args.script else {
        let base = source::baseline(tenants_dir, tenant.slug.as_str()).map_err(anyhow::Error::msg)?;
        let dir = format!("tenants/{}", base.from);
        let origin = Origin { script: format!("{dir}/{SCRIPT_FILE}"), data: format!("{dir}/{DATA_FILE}") };
        return Ok((origin, base.source));
    };
    let data_path = args.data.clone().unwrap_or_else(|| script.with_file_name(DATA_FILE));
    let data = if data_path.exists() { read(&data_path)? } else { String::new() };
    let origin = Origin { script: script.display().to_string(), data: data_path.display().to_string() };
    Ok((origin, RuleSource { script: read(script)?, data }))
}

fn print_check(out: &mut impl Write, origin: &Origin, check: &RulesCheck) -> std::io::Result<()> {
    let t = &check.tenant;
    if let Some(e) = &check.error {
        let file = if e.file == DATA_FILE { &origin.data } else { &origin.script };
        writeln!(out, "{t}: FAIL {file}:{}:{}: {}", e.line, e.column, e.message)?;
        return Ok(());
    }
    let passed = check.tests.iter().filter(|r| r.passed()).count();
    let verdict = if passed == check.tests.len() && !check.tests.is_empty() { "ok" } else { "FAIL" };
    writeln!(out, "{t}: {verdict} compiled {}; {passed}/{} test cases pass", origin.script, check.tests.len())?;
    if check.tests.is_empty() {
        writeln!(out, "{t}:   no test cases: add [[tests]] to rules.toml")?;
    }
    for r in check.tests.iter().filter(|r| !r.passed()) {
        writeln!(out, "{t}:   test {:?}: {}", r.name, r.failures.join("; "))?;
    }
    for m in &check.missing_labels {
        writeln!(out, "{t}:   FAIL label without text: {m} (tenants/{t}/locales/)")?;
    }
    if let Some(d) = &check.dry_run {
        print_dry_run(out, t, d)?;
    }
    Ok(())
}

fn print_dry_run(out: &mut impl Write, t: &str, d: &DryRun) -> std::io::Result<()> {
    writeln!(
        out,
        "{t}: dry run over {} certificates: {} would change status, {} expiry, {} fail",
        d.total, d.status_changes, d.expiry_changes, d.failure_count
    )?;
    for tr in &d.transitions {
        writeln!(out, "{t}:   {} -> {}: {}", tr.from.code(), tr.to.code(), tr.count)?;
    }
    for e in d.examples.iter().take(5) {
        writeln!(
            out,
            "{t}:   e.g. {}: {} -> {}, expiry {} -> {}",
            e.cert_no,
            e.from.code(),
            e.to.code(),
            e.expiry_from,
            e.expiry_to
        )?;
    }
    for f in &d.failures {
        writeln!(out, "{t}:   FAIL {}: {}", f.cert_no, f.error)?;
    }
    Ok(())
}

/// Checks one tenant's rules, or every tenant's (`all`). Errors when any
/// check fails, so CI can run it over tenants/.
pub async fn check(args: CheckArgs) -> anyhow::Result<()> {
    let config = Config::from_env().context("reading the configuration")?;
    let registry = TenantRegistry::load(&config.tenants_dir)?;
    let tenants: Vec<TenantConfig> = if args.tenant == "all" {
        registry.all().into_iter().cloned().collect()
    } else {
        vec![registry.find(&args.tenant).cloned().with_context(|| format!("unknown tenant {:?}", args.tenant))?]
    };
    if args.script.is_some() && tenants.len() > 1 {
        anyhow::bail!("a script file can only be checked against one tenant");
    }
    let engine = safecert_rules::engine();
    let mut out = std::io::stdout().lock();
    let mut checks = Vec::new();
    for tenant in &tenants {
        let (origin, source) = candidate(&config.tenants_dir, tenant, &args)?;
        let version = if args.script.is_some() { "candidate" } else { safecert_core::BASELINE };
        let (check, compiled) = check_offline(&engine, tenant, &config.tenants_dir, version, source);
        checks.push((origin, check, compiled));
    }
    // The dry run needs the database, and a platform that starts: with a
    // broken baseline it doesn't, and the checks below say why.
    let mut failed = 0;
    if args.dry_run && checks.iter().any(|(_, _, compiled)| compiled.is_some()) {
        match Platform::start(config).await {
            Ok(platform) => {
                for ((_, check, compiled), tenant) in checks.iter_mut().zip(&tenants) {
                    if let Some(rules) = compiled {
                        check.dry_run = Some(platform.dry_run(tenant, rules).await?);
                    }
                }
                platform.shutdown().await;
            }
            Err(e) => {
                writeln!(out, "dry run skipped: the platform does not start: {e:#}")?;
                failed += 1;
            }
        }
    }
    for (origin, check, _) in &checks {
        print_check(&mut out, origin, check)?;
        if !check.passed() {
            failed += 1;
        }
    }
    if failed > 0 {
        anyhow::bail!("rules of {failed} tenant(s) fail their checks");
    }
    Ok(())
}

/// The nightly scan, on demand.
pub async fn scan(tenant: Option<String>) -> anyhow::Result<()> {
    let config = Config::from_env().context("reading the configuration")?;
    let platform = Arc::new(Platform::start(config).await.context("starting the platform")?);
    let tenants: Vec<TenantConfig> = match tenant {
        Some(t) => vec![platform.tenants.find(&t).cloned().with_context(|| format!("unknown tenant {t:?}"))?],
        None => platform.tenants.all().into_iter().cloned().collect(),
    };
    let started = std::time::Instant::now();
    let (mut total, mut updated, mut failed) = (0, 0, 0);
    for tenant in &tenants {
        let report = platform.rescan_statuses(tenant).await?;
        for f in &report.failures {
            eprintln!("{}: {}: {}", tenant.slug, f.cert_no, f.error);
        }
        total += report.total;
        updated += report.updated;
        failed += report.failure_count;
    }
    println!(
        "scanned {total} certificates in {:.1}s: {updated} updated, {failed} failed",
        started.elapsed().as_secs_f64()
    );
    platform.shutdown().await;
    if failed > 0 {
        anyhow::bail!("the rules failed on {failed} certificate(s)");
    }
    Ok(())
}
