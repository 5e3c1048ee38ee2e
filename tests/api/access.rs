//! Regulators see their own region until a superior approves more, for a
//! time; enterprise admins give sub-accounts more or less, never more than
//! they have; every change is audited.

use std::time::Duration;

use safecert_tests::{SeededRow, TestApp, spawn_app};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn staff(app: &TestApp, creator: &str, tenant: &str, role: &str, login: &str, region: &str) -> String {
    app.staff(creator, tenant, role, login, region).await
}

fn city(row: &SeededRow) -> String {
    format!("{}00", &row.id_number[..4])
}

#[tokio::test]
async fn a_regulator_sees_the_next_city_only_once_a_superior_approves() {
    let app = spawn_app().await;
    let rows = app.seed(40, 21).await;
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let here = gd[0];
    let there = gd.iter().find(|r| city(r) != city(here)).expect("two cities");
    let province = staff(&app, &app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let local = staff(&app, &province, "gd", "regulator", "city.regulator", &city(here)).await;
    let neighbour = staff(&app, &province, "gd", "regulator", "next.regulator", &city(there)).await;
    let superior = staff(&app, &province, "gd", "regulator", "province.regulator", "440000").await;
    let cert = |row: &SeededRow| format!("/api/v1/t/gd/certificates/{}", row.cert_no);

    let own: Value = app.get_as(&local, &cert(here)).await.json().await.unwrap();
    assert_eq!(own["id_number"], here.id_number.as_str(), "a regulator sees its region in full");
    assert_eq!(app.get_as(&local, &cert(there)).await.status(), 404);

    let res = app
        .post_as(
            &local,
            "/api/v1/t/gd/region-access",
            &json!({ "region": city(there), "reason": "联合执法检查", "days": 7 }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let decide = |who: &str, how: &str| {
        let (app, who, how) = (&app, who.to_owned(), how.to_owned());
        async move {
            app.post_as(
                &who,
                &format!("/api/v1/t/gd/region-access/{id}/{how}"),
                &json!({ "reason": "同意，限检查期间" }),
            )
            .await
        }
    };
    assert_eq!(decide(&local, "approve").await.status(), 403, "nobody approves their own request");
    assert_eq!(decide(&neighbour, "approve").await.status(), 403, "a peer city is not superior");
    let approved = decide(&superior, "approve").await;
    assert_eq!(approved.status(), 200);
    assert_eq!(approved.json::<Value>().await.unwrap()["status"], "approved");
    assert_eq!(decide(&province, "reject").await.status(), 409, "decided once");

    assert_eq!(app.get_as(&local, &cert(there)).await.status(), 200, "the grant is in force");
    assert_eq!(app.get_as(&neighbour, &cert(here)).await.status(), 404, "only for the requester");

    let audit: Vec<Value> = app.get_as(&province, "/api/v1/t/gd/audit").await.json().await.unwrap();
    let actions: Vec<&str> = audit.iter().map(|a| a["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"region_access.request") && actions.contains(&"region_access.decide"), "{actions:?}");
    assert_eq!(app.get_as(&local, "/api/v1/t/gd/audit").await.status(), 403);
}

#[tokio::test]
async fn region_requests_are_checked() {
    let app = spawn_app().await;
    let province = staff(&app, &app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let local = staff(&app, &province, "gd", "regulator", "city.regulator", "440300").await;
    for (body, code) in [
        (json!({ "region": "4401", "reason": "x", "days": 7 }), "invalid_input"),
        (json!({ "region": "320100", "reason": "x", "days": 7 }), "invalid_input"),
        (json!({ "region": "440305", "reason": "x", "days": 7 }), "invalid_input"),
        (json!({ "region": "440100", "reason": "", "days": 7 }), "invalid_input"),
        (json!({ "region": "440100", "reason": "x", "days": 365 }), "invalid_input"),
        (json!({ "region": "440100" }), "invalid_body"),
    ] {
        let res = app.post_as(&local, "/api/v1/t/gd/region-access", &body).await;
        assert_eq!(res.status().as_u16() / 100, 4, "{body}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], code, "{body}");
    }
    // A provincial admin cannot create another provincial admin, nor a
    // regulator in another province.
    let res = app
        .post_as(
            &province,
            "/api/v1/t/gd/staff",
            &json!({ "role": "provincial_admin", "login": "second.admin",
            "password": PASSWORD, "second_factor": "totp" }),
        )
        .await;
    assert_eq!(res.status(), 403);
    let res = app
        .post_as(
            &province,
            "/api/v1/t/js/staff",
            &json!({ "role": "regulator", "login": "js.regulator",
            "password": PASSWORD, "region_code": "320100", "second_factor": "totp" }),
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn a_grant_gives_a_sub_account_a_department_until_it_ends() {
    let app = spawn_app().await;
    let rows = app.seed(40, 5).await;
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let (mine, theirs) = gd
        .iter()
        .flat_map(|a| gd.iter().map(move |b| (*a, *b)))
        .find(|(a, b)| a.employer_uscc == b.employer_uscc && a.cert_no != b.cert_no)
        .expect("two certificates of one enterprise");
    let department: String = app
        .raw_query_one("gd", &format!("WHERE cert_no = '{}'", theirs.cert_no), "department")
        .await
        .unwrap()
        .try_get("", "department")
        .unwrap();

    let res = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .json(&json!({ "uscc": mine.employer_uscc, "name": "企业", "login": "boss", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap();
    let reg: Value = res.json().await.unwrap();
    let admin = app.sign_in_totp("boss", PASSWORD, reg["totp"]["secret"].as_str().unwrap()).await;
    let own_dept: Value =
        app.post_as(&admin, "/api/v1/t/gd/departments", &json!({ "name": "班组" })).await.json().await.unwrap();
    let their_dept: Value =
        app.post_as(&admin, "/api/v1/t/gd/departments", &json!({ "name": department })).await.json().await.unwrap();
    let created: Value = app
        .post_as(
            &admin,
            "/api/v1/t/gd/accounts",
            &json!({ "login": "worker", "password": PASSWORD, "role": "employee",
            "department_id": own_dept["id"], "second_factor": "totp", "id_number": mine.id_number }),
        )
        .await
        .json()
        .await
        .unwrap();
    let worker = app.sign_in_totp("worker", PASSWORD, created["totp"]["secret"].as_str().unwrap()).await;
    let path = format!("/api/v1/t/gd/certificates/{}", theirs.cert_no);
    assert_eq!(app.get_as(&worker, &path).await.status(), 404);

    let until = (chrono::Utc::now() + chrono::TimeDelta::seconds(3)).to_rfc3339();
    let grant = |body: Value| {
        let (app, admin) = (&app, admin.clone());
        async move { app.post_as(&admin, "/api/v1/t/gd/grants", &body).await }
    };
    let res = grant(json!({ "account_id": created["account_id"], "action": "read", "department_id": their_dept["id"],
        "effect": "allow", "until": until, "reason": "年审核对" }))
    .await;
    assert_eq!(res.status(), 201);
    let seen = app.get_as(&worker, &path).await;
    assert_eq!(seen.status(), 200);
    assert!(
        seen.json::<Value>().await.unwrap()["id_number"].as_str().unwrap().contains("********"),
        "read, not personal data"
    );
    tokio::time::sleep(Duration::from_millis(3500)).await;
    assert_eq!(app.get_as(&worker, &path).await.status(), 404, "the grant ended");

    for (body, code) in [
        (
            json!({ "account_id": created["account_id"], "action": "delete", "department_id": their_dept["id"], "effect": "allow", "reason": "x" }),
            "invalid_input",
        ),
        (
            json!({ "account_id": 9999, "action": "read", "department_id": their_dept["id"], "effect": "allow", "reason": "x" }),
            "invalid_input",
        ),
        (
            json!({ "account_id": created["account_id"], "action": "read", "department_id": 9999, "effect": "allow", "reason": "x" }),
            "unknown_department",
        ),
        (
            json!({ "account_id": created["account_id"], "action": "read", "department_id": their_dept["id"], "effect": "allow",
                 "until": "2020-01-01T00:00:00Z", "reason": "x" }),
            "invalid_input",
        ),
    ] {
        let res = grant(body.clone()).await;
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], code, "{body}");
    }
    // A sub-account cannot grant itself anything.
    let res = app
        .post_as(
            &worker,
            "/api/v1/t/gd/grants",
            &json!({ "account_id": created["account_id"], "action": "export",
            "department_id": their_dept["id"], "effect": "allow", "reason": "x" }),
        )
        .await;
    assert_eq!(res.status(), 403);
}

#[tokio::test]
async fn another_replica_applies_an_approval_within_five_seconds() {
    let app = spawn_app().await;
    let rows = app.seed(40, 21).await;
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let here = gd[0];
    let there = gd.iter().find(|r| city(r) != city(here)).expect("two cities");
    let replica = app.replica().await;
    let province = staff(&app, &app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let local = staff(&app, &province, "gd", "regulator", "city.regulator", &city(here)).await;
    let path = format!("/api/v1/t/gd/certificates/{}", there.cert_no);
    let on_replica = |token: String| {
        let (client, url) = (replica.client.clone(), format!("{}{path}", replica.address));
        async move { client.get(url).bearer_auth(token).send().await.unwrap().status().as_u16() }
    };
    assert_eq!(on_replica(local.clone()).await, 404);
    let res = app
        .post_as(&local, "/api/v1/t/gd/region-access", &json!({ "region": city(there), "reason": "检查", "days": 1 }))
        .await;
    let id = res.json::<Value>().await.unwrap()["id"].as_i64().unwrap();
    let approved =
        app.post_as(&province, &format!("/api/v1/t/gd/region-access/{id}/approve"), &json!({ "reason": "同意" })).await;
    assert_eq!(approved.status(), 200);
    let start = std::time::Instant::now();
    while on_replica(local.clone()).await != 200 {
        assert!(start.elapsed() < Duration::from_secs(5), "the replica did not see the grant within 5 s");
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    let log: Vec<Value> = app.get_as(&local, "/api/v1/me/sign-ins").await.json().await.unwrap();
    assert_eq!(log[0]["result"], "ok");
    assert!(log.iter().any(|l| l["result"] == "password_ok"));
}

/// What the service logs on this thread while the guard lives.
#[derive(Clone, Default)]
struct Logged(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Logged {
    fn start(&self) -> tracing::subscriber::DefaultGuard {
        let writer = self.clone();
        let subscriber = tracing_subscriber::fmt().with_writer(move || writer.clone()).with_ansi(false).finish();
        tracing::subscriber::set_default(subscriber)
    }

    fn text(&self) -> String {
        String::from_utf8_lossy(&self.0.lock().unwrap()).into_owned()
    }
}

impl std::io::Write for Logged {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[tokio::test]
async fn a_masked_answer_is_not_logged_as_a_refusal() {
    use safecert_core::SearchRequest;
    use safecert_domain::{CertNo, Locale};
    use safecert_policy::{Action, ObjectKind, Resource};

    let app = spawn_app().await;
    let rows = app.seed(10, 5).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let platform = &app.platform;
    // The platform operator reads every certificate but no one's personal data.
    let operator = platform.identity.caller(&app.operator).await.unwrap();
    let no = CertNo::parse(&cert.cert_no).unwrap();
    let by_name = SearchRequest { name: Some(cert.holder_name.clone()), ..Default::default() };

    let logged = Logged::default();
    let guard = logged.start();
    let mut answers = Vec::new();
    let gd = platform.tenants.find("gd").unwrap();
    for _ in 0..2 {
        let kept = platform.lookup_json_as(&operator, gd, &no, Locale::ZhCn).await.unwrap();
        answers.push(String::from_utf8(kept.to_vec()).unwrap());
    }
    let view = platform.lookup_as(&operator, "gd", &no, Locale::En).await.unwrap();
    answers.push(serde_json::to_string(&view).unwrap());
    let found = platform.search_as(&operator, "gd", &by_name, Locale::ZhCn).await.unwrap();
    answers.push(serde_json::to_string(&found).unwrap());
    let suggested = platform.suggest_as(&operator, "gd", &cert.cert_no[..6]).await.unwrap();
    answers.push(serde_json::to_string(&suggested).unwrap());
    let quiet = logged.text();
    // The same decision guarding an action is a refusal, and is logged.
    let personal = Resource::new(ObjectKind::Certificate, "gd");
    assert!(!platform.identity.authorize(&operator, Action::ReadPersonal, &personal));
    drop(guard);

    assert!(answers[3].contains(&cert.cert_no), "the search finds the certificate: {}", answers[3]);
    for answer in &answers {
        assert!(!answer.contains(&cert.holder_name), "the holder's name is masked: {answer}");
        assert!(!answer.contains(&cert.id_number), "the ID number is masked: {answer}");
    }
    assert!(!quiet.contains("denied"), "lookups, searches and suggestions log no refusal: {quiet}");
    let refused = logged.text();
    assert!(refused.contains("denied") && refused.contains("read_personal"), "{refused}");
}
