use safecert_tests::{SpawnOptions, spawn_app_with};

#[tokio::test]
async fn all_32_provincial_divisions_are_listed_with_three_names() {
    let app = spawn_app_with(SpawnOptions { tenants: None, ..Default::default() }).await;
    let body: serde_json::Value = app.get_lang("/api/v1/tenants", "en").await.json().await.unwrap();
    let tenants = body["tenants"].as_array().unwrap();
    assert_eq!(tenants.len(), 32);
    let csv =
        std::fs::read_to_string(safecert_tests::repo_root().join("../shared/data/provinces.csv")).unwrap_or_default();
    for t in tenants {
        for lang in ["zh-CN", "en", "ug"] {
            assert!(!t["names"][lang].as_str().unwrap().is_empty(), "{} lacks a {lang} name", t["slug"]);
        }
        if !csv.is_empty() {
            let line = format!(
                "{},{},{},{}",
                t["code"].as_str().unwrap(),
                t["slug"].as_str().unwrap(),
                t["names"]["zh-CN"].as_str().unwrap(),
                t["names"]["en"].as_str().unwrap()
            );
            assert!(csv.contains(&line), "{line} is not in provinces.csv");
        }
    }
    let gd = tenants.iter().find(|t| t["slug"] == "gd").unwrap();
    assert_eq!(gd["code"], "440000");
    assert_eq!(gd["name"], "Guangdong", "name follows Accept-Language");
    let xj = tenants.iter().find(|t| t["slug"] == "xj").unwrap();
    assert_eq!(xj["default_locale"], "ug");
    // Every tenant got its storage at start.
    for t in tenants {
        let slug = safecert_domain::TenantSlug::parse(t["slug"].as_str().unwrap()).unwrap();
        assert_eq!(app.platform.store.count(&slug).await.unwrap(), 0, "{slug} has an empty certificate table");
    }
}

#[tokio::test]
async fn a_new_tenant_folder_gets_its_storage_on_sync() {
    let app = spawn_app_with(SpawnOptions { tenants: Some(vec!["gd"]), ..Default::default() }).await;
    let tenants_dir = app.dir.join("tenants");
    std::fs::create_dir_all(tenants_dir.join("js")).unwrap();
    std::fs::copy(safecert_tests::repo_root().join("tenants/js/tenant.toml"), tenants_dir.join("js/tenant.toml"))
        .unwrap();
    let mut config = app.platform.config.clone();
    config.tenants_dir = tenants_dir;
    // A second process (like `safecert tenants sync`) on the same database.
    let again = safecert_core::Platform::start(config).await.unwrap();
    let js = safecert_domain::TenantSlug::parse("js").unwrap();
    assert_eq!(again.store.count(&js).await.unwrap(), 0);
    let registered: Vec<String> =
        again.store.databases().registered_tenants().await.unwrap().into_iter().map(|t| t.slug).collect();
    assert_eq!(registered, ["gd", "js"]);
    again.shutdown().await;
}
