//! Training institutions apply; a provincial admin approves or rejects
//! each once; only an approved one may upload training records.

use safecert_tests::{TestApp, error_of, spawn_app, uscc};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

fn application(uscc: &str, login: &str) -> Value {
    json!({ "uscc": uscc, "name": "广东安全培训中心", "licence_no": "粤安培〔2026〕001号",
            "training_scope": "主要负责人、安全生产管理人员", "login": login, "password": PASSWORD,
            "second_factor": "totp" })
}

/// Applies and signs the applicant in; the application's id and the session.
async fn apply(app: &TestApp, uscc: &str, login: &str) -> (i64, String) {
    let res = app.client.post(app.url("/api/v1/institutions")).json(&application(uscc, login)).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    assert_eq!(body["status"], "pending");
    assert_eq!(body["tenant"], "gd");
    let token = app.sign_in_totp(login, PASSWORD, body["totp"]["secret"].as_str().unwrap()).await;
    (body["institution_id"].as_i64().unwrap(), token)
}

async fn may_upload(app: &TestApp, token: &str) -> bool {
    let me: Value = app.get_as(token, "/api/v1/me").await.json().await.unwrap();
    me["may"].as_array().unwrap().iter().any(|m| m == "training_record:upload")
}

#[tokio::test]
async fn an_institution_may_upload_only_once_its_province_approves_it() {
    let app = spawn_app().await;
    let (id, applicant) = apply(&app, &uscc("12440000MB2C1234X"), "gd.training").await;
    let (other_id, other) = apply(&app, &uscc("12440000MB2C1235X"), "gd.other.training").await;
    assert!(!may_upload(&app, &applicant).await);
    let mine: Value = app.get_as(&applicant, "/api/v1/institution").await.json().await.unwrap();
    assert_eq!(mine["status"], "pending");

    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let js_province = app.staff(&app.operator, "js", "provincial_admin", "js.admin", "320000").await;
    let regulator = app.staff(&province, "gd", "regulator", "gd.regulator", "440300").await;
    let pending: Value = app.get_as(&province, "/api/v1/t/gd/institutions?status=pending").await.json().await.unwrap();
    assert_eq!(pending.as_array().unwrap().len(), 2);
    for outsider in [&regulator, &js_province, &applicant] {
        assert_eq!(app.get_as(outsider, "/api/v1/t/gd/institutions").await.status(), 403);
    }
    let decide = |who: &str, id: i64, how: &str| {
        let (app, path) = (&app, format!("/api/v1/t/gd/institutions/{id}/{how}"));
        let who = who.to_owned();
        async move { error_of(app.post_as(&who, &path, &json!({ "reason": "资质材料齐全" })).await).await }
    };
    assert_eq!(decide(&js_province, id, "approve").await.0, 403);
    assert_eq!(decide(&applicant, id, "approve").await.0, 403);
    assert_eq!(decide(&province, id, "approve").await.0, 200);
    assert_eq!(decide(&province, id, "reject").await, (409, "already_decided".to_owned()));
    assert_eq!(decide(&province, other_id, "reject").await.0, 200);
    assert_eq!(decide(&province, 9999, "approve").await, (404, "unknown_application".to_owned()));

    // The approved account may upload at once; the rejected one may not.
    assert!(may_upload(&app, &applicant).await);
    assert!(!may_upload(&app, &other).await);
    let mine: Value = app.get_as(&other, "/api/v1/institution").await.json().await.unwrap();
    assert_eq!(mine["status"], "rejected");
    assert_eq!(mine["decision_reason"], "资质材料齐全");

    let audit: Value = app.get_as(&province, "/api/v1/t/gd/audit").await.json().await.unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    for action in ["institution.apply", "institution.approved", "institution.rejected"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

#[tokio::test]
async fn malformed_applications_are_refused_and_create_nothing() {
    let app = spawn_app().await;
    let post = |body: Value| {
        let app = &app;
        async move { error_of(app.client.post(app.url("/api/v1/institutions")).json(&body).send().await.unwrap()).await }
    };
    let good = uscc("12440000MB2C1234X");
    let invalid = (422, "invalid_input".to_owned());
    let with = |field: &str, value: Value| {
        let mut body = application(&good, "gd.training");
        body[field] = value;
        body
    };
    assert_eq!(post(with("uscc", json!("12440000MB2C1234XZ"))).await, invalid);
    assert_eq!(post(with("licence_no", json!(" "))).await, invalid);
    assert_eq!(post(with("training_scope", json!("x".repeat(501)))).await, invalid);
    assert_eq!(post(with("name", json!("a\u{0000}b"))).await, invalid);
    assert_eq!(post(with("password", json!("short"))).await.0, 422);
    assert_eq!(post(with("uscc", json!(uscc("12990000MB2C1234X")))).await, invalid, "no province 99");
    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let all: Value = app.get_as(&province, "/api/v1/t/gd/institutions").await.json().await.unwrap();
    assert_eq!(all, json!([]), "nothing was created");
    assert_eq!(app.get_as(&province, "/api/v1/t/gd/institutions?status=maybe").await.status(), 422);
    assert_eq!(post(application(&good, "gd.training")).await.0, 201);
    assert_eq!(post(application(&good, "gd.training.two")).await, (409, "already_registered".to_owned()));
}
