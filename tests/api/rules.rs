//! Changing a province's rules through the API: checked uploads, dry runs,
//! activation, rollback, audit, and every replica following.

use std::time::{Duration, Instant};

use chrono::{Months, NaiveDate};
use safecert_tests::{SpawnOptions, TestApp, repo_root, spawn_app_with};
use serde_json::{Value, json};

async fn jiangsu() -> TestApp {
    spawn_app_with(SpawnOptions { tenants: Some(vec!["js", "gd"]), ..Default::default() }).await
}

fn js_file(name: &str) -> String {
    std::fs::read_to_string(repo_root().join("tenants/js").join(name)).unwrap()
}

/// Jiangsu's rules.toml with its fields and, instead of its test cases,
/// one case on a principal's certificate issued 2023-07-15, seen on
/// 2026-06-20, expecting `expect`.
fn js_fields_with_test(name: &str, expect: &str) -> String {
    let rules = js_file("rules.toml");
    let fields = rules.split("[[tests]]").next().unwrap();
    format!(
        "{fields}\n[[tests]]\nname = \"{name}\"\ntoday = \"2026-06-20\"\n\
         cert = {{ number = \"JS20230004567\", cert_type = \"主要负责人安全生产知识和管理能力考核合格证\", issue_date = \"2023-07-15\" }}\n\
         expect = {{ {expect} }}\n"
    )
}

/// Jiangsu's rules with four years of validity instead of three, and test
/// cases that say so.
fn four_year_rules() -> Value {
    let script = js_file("rules.rhai").replace("const VALIDITY_YEARS = 3;", "const VALIDITY_YEARS = 4;");
    let data = js_fields_with_test(
        "a principal's certificate is valid for four years",
        "expiry = \"2027-07-14\", status = \"valid\"",
    );
    json!({ "script": script, "data": data, "note": "validity four years from 2027" })
}

/// A seeded Jiangsu management certificate without review or revocation.
async fn plain_js_certificate(app: &TestApp) -> (String, NaiveDate) {
    app.seed(30, 3).await;
    let row = app
        .raw_query_one(
            "js",
            "WHERE cert_no LIKE 'JS%' AND reviewed_on IS NULL AND revocation_kind IS NULL ORDER BY id LIMIT 1",
            "cert_no, issue_date",
        )
        .await
        .unwrap();
    (row.try_get("", "cert_no").unwrap(), row.try_get("", "issue_date").unwrap())
}

async fn expiry_of(app: &TestApp, no: &str) -> String {
    let body: Value = app.get(&format!("/api/v1/t/js/certificates/{no}")).await.json().await.unwrap();
    body["expiry_date"].as_str().unwrap().to_owned()
}

fn day_after_years(issue: NaiveDate, years: u32) -> String {
    (issue.checked_add_months(Months::new(12 * years)).unwrap() - chrono::TimeDelta::days(1)).to_string()
}

#[tokio::test]
async fn the_rules_api_needs_the_administrator_token() {
    let app = jiangsu().await;
    for lang in ["zh-CN", "en", "ug"] {
        let res = app.client.get(app.url("/api/v1/t/js/rules")).header("Accept-Language", lang).send().await.unwrap();
        assert_eq!(res.status(), 401);
        assert_eq!(res.headers()["www-authenticate"], "Bearer");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unauthorized");
        assert!(body["error"]["message"].as_str().unwrap().contains("Bearer"), "{lang}: says what to send");
    }
    let wrong = app.client.get(app.url("/api/v1/t/js/rules")).bearer_auth("not-the-token").send().await.unwrap();
    assert_eq!(wrong.status(), 401);
    let res = app.admin_get("/api/v1/t/js/rules").await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["active"], "baseline");
}

#[tokio::test]
async fn a_changed_validity_is_dry_run_activated_seen_by_lookups_and_rolled_back() {
    let app = jiangsu().await;
    let (no, issue) = plain_js_certificate(&app).await;
    assert_eq!(expiry_of(&app, &no).await, day_after_years(issue, 3));

    let res = app.admin_post("/api/v1/t/js/rules", &four_year_rules()).await;
    assert_eq!(res.status(), 201);
    let check: Value = res.json().await.unwrap();
    assert_eq!(check["version"], "v1");
    let dry = &check["dry_run"];
    assert_eq!(dry["total"], 30);
    assert!(dry["expiry_changes"].as_u64().unwrap() > 0, "{dry}");
    assert!(dry["examples"].as_array().unwrap().iter().any(|e| e["cert_no"] == no.as_str()));
    assert_eq!(expiry_of(&app, &no).await, day_after_years(issue, 3), "nothing changes before activation");

    let res = app.admin_post("/api/v1/t/js/rules/v1/activate", &json!({ "reason": "省厅2026年第3号通知" })).await;
    assert_eq!(res.status(), 200);
    let activation: Value = res.json().await.unwrap();
    assert_eq!(
        (activation["from_version"].as_str(), activation["to_version"].as_str()),
        (Some("baseline"), Some("v1"))
    );
    assert_eq!(expiry_of(&app, &no).await, day_after_years(issue, 4));
    let gd_rows = app.raw_query_one("gd", "LIMIT 1", "cert_no").await;
    assert!(gd_rows.is_some(), "other provinces keep their data and rules");

    let again = app.admin_post("/api/v1/t/js/rules/v1/activate", &json!({ "reason": "twice" })).await;
    assert_eq!(again.status(), 409);

    let res = app.admin_post("/api/v1/t/js/rules/rollback", &json!({ "reason": "误发布，撤回" })).await;
    assert_eq!(res.status(), 200);
    assert_eq!(expiry_of(&app, &no).await, day_after_years(issue, 3));

    let list: Value = app.admin_get("/api/v1/t/js/rules").await.json().await.unwrap();
    assert_eq!(list["active"], "baseline");
    let audit = list["activations"].as_array().unwrap();
    assert_eq!(audit.len(), 2);
    assert_eq!(audit[0]["reason"], "误发布，撤回");
    assert_eq!((audit[0]["from_version"].as_str(), audit[0]["to_version"].as_str()), (Some("v1"), Some("baseline")));
    assert!(audit[0]["actor"].as_str().unwrap().contains("admin token"));
    assert_eq!(list["versions"].as_array().unwrap().len(), 2, "baseline and v1 are both kept");
}

#[tokio::test]
async fn bad_uploads_are_rejected_with_what_and_where_and_change_nothing() {
    let app = jiangsu().await;
    let data = js_file("rules.toml");
    let cases = [
        (
            json!({ "script": "switch rule {\n  \"expiry\" => {\n    let x = ;\n  }\n}", "data": data }),
            "rules.rhai",
            Some(3),
        ),
        (json!({ "script": "loop { }", "data": data }), "rules.rhai", Some(1)),
        (
            json!({ "script": js_file("rules.rhai"), "data": "[[fields]]\nkey = \"x\"\ntype = \"colour\"\nlabel = \"x\"\n" }),
            "rules.toml",
            Some(3),
        ),
        (
            json!({ "script": js_file("rules.rhai").replace("\"reminders\" => [90, 60, 30, 7],", "\"reminders\" => \"soon\","), "data": data }),
            "tests",
            None,
        ),
    ];
    for (body, file, line) in cases {
        let res = app.admin_post("/api/v1/t/js/rules", &body).await;
        assert_eq!(res.status(), 422, "{file}");
        let body: Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "rules_rejected");
        let details = &body["error"]["details"];
        match line {
            Some(line) => {
                assert_eq!(details["error"]["file"], file, "{details}");
                assert_eq!(details["error"]["line"], line, "{details}");
                assert_eq!(details["error"]["tenant"], "js");
            }
            None => {
                let failed: Vec<&Value> =
                    details["tests"].as_array().unwrap().iter().filter(|t| t["failures"] != json!([])).collect();
                assert!(!failed.is_empty(), "{details}");
                assert!(failed[0]["failures"][0].as_str().unwrap().contains("reminders"), "{details}");
            }
        }
    }
    let res = app.admin_post("/api/v1/t/js/rules", &json!({ "script": 42 })).await;
    assert_eq!(res.status(), 400);
    let list: Value = app.admin_get("/api/v1/t/js/rules").await.json().await.unwrap();
    assert_eq!(list["versions"].as_array().unwrap().len(), 1, "only the baseline");
    assert_eq!(list["active"], "baseline");
}

#[tokio::test]
async fn a_hostile_script_is_stopped_while_the_service_keeps_answering() {
    let app = jiangsu().await;
    let rows = app.seed(5, 4).await;
    let gd = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let doubling = format!(
        "switch rule {{\n\"expiry\" => {{\nlet s = \"0123456789\";\n{}cert.issue_date }},\n_ => () }}",
        "s += s;\n".repeat(40)
    );
    let data = js_file("rules.toml");
    let started = Instant::now();
    let res = app.admin_post("/api/v1/t/js/rules", &json!({ "script": doubling, "data": data })).await;
    assert_eq!(res.status(), 422);
    assert!(started.elapsed() < Duration::from_secs(5));
    let body: Value = res.json().await.unwrap();
    let text = body["error"]["details"].to_string();
    assert!(text.contains("string too large") && text.contains("rules of js (version upload)"), "{text}");
    let verify = app.get(&format!("/api/v1/verify?cert_no={}&name={}", gd.cert_no, gd.holder_name)).await;
    assert_eq!(verify.status(), 200);
}

#[tokio::test]
async fn another_replica_runs_the_new_version_within_five_seconds() {
    let app = jiangsu().await;
    let (no, issue) = plain_js_certificate(&app).await;
    let replica = app.replica().await;
    let path = format!("/api/v1/t/js/certificates/{no}");
    let before: Value = replica.get(&path).await.json().await.unwrap();
    assert_eq!(before["expiry_date"], day_after_years(issue, 3));

    assert_eq!(app.admin_post("/api/v1/t/js/rules", &four_year_rules()).await.status(), 201);
    let activated = Instant::now();
    let res = app.admin_post("/api/v1/t/js/rules/v1/activate", &json!({ "reason": "four years" })).await;
    assert_eq!(res.status(), 200);
    loop {
        let now: Value = replica.get(&path).await.json().await.unwrap();
        if now["expiry_date"] == day_after_years(issue, 4) {
            break;
        }
        assert!(activated.elapsed() < Duration::from_secs(5), "the replica still answers {now}");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

#[tokio::test]
async fn a_version_that_fails_on_some_stored_certificates_is_refused_by_its_dry_run() {
    let app = jiangsu().await;
    app.seed(30, 5).await;
    // Passes its own (management-only) test cases, but divides by zero on
    // every special-operations certificate.
    let script = js_file("rules.rhai").replace(
        "\"expiry\" => {",
        "\"expiry\" => {\n        if cert.cert_type == \"特种作业操作证\" { let zero = 0; 1 / zero; }",
    );
    let data = js_fields_with_test("managers are unaffected", "expiry = \"2026-07-14\"");
    let res = app.admin_post("/api/v1/t/js/rules", &json!({ "script": script, "data": data })).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let dry = &body["error"]["details"]["dry_run"];
    assert!(dry["failure_count"].as_u64().unwrap() > 0, "{dry}");
    let first = &dry["failures"][0];
    assert!(first["cert_no"].as_str().unwrap().starts_with('T'));
    let error = first["error"].as_str().unwrap();
    assert!(error.contains("division by zero") && error.contains("line 30"), "{error}");
    let list: Value = app.admin_get("/api/v1/t/js/rules").await.json().await.unwrap();
    assert_eq!(list["active"], "baseline");
}

#[tokio::test]
async fn the_nightly_scan_stores_what_the_rules_say_today() {
    let app = jiangsu().await;
    // Statuses as they were a year ago: many have changed since.
    let year_ago = app.platform.today() - chrono::TimeDelta::days(365);
    app.seed_as_of(40, 6, year_ago).await;
    let tenant = app.platform.tenants.find("js").unwrap().clone();
    let first = app.platform.rescan_statuses(&tenant).await.unwrap();
    assert_eq!(first.total, 40);
    assert!(first.updated > 0, "a year changes some statuses");
    assert_eq!(first.failure_count, 0);
    let again = app.platform.rescan_statuses(&tenant).await.unwrap();
    assert_eq!(again.updated, 0, "a second scan on the same day has nothing to do");
    let row = app.raw_query_one("js", "ORDER BY id LIMIT 1", "cert_no, status, expiry_date").await.unwrap();
    let no: String = row.try_get("", "cert_no").unwrap();
    let stored: String = row.try_get("", "status").unwrap();
    let stored_expiry: NaiveDate = row.try_get("", "expiry_date").unwrap();
    let live: Value = app.get(&format!("/api/v1/t/js/certificates/{no}")).await.json().await.unwrap();
    assert_eq!(live["status"], stored.as_str());
    assert_eq!(live["expiry_date"], stored_expiry.to_string());
}

#[tokio::test]
async fn a_version_too_slow_for_lookups_is_refused_by_its_dry_run() {
    let app = jiangsu().await;
    app.seed(30, 8).await;
    // Valid, terminating and within every size limit, but it copies a
    // 4 KB string a few hundred times for every certificate.
    let long = "a".repeat(4_000);
    let work: String = (0..600).map(|i| format!("let n{i} = s.replace(\"a\", \"b\").len();\n")).collect();
    let script = js_file("rules.rhai")
        .replace("\"expiry\" => {", &format!("\"expiry\" => {{\n        let s = \"{long}\";\n{work}"));
    let res = app.admin_post("/api/v1/t/js/rules", &json!({ "script": script, "data": js_file("rules.toml") })).await;
    assert_eq!(res.status(), 422);
    let body: Value = res.json().await.unwrap();
    let failures = body["error"]["details"]["dry_run"]["failures"].to_string();
    assert!(failures.contains("per certificate; the limit is"), "{failures}");
}
