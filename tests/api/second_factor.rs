//! Codes by SMS (through the Aliyun stand-in, which checks signatures) and
//! by email (through a real SMTP server), their limits, and the notice of a
//! sign-in from a new device.

use safecert_tests::{SpawnOptions, TestApp, messaging::SMS_CODE_TEMPLATE, spawn_app_with};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";
const USCC: &str = "91440300MA5DFN9X3F";

async fn messaging_app() -> TestApp {
    spawn_app_with(SpawnOptions { messaging: true, ..Default::default() }).await
}

async fn register(app: &TestApp, body: Value) {
    let res = app.client.post(app.url("/api/v1/enterprises")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201, "{}", res.text().await.unwrap_or_default());
}

async fn start(app: &TestApp, login: &str, user_agent: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/sign-in"))
        .header("User-Agent", user_agent)
        .header("Accept-Language", "en")
        .json(&json!({ "login": login, "password": PASSWORD }))
        .send()
        .await
        .unwrap()
}

async fn verify(app: &TestApp, challenge: &Value, code: &str, user_agent: &str) -> reqwest::Response {
    app.client
        .post(app.url("/api/v1/auth/verify"))
        .header("User-Agent", user_agent)
        .json(&json!({ "challenge": challenge, "code": code }))
        .send()
        .await
        .unwrap()
}

#[tokio::test]
async fn a_code_sent_by_sms_signs_in_once() {
    let app = messaging_app().await;
    let servers = app.messages.as_ref().unwrap();
    register(
        &app,
        json!({ "uscc": USCC, "name": "示例", "login": "sms.owner", "password": PASSWORD,
                           "phone": "+86 138 0013 8000", "second_factor": "sms" }),
    )
    .await;
    let started: Value = start(&app, "sms.owner", "phone-a").await.json().await.unwrap();
    let sms = servers.wait(|s| s.sms(), |all| all.last().cloned()).await;
    assert_eq!(sms["phone"], "13800138000");
    assert_eq!(sms["template"], SMS_CODE_TEMPLATE);
    let code = sms["param"]["code"].as_str().unwrap().to_owned();
    assert_eq!(code.len(), 6);
    let res = verify(&app, &started["challenge"], &code, "phone-a").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["set-cookie"].to_str().unwrap().contains("HttpOnly"));
    assert_eq!(verify(&app, &started["challenge"], &code, "phone-a").await.status(), 401, "replayed");
}

#[tokio::test]
async fn aliyun_flow_control_and_our_own_limit_answer_429() {
    let app = messaging_app().await;
    register(
        &app,
        json!({ "uscc": USCC, "name": "示例", "login": "limited", "password": PASSWORD,
                           "phone": "13900000000", "second_factor": "sms" }),
    )
    .await;
    let res = start(&app, "limited", "x").await;
    assert_eq!(res.status(), 429);
    assert_eq!(res.json::<Value>().await.unwrap()["error"]["code"], "too_many_codes");

    register(
        &app,
        json!({ "uscc": "91440300MA5EXAMPLA", "name": "示例二", "login": "chatty", "password": PASSWORD,
                           "phone": "13700137000", "second_factor": "sms" }),
    )
    .await;
    for _ in 0..5 {
        assert_eq!(start(&app, "chatty", "x").await.status(), 200);
    }
    let res = start(&app, "chatty", "x").await;
    assert_eq!(res.status(), 429, "five codes per 15 minutes");
    let body: Value = res.json().await.unwrap();
    assert!(body["error"]["message"].as_str().unwrap().contains("15 minutes"));
}

#[tokio::test]
async fn a_code_sent_by_email_signs_in_and_a_new_device_is_reported() {
    let app = messaging_app().await;
    let servers = app.messages.as_ref().unwrap();
    register(
        &app,
        json!({ "uscc": USCC, "name": "示例", "login": "mail.owner", "password": PASSWORD,
                           "email": "owner@example.com", "second_factor": "email" }),
    )
    .await;
    let code_of = |mail: &Value| {
        let body = mail["body"].as_str().unwrap();
        let at = body.find("code is ").unwrap() + "code is ".len();
        body[at..at + 6].to_owned()
    };
    for (round, agent) in ["laptop", "laptop", "stranger-browser"].into_iter().enumerate() {
        let started: Value = start(&app, "mail.owner", agent).await.json().await.unwrap();
        let mail = servers.wait(|s| s.mail(), |all| (all.len() > round).then(|| all.last().cloned()).flatten()).await;
        assert_eq!(mail["to"][0], "owner@example.com");
        assert_eq!(verify(&app, &started["challenge"], &code_of(&mail), agent).await.status(), 200, "round {round}");
    }
    let notice = servers
        .wait(
            |s| s.mail(),
            |all| all.iter().find(|m| m["subject"].as_str().is_some_and(|s| s.contains("new sign-in"))).cloned(),
        )
        .await;
    assert!(notice["body"].as_str().unwrap().contains("new network or device"));
    assert_eq!(
        servers.mail().iter().filter(|m| m["subject"].as_str().unwrap_or("").contains("new sign-in")).count(),
        1,
        "the first sign-in and the known laptop raise no notice"
    );
}

#[tokio::test]
async fn a_password_reset_by_email_code_ends_every_session() {
    let app = messaging_app().await;
    let servers = app.messages.as_ref().unwrap();
    register(
        &app,
        json!({ "uscc": USCC, "name": "示例", "login": "forgetful", "password": PASSWORD,
                           "email": "forgetful@example.com", "second_factor": "email" }),
    )
    .await;
    let code_of = |mail: &Value| {
        let body = mail["body"].as_str().unwrap();
        let at = body.find("code is ").unwrap() + "code is ".len();
        body[at..at + 6].to_owned()
    };
    let started: Value = start(&app, "forgetful", "laptop").await.json().await.unwrap();
    let mail = servers.wait(|s| s.mail(), |all| all.last().cloned()).await;
    let session: Value = verify(&app, &started["challenge"], &code_of(&mail), "laptop").await.json().await.unwrap();
    let token = session["token"].as_str().unwrap().to_owned();
    assert_eq!(app.get_as(&token, "/api/v1/me").await.status(), 200);

    let reset = |login: &str| {
        let (app, login) = (&app, login.to_owned());
        async move {
            let res =
                app.client.post(app.url("/api/v1/auth/reset")).json(&json!({ "login": login })).send().await.unwrap();
            assert_eq!(res.status(), 200);
            res.json::<Value>().await.unwrap()
        }
    };
    let unknown = reset("nobody.at.all").await;
    let known = reset("forgetful").await;
    assert_eq!(unknown["message"], known["message"]);
    assert_eq!(unknown["challenge"].as_str().unwrap().len(), known["challenge"].as_str().unwrap().len());
    let mail = servers.wait(|s| s.mail(), |all| (all.len() >= 2).then(|| all.last().cloned()).flatten()).await;
    let code = code_of(&mail);
    let confirm = |password: &str| {
        let (app, challenge, code, password) = (&app, known["challenge"].clone(), code.clone(), password.to_owned());
        async move {
            app.client
                .post(app.url("/api/v1/auth/reset/confirm"))
                .json(&json!({ "challenge": challenge, "code": code, "new_password": password }))
                .send()
                .await
                .unwrap()
        }
    };
    let weak = confirm("password").await;
    assert_eq!(weak.status(), 422, "a weak password does not spend the code");
    assert_eq!(confirm("Brand-New-Pass-9").await.status(), 204);
    assert_eq!(confirm("Brand-New-Pass-8").await.status(), 401, "the code works once");
    assert_eq!(app.get_as(&token, "/api/v1/me").await.status(), 401, "sessions end with a reset");
    // The new password signs in; the sign-in code does not reset anything.
    let started = app.start_sign_in("forgetful", "Brand-New-Pass-9").await;
    let mail = servers.wait(|s| s.mail(), |all| (all.len() >= 3).then(|| all.last().cloned()).flatten()).await;
    let res = app
        .client
        .post(app.url("/api/v1/auth/reset/confirm"))
        .json(&json!({ "challenge": started["challenge"], "code": code_of(&mail), "new_password": "Another-Pass-77" }))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 401, "a sign-in code is not a reset code");
    assert_eq!(verify(&app, &started["challenge"], &code_of(&mail), "laptop").await.status(), 200);
}
