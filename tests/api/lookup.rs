use safecert_tests::spawn_app;

#[tokio::test]
async fn a_tenant_lookup_shows_the_masked_details_of_its_own_certificate() {
    let app = spawn_app().await;
    let rows = app.seed(10, 5).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let res = app.get(&format!("/api/v1/t/gd/certificates/{}", cert.cert_no.to_lowercase())).await;
    assert_eq!(res.status(), 200, "numbers are matched case-insensitively");
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["cert_no"], cert.cert_no.as_str());
    let id = body["id_number"].as_str().unwrap();
    assert_eq!(id.len(), 18);
    assert_eq!(&id[..6], &cert.id_number[..6]);
    assert_eq!(&id[14..], &cert.id_number[14..]);
    assert_eq!(&id[6..14], "********", "the middle of the ID number is hidden");
    assert!(!body.to_string().contains(&cert.holder_name), "the name is masked");
}

#[tokio::test]
async fn answers_kept_for_repeat_lookups_stay_apart_by_who_asks_and_in_which_language() {
    let app = spawn_app().await;
    let rows = app.seed(10, 5).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let path = format!("/api/v1/t/gd/certificates/{}", cert.cert_no);
    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let json = |res: reqwest::Response| async move {
        assert_eq!(res.status(), 200);
        assert_eq!(res.headers()["content-type"], "application/json");
        assert_eq!(res.headers()["cache-control"], "no-store");
        res.json::<serde_json::Value>().await.unwrap()
    };
    for _ in 0..2 {
        let masked = json(app.get(&path).await).await;
        assert_ne!(masked["holder_name"], cert.holder_name.as_str());
        assert_ne!(masked["id_number"], cert.id_number.as_str());
        assert_eq!(masked["province"]["name"], "广东省");
        let full = json(app.get_as(&province, &path).await).await;
        assert_eq!(full["holder_name"], cert.holder_name.as_str(), "a provincial admin sees the name");
        assert_eq!(full["id_number"], cert.id_number.as_str());
        assert_eq!(json(app.get_lang(&path, "en").await).await["province"]["name"], "Guangdong");
    }
}

#[tokio::test]
async fn a_kept_answer_reaches_only_callers_the_policy_lets_read_it_and_no_longer_after_a_change() {
    let app = spawn_app().await;
    let rows = app.seed(40, 21).await;
    let gd: Vec<_> = rows.iter().filter(|r| r.tenant == "gd" && r.status == "valid").collect();
    let city = |row: &safecert_tests::SeededRow| format!("{}00", &row.id_number[..4]);
    let cert = gd[0];
    let elsewhere = gd.iter().find(|r| city(r) != city(cert)).expect("two cities");
    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let local = app.staff(&province, "gd", "regulator", "city.regulator", &city(cert)).await;
    let neighbour = app.staff(&province, "gd", "regulator", "next.regulator", &city(elsewhere)).await;
    let path = format!("/api/v1/t/gd/certificates/{}", cert.cert_no);
    for _ in 0..2 {
        assert_eq!(app.get(&path).await.status(), 200, "the masked answer, kept after the first");
    }
    assert_eq!(app.get_as(&neighbour, &path).await.status(), 404, "another city's regulator");
    let full: serde_json::Value = app.get_as(&local, &path).await.json().await.unwrap();
    assert_eq!(full["id_number"], cert.id_number.as_str(), "its own city's regulator, in full");

    let revoked = safecert_domain::Revocation {
        kind: safecert_domain::RevocationKind::Revoked,
        on: chrono::NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        reason: "test".into(),
    };
    let (tenant, no) =
        (safecert_domain::TenantSlug::parse("gd").unwrap(), safecert_domain::CertNo::parse(&cert.cert_no).unwrap());
    assert!(app.platform.store.revoke(&tenant, &no, &revoked).await.unwrap());
    let after: serde_json::Value = app.get(&path).await.json().await.unwrap();
    assert_eq!(after["status"], "revoked", "not the answer kept before the change");
}

#[tokio::test]
async fn a_certificate_is_not_found_through_another_province() {
    let app = spawn_app().await;
    let rows = app.seed(5, 5).await;
    let gd = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let res = app.get_lang(&format!("/api/v1/t/js/certificates/{}", gd.cert_no), "en").await;
    assert_eq!(res.status(), 404);
    let body: serde_json::Value = res.json().await.unwrap();
    assert_eq!(body["error"]["code"], "certificate_not_found");
}

#[tokio::test]
async fn unknown_tenants_and_numbers_are_404_in_the_documented_shape() {
    let app = spawn_app().await;
    for (path, code) in [
        ("/api/v1/t/zz/certificates/GD20230000001", "unknown_tenant"),
        ("/api/v1/t/GD';--/certificates/GD20230000001", "unknown_tenant"),
        ("/api/v1/t/gd/certificates/GD20990000001", "certificate_not_found"),
        ("/api/v1/nothing-here", "not_found"),
    ] {
        let res = app.get(path).await;
        assert_eq!(res.status(), 404, "{path}");
        let body: serde_json::Value = res.json().await.unwrap();
        assert_eq!(body["error"]["code"], code, "{path}");
        assert!(!body["error"]["message"].as_str().unwrap().is_empty());
    }
}

#[tokio::test]
async fn the_detailed_view_adds_training_review_and_the_provinces_own_fields_with_labels() {
    let app = spawn_app().await;
    let rows = app.seed(60, 5).await;
    let special = rows
        .iter()
        .find(|r| r.tenant == "gd" && r.cert_type == "特种作业操作证")
        .expect("a special-operations certificate in gd");
    let path = format!("/api/v1/t/gd/certificates/{}?view=detailed", special.cert_no);
    let zh: serde_json::Value = app.get_lang(&path, "zh-CN").await.json().await.unwrap();
    assert_eq!(zh["cert_no"], special.cert_no.as_str());
    let training = zh["training"].as_array().unwrap();
    assert!(!training.is_empty());
    let hours: u64 = training.iter().map(|t| t["hours"].as_u64().unwrap()).sum();
    assert_eq!(zh["training_hours"], hours);
    assert!(training.iter().all(|t| !t["course"].as_str().unwrap().is_empty()));
    let field = &zh["custom_fields"][0];
    assert_eq!(field["key"], "special_category");
    assert_eq!(field["label"], "特种作业类别");
    assert!(field["value"].is_string());
    let en: serde_json::Value = app.get_lang(&path, "en").await.json().await.unwrap();
    assert_eq!(en["custom_fields"][0]["label"], "Special operations category");
    // The review history ends with the review the rules read.
    let mut reviewed = 0;
    for r in rows.iter().filter(|r| r.tenant == "gd") {
        let path = format!("/api/v1/t/gd/certificates/{}?view=detailed", r.cert_no);
        let detail: serde_json::Value = app.get(&path).await.json().await.unwrap();
        let reviews = detail["reviews"].as_array().unwrap();
        match detail.get("reviewed_on") {
            Some(last) => {
                reviewed += 1;
                assert_eq!(&reviews.last().unwrap()["on"], last, "{detail}");
                assert!(!reviews.last().unwrap()["authority"].as_str().unwrap().is_empty());
            }
            None => assert!(reviews.is_empty(), "{detail}"),
        }
    }
    assert!(reviewed > 0, "some certificates were reviewed");
    // The detail never shows more personal data than the quick view.
    assert!(!zh.to_string().contains(&special.holder_name));
    assert!(zh["id_number"].as_str().unwrap().contains("********"));
    // The quick view is the default and has none of it.
    let quick: serde_json::Value =
        app.get(&format!("/api/v1/t/gd/certificates/{}", special.cert_no)).await.json().await.unwrap();
    assert!(quick.get("training").is_none());
    let res = app.get(&format!("/api/v1/t/gd/certificates/{}?view=everything", special.cert_no)).await;
    assert_eq!(res.status(), 422);
}
