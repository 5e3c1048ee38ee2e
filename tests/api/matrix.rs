//! The authorization matrix: every role × every action × own / other
//! department / other enterprise / other region / other tenant, from one
//! table, through the HTTP API. Every unexpected allow and every unexpected
//! denial is listed before the test fails.

use safecert_tests::{SeededRow, TestApp, spawn_app};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

/// What a lookup of a certificate should give.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Seen {
    /// 200 with the ID number in full.
    Full,
    /// 200 with the ID number masked.
    Masked,
    /// 404, as for a number that does not exist.
    Refused,
    /// Full when the certificate is in the regulator's city, else refused.
    InCity,
}
use Seen::*;

const ROLES: [&str; 11] = [
    "employee",
    "department_admin",
    "enterprise_admin",
    "regulator",
    "provincial_admin",
    "platform_admin",
    "sme_subscriber",
    "institution",
    "api_client",
    "individual",
    "institution_applicant",
];
const TARGETS: [&str; 5] = ["own", "other_department", "other_enterprise", "other_region", "other_tenant"];

/// Certificate lookups, by role (rows) and target (columns).
const LOOKUPS: [[Seen; 5]; 11] = [
    [Full, Refused, Refused, Refused, Refused],
    [Full, Refused, Refused, Refused, Refused],
    [Full, Full, Refused, Refused, Refused],
    [Full, InCity, InCity, Refused, Refused],
    [Full, Full, Full, Full, Refused],
    [Masked, Masked, Masked, Masked, Masked],
    // A subscriber that manages the enterprise of "own".
    [Full, Full, Refused, Refused, Refused],
    // An approved training institution: certificates are not its to read.
    [Refused, Refused, Refused, Refused, Refused],
    // The enterprise admin's key scoped to certificate:read.
    [Masked, Masked, Refused, Refused, Refused],
    // The holder of "own", bound by real name.
    [Full, Refused, Refused, Refused, Refused],
    // A training institution whose application is still pending.
    [Refused, Refused, Refused, Refused, Refused],
];

/// Other actions: method, path, body, and the status per role.
fn actions() -> Vec<(&'static str, &'static str, Value, [u16; 11])> {
    let staff = |role: &str, login: &str, region: &str| json!({ "role": role, "login": login, "password": PASSWORD, "region_code": region, "second_factor": "totp" });
    vec![
        (
            "POST",
            "/api/v1/t/gd/departments",
            json!({ "name": "matrix" }),
            [403, 403, 201, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/t/js/departments",
            json!({ "name": "matrix" }),
            [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        ("GET", "/api/v1/t/gd/departments", json!(null), [200, 200, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/departments", json!(null), [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/gd/rules", json!(null), [403, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/rules", json!(null), [403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/gd/audit", json!(null), [403, 403, 403, 403, 200, 200, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/audit", json!(null), [403, 403, 403, 403, 403, 200, 403, 403, 403, 403, 403]),
        (
            "POST",
            "/api/v1/t/gd/staff",
            staff("regulator", "new.regulator", "440500"),
            [403, 403, 403, 403, 201, 403, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/t/js/staff",
            staff("regulator", "js.regulator", "320500"),
            [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403],
        ),
        (
            "POST",
            "/api/v1/t/js/staff",
            staff("provincial_admin", "js.admin", "320000"),
            [403, 403, 403, 403, 403, 201, 403, 403, 403, 403, 403],
        ),
        ("GET", "/api/v1/t/gd/region-access", json!(null), [403, 403, 403, 200, 200, 403, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/region-access", json!(null), [403, 403, 403, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("POST", "/api/v1/t/js/region-access", json!({ "region": "320100", "reason": "x", "days": 1 }), [403; 11]),
        (
            "POST",
            "/api/v1/t/js/accounts",
            json!({ "login": "x.y.z", "password": PASSWORD, "role": "employee",
            "department_id": 1, "second_factor": "totp" }),
            [403; 11],
        ),
        (
            "POST",
            "/api/v1/t/js/grants",
            json!({ "account_id": 1, "action": "read", "department_id": 1,
            "effect": "allow", "reason": "x" }),
            [403; 11],
        ),
        ("POST", "/api/v1/t/js/grants/1/revoke", json!({ "reason": "x" }), [403; 11]),
        ("POST", "/api/v1/t/js/region-access/1/approve", json!({ "reason": "x" }), [403; 11]),
        (
            "POST",
            "/api/v1/api-clients",
            json!({ "name": "matrix", "scopes": ["certificate:read"], "expires_in_days": 1 }),
            [403, 403, 201, 201, 201, 201, 403, 403, 403, 403, 403],
        ),
        ("GET", "/api/v1/t/gd/institutions", json!(null), [403, 403, 403, 403, 200, 403, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/institutions", json!(null), [403; 11]),
        ("GET", "/api/v1/institution", json!(null), [403, 403, 403, 403, 403, 403, 403, 200, 403, 403, 200]),
        (
            "GET",
            "/api/v1/subscription/enterprises",
            json!(null),
            [403, 403, 403, 403, 403, 403, 200, 403, 403, 403, 403],
        ),
        ("GET", "/api/v1/t/gd/subscribers", json!(null), [403, 403, 200, 403, 403, 403, 403, 403, 403, 403, 403]),
        ("GET", "/api/v1/t/js/subscribers", json!(null), [403; 11]),
        // Search: within each role's reach; another province only for the
        // platform and for holders (their own certificates there).
        ("GET", "/api/v1/t/gd/certificates", json!(null), [200, 200, 200, 200, 200, 200, 200, 403, 200, 200, 403]),
        ("GET", "/api/v1/t/js/certificates", json!(null), [200, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403]),
        ("GET", "/api/v1/t/js/autocomplete?q=JS", json!(null), [200, 403, 403, 403, 403, 200, 403, 403, 403, 200, 403]),
        // Privacy mode: holders and enterprises, never staff or keys.
        ("POST", "/api/v1/me/private-queries", json!({}), [200, 200, 200, 403, 403, 403, 200, 403, 403, 200, 403]),
        ("POST", "/api/v1/t/js/subscribers", json!({ "login": "sme.agent" }), [403; 11]),
        ("POST", "/api/v1/t/js/subscription/leave", json!(null), [403; 11]),
        ("POST", "/api/v1/t/js/institutions/1/approve", json!({ "reason": "x" }), [403; 11]),
    ]
}

fn city(region: &str) -> &str {
    &region[..4]
}

struct Fixture {
    tokens: Vec<String>,
    targets: Vec<(String, String, String)>, // tenant, cert_no, id_number
    target_regions: Vec<String>,
    regulator_city: String,
}

async fn create(app: &TestApp, by: &str, path: &str, body: Value) -> Value {
    let res = app.post_as(by, path, &body).await;
    assert_eq!(res.status().as_u16() / 100, 2, "{path} {body}: {}", res.text().await.unwrap_or_default());
    res.json().await.unwrap()
}

async fn signed_in(app: &TestApp, created: &Value, login: &str) -> String {
    app.sign_in_totp(login, PASSWORD, created["totp"]["secret"].as_str().unwrap()).await
}

async fn fixture(app: &TestApp) -> Fixture {
    let rows = app.seed(60, 42).await;
    let facts = app.raw_query_all("gd", "ORDER BY cert_no", "cert_no, department, employer_uscc, region_code").await;
    let fact = |no: &str| {
        let row = facts.iter().find(|r| r.try_get::<String>("", "cert_no").unwrap() == no).unwrap();
        let get = |c: &str| row.try_get::<String>("", c).unwrap();
        (get("department"), get("employer_uscc"), get("region_code"))
    };
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let (own, other_dept) = gd
        .iter()
        .flat_map(|a| gd.iter().map(move |b| (*a, *b)))
        .find(|(a, b)| {
            let (fa, fb) = (fact(&a.cert_no), fact(&b.cert_no));
            fa.1 == fb.1 && fa.0 != fb.0
        })
        .expect("an enterprise with two departments");
    let (dept, uscc, region) = fact(&own.cert_no);
    let other_enterprise = gd
        .iter()
        .filter(|r| fact(&r.cert_no).1 != uscc)
        .max_by_key(|r| city(&fact(&r.cert_no).2) == city(&region))
        .unwrap();
    let other_region = gd
        .iter()
        .find(|r| fact(&r.cert_no).1 != uscc && city(&fact(&r.cert_no).2) != city(&region))
        .expect("a certificate of another city");
    let other_tenant = rows.iter().find(|r| r.tenant == "js").unwrap();

    let operator = app.operator.clone();
    let province = create(
        app,
        &operator,
        "/api/v1/t/gd/staff",
        json!({ "role": "provincial_admin", "login": "gd.admin",
            "password": PASSWORD, "region_code": "440000", "second_factor": "totp" }),
    )
    .await;
    let province = signed_in(app, &province, "gd.admin").await;
    let regulator_city = format!("{}00", city(&region));
    let regulator = create(
        app,
        &province,
        "/api/v1/t/gd/staff",
        json!({ "role": "regulator", "login": "city.regulator",
        "password": PASSWORD, "region_code": regulator_city, "second_factor": "totp" }),
    )
    .await;
    let regulator = signed_in(app, &regulator, "city.regulator").await;
    let registered = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .json(&json!({ "uscc": uscc, "name": "矩阵企业", "login": "boss", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let boss = signed_in(app, &registered, "boss").await;
    let d_own = create(app, &boss, "/api/v1/t/gd/departments", json!({ "name": dept })).await;
    create(app, &boss, "/api/v1/t/gd/departments", json!({ "name": fact(&other_dept.cert_no).0 })).await;
    let account = |login: &str, role: &str, id: Option<&str>| {
        json!({ "login": login, "password": PASSWORD, "role": role, "department_id": d_own["id"],
                "second_factor": "totp", "id_number": id })
    };
    let head = create(app, &boss, "/api/v1/t/gd/accounts", account("dept.head", "department_admin", None)).await;
    let head = signed_in(app, &head, "dept.head").await;
    let worker =
        create(app, &boss, "/api/v1/t/gd/accounts", account("worker", "employee", Some(own.id_number.as_str()))).await;
    let worker = signed_in(app, &worker, "worker").await;

    let subscriber = app
        .client
        .post(app.url("/api/v1/subscribers"))
        .json(&json!({ "tenant": "bj", "login": "sme.agent", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let subscriber = signed_in(app, &subscriber, "sme.agent").await;
    create(app, &boss, "/api/v1/t/gd/subscribers", json!({ "login": "sme.agent" })).await;
    let institution = app
        .client
        .post(app.url("/api/v1/institutions"))
        .json(&json!({ "uscc": safecert_tests::uscc("12440000MB2C1234X"), "name": "培训中心", "licence_no": "001",
                       "training_scope": "安全生产管理人员", "login": "trainer", "password": PASSWORD,
                       "second_factor": "totp" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let path = format!("/api/v1/t/gd/institutions/{}/approve", institution["institution_id"]);
    create(app, &province, &path, json!({ "reason": "ok" })).await;
    let institution = signed_in(app, &institution, "trainer").await;
    let key = create(
        app,
        &boss,
        "/api/v1/api-clients",
        json!({ "name": "HR", "scopes": ["certificate:read"], "expires_in_days": 30 }),
    )
    .await;
    let key = key["key"].as_str().unwrap().to_owned();

    let holder = app
        .client
        .post(app.url("/api/v1/individuals"))
        .json(&json!({ "cert_no": own.cert_no, "name": own.holder_name, "id_number": own.id_number,
                       "login": "holder", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let holder = signed_in(app, &holder, "holder").await;
    let applicant = app
        .client
        .post(app.url("/api/v1/institutions"))
        .json(&json!({ "uscc": safecert_tests::uscc("12440000MB2C1235X"), "name": "另一培训中心", "licence_no": "002",
                       "training_scope": "安全生产管理人员", "login": "applicant", "password": PASSWORD,
                       "second_factor": "totp" }))
        .send()
        .await
        .unwrap()
        .json::<Value>()
        .await
        .unwrap();
    let applicant = signed_in(app, &applicant, "applicant").await;

    let targets: Vec<&SeededRow> = vec![own, other_dept, other_enterprise, other_region, other_tenant];
    Fixture {
        tokens: vec![
            worker,
            head,
            boss,
            regulator,
            province,
            operator,
            subscriber,
            institution,
            key,
            holder,
            applicant,
        ],
        target_regions: targets.iter().map(|t| t.id_number[..6].to_owned()).collect(),
        targets: targets.iter().map(|t| (t.tenant.clone(), t.cert_no.clone(), t.id_number.clone())).collect(),
        regulator_city,
    }
}

#[tokio::test]
async fn every_role_sees_and_does_exactly_what_the_table_says() {
    let app = spawn_app().await;
    let f = fixture(&app).await;
    let mut unexpected = Vec::new();
    for (r, role) in ROLES.iter().enumerate() {
        for (t, target) in TARGETS.iter().enumerate() {
            let (tenant, no, id) = &f.targets[t];
            let expected = match LOOKUPS[r][t] {
                InCity if f.target_regions[t][..4] == f.regulator_city[..4] => Full,
                InCity => Refused,
                other => other,
            };
            let res = app.get_as(&f.tokens[r], &format!("/api/v1/t/{tenant}/certificates/{no}")).await;
            let status = res.status().as_u16();
            let body: Value = res.json().await.unwrap_or_default();
            let got = match (status, body["id_number"].as_str()) {
                (200, Some(shown)) if shown == id => Full,
                (200, Some(shown)) if shown.contains("********") => Masked,
                (404, _) => Refused,
                other => {
                    unexpected.push(format!("{role} reading {target}: unexpected answer {other:?}"));
                    continue;
                }
            };
            if got != expected {
                unexpected.push(format!("{role} reading {target}: expected {expected:?}, got {got:?}"));
            }
        }
        for (method, path, body, statuses) in actions() {
            let token = &f.tokens[r];
            let res =
                if method == "GET" { app.get_as(token, path).await } else { app.post_as(token, path, &body).await };
            if res.status().as_u16() != statuses[r] {
                unexpected.push(format!("{role} {method} {path}: expected {}, got {}", statuses[r], res.status()));
            }
        }
    }
    assert!(unexpected.is_empty(), "{} unexpected decisions:\n{}", unexpected.len(), unexpected.join("\n"));
}
