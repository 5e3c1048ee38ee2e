//! Enterprises, sign-in with a second factor, and what each role sees.

use safecert_tests::{TestApp, spawn_app, totp_now};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn register(app: &TestApp, uscc: &str, login: &str) -> (String, Value) {
    let res = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .json(&json!({ "uscc": uscc, "name": "示例化工有限公司", "login": login, "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 201);
    let body: Value = res.json().await.unwrap();
    let secret = body["totp"]["secret"].as_str().unwrap().to_owned();
    (app.sign_in_totp(login, PASSWORD, &secret).await, body)
}

#[tokio::test]
async fn an_enterprise_admin_builds_departments_and_an_employee_sees_only_their_own_certificate() {
    let app = spawn_app().await;
    let rows = app.seed(30, 11).await;
    let mine = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let colleague =
        rows.iter().find(|r| r.tenant == "gd" && r.employer_uscc == mine.employer_uscc && r.cert_no != mine.cert_no);
    let (admin, registered) = register(&app, &mine.employer_uscc, "hr.admin").await;
    assert_eq!(registered["tenant"], "gd");

    // The admin sees the enterprise's certificate in full.
    let full: Value =
        app.get_as(&admin, &format!("/api/v1/t/gd/certificates/{}", mine.cert_no)).await.json().await.unwrap();
    assert_eq!(full["id_number"], mine.id_number.as_str());

    let dept: Value =
        app.post_as(&admin, "/api/v1/t/gd/departments", &json!({ "name": "安全部" })).await.json().await.unwrap();
    let res = app
        .post_as(
            &admin,
            "/api/v1/t/gd/accounts",
            &json!({ "login": "worker.one", "password": PASSWORD, "role": "employee", "department_id": dept["id"],
                     "second_factor": "totp", "id_number": mine.id_number }),
        )
        .await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let worker = app.sign_in_totp("worker.one", PASSWORD, created["totp"]["secret"].as_str().unwrap()).await;

    let own = app.get_as(&worker, &format!("/api/v1/t/gd/certificates/{}", mine.cert_no)).await;
    assert_eq!(own.status(), 200);
    assert_eq!(own.json::<Value>().await.unwrap()["id_number"], mine.id_number.as_str());
    if let Some(other) = colleague {
        let res = app.get_as(&worker, &format!("/api/v1/t/gd/certificates/{}", other.cert_no)).await;
        assert_eq!(res.status(), 404, "an employee does not see a colleague's certificate");
    }
    // An employee may not create departments.
    let res = app.post_as(&worker, "/api/v1/t/gd/departments", &json!({ "name": "x" })).await;
    assert_eq!(res.status(), 403);
    let me: Value = app.get_as(&worker, "/api/v1/me").await.json().await.unwrap();
    assert_eq!(me["role"], "employee");
    assert_eq!(me["certificates"]["own_certificates"], true);
    assert_eq!(me["certificates"]["whole_tenant"], false);
}

#[tokio::test]
async fn the_operator_sees_certificates_masked_and_strangers_are_refused() {
    let app = spawn_app().await;
    let rows = app.seed(5, 3).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let path = format!("/api/v1/t/gd/certificates/{}", cert.cert_no);
    let masked: Value = app.get(&path).await.json().await.unwrap();
    assert!(masked["id_number"].as_str().unwrap().contains("********"));
    let anonymous = app.client.get(app.url(&path)).send().await.unwrap();
    assert_eq!(anonymous.status(), 401);
    assert_eq!(anonymous.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");
    let forged = app.get_as(&"ab".repeat(32), &path).await;
    assert_eq!(forged.status(), 401);
}

#[tokio::test]
async fn sign_in_answers_alike_for_unknown_accounts_and_codes_work_once() {
    let app = spawn_app().await;
    let body = app.register_enterprise("91440300MA5DFN9X3F", "owner", PASSWORD).await;
    let secret = body["totp"]["secret"].as_str().unwrap().to_owned();
    let unknown = app.start_sign_in("nobody.here", PASSWORD).await;
    let wrong = app.start_sign_in("owner", "Wrong-Pass-2026!").await;
    let right = app.start_sign_in("owner", PASSWORD).await;
    for body in [&unknown, &wrong, &right] {
        assert_eq!(body["challenge"].as_str().unwrap().len(), 64);
        assert_eq!(body["message"], right["message"]);
    }
    let verify = |challenge: Value, code: String| {
        let app = &app;
        async move { app.verify_code(&challenge, &code).await }
    };
    // A right code on the decoy challenges opens nothing.
    assert_eq!(verify(wrong["challenge"].clone(), totp_now(&secret)).await.status(), 401);
    assert_eq!(verify(right["challenge"].clone(), "000000".into()).await.status(), 401);
    // One code throughout: a code read later could belong to the next
    // 30-second step, which is a new code and rightly opens a session.
    let code = totp_now(&secret);
    assert_eq!(verify(right["challenge"].clone(), code.clone()).await.status(), 200);
    let replay = verify(right["challenge"].clone(), code.clone()).await;
    assert_eq!(replay.status(), 401, "a challenge is used once");
    assert_eq!(replay.json::<Value>().await.unwrap()["error"]["code"], "invalid_code");
    let again = app.start_sign_in("owner", PASSWORD).await;
    assert_eq!(verify(again["challenge"].clone(), code).await.status(), 401, "an authenticator code opens one session");
}

#[tokio::test]
async fn an_expired_code_and_an_expired_session_open_nothing() {
    let app = spawn_app().await;
    let body = app.register_enterprise("91440300MA5DFN9X3F", "owner", PASSWORD).await;
    let secret = body["totp"]["secret"].as_str().unwrap().to_owned();
    let started = app.start_sign_in("owner", PASSWORD).await;
    // Five minutes pass.
    app.raw_platform_execute("UPDATE {platform}challenges SET expires_at = '2026-01-01 00:00:00+00:00'").await;
    let res = app.verify_code(&started["challenge"], &totp_now(&secret)).await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "invalid_code");

    let later = app.start_sign_in("owner", PASSWORD).await;
    // The next authenticator step: the expired attempt did not spend this one.
    let res = app.verify_code(&later["challenge"], &totp_now(&secret)).await;
    assert_eq!(res.status(), 200, "a fresh challenge works");
    let token = res.json::<Value>().await.unwrap()["token"].as_str().unwrap().to_owned();
    // Twelve hours pass before the session is first used.
    app.raw_platform_execute("UPDATE {platform}sessions SET expires_at = '2026-01-01 00:00:00+00:00'").await;
    let res = app.get_as(&token, "/api/v1/me").await;
    assert_eq!(res.status(), 401);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "unauthenticated");
    // A forged token of the right shape is no better.
    assert_eq!(app.get_as(&"ab".repeat(32), "/api/v1/me").await.status(), 401);
}

#[tokio::test]
async fn malformed_registrations_are_refused_and_nothing_is_created() {
    let app = spawn_app().await;
    for (body, code) in [
        (
            json!({ "uscc": "91440300MA5DFN9X3G", "name": "x", "login": "a.b.c", "password": PASSWORD, "second_factor": "totp" }),
            "invalid_input",
        ),
        (
            json!({ "uscc": "91440300MA5DFN9X3F", "name": "x", "login": "a.b.c", "password": "short", "second_factor": "totp" }),
            "weak_password",
        ),
        (
            json!({ "uscc": "91440300MA5DFN9X3F", "name": "x", "login": "a.b.c", "password": PASSWORD, "second_factor": "sms" }),
            "second_factor_unavailable",
        ),
        (
            json!({ "uscc": "91440300MA5DFN9X3F", "name": "x", "login": "<script>", "password": PASSWORD, "second_factor": "totp" }),
            "invalid_input",
        ),
    ] {
        let res = app
            .client
            .post(app.url("/api/v1/enterprises"))
            .header("Accept-Language", "en")
            .json(&body)
            .send()
            .await
            .unwrap();
        assert!(res.status().is_client_error(), "{body}");
        assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], code, "{body}");
    }
    // The same USCC registers once.
    register(&app, "91440300MA5DFN9X3F", "first.owner").await;
    let again = app
        .client
        .post(app.url("/api/v1/enterprises"))
        .json(&json!({ "uscc": "91440300MA5DFN9X3F", "name": "x", "login": "second.owner", "password": PASSWORD, "second_factor": "totp" }))
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), 409);
}

#[tokio::test]
async fn five_wrong_passwords_lock_the_account_even_against_the_right_one() {
    let app = spawn_app().await;
    // Not signed in yet: the authenticator's current code is unspent, so
    // only the lock can refuse it.
    let body = app.register_enterprise("91440300MA5DFN9X3F", "careful", PASSWORD).await;
    let secret = body["totp"]["secret"].as_str().unwrap().to_owned();
    for _ in 0..5 {
        let answer = app.start_sign_in("careful", "Not-The-Pass-1").await;
        assert_eq!(answer["challenge"].as_str().unwrap().len(), 64, "no hint that the password was wrong");
    }
    let started = app.start_sign_in("careful", PASSWORD).await;
    let res = app.verify_code(&started["challenge"], &totp_now(&secret)).await;
    assert_eq!(res.status(), 401, "locked for a while");
}

#[tokio::test]
async fn a_holder_binds_with_number_name_and_id_and_then_sees_only_their_own() {
    let app = spawn_app().await;
    let rows = app.seed(10, 8).await;
    let mine = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let other = rows.iter().find(|r| r.tenant == "gd" && r.id_number != mine.id_number).unwrap();
    let bind = |name: &str, id: &str| {
        json!({ "cert_no": mine.cert_no, "name": name, "id_number": id, "login": "holder.one",
                "password": PASSWORD, "second_factor": "totp" })
    };
    let post = |body: Value| {
        let app = &app;
        async move { app.client.post(app.url("/api/v1/individuals")).json(&body).send().await.unwrap() }
    };
    let wrong_name: Value = post(bind("王某某", &mine.id_number)).await.json().await.unwrap();
    let wrong_id: Value = post(bind(&mine.holder_name, &other.id_number)).await.json().await.unwrap();
    assert_eq!(wrong_name["error"]["code"], "invalid_input");
    assert_eq!(wrong_name, wrong_id, "a wrong name and a wrong ID number answer alike");
    let bad_check_digit = format!("{}0", &mine.id_number[..17]);
    let res = post(bind(
        &mine.holder_name,
        if mine.id_number.ends_with('0') { "11010519491231002X" } else { &bad_check_digit },
    ))
    .await;
    assert_eq!(res.status(), 422);

    let res = post(bind(&mine.holder_name, &mine.id_number)).await;
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    assert_eq!(created["tenant"], "gd");
    let token = app.sign_in_totp("holder.one", PASSWORD, created["totp"]["secret"].as_str().unwrap()).await;
    let own: Value =
        app.get_as(&token, &format!("/api/v1/t/gd/certificates/{}", mine.cert_no)).await.json().await.unwrap();
    assert_eq!(own["id_number"], mine.id_number.as_str());
    let res = app.get_as(&token, &format!("/api/v1/t/gd/certificates/{}", other.cert_no)).await;
    assert_eq!(res.status(), 404);
}

#[tokio::test]
async fn a_recovery_code_stands_in_for_a_lost_authenticator_once() {
    let app = spawn_app().await;
    let body = app.register_enterprise("91440300MA5DFN9X3F", "lost.phone", PASSWORD).await;
    let codes: Vec<String> =
        body["totp"]["recovery_codes"].as_array().unwrap().iter().map(|c| c.as_str().unwrap().to_owned()).collect();
    assert_eq!(codes.len(), 10);
    assert!(codes.iter().all(|c| c.len() == 11 && c.as_bytes()[5] == b'-'));
    let attempt = |code: String| {
        let app = &app;
        async move {
            let started = app.start_sign_in("lost.phone", PASSWORD).await;
            app.verify_code(&started["challenge"], &code).await.status()
        }
    };
    assert_eq!(attempt(codes[3].to_lowercase()).await, 200, "case does not matter");
    assert_eq!(attempt(codes[3].clone()).await, 401, "each code works once");
    assert_eq!(attempt("AAAAA-BBBBB".into()).await, 401);
}
