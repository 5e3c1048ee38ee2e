use safecert_tests::spawn_app;

use super::verify::url_encode;

/// Every case: a request, the status and code it must get.
#[tokio::test]
async fn bad_input_gets_a_clear_4xx_in_the_documented_shape() {
    let app = spawn_app().await;
    // A URL has room for about 2,000 encoded CJK characters; the page test
    // sends 10,000 in a form.
    let long_name = "张".repeat(2_000);
    let cases: Vec<(String, u16, &str, &str)> = vec![
        ("/api/v1/verify".into(), 400, "missing_parameter", "no parameters"),
        ("/api/v1/verify?cert_no=GD20230000001".into(), 400, "missing_parameter", "no name"),
        ("/api/v1/verify?cert_no=&name=%E5%BC%A0%E4%B8%89".into(), 400, "missing_parameter", "blank number"),
        (
            format!(
                "/api/v1/verify?{}",
                url_encode(&[("cert_no", "GD'; DROP TABLE certificates;--"), ("name", "张三")])
            ),
            400,
            "invalid_cert_no",
            "SQL in the number",
        ),
        (
            format!("/api/v1/verify?{}", url_encode(&[("cert_no", "<script>alert(1)</script>"), ("name", "张三")])),
            400,
            "invalid_cert_no",
            "HTML in the number",
        ),
        (
            format!("/api/v1/verify?{}", url_encode(&[("cert_no", "GD20230000001"), ("name", "<b>x</b>")])),
            400,
            "invalid_name",
            "HTML in the name",
        ),
        (
            format!("/api/v1/verify?{}", url_encode(&[("cert_no", "GD20230000001"), ("name", &long_name)])),
            400,
            "invalid_name",
            "2,000-character name",
        ),
        (
            format!("/api/v1/verify?{}", url_encode(&[("cert_no", &"9".repeat(5000)), ("name", "张三")])),
            400,
            "invalid_cert_no",
            "5,000-digit number",
        ),
        ("/api/v1/verify?cert_no=%FF%FE%FD&name=%C3%28".into(), 400, "bad_request", "invalid UTF-8"),
        ("/api/v1/verify?cert_no=GD2023%00&name=x".into(), 400, "invalid_cert_no", "NUL byte"),
    ];
    for (path, status, code, why) in cases {
        let res = app.get(&path).await;
        assert_eq!(res.status().as_u16(), status, "{why}");
        assert!(res.headers()["content-type"].to_str().unwrap().starts_with("application/json"), "{why}");
        let body: serde_json::Value = res.json().await.unwrap_or_else(|e| panic!("{why}: body is not JSON: {e}"));
        assert_eq!(body["error"]["code"], code, "{why}: {body}");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.is_empty() && !message.contains('<'), "{why}: {message}");
    }
    assert_eq!(app.get("/readyz").await.status(), 200, "the service is still healthy");
}

#[tokio::test]
async fn error_messages_come_in_all_three_languages() {
    let app = spawn_app().await;
    let path = "/api/v1/verify?cert_no=%3Cx%3E&name=x";
    let mut seen = Vec::new();
    for lang in ["zh-CN,zh;q=0.9", "en-US,en;q=0.8", "ug", "fr"] {
        let body: serde_json::Value = app.get_lang(path, lang).await.json().await.unwrap();
        assert_eq!(body["error"]["code"], "invalid_cert_no");
        seen.push(body["error"]["message"].as_str().unwrap().to_owned());
    }
    assert!(seen[0].contains("证书编号"), "zh-CN: {}", seen[0]);
    assert!(seen[1].contains("certificate number"), "en: {}", seen[1]);
    assert!(seen[2].chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)), "ug: {}", seen[2]);
    assert_eq!(seen[3], seen[0], "an unsupported language falls back to zh-CN");
    assert_ne!(seen[0], seen[1]);
    assert_ne!(seen[1], seen[2]);
}

#[tokio::test]
async fn bad_input_writes_nothing() {
    let app = spawn_app().await;
    for path in ["/api/v1/verify?cert_no=GD'%3B--&name=x", "/api/v1/t/gd/certificates/%27%3B%20DROP"] {
        app.get(path).await;
    }
    let gd = safecert_domain::TenantSlug::parse("gd").unwrap();
    assert_eq!(app.platform.store.count(&gd).await.unwrap(), 0);
}
