//! Rules benchmarks, recorded in docs/PERFORMANCE.md:
//!
//! 1. Status evaluation through the national rules, on one core, including
//!    building each certificate's facts and passing them into the script;
//!    beside it the same rule written directly in Rust, measured in the
//!    same run.
//! 2. Memory of the compiled rules of all 32 tenants.
//!
//! Run: `cargo bench -p safecert-rules` (from the repository root).

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::panic)]

use std::{hint::black_box, path::PathBuf, time::Instant};

use chrono::{Months, NaiveDate, TimeDelta};
use safecert_domain::Status;
use safecert_rules::{CertFacts, Dynamic, RuleSet, RuleSettings, source};

const CERTS: usize = 200_000;
const ROUNDS: usize = 9;
const SPECIAL: &str = "特种作业操作证";
const MANAGER: &str = "安全生产管理人员安全生产知识和管理能力考核合格证";

struct Row {
    number: String,
    cert_type: &'static str,
    issue: NaiveDate,
    reviewed_on: Option<NaiveDate>,
    revocation: Option<&'static str>,
}

fn rows(today: NaiveDate) -> Vec<Row> {
    let mut state: u64 = 42;
    let mut next = move |n: u64| {
        state = state.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        (state >> 33) % n
    };
    (0..CERTS)
        .map(|i| {
            let special = next(100) < 25;
            let issue = today - TimeDelta::days(next(6 * 365) as i64);
            let reviewed_on = (special && next(4) > 0).then(|| issue + TimeDelta::days(3 * 365 - 30));
            let revocation = match next(100) {
                0..2 => Some("revoked"),
                2..3 => Some("suspended"),
                _ => None,
            };
            Row {
                number: if special { format!("T4401061985{i:07}") } else { format!("GD2024{i:07}") },
                cert_type: if special { SPECIAL } else { MANAGER },
                issue,
                reviewed_on,
                revocation,
            }
        })
        .collect()
}

/// The national rule written directly in Rust: the baseline the script is
/// compared with.
fn native_status(row: &Row, today: NaiveDate, window: i64) -> (NaiveDate, Status) {
    let years = |d: NaiveDate, n: u32| d.checked_add_months(Months::new(12 * n)).unwrap();
    let expiry = if row.cert_type == SPECIAL {
        let due = years(row.issue, 3);
        match row.reviewed_on {
            Some(r) if r >= due - TimeDelta::days(60) && r <= due => years(row.issue, 6) - TimeDelta::days(1),
            _ => due - TimeDelta::days(1),
        }
    } else {
        years(row.reviewed_on.unwrap_or(row.issue), 3) - TimeDelta::days(1)
    };
    let status = match row.revocation {
        Some("revoked") => Status::Revoked,
        Some(_) => Status::Suspended,
        None if today > expiry => Status::Expired,
        None if (expiry - today).num_days() < window => Status::Expiring,
        None => Status::Valid,
    };
    (expiry, status)
}

fn median(mut xs: Vec<f64>) -> f64 {
    xs.sort_by(|a, b| a.partial_cmp(b).unwrap());
    xs[xs.len() / 2]
}

fn per_second(mut run: impl FnMut() -> usize) -> f64 {
    let started = Instant::now();
    let n = run();
    n as f64 / started.elapsed().as_secs_f64()
}

fn rss_kib() -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn main() {
    let tenants_dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants");
    let settings = || RuleSettings::new([("expiring_window_days", Dynamic::from_int(30))]);
    let engine = safecert_rules::engine();
    let base = source::baseline(&tenants_dir, "_default").unwrap();
    let rules = RuleSet::compile(&engine, "_default", "baseline", base.source, settings()).unwrap();
    let today = NaiveDate::from_ymd_opt(2026, 11, 27).unwrap();
    let data = rows(today);

    // Both must agree before their speeds mean anything.
    for row in data.iter().take(20_000) {
        let facts = CertFacts::new(&row.number, row.cert_type, row.issue)
            .reviewed_on(row.reviewed_on)
            .revocation(row.revocation);
        let o = rules.outcome(&facts, today).unwrap();
        assert_eq!((o.expiry, o.status), native_status(row, today, 30), "{}", row.number);
    }

    let facts_of = |row: &Row| {
        CertFacts::new(&row.number, row.cert_type, row.issue).reviewed_on(row.reviewed_on).revocation(row.revocation)
    };
    // The status rule alone, for a certificate whose expiry is stored (as
    // the nightly scan and the directory have it), then both rules, then
    // the same computation written in Rust. Rounds interleave the three so
    // that the machine's drift hits all alike.
    let expiries: Vec<NaiveDate> = data.iter().map(|row| native_status(row, today, 30).0).collect();
    let (mut status_only, mut both, mut native) = (Vec::new(), Vec::new(), Vec::new());
    for round in 0..=ROUNDS {
        let s = per_second(|| {
            for (row, expiry) in data.iter().zip(&expiries) {
                black_box(rules.status(black_box(&facts_of(row)), *expiry, today).unwrap());
            }
            data.len()
        });
        let b = per_second(|| {
            for row in &data {
                black_box(rules.outcome(black_box(&facts_of(row)), today).unwrap());
            }
            data.len()
        });
        let n = per_second(|| {
            for row in &data {
                black_box(native_status(black_box(row), today, 30));
            }
            data.len()
        });
        // The first round warms up.
        if round > 0 {
            status_only.push(s);
            both.push(b);
            native.push(n);
        }
    }
    println!("status evaluation, one core, {CERTS} certificates, median of {ROUNDS} interleaved rounds:");
    println!("  status rule, expiry known : {:>12.0} certificates/s", median(status_only));
    println!("  expiry + status rules     : {:>12.0} certificates/s", median(both));
    println!("  expiry + status in Rust   : {:>12.0} certificates/s", median(native));

    // Memory: compile every tenant's rules as the service does at start.
    let before = rss_kib();
    let mut loaded = Vec::new();
    for entry in std::fs::read_dir(&tenants_dir).unwrap() {
        let slug = entry.unwrap().file_name().to_string_lossy().into_owned();
        if slug.starts_with('_') || !tenants_dir.join(&slug).join("tenant.toml").exists() {
            continue;
        }
        let base = source::baseline(&tenants_dir, &slug).unwrap();
        loaded.push(RuleSet::compile(&engine, &slug, "baseline", base.source, settings()).unwrap());
    }
    let after = rss_kib();
    let n = loaded.len() as u64;
    println!(
        "engine memory: {n} tenants compiled, RSS {before} KiB -> {after} KiB: {:.1} KiB per tenant",
        (after.saturating_sub(before)) as f64 / n as f64
    );
    black_box(loaded);
}
