use safecert_tests::{SeededRow, SpawnOptions, spawn_app, spawn_app_with};

fn verify_path(cert_no: &str, name: &str) -> String {
    let query: String = url_encode(&[("cert_no", cert_no), ("name", name)]);
    format!("/api/v1/verify?{query}")
}

pub fn url_encode(pairs: &[(&str, &str)]) -> String {
    pairs
        .iter()
        .map(|(k, v)| {
            let enc: String = v
                .bytes()
                .map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") })
                .collect();
            format!("{k}={enc}")
        })
        .collect::<Vec<_>>()
        .join("&")
}

fn first_with_status<'a>(rows: &'a [SeededRow], status: &str) -> &'a SeededRow {
    rows.iter().find(|r| r.status == status).unwrap_or_else(|| panic!("the seed made no {status} certificate"))
}

#[tokio::test]
async fn a_genuine_certificate_is_confirmed_with_a_masked_holder() {
    let app = spawn_app().await;
    let rows = app.seed(60, 7).await;
    let cert = first_with_status(&rows, "valid");
    let res = app.get(&verify_path(&cert.cert_no, &cert.holder_name)).await;
    assert_eq!(res.status(), 200);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["genuine"], true);
    let c = &body["certificate"];
    assert_eq!(c["cert_no"], cert.cert_no.as_str());
    assert_eq!(c["status"], "valid");
    assert_eq!(c["province"]["slug"], cert.tenant.as_str());
    assert_eq!(c["expiry_date"], cert.expiry_date.as_str());
    let masked = c["holder_name"].as_str().unwrap();
    assert_ne!(masked, cert.holder_name, "the holder's name is masked");
    assert!(masked.contains('*'));
    let text = body.to_string();
    assert!(!text.contains(&cert.id_number), "no ID number in the public answer");
    assert!(c.get("id_number").is_none() && c.get("employer_name").is_none(), "public view is minimal: {c}");
}

#[tokio::test]
async fn every_status_is_reported_as_the_seed_computed_it() {
    let app = spawn_app().await;
    let rows = app.seed(120, 3).await;
    for status in ["valid", "expiring", "expired", "revoked", "suspended"] {
        let cert = first_with_status(&rows, status);
        let body: serde_json::Value =
            app.get(&verify_path(&cert.cert_no, &cert.holder_name)).await.json().await.unwrap();
        assert_eq!(body["certificate"]["status"], status, "{}", cert.cert_no);
    }
}

#[tokio::test]
async fn verify_with_wrong_name_answers_like_unknown_number() {
    let app = spawn_app().await;
    let rows = app.seed(20, 1).await;
    let cert = &rows[0];
    // Its genuine answer is kept for the next who name the holder.
    for _ in 0..2 {
        let right: serde_json::Value =
            app.get(&verify_path(&cert.cert_no, &cert.holder_name)).await.json().await.unwrap();
        assert_eq!(right["genuine"], true);
    }
    let wrong_name = app.get(&verify_path(&cert.cert_no, "王小明")).await;
    assert_eq!(wrong_name.status(), 200);
    let wrong_name = wrong_name.text().await.unwrap();
    let unknown_no = app.get(&verify_path("ZZ20990000001", "王小明")).await.text().await.unwrap();
    assert_eq!(wrong_name, unknown_no, "the two answers must be indistinguishable");
    let body: serde_json::Value = serde_json::from_str(&wrong_name).unwrap();
    assert_eq!(body["genuine"], false);
    assert!(body.get("certificate").is_none());
}

#[tokio::test]
async fn the_answer_follows_accept_language() {
    let app = spawn_app().await;
    let rows = app.seed(10, 1).await;
    let cert = &rows[0];
    let path = verify_path(&cert.cert_no, &cert.holder_name);
    let mut messages = Vec::new();
    for lang in ["zh-CN", "en", "ug-CN"] {
        let body: serde_json::Value = app.get_lang(&path, lang).await.json().await.unwrap();
        messages.push(body["message"].as_str().unwrap().to_owned());
    }
    assert!(messages[0].contains("证书"), "zh-CN: {}", messages[0]);
    assert!(messages[1].contains("certificate") || messages[1].contains("Genuine"), "en: {}", messages[1]);
    assert!(
        messages[2].chars().any(|c| ('\u{0600}'..='\u{06FF}').contains(&c)),
        "ug in Arabic script: {}",
        messages[2]
    );
}

#[tokio::test]
async fn too_many_queries_from_one_address_get_429_with_retry_after() {
    // The harness's own operator sign-in (two requests) spends two of the five.
    let app = spawn_app_with(SpawnOptions { rate_per_minute: 6, burst: 5, ..Default::default() }).await;
    for i in 0..3 {
        let res = app.get(&verify_path("GD20230000001", "张三")).await;
        assert_eq!(res.status(), 200, "request {i} is within the burst");
    }
    let res = app.get_lang(&verify_path("GD20230000001", "张三"), "en").await;
    assert_eq!(res.status(), 429);
    let retry: u64 = res.headers()["retry-after"].to_str().unwrap().parse().unwrap();
    assert!((1..=10).contains(&retry), "Retry-After {retry}");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "rate_limited");
    assert!(body["error"]["message"].as_str().unwrap().contains(&retry.to_string()));
}
