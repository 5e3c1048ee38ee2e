//! SME subscriptions: one subscriber manages several enterprises (ones it
//! registers, ones whose admins add it), sees and manages exactly those,
//! and loses each when either side lets go.

use safecert_tests::{SeededRow, TestApp, error_of, spawn_app, uscc};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn subscriber(app: &TestApp, login: &str) -> String {
    let res = app
        .client
        .post(app.url("/api/v1/subscribers"))
        .json(&json!({ "tenant": "bj", "login": login, "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    app.sign_in_totp(login, PASSWORD, body["totp"]["secret"].as_str().unwrap()).await
}

/// Three certificates of three different enterprises of one province.
fn three_enterprises(rows: &[SeededRow]) -> [&SeededRow; 3] {
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let a = gd[0];
    let b = *gd.iter().find(|r| r.employer_uscc != a.employer_uscc).unwrap();
    let c = *gd.iter().find(|r| r.employer_uscc != a.employer_uscc && r.employer_uscc != b.employer_uscc).unwrap();
    [a, b, c]
}

#[tokio::test]
async fn a_subscriber_manages_its_enterprises_and_nothing_else() {
    let app = spawn_app().await;
    let rows = app.seed(60, 23).await;
    let [a, b, c] = three_enterprises(&rows);
    let sme = subscriber(&app, "sme.agent").await;
    let cert = |row: &SeededRow| format!("/api/v1/t/gd/certificates/{}", row.cert_no);

    // A: the subscriber registers it. B: its own admin adds the subscriber.
    let res = app
        .post_as(&sme, "/api/v1/subscription/enterprises", &json!({ "uscc": a.employer_uscc, "name": "甲公司" }))
        .await;
    assert_eq!(res.status(), 201);
    assert_eq!(res.json::<Value>().await.unwrap()["tenant"], "gd");
    let registered = app.register_enterprise(&b.employer_uscc, "b.admin", PASSWORD).await;
    let b_admin = app.sign_in_totp("b.admin", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    let res = app.post_as(&b_admin, "/api/v1/t/gd/subscribers", &json!({ "login": "sme.agent" })).await;
    assert_eq!(res.status(), 201);
    let listed: Value = app.get_as(&sme, "/api/v1/subscription/enterprises").await.json().await.unwrap();
    let mut usccs: Vec<&str> = listed.as_array().unwrap().iter().map(|l| l["uscc"].as_str().unwrap()).collect();
    usccs.sort_unstable();
    let mut expected = vec![a.employer_uscc.as_str(), b.employer_uscc.as_str()];
    expected.sort_unstable();
    assert_eq!(usccs, expected);

    // It sees both in full, and not a third.
    for row in [a, b] {
        let seen: Value = app.get_as(&sme, &cert(row)).await.json().await.unwrap();
        assert_eq!(seen["id_number"], row.id_number.as_str());
    }
    assert_eq!(app.get_as(&sme, &cert(c)).await.status(), 404);

    // It builds departments and sub-accounts in the one it names.
    let in_a = format!("/api/v1/t/gd/departments?enterprise={}", a.employer_uscc);
    let res = app.post_as(&sme, &in_a, &json!({ "name": "安全部" })).await;
    assert_eq!(res.status(), 201);
    let dept: Value = res.json().await.unwrap();
    let account = json!({ "login": "a.worker", "password": PASSWORD, "role": "employee",
                          "department_id": dept["id"], "second_factor": "totp" });
    let res = app.post_as(&sme, &format!("/api/v1/t/gd/accounts?enterprise={}", a.employer_uscc), &account).await;
    assert_eq!(res.status(), 201);
    assert_eq!(app.get_as(&sme, &in_a).await.status(), 200);
    let in_c = format!("/api/v1/t/gd/departments?enterprise={}", c.employer_uscc);
    assert_eq!(app.post_as(&sme, &in_c, &json!({ "name": "x" })).await.status(), 403);
    // Without naming one it has no enterprise of its own.
    assert_eq!(app.get_as(&sme, "/api/v1/t/gd/departments").await.status(), 403);
    // B's admin cannot reach A through the same parameter.
    assert_eq!(app.get_as(&b_admin, &in_a).await.status(), 403);
    assert_eq!(app.post_as(&b_admin, &in_a, &json!({ "name": "x" })).await.status(), 403);

    // B's admin removes it; it lets go of A itself.
    let subs: Value = app.get_as(&b_admin, "/api/v1/t/gd/subscribers").await.json().await.unwrap();
    let id = subs[0]["subscriber_id"].as_i64().unwrap();
    let res = app.post_as(&b_admin, &format!("/api/v1/t/gd/subscribers/{id}/remove"), &json!({})).await;
    assert_eq!(res.status(), 204);
    assert_eq!(app.get_as(&sme, &cert(b)).await.status(), 404);
    let leave = format!("/api/v1/t/gd/subscription/leave?enterprise={}", a.employer_uscc);
    assert_eq!(app.post_as(&sme, &leave, &json!({})).await.status(), 204);
    assert_eq!(app.get_as(&sme, &cert(a)).await.status(), 404);
    assert_eq!(error_of(app.post_as(&sme, &leave, &json!({})).await).await, (404, "unknown_grant".to_owned()));
    let listed: Value = app.get_as(&sme, "/api/v1/subscription/enterprises").await.json().await.unwrap();
    assert_eq!(listed, json!([]));

    let audit: Value = app.get("/api/v1/t/gd/audit").await.json().await.unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    for action in ["subscription.enterprise.register", "subscription.add", "subscription.end"] {
        assert!(actions.contains(&action), "{action} audited: {actions:?}");
    }
}

#[tokio::test]
async fn bad_subscription_requests_are_refused_and_change_nothing() {
    let app = spawn_app().await;
    let sme = subscriber(&app, "sme.agent").await;
    let register = |body: Value| {
        let (app, sme) = (&app, sme.clone());
        async move { error_of(app.post_as(&sme, "/api/v1/subscription/enterprises", &body).await).await }
    };
    let invalid = (422, "invalid_input".to_owned());
    assert_eq!(register(json!({ "uscc": "91440300MA5F1H9M2X", "name": "坏校验位" })).await, invalid);
    assert_eq!(register(json!({ "uscc": uscc("91440300MA5F1H9M2"), "name": "" })).await, invalid);
    assert_eq!(register(json!({ "uscc": uscc("91440300MA5F1H9M2"), "name": "甲" })).await.0, 201);
    assert_eq!(
        register(json!({ "uscc": uscc("91440300MA5F1H9M2"), "name": "甲" })).await,
        (409, "already_registered".to_owned())
    );
    let listed: Value = app.get_as(&sme, "/api/v1/subscription/enterprises").await.json().await.unwrap();
    assert_eq!(listed.as_array().unwrap().len(), 1);

    // An enterprise admin can add only subscribers, and each once.
    let registered = app.register_enterprise(&uscc("91440300MA5F1H9M3"), "b.admin", PASSWORD).await;
    let b_admin = app.sign_in_totp("b.admin", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    let add = |login: &str| {
        let (app, b_admin, body) = (&app, b_admin.clone(), json!({ "login": login }));
        async move { error_of(app.post_as(&b_admin, "/api/v1/t/gd/subscribers", &body).await).await }
    };
    assert_eq!(add("b.admin").await, invalid, "an enterprise admin is not a subscriber");
    assert_eq!(add("nobody.here").await, invalid, "an unknown login answers alike");
    assert_eq!(add("sme.agent").await.0, 201);
    assert_eq!(add("sme.agent").await, (409, "already_registered".to_owned()));
    // Subscribers cannot add themselves, nor other subscribers.
    assert_eq!(
        error_of(app.post_as(&sme, "/api/v1/t/gd/subscribers", &json!({ "login": "sme.agent" })).await).await.0,
        403
    );
    // Only subscribers have a subscription.
    assert_eq!(app.get_as(&b_admin, "/api/v1/subscription/enterprises").await.status(), 403);
    let res = app
        .post_as(
            &b_admin,
            "/api/v1/subscription/enterprises",
            &json!({ "uscc": uscc("91440300MA5F1H9M4"), "name": "乙" }),
        )
        .await;
    assert_eq!(res.status(), 403);
    // Unknown province at sign-up.
    let res = app
        .client
        .post(app.url("/api/v1/subscribers"))
        .json(&json!({ "tenant": "atlantis", "login": "x.y", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap();
    assert_eq!(error_of(res).await, (404, "unknown_tenant".to_owned()));
}
