use safecert_tests::spawn_app;

#[tokio::test]
async fn healthz_and_readyz_answer_ok() {
    let app = spawn_app().await;
    for (path, status) in [("/healthz", "ok"), ("/readyz", "ready")] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 200, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["status"], status, "{path}");
    }
}

#[tokio::test]
async fn every_response_carries_a_request_id_and_echoes_a_sane_one() {
    let app = spawn_app().await;
    let generated = app.get("/healthz").await;
    let id = generated.headers().get("x-request-id").expect("request id").to_str().unwrap().to_owned();
    assert_eq!(id.len(), 16, "generated id {id}");

    let echoed = app.client.get(app.url("/healthz")).header("x-request-id", "trace-42").send().await.unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-42");

    let hostile = app.client.get(app.url("/healthz")).header("x-request-id", "<script>").send().await.unwrap();
    assert_ne!(hostile.headers()["x-request-id"], "<script>", "a malformed id is replaced");

    for (sent, kept) in [("a".repeat(64), true), ("a".repeat(65), false)] {
        let answer = app.client.get(app.url("/healthz")).header("x-request-id", &sent).send().await.unwrap();
        assert_eq!(answer.headers()["x-request-id"] == sent.as_str(), kept, "{} characters", sent.len());
    }
}

#[tokio::test]
async fn metrics_are_prometheus_text() {
    let app = spawn_app().await;
    app.get("/healthz").await;
    let res = app.get("/metrics").await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    for name in [
        "safecert_http_responses_total",
        "safecert_cache_lookups_total",
        "safecert_caller_reads_total",
        "safecert_tenants 4",
        "safecert_db_connections_max",
    ] {
        assert!(text.contains(name), "metrics lack {name}:\n{text}");
    }
}

#[tokio::test]
async fn the_openapi_document_lists_every_endpoint_and_swagger_ui_is_served() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    for path in [
        "/healthz",
        "/readyz",
        "/metrics",
        "/api/v1/tenants",
        "/api/v1/verify",
        "/api/v1/t/{tenant}/certificates/{cert_no}",
        "/api/v1/t/{tenant}/rules",
        "/api/v1/t/{tenant}/rules/{version}",
        "/api/v1/t/{tenant}/rules/dry-run",
        "/api/v1/t/{tenant}/rules/rollback",
        "/api/v1/t/{tenant}/rules/{version}/activate",
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    let ui = app.get("/docs/").await;
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"), "Swagger UI page");
}

#[tokio::test]
async fn the_openapi_document_says_how_to_sign_in_and_what_shared_errors_come_back() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.get("/api/v1/openapi.json").await.json().await.unwrap();
    let schemes = &doc["components"]["securitySchemes"];
    assert_eq!(schemes["bearer"]["scheme"], "bearer");
    assert_eq!(schemes["api_key"]["name"], "X-Api-Key");
    assert_eq!(schemes["session"]["in"], "cookie");

    let lookup = &doc["paths"]["/api/v1/t/{tenant}/certificates/{cert_no}"]["get"];
    let ways: Vec<&str> = lookup["security"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|w| w.as_object()?.keys().next())
        .map(|k| k.as_str())
        .collect();
    assert_eq!(ways, ["bearer", "api_key", "session"]);
    let me = &doc["paths"]["/api/v1/me/favorites"]["get"]["responses"];
    assert!(me["401"].is_object(), "a signed-in operation documents 401");
    let verify = &doc["paths"]["/api/v1/verify"]["get"];
    assert!(verify["security"].is_null(), "public verification needs no sign-in");
    assert!(verify["responses"]["400"].is_object());
    assert!(doc["paths"]["/healthz"]["get"]["responses"]["400"].is_null(), "nothing to read, nothing malformed");
}

#[tokio::test]
async fn a_known_address_asked_with_another_method_answers_405_and_lists_the_methods_it_takes() {
    let app = spawn_app().await;
    for (method, path, allow) in [
        (reqwest::Method::PUT, "/api/v1/verify?cert_no=GD20260000003&name=x", "GET"),
        (reqwest::Method::DELETE, "/api/v1/t/gd/certificates/GD20260000003", "GET"),
        (reqwest::Method::PUT, "/api/v1/t/gd/rules", "GET, POST"),
        (reqwest::Method::GET, "/api/v1/auth/sign-in", "POST"),
    ] {
        let res = app.client.request(method.clone(), app.url(path)).send().await.unwrap();
        assert_eq!(res.status(), 405, "{method} {path}");
        assert_eq!(res.headers()["allow"], allow, "{method} {path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], "method_not_allowed");
    }
    for (lang, words) in [("en", "Allow header"), ("zh-CN", "请求方法"), ("ug", "Allow ماۋزۇسىدا")] {
        let res = app.client.put(app.url("/api/v1/tenants")).header("Accept-Language", lang).send().await.unwrap();
        let body: serde_json::Value = res.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains(words), "{lang}: {body}");
    }
    let unknown = app.client.put(app.url("/api/v1/nowhere")).send().await.unwrap();
    assert_eq!(unknown.status(), 404, "an address the API does not have");
}
