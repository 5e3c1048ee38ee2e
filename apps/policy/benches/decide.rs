//! Authorization decisions with 10,000 run-time grants stored across the
//! tenants: p50 / p99 / max per decision, allowed and denied, beside the
//! same grants loaded as lines of one Casbin enforcer (how casbin-rs is
//! usually set up), measured in the same run.
//!
//!     cargo bench -p safecert-policy --bench decide

#![allow(clippy::expect_used, clippy::unwrap_used, clippy::panic)]

use std::{path::Path, time::Instant};

use casbin::{CoreApi, DefaultModel, Enforcer, MgmtApi, function_map::OperatorFunction, rhai::Dynamic};
use safecert_policy::{
    Action, Authorizer, Grant, GrantEffect, GrantKind, GrantTarget, ObjectKind, PolicyFiles, Resource, Role, Subject,
};

const NOW: &str = "2026-11-28T10:00:00";
const TENANTS: [&str; 32] = [
    "bj", "tj", "he", "sx", "nm", "ln", "jl", "hl", "sh", "js", "zj", "ah", "fj", "jx", "sd", "ha", "hb", "hn", "gd",
    "gx", "hi", "cq", "sc", "gz", "yn", "xz", "sn", "gs", "qh", "nx", "xj", "bt",
];

fn grants() -> Vec<Grant> {
    (0..10_000)
        .map(|i: i64| Grant {
            account_id: 100_000 + i % 3_000,
            role: Role::Regulator,
            tenant: TENANTS[(i % 32) as usize].to_owned(),
            object: ObjectKind::Certificate,
            action: if i % 2 == 0 { Action::Read } else { Action::Export },
            target: if i % 3 == 0 {
                GrantTarget { kind: GrantKind::Region, value: format!("44{:02}", i % 20) }
            } else {
                GrantTarget { kind: GrantKind::Department, value: format!("/{}/{}/", i % 50, i % 7) }
            },
            effect: if i % 10 == 9 { GrantEffect::Deny } else { GrantEffect::Allow },
            until: (i % 4 == 0).then(|| "2027-01-01T00:00:00".to_owned()),
        })
        .collect()
}

fn percentiles(mut micros: Vec<f64>) -> (f64, f64, f64) {
    micros.sort_by(|a, b| a.total_cmp(b));
    let at = |q: f64| micros[((micros.len() as f64 - 1.0) * q) as usize];
    (at(0.5), at(0.99), micros[micros.len() - 1])
}

/// Five rounds of `n / 5` decisions; prints the median over the rounds of
/// each round's p50 and p99 (the machine's hiccups land in single rounds).
fn measure(name: &str, n: usize, mut f: impl FnMut(usize) -> bool, expect: bool) {
    for i in 0..n.min(1_000) {
        assert_eq!(f(i), expect, "{name}: warm-up decision");
    }
    let (mut p50s, mut p99s, mut max) = (Vec::new(), Vec::new(), 0f64);
    for _ in 0..5 {
        let mut micros = Vec::with_capacity(n / 5);
        for i in 0..n / 5 {
            let start = Instant::now();
            let got = f(i);
            micros.push(start.elapsed().as_secs_f64() * 1e6);
            assert_eq!(got, expect, "{name}");
        }
        let (p50, p99, m) = percentiles(micros);
        p50s.push(p50);
        p99s.push(p99);
        max = max.max(m);
    }
    let median = |mut v: Vec<f64>| {
        v.sort_by(|a, b| a.total_cmp(b));
        v[v.len() / 2]
    };
    let (p50, p99) = (median(p50s), median(p99s.clone()));
    let spread = p99s.iter().map(|v| format!("{v:.0}")).collect::<Vec<_>>().join("/");
    println!("{name:<50} n={n:<7} p50 {p50:>8.1} µs  p99 {p99:>8.1} µs  (rounds {spread})  max {max:>8.0} µs");
}

fn same_as(a: Dynamic, b: Dynamic) -> Dynamic {
    let (a, b) = (a.into_immutable_string().unwrap_or_default(), b.into_immutable_string().unwrap_or_default());
    Dynamic::from_bool(!b.is_empty() && a == b)
}

fn is_account(a: Dynamic) -> Dynamic {
    Dynamic::from_bool(a.into_immutable_string().unwrap_or_default().starts_with("acct:"))
}

fn in_scopes(scopes: Dynamic, obj: Dynamic, act: Dynamic) -> Dynamic {
    let scopes = scopes.into_immutable_string().unwrap_or_default();
    let wanted = format!(
        "{}:{}",
        obj.into_immutable_string().unwrap_or_default(),
        act.into_immutable_string().unwrap_or_default()
    );
    Dynamic::from_bool(scopes == "*" || scopes.split_ascii_whitespace().any(|s| s == wanted))
}

fn within(a: Dynamic, b: Dynamic) -> Dynamic {
    let (a, b) = (a.into_immutable_string().unwrap_or_default(), b.into_immutable_string().unwrap_or_default());
    Dynamic::from_bool(!b.is_empty() && a.starts_with(b.as_str()))
}

#[tokio::main(flavor = "current_thread")]
async fn main() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let files = PolicyFiles::load(&dir).expect("policies/");
    let grants = grants();
    let (rss_before, started) = (rss_kib(), Instant::now());
    let authorizer = Authorizer::new(files.clone(), grants.clone()).await.expect("authorizer");
    println!(
        "10,000 grants over 32 tenants and 3,000 accounts: partitions built in {:.0} ms, {} MiB",
        started.elapsed().as_secs_f64() * 1e3,
        rss_kib().saturating_sub(rss_before) / 1024
    );

    // A change of one grant rebuilds only its (tenant, operation) group;
    // the first build above is the baseline of a full rebuild.
    let mut changes = Vec::new();
    for round in 0..5_i64 {
        let mut changed = grants.clone();
        changed.push(Grant {
            account_id: 900_000 + round,
            role: Role::Regulator,
            tenant: "gd".into(),
            object: ObjectKind::Certificate,
            action: Action::Export,
            target: GrantTarget { kind: GrantKind::Region, value: "4401".into() },
            effect: GrantEffect::Allow,
            until: None,
        });
        let started = Instant::now();
        authorizer.replace_grants(changed).await.expect("replace");
        changes.push(started.elapsed().as_secs_f64() * 1e3);
    }
    changes.sort_by(f64::total_cmp);
    println!("one grant added to 10,000: grants replaced in {:.0} ms (median of 5; rounds {changes:.0?})", changes[2]);
    authorizer.replace_grants(grants.clone()).await.expect("replace");

    let regulator = Subject::new(7, Role::Regulator, "gd").region("4403");
    let in_region = Resource::new(ObjectKind::Certificate, "gd").region("440305").enterprise("E1");
    let outside = Resource::new(ObjectKind::Certificate, "gd").region("440105").enterprise("E1");
    // An account with region grants in gd, asking about a region it was not given.
    let granted = grants
        .iter()
        .find(|g| {
            g.tenant == "gd"
                && g.action == Action::Read
                && g.effect == GrantEffect::Allow
                && g.target.kind == GrantKind::Region
        })
        .expect("a region grant in gd");
    let holder = Subject::new(granted.account_id, Role::Regulator, "gd").region("4499");
    let granted_to = Resource::new(ObjectKind::Certificate, "gd").region(&format!("{}01", granted.target.value));

    let n = 200_000;
    measure(
        "role line allows (regulator, own region)",
        n,
        |_| authorizer.decide_at(&regulator, "gd", &in_region, Action::Read, NOW).is_allowed(),
        true,
    );
    measure(
        "denied (regulator, next city, no grants)",
        n,
        |_| authorizer.decide_at(&regulator, "gd", &outside, Action::Read, NOW).is_allowed(),
        false,
    );
    measure(
        "allowed by a grant (regulator, granted region)",
        n,
        |_| authorizer.decide_at(&holder, "gd", &granted_to, Action::Read, NOW).is_allowed(),
        true,
    );
    measure(
        "denied (grant holder, region not granted)",
        n,
        |_| authorizer.decide_at(&holder, "gd", &outside, Action::Read, NOW).is_allowed(),
        false,
    );
    measure(
        "scope of a query (regulator)",
        50_000,
        |_| !authorizer.scope_at(&regulator, "gd", ObjectKind::Certificate, Action::Read, NOW).is_empty(),
        true,
    );

    // Baseline: the same 10,000 grants and the role lines in one enforcer.
    let model = DefaultModel::from_str(&files.model).await.expect("model");
    let mut single = Enforcer::new(model, casbin::MemoryAdapter::default()).await.expect("enforcer");
    single.add_function("sameAs", OperatorFunction::Arg2(same_as));
    single.add_function("within", OperatorFunction::Arg2(within));
    single.add_function("isAccount", OperatorFunction::Arg1(is_account));
    single.add_function("inScopes", OperatorFunction::Arg3(in_scopes));
    let mut lines: Vec<Vec<String>> = files
        .role_lines
        .iter()
        .map(|l| {
            let mut l = l.clone();
            l.resize(7, String::new());
            l.push("allow".to_owned());
            l
        })
        .collect();
    for g in &grants {
        let cond = files.grant_conditions[g.target.kind.as_str()].clone();
        lines.push(vec![
            format!("acct:{}", g.account_id),
            g.tenant.clone(),
            g.object.as_str().into(),
            g.action.as_str().into(),
            cond,
            g.target.value.clone(),
            g.until.clone().unwrap_or_default(),
            g.effect.as_str().to_owned(),
        ]);
    }
    single.add_policies(lines).await.expect("lines");
    for (from, to) in &files.inherits {
        single.add_grouping_policy(vec![from.clone(), to.clone()]).await.expect("g");
    }
    let args = |s: &Subject, r: &Resource| {
        use casbin::rhai::serde::to_dynamic;
        vec![
            to_dynamic(s).unwrap_or_default(),
            Dynamic::from("gd".to_owned()),
            to_dynamic(r).unwrap_or_default(),
            Dynamic::from("read".to_owned()),
            to_dynamic(serde_json_like_env()).unwrap_or_default(),
        ]
    };
    let (allow, deny) = (args(&regulator, &in_region), args(&regulator, &outside));
    measure(
        "baseline: one enforcer, 10,000 lines, allowed",
        200,
        |_| single.enforce(allow.clone()).unwrap_or(false),
        true,
    );
    measure(
        "baseline: one enforcer, 10,000 lines, denied",
        200,
        |_| single.enforce(deny.clone()).unwrap_or(true),
        false,
    );
}

/// Resident memory of this process (Linux).
fn rss_kib() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines().find(|l| l.starts_with("VmRSS:")).and_then(|l| l.split_whitespace().nth(1)?.parse().ok())
        })
        .unwrap_or(0)
}

#[derive(serde::Serialize)]
struct Env {
    now: &'static str,
}

fn serde_json_like_env() -> Env {
    Env { now: NOW }
}
