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
    ] {
        assert!(doc["paths"][path].is_object(), "OpenAPI lacks {path}");
    }
    let ui = app.get("/docs/").await;
    assert_eq!(ui.status(), 200);
    assert!(ui.text().await.unwrap().contains("swagger"), "Swagger UI page");
}
