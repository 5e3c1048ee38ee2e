//! The signed-in web pages: sign in, the code, the account page with what
//! the role may see, sign out; in the three languages, without scripts.

use safecert_tests::{OPERATOR_PASSWORD, TestApp, spawn_app, totp_now};

fn form(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| format!("{k}={}", v.bytes().map(|b| format!("%{b:02X}")).collect::<String>()))
        .collect::<Vec<_>>()
        .join("&")
}

async fn post_form(app: &TestApp, path: &str, body: String, cookie: Option<&str>) -> reqwest::Response {
    let mut req = app.client.post(app.url(path)).header("Content-Type", "application/x-www-form-urlencoded").body(body);
    if let Some(c) = cookie {
        req = req.header("Cookie", c);
    }
    req.send().await.unwrap()
}

fn hidden_challenge(html: &str) -> String {
    let at = html.find("name=\"challenge\" value=\"").unwrap() + "name=\"challenge\" value=\"".len();
    html[at..at + 64].to_owned()
}

#[tokio::test]
async fn a_user_signs_in_sees_their_role_and_signs_out_on_the_web_pages() {
    let app = spawn_app().await;
    let rows = app.seed(5, 2).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let created: serde_json::Value = app
        .post_as(
            &app.operator,
            "/api/v1/t/gd/staff",
            &serde_json::json!({ "role": "provincial_admin", "login": "web.admin",
            "password": OPERATOR_PASSWORD, "region_code": "440000", "second_factor": "totp" }),
        )
        .await
        .json()
        .await
        .unwrap();
    let secret = created["totp"]["secret"].as_str().unwrap().to_owned();

    for (lang, heading, dir) in [("zh-CN", "登录", "ltr"), ("en", "Sign in", "ltr"), ("ug", "كىرىش", "rtl")] {
        let page = app.client.get(app.url(&format!("/sign-in?lang={lang}"))).send().await.unwrap();
        assert_eq!(page.status(), 200);
        let html = page.text().await.unwrap();
        assert!(html.contains(heading) && html.contains(&format!("dir=\"{dir}\"")), "{lang}");
        assert!(html.contains("<label for=\"password\">") && !html.contains("<script"), "{lang}");
    }

    let code_page =
        post_form(&app, "/sign-in?lang=en", form(&[("login", "web.admin"), ("password", OPERATOR_PASSWORD)]), None)
            .await;
    assert_eq!(code_page.status(), 200);
    let challenge = hidden_challenge(&code_page.text().await.unwrap());
    let wrong =
        post_form(&app, "/sign-in/code?lang=en", form(&[("challenge", &challenge), ("code", "000000")]), None).await;
    assert_eq!(wrong.status(), 401);
    assert!(wrong.text().await.unwrap().contains("wrong, has expired"));
    let done = post_form(
        &app,
        "/sign-in/code?lang=en",
        form(&[("challenge", &challenge), ("code", &totp_now(&secret))]),
        None,
    )
    .await;
    assert_eq!(done.status(), 303);
    assert_eq!(done.headers()["location"], "/account?lang=en");
    let set_cookie = done.headers()["set-cookie"].to_str().unwrap().to_owned();
    assert!(set_cookie.contains("HttpOnly") && set_cookie.contains("SameSite=Strict") && set_cookie.contains("Secure"));
    let cookie = set_cookie.split(';').next().unwrap().to_owned();

    let account = app.client.get(app.url("/account?lang=en")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(account.status(), 200);
    let html = account.text().await.unwrap();
    assert!(html.contains("Provincial administrator") && html.contains("every certificate of the province"));
    let lookup = app
        .client
        .get(app.url(&format!("/account?lang=zh-CN&cert_no={}", cert.cert_no)))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(lookup.status(), 200);
    let html = lookup.text().await.unwrap();
    assert!(html.contains(&cert.cert_no) && html.contains(&cert.id_number), "the province sees it in full");

    // Search, save the search, see it and the history on the page.
    let search = format!("/account?lang=en&search=1&{}", form(&[("name", &cert.holder_name)]));
    let found = app.client.get(app.url(&search)).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(found.status(), 200);
    let html = found.text().await.unwrap();
    assert!(html.contains("Certificates found") && html.contains(&cert.cert_no), "the search finds it");
    let saved = post_form(
        &app,
        "/account/saved?lang=en",
        form(&[("title", "年审名单"), ("name", &cert.holder_name), ("status", ""), ("issue_year", "")]),
        Some(&cookie),
    )
    .await;
    assert_eq!(saved.status(), 303);
    // The query log is written within a moment.
    let mut html = String::new();
    for _ in 0..50 {
        let account = app.client.get(app.url("/account?lang=en")).header("Cookie", &cookie).send().await.unwrap();
        html = account.text().await.unwrap();
        if html.contains("Your latest queries") {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert!(html.contains("Saved searches") && html.contains("年审名单"), "the saved search is listed");
    assert!(html.contains("Your latest queries") && html.contains("search"), "the history is listed");
    let again = post_form(&app, "/account/saved?lang=en", form(&[("title", "年审名单")]), Some(&cookie)).await;
    assert_eq!(again.status(), 422);
    let bad = app
        .client
        .get(app.url("/account?lang=ug&search=1&issue_year=abc"))
        .header("Cookie", &cookie)
        .send()
        .await
        .unwrap();
    assert_eq!(bad.status(), 422);

    // Keep the looked-up certificate as a favorite; it is listed, then gone.
    let kept = post_form(&app, "/account/favorites?lang=en", form(&[("cert_no", &cert.cert_no)]), Some(&cookie)).await;
    assert_eq!(kept.status(), 303);
    let html = app.client.get(app.url("/account?lang=zh-CN")).header("Cookie", &cookie).send().await.unwrap();
    let html = html.text().await.unwrap();
    assert!(html.contains("收藏的证书") && html.contains(&cert.cert_no), "the favorite is listed");
    let form_of_removal = form(&[("cert_no", &cert.cert_no), ("remove", "1")]);
    let removed = post_form(&app, "/account/favorites?lang=en", form_of_removal, Some(&cookie)).await;
    assert_eq!(removed.status(), 303);
    let html = app.client.get(app.url("/account?lang=zh-CN")).header("Cookie", &cookie).send().await.unwrap();
    assert!(!html.text().await.unwrap().contains("收藏的证书"));

    let out = post_form(&app, "/sign-out?lang=en", String::new(), Some(&cookie)).await;
    assert_eq!(out.status(), 303);
    let after = app.client.get(app.url("/account?lang=en")).header("Cookie", &cookie).send().await.unwrap();
    assert_eq!(after.status(), 303, "the session ended");
    assert_eq!(after.headers()["location"], "/sign-in?lang=en");
}
