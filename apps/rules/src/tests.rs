//! The engine's guarantees, tried with real scripts.

use std::path::PathBuf;

use chrono::NaiveDate;
use safecert_domain::Status;

use crate::{CertFacts, RuleError, RuleSet, RuleSettings, RuleSource, engine, run_tests, source};

fn settings() -> RuleSettings {
    RuleSettings::new([("expiring_window_days", rhai::Dynamic::from_int(30))])
}

fn compile(script: &str) -> Result<RuleSet, RuleError> {
    RuleSet::compile(&engine(), "zz", "test", RuleSource { script: script.into(), data: String::new() }, settings())
}

fn tenants_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../../tenants")
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn cert() -> CertFacts {
    CertFacts::new("GD20240000001", "安全生产管理人员安全生产知识和管理能力考核合格证", day("2024-03-01"))
}

fn expiry_of(arm: &str) -> Result<NaiveDate, RuleError> {
    compile(&format!("switch rule {{ \"expiry\" => {{ {arm} }}, _ => () }}"))?.expiry(&cert())
}

#[test]
fn the_national_rules_pass_their_own_test_cases() {
    let base = source::baseline(&tenants_dir(), "_default").unwrap();
    let rules = RuleSet::compile(&engine(), "_default", "baseline", base.source, settings()).unwrap();
    let results = run_tests(&rules);
    assert!(results.len() >= 10, "too few test cases: {}", results.len());
    for r in results {
        assert!(r.passed(), "{}: {:?}", r.name, r.failures);
    }
}

#[test]
fn each_province_with_its_own_rules_passes_its_test_cases() {
    for (slug, window) in [("gd", 30), ("js", 30), ("sh", 60), ("zj", 30), ("xj", 30)] {
        let base = source::baseline(&tenants_dir(), slug).unwrap();
        assert_eq!(base.from, slug);
        let settings = RuleSettings::new([("expiring_window_days", rhai::Dynamic::from_int(window))]);
        let rules =
            RuleSet::compile(&engine(), slug, "baseline", base.source, settings).unwrap_or_else(|e| panic!("{e}"));
        let results = run_tests(&rules);
        assert!(results.len() >= 5, "{slug}: too few test cases");
        for r in results {
            assert!(r.passed(), "{slug}: {}: {:?}", r.name, r.failures);
        }
        let labels: Vec<&str> = rules.fields().map(|f| f.label.as_str()).collect();
        assert!(!labels.is_empty());
        let missing = source::missing_labels(labels.iter().copied(), &source::label_texts(&base.dir));
        assert!(missing.is_empty(), "{slug}: labels missing: {missing:?}");
    }
}

#[test]
fn loops_and_functions_are_syntax_errors_with_a_line() {
    for (script, line) in [
        ("let x = 1;\nloop { x = 2; }\nx", 2),
        ("let x = 1;\nwhile true { x += 1 }\nx", 2),
        ("\n\nfor i in 0..10 { }", 3),
        ("fn f(n) { f(n) }\nf(1)", 1),
    ] {
        let err = compile(script).unwrap_err();
        assert_eq!((err.file, err.line), ("rules.rhai", line), "{script}: {err}");
        assert!(err.to_string().contains("rules of zz (version test)"), "{err}");
        assert!(err.message.contains("cannot loop") || err.message.contains("cannot define functions"), "{err}");
    }
}

#[test]
fn a_string_doubling_towards_a_gigabyte_is_stopped_at_its_line() {
    let mut script = String::from("switch rule { \"expiry\" => {\nlet s = \"0123456789\";\n");
    for _ in 0..30 {
        script.push_str("s += s;\n");
    }
    script.push_str("cert.issue_date } }");
    let err = compile(&script).unwrap().expiry(&cert()).unwrap_err();
    assert!(err.message.contains("string too large"), "{err}");
    assert_eq!(err.rule, Some("expiry"));
    // 10 bytes doubled past 4 KiB on the 9th `s += s`, which is line 11.
    assert_eq!(err.line, 11, "{err}");
}

#[test]
fn arrays_and_maps_cannot_grow_without_bound() {
    let doubled = format!("let a = [1, 2, 3, 4];\n{}0", "a += a;\n".repeat(20));
    assert!(expiry_of(&doubled).unwrap_err().message.contains("too large"));
    let added = format!("let a = [1, 2, 3, 4];\n{}0", "a = a + a;\n".repeat(20));
    assert!(expiry_of(&added).unwrap_err().message.contains("too large"));
    let pushed = format!("let a = [1];\n{}0", "a.push(a);\n".repeat(20));
    assert!(expiry_of(&pushed).unwrap_err().message.contains("too large"));
    let nested = "let a = [1, 2];\nlet b = [a, a];\n0";
    assert!(compile(nested).unwrap_err().message.contains("cannot be put into an array"));
    let self_map = "let m = #{a: 1};\nm.b = m;\n0";
    assert!(compile(self_map).unwrap_err().message.contains("only whole variables can be assigned"));
}

#[test]
fn what_escapes_the_caps_is_rejected_before_running() {
    for (script, expect) in [
        ("let s = `${cert.number}`; s", "back-ticks"),
        ("eval(\"1\")", "eval"),
        (&format!("{}1{}", "(".repeat(100), ")".repeat(100)), "nested deeper"),
        (&format!("let x = {}{};\nx", "[".repeat(60), "]".repeat(60)), "nested deeper"),
        (&"1 + ".repeat(9_000), "limit is"),
        ("/* hidden */ 1", "block comments"),
        ("let today = 1; today", "today"),
        ("undefined_name + 1", "undefined_name"),
    ] {
        let short = &script[..script.len().min(40)];
        let Err(err) = compile(script) else { panic!("{short} was accepted") };
        assert!(err.to_string().contains(expect), "{short}: {err}");
    }
}

#[test]
fn a_long_flat_expression_is_refused_not_a_crash() {
    // Within the size cap but deep as a syntax tree.
    let script = format!("switch rule {{ \"expiry\" => {}1, _ => () }}", "1 + ".repeat(3_000));
    assert!(compile(&script).unwrap_err().message.contains("nested too deeply"));
}

#[test]
fn arithmetic_errors_are_rule_errors_not_panics() {
    assert!(expiry_of("2147483647 + 1").unwrap_err().message.contains("overflow"));
    assert!(expiry_of("let x = 0; 10 / x").unwrap_err().message.contains("division by zero"));
    assert!(expiry_of("let x = 2147483647; x += 1; x").unwrap_err().message.contains("overflow"));
    assert!(expiry_of("date(2026, 2, 30)").unwrap_err().message.contains("not a valid date"));
}

#[test]
fn a_mistyped_result_names_the_rule_and_what_it_must_return() {
    let err = expiry_of("\"2027-01-01\"").unwrap_err();
    assert_eq!(err.rule, Some("expiry"));
    assert!(err.message.contains("must return a date"), "{err}");
    let rules = compile("switch rule { \"status\" => \"fine\", \"expiry\" => 0, _ => () }").unwrap();
    let err = rules.outcome(&cert(), day("2026-01-01")).unwrap_err();
    assert!(err.message.contains("one of valid, expiring"), "{err}");
}

#[test]
fn data_errors_point_into_rules_toml() {
    let data = "[[fields]]\nkey = \"category\"\ntype = \"colour\"\nlabel = \"x-category\"\n";
    let source = RuleSource { script: "()".into(), data: data.into() };
    let err = RuleSet::compile(&engine(), "zz", "test", source, settings()).unwrap_err();
    assert_eq!((err.file, err.line), ("rules.toml", 3), "{err}");
    assert!(err.message.contains("colour"), "{err}");
    let data = "[[fields]]\nkey = \"category\"\ntype = \"choice\"\nlabel = \"x-category\"\n";
    let source = RuleSource { script: "()".into(), data: data.into() };
    let err = RuleSet::compile(&engine(), "zz", "test", source, settings()).unwrap_err();
    assert!(err.message.contains("non-empty `values`"), "{err}");
}

#[test]
fn scripts_read_settings_and_the_certificate_but_cannot_change_them() {
    let rules =
        compile("switch rule { \"expiry\" => add_days(cert.issue_date, settings.expiring_window_days), _ => () }")
            .unwrap();
    assert_eq!(rules.expiry(&cert()).unwrap(), day("2024-03-31"));
    assert!(compile("cert = 1; 0").unwrap_err().to_string().contains("cert"));
    assert!(expiry_of("settings.nothing").unwrap_err().message.contains("no setting named"));
}

/// Runs `f` on a thread with the stack of a server worker, so deep
/// recursion shows up here as it would there.
fn on_small_stack<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> T {
    std::thread::Builder::new().stack_size(2 * 1024 * 1024).spawn(f).unwrap().join().unwrap()
}

#[test]
fn scripts_at_the_size_and_nesting_caps_neither_overflow_the_stack_nor_pass() {
    on_small_stack(|| {
        // As long a chain as the size cap allows.
        let terms = (crate::limits::MAX_SCRIPT_BYTES - 40) / 4;
        let chain = format!("switch rule {{ \"expiry\" => {}1, _ => () }}", "1 + ".repeat(terms));
        assert!(compile(&chain).is_err());
        let mixed = format!("switch rule {{ \"expiry\" => {}1, _ => () }}", "1 * 2 - ".repeat(terms / 2));
        assert!(compile(&mixed).is_err());
        let unary = format!("switch rule {{ \"expiry\" => {}1, _ => () }}", "-".repeat(terms * 3));
        assert!(compile(&unary).is_err());
        let nots =
            format!("switch rule {{ \"expiry\" => if {}true {{ 1 }} else {{ 2 }}, _ => () }}", "!".repeat(terms * 3));
        assert!(compile(&nots).is_err());
    });
}

#[test]
fn the_deepest_accepted_script_evaluates_on_a_worker_stack() {
    on_small_stack(|| {
        let depth = crate::limits::MAX_NESTING - 3;
        let nested = format!(
            "switch rule {{ \"expiry\" => {{ let x = {}1{}; add_days(cert.issue_date, x) }}, _ => () }}",
            "(1 + ".repeat(depth),
            ")".repeat(depth)
        );
        let rules = compile(&nested).unwrap();
        assert_eq!(rules.expiry(&cert()).unwrap(), day("2024-03-01") + chrono::TimeDelta::days(depth as i64 + 1));
        let terms = crate::limits::MAX_NESTING * 2 - 8;
        let chain =
            format!("switch rule {{ \"expiry\" => add_days(cert.issue_date, {}1), _ => () }}", "1 + ".repeat(terms));
        if let Ok(rules) = compile(&chain) {
            assert_eq!(rules.expiry(&cert()).unwrap(), day("2024-03-01") + chrono::TimeDelta::days(terms as i64 + 1));
        }
    });
}

#[test]
fn a_long_else_if_ladder_of_a_real_province_is_accepted() {
    let arms: String = (0..20).map(|i| format!("if cert.issue_date < {i} {{ {i} }} else ")).collect();
    let script = format!("switch rule {{ \"expiry\" => {{ {arms} {{ 99 }} }}, _ => () }}");
    on_small_stack(move || {
        let rules = compile(&script).unwrap_or_else(|e| panic!("{e}"));
        assert!(rules.expiry(&cert()).is_ok());
    });
}

#[test]
fn leading_constants_keep_their_order_and_values() {
    let rules = compile(
        "const A = 1;\nlet B = [\"x\", \"y\"];\nconst C = \"c\";\n\
         switch rule { \"number\" => if A == 1 && \"y\" in B { C + number } else { () }, _ => () }",
    )
    .unwrap();
    assert_eq!(rules.normalize_number("9").unwrap().as_deref(), Some("c9"));
}

#[test]
fn remembered_answers_are_the_answers() {
    let base = source::baseline(&tenants_dir(), "_default").unwrap();
    let rules = RuleSet::compile(&engine(), "_default", "baseline", base.source, settings()).unwrap();
    for (today, revocation) in [("2026-06-01", None), ("2027-02-10", None), ("2027-02-10", Some("revoked"))] {
        let facts = cert().revocation(revocation);
        let fresh = rules.outcome(&facts, day(today)).unwrap();
        assert_eq!(rules.outcome_cached(&facts, day(today)).unwrap(), fresh);
        assert_eq!(rules.outcome_cached(&facts, day(today)).unwrap(), fresh, "{today} {revocation:?}");
    }
    assert_eq!(rules.normalize_number_cached(" gd-2024 0000001").unwrap().as_deref(), Some("GD20240000001"));
    assert_eq!(rules.normalize_number_cached(" gd-2024 0000001").unwrap().as_deref(), Some("GD20240000001"));
    assert_eq!(rules.normalize_number_cached("x").unwrap(), None);
    // A number already in the province's form is handed back, not copied.
    for _ in 0..2 {
        let normal = rules.normalize_number_cached("GD20240000001").unwrap();
        assert!(matches!(normal, Some(std::borrow::Cow::Borrowed("GD20240000001"))), "{normal:?}");
    }
}

#[test]
fn an_answer_kept_by_a_certificate_s_identity_does_not_keep_the_certificate() {
    let base = source::baseline(&tenants_dir(), "_default").unwrap();
    let rules = RuleSet::compile(&engine(), "_default", "baseline", base.source, settings()).unwrap();
    let today = day("2026-06-01");
    let kept = std::sync::Arc::new(cert());
    let first = rules.outcome_kept(&kept, CertFacts::clone, today).unwrap();
    let again = rules.outcome_kept(&kept, |_| panic!("a repeat reads no facts"), today).unwrap();
    assert_eq!(again, first);
    assert_eq!(first, rules.outcome(&cert(), today).unwrap());
    // Once the caller lets it go, nothing holds the certificate.
    let gone = std::sync::Arc::downgrade(&kept);
    drop(kept);
    assert!(gone.upgrade().is_none(), "the remembered answer kept the certificate alive");
}

#[test]
fn an_answer_reached_without_the_number_serves_every_number() {
    let base = source::baseline(&tenants_dir(), "_default").unwrap();
    let rules = RuleSet::compile(&engine(), "_default", "baseline", base.source, settings()).unwrap();
    let today = day("2026-06-01");
    let issued =
        |number: &str| CertFacts::new(number, "安全生产管理人员安全生产知识和管理能力考核合格证", day("2024-03-01"));
    for number in ["GD20240000001", "GD20240000002", "BJ20240000003"] {
        let facts = issued(number);
        assert_eq!(rules.outcome_cached(&facts, today).unwrap(), rules.outcome(&facts, today).unwrap(), "{number}");
    }
    assert_eq!(rules.outcomes_kept(), (1, false), "one answer, kept without its number");
}

#[test]
fn rules_that_read_the_number_are_answered_by_number() {
    // Special-operations numbers (T + ID number) last six years here.
    let arms = [
        r#""expiry" => add_years(cert.issue_date, if number.starts_with("T") { 6 } else { 3 }),"#,
        r#""expiry" => add_years(cert.issue_date, if cert.number.starts_with("T") { 6 } else { 3 }),"#,
        // The number read for one type only: another type's answer, found
        // first, was kept without it.
        r#""expiry" => if cert.cert_type == "其他" { add_years(cert.issue_date, 3) } else if number.starts_with("T") { add_years(cert.issue_date, 6) } else { add_years(cert.issue_date, 3) },"#,
    ];
    let today = day("2026-06-01");
    for (i, arm) in arms.into_iter().enumerate() {
        let rules = compile(&format!(
            r#"switch rule {{ {arm} "status" => if today > expiry {{ "expired" }} else {{ "valid" }}, _ => () }}"#
        ))
        .unwrap();
        let before = if i == 2 {
            let third = CertFacts::new("GD20210000009", "其他", day("2021-03-01"));
            assert_eq!(rules.outcome_cached(&third, today).unwrap().status, Status::Expired);
            assert_eq!(rules.outcomes_kept(), (1, false));
            1
        } else {
            0
        };
        let special = CertFacts::new("T110105199001010011", "特种作业操作证", day("2021-03-01"));
        let other = CertFacts::new("GD20210000001", "特种作业操作证", day("2021-03-01"));
        for _ in 0..2 {
            let (s, o) = (rules.outcome_cached(&special, today).unwrap(), rules.outcome_cached(&other, today).unwrap());
            assert_eq!((s.expiry, s.status), (day("2027-03-01"), Status::Valid), "{arm}");
            assert_eq!((o.expiry, o.status), (day("2024-03-01"), Status::Expired), "{arm}");
        }
        assert_eq!(rules.outcomes_kept(), (before + 2, true), "{arm}");
    }
}

#[test]
fn what_operators_and_helpers_resolve_to_is_kept_between_evaluations() {
    let base = source::baseline(&tenants_dir(), "_default").unwrap();
    let rules = RuleSet::compile(&engine(), "_default", "baseline", base.source, settings()).unwrap();
    assert_eq!(rules.resolved_here(), (0, 0));
    let today = day("2026-11-27");
    let first = rules.outcome(&cert(), today).unwrap();
    let again = rules.outcome(&cert(), today).unwrap();
    assert_eq!(first, again);
    let (levels, kept) = rules.resolved_here();
    assert_eq!(levels, 1, "one cache, kept after the evaluation");
    assert!(kept > 0, "the functions met twice are kept");
    rules.outcome(&cert(), today).unwrap();
    assert_eq!(rules.resolved_here(), (1, kept), "a third evaluation finds them all");
}
