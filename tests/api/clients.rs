//! API clients: a key is shown once, stored hashed, does no more than its
//! scopes and its account allow, ends on its date, rotates with a window
//! in which the old key still works, and stops at once when revoked.

use safecert_tests::{TestApp, error_of, spawn_app, uscc};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

/// An enterprise admin of a seeded enterprise, signed in; with one of its
/// certificates and one of another enterprise.
struct Enterprise {
    admin: String,
    own_cert: (String, String),
    other_cert: String,
}

async fn enterprise(app: &TestApp) -> Enterprise {
    let rows = app.seed(30, 17).await;
    let gd: Vec<_> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let own = gd[0];
    let other = gd.iter().find(|r| r.employer_uscc != own.employer_uscc).expect("a second enterprise");
    let registered = app.register_enterprise(&own.employer_uscc, "key.owner", PASSWORD).await;
    let admin = app.sign_in_totp("key.owner", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    Enterprise { admin, own_cert: (own.cert_no.clone(), own.id_number.clone()), other_cert: other.cert_no.clone() }
}

async fn new_client(app: &TestApp, owner: &str, scopes: &[&str]) -> Value {
    let res = app
        .post_as(owner, "/api/v1/api-clients", &json!({ "name": "HR system", "scopes": scopes, "expires_in_days": 90 }))
        .await;
    assert_eq!(res.status(), 201);
    res.json().await.unwrap()
}

/// `safecert_caller_reads_total` from /metrics.
async fn caller_reads(app: &TestApp) -> u64 {
    let text = app.get("/metrics").await.text().await.unwrap();
    let line = text.lines().find(|l| l.starts_with("safecert_caller_reads_total ")).expect("caller reads in /metrics");
    line.rsplit(' ').next().unwrap().parse().unwrap()
}

/// A new key that reads certificates for an enterprise's administrator,
/// and the path of one of the enterprise's certificates.
async fn key_reading_own_certificate(app: &TestApp) -> (String, String) {
    let e = enterprise(app).await;
    let issued = new_client(app, &e.admin, &["certificate:read"]).await;
    (issued["key"].as_str().unwrap().to_owned(), format!("/api/v1/t/gd/certificates/{}", e.own_cert.0))
}

#[tokio::test]
async fn many_requests_at_once_with_a_key_not_yet_remembered_read_its_caller_once() {
    let app = spawn_app().await;
    let (key, path) = key_reading_own_certificate(&app).await;
    let before = caller_reads(&app).await;

    let app = std::sync::Arc::new(app);
    assert!(app.get_at_once(&key, &path, 64).await.iter().all(|s| *s == 200));
    // One HTTP worker here: the first request reads, the others wait for it.
    assert_eq!(caller_reads(&app).await - before, 1, "64 requests with one new key");
}

#[tokio::test]
async fn a_key_in_use_is_read_again_before_it_runs_out_by_one_request_while_the_others_go_on() {
    let app = spawn_app().await;
    let (key, path) = key_reading_own_certificate(&app).await;
    let before = caller_reads(&app).await;
    assert_eq!(app.get_as(&key, &path).await.status(), 200);
    assert_eq!(caller_reads(&app).await - before, 1);

    // Remembered for 5 s; in its last second the first request reads it
    // again and the others answer with the one remembered.
    tokio::time::sleep(std::time::Duration::from_millis(4200)).await;
    let app = std::sync::Arc::new(app);
    assert!(app.get_at_once(&key, &path, 64).await.iter().all(|s| *s == 200));
    assert_eq!(caller_reads(&app).await - before, 2, "read again once, ahead of time");

    // Past the first read's 5 s, the caller read again is still remembered.
    tokio::time::sleep(std::time::Duration::from_millis(1200)).await;
    assert!(app.get_at_once(&key, &path, 64).await.iter().all(|s| *s == 200));
    assert_eq!(caller_reads(&app).await - before, 2, "nothing ran out");
}

#[tokio::test]
async fn a_key_reads_what_its_scopes_allow_and_nothing_its_account_could_not() {
    let app = spawn_app().await;
    let e = enterprise(&app).await;
    let issued = new_client(&app, &e.admin, &["certificate:read"]).await;
    let key = issued["key"].as_str().unwrap();
    assert!(key.starts_with("sck_") && key.len() == 68, "{key}");

    let own = format!("/api/v1/t/gd/certificates/{}", e.own_cert.0);
    let res = app.get_as(key, &own).await;
    assert_eq!(res.status(), 200);
    let body: Value = res.json().await.unwrap();
    assert_ne!(body["id_number"], e.own_cert.1.as_str(), "read_personal is not among the key's scopes");
    assert!(body["id_number"].as_str().unwrap().contains("****"));
    // The same key in its own header.
    let res = app.client.get(app.url(&own)).header("X-Api-Key", key).send().await.unwrap();
    assert_eq!(res.status(), 200);
    // The account itself sees the ID number; the key never more than the account.
    let full: Value = app.get_as(&e.admin, &own).await.json().await.unwrap();
    assert_eq!(full["id_number"], e.own_cert.1.as_str());
    assert_eq!(app.get_as(key, &format!("/api/v1/t/gd/certificates/{}", e.other_cert)).await.status(), 404);

    // Nothing outside the scopes: departments, more keys, grants.
    assert_eq!(app.post_as(key, "/api/v1/t/gd/departments", &json!({ "name": "x" })).await.status(), 403);
    assert_eq!(app.get_as(key, "/api/v1/t/gd/departments").await.status(), 403);
    let more = json!({ "name": "more", "scopes": ["certificate:read"], "expires_in_days": 1 });
    assert_eq!(app.post_as(key, "/api/v1/api-clients", &more).await.status(), 403);

    let me: Value = app.get_as(key, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["api_client"], issued["client_id"]);
    assert_eq!(me["may"], json!(["certificate:read"]));

    // Listed by prefix; the key itself is nowhere, and only its hash is stored.
    let list: Value = app.get_as(&e.admin, "/api/v1/api-clients").await.json().await.unwrap();
    assert_eq!(list[0]["state"], "active");
    assert_eq!(list[0]["keys"][0]["prefix"], issued["prefix"]);
    assert!(!list.to_string().contains(key));
}

#[tokio::test]
async fn a_rotated_key_works_through_its_window_and_is_refused_after_it() {
    let app = spawn_app().await;
    let e = enterprise(&app).await;
    let first = new_client(&app, &e.admin, &["certificate:read"]).await;
    let id = first["client_id"].as_i64().unwrap();
    let own = format!("/api/v1/t/gd/certificates/{}", e.own_cert.0);
    let rotate = |overlap: Value| {
        let (app, admin) = (&app, e.admin.clone());
        async move {
            app.post_as(&admin, &format!("/api/v1/api-clients/{id}/rotate"), &json!({ "overlap_hours": overlap })).await
        }
    };

    let res = rotate(json!(24)).await;
    assert_eq!(res.status(), 200);
    let second: Value = res.json().await.unwrap();
    assert!(second["previous_key_retires_at"].is_string());
    for key in [&first["key"], &second["key"]] {
        assert_eq!(app.get_as(key.as_str().unwrap(), &own).await.status(), 200, "both keys work in the window");
    }

    // A rotation with no overlap ends every earlier key now.
    let third: Value = rotate(json!(0)).await.json().await.unwrap();
    for old in [&first["key"], &second["key"]] {
        let res = app.get_as(old.as_str().unwrap(), &own).await;
        assert_eq!(error_of(res).await, (401, "key_retired".to_owned()));
    }
    let res = app
        .client
        .get(app.url(&own))
        .bearer_auth(first["key"].as_str().unwrap())
        .header("Accept-Language", "zh-CN")
        .send()
        .await
        .unwrap();
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("轮换"), "{body}");
    let newest = third["key"].as_str().unwrap();
    assert_eq!(app.get_as(newest, &own).await.status(), 200);

    // Revoked: every key stops at once.
    assert_eq!(app.post_as(&e.admin, &format!("/api/v1/api-clients/{id}/revoke"), &json!({})).await.status(), 204);
    assert_eq!(error_of(app.get_as(newest, &own).await).await, (401, "key_revoked".to_owned()));
    let list: Value = app.get_as(&e.admin, "/api/v1/api-clients").await.json().await.unwrap();
    assert_eq!(list[0]["state"], "revoked");
    assert_eq!(list[0]["keys"], json!([]));
    assert_eq!(error_of(rotate(json!(1)).await).await, (401, "key_revoked".to_owned()));
}

#[tokio::test]
async fn bad_keys_and_bad_requests_get_clear_answers_and_create_nothing() {
    let app = spawn_app().await;
    let e = enterprise(&app).await;
    let own = format!("/api/v1/t/gd/certificates/{}", e.own_cert.0);
    let create = |body: Value| {
        let (app, admin) = (&app, e.admin.clone());
        async move { error_of(app.post_as(&admin, "/api/v1/api-clients", &body).await).await }
    };
    let invalid = (422, "invalid_input".to_owned());
    assert_eq!(create(json!({ "name": "x", "scopes": ["rules:manage"], "expires_in_days": 30 })).await, invalid);
    assert_eq!(create(json!({ "name": "x", "scopes": [], "expires_in_days": 30 })).await, invalid);
    assert_eq!(create(json!({ "name": "x", "scopes": ["certificate:read"], "expires_in_days": 0 })).await, invalid);
    assert_eq!(create(json!({ "name": "x", "scopes": ["certificate:read"], "expires_in_days": 366 })).await, invalid);
    assert_eq!(create(json!({ "name": " ", "scopes": ["certificate:read"], "expires_in_days": 30 })).await, invalid);
    assert_eq!(create(json!({ "name": "x", "scopes": "certificate:read" })).await.0, 400);
    let list: Value = app.get_as(&e.admin, "/api/v1/api-clients").await.json().await.unwrap();
    assert_eq!(list, json!([]), "nothing was created");

    // Forged and malformed keys.
    let forged = format!("sck_{}", "0".repeat(64));
    assert_eq!(error_of(app.get_as(&forged, &own).await).await, (401, "unauthenticated".to_owned()));
    assert_eq!(error_of(app.get_as("sck_<script>", &own).await).await, (401, "unauthenticated".to_owned()));

    let issued = new_client(&app, &e.admin, &["certificate:read", "certificate:read"]).await;
    let id = issued["client_id"].as_i64().unwrap();
    let rotate = format!("/api/v1/api-clients/{id}/rotate");
    assert_eq!(error_of(app.post_as(&e.admin, &rotate, &json!({ "overlap_hours": 169 })).await).await, invalid);
    assert_eq!(error_of(app.post_as(&e.admin, &rotate, &json!({ "overlap_hours": -1 })).await).await, invalid);

    // Someone else's client is not there for them.
    let other = app.register_enterprise(&uscc("91440300MA5F1H9M2"), "other.owner", PASSWORD).await;
    let other = app.sign_in_totp("other.owner", PASSWORD, other["totp"]["secret"].as_str().unwrap()).await;
    assert_eq!(error_of(app.post_as(&other, &rotate, &json!({})).await).await, (404, "unknown_client".to_owned()));

    // An expired client: its key gets its own answer.
    app.raw_platform_execute(&format!(
        "UPDATE {{platform}}api_clients SET expires_at = '2026-01-01 00:00:00+00:00' WHERE id = {id}"
    ))
    .await;
    let key = issued["key"].as_str().unwrap();
    assert_eq!(error_of(app.get_as(key, &own).await).await, (401, "key_expired".to_owned()));
}
