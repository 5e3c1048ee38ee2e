use safecert_domain::{CertNo, IdNumber, TenantSlug};
use safecert_tests::spawn_app;

#[tokio::test]
async fn id_numbers_are_encrypted_at_rest_and_found_through_the_blind_index() {
    let app = spawn_app().await;
    let rows = app.seed(10, 21).await;
    let cert = rows.iter().find(|r| r.tenant == "js").unwrap();
    let row = app
        .raw_query_one("js", &format!("WHERE cert_no = '{}'", cert.cert_no), "id_cipher, id_index, id_masked")
        .await
        .expect("the row exists");
    let cipher: Vec<u8> = row.try_get("", "id_cipher").unwrap();
    let index: String = row.try_get("", "id_index").unwrap();
    let masked: String = row.try_get("", "id_masked").unwrap();
    let plain = cert.id_number.as_bytes();
    assert!(!cipher.windows(plain.len()).any(|w| w == plain), "the ID number is not stored in clear");
    assert!(!cipher.windows(8).any(|w| w == &plain[6..14]), "not even the birth date");
    assert!(!index.contains(&cert.id_number[6..14]));
    assert_eq!(masked, format!("{}********{}", &cert.id_number[..6], &cert.id_number[14..]));

    let js = TenantSlug::parse("js").unwrap();
    let found = app.platform.store.find_by_id_number(&js, &IdNumber::parse(&cert.id_number).unwrap()).await.unwrap();
    assert!(found.iter().any(|r| r.cert_no == cert.cert_no), "blind index finds the holder's certificates");
    let revealed = app.platform.store.reveal_id_number(&js, &CertNo::parse(&cert.cert_no).unwrap()).await.unwrap();
    assert_eq!(revealed.unwrap().expose(), cert.id_number, "decrypts with the key");
}

#[tokio::test]
async fn the_national_directory_finds_a_number_without_its_province() {
    let app = spawn_app().await;
    let rows = app.seed(5, 8).await;
    for cert in rows.iter().step_by(3) {
        let found = app.platform.store.locate(&CertNo::parse(&cert.cert_no).unwrap()).await.unwrap();
        assert_eq!(found.map(|s| s.to_string()), Some(cert.tenant.clone()), "{}", cert.cert_no);
    }
    assert_eq!(app.platform.store.locate(&CertNo::parse("ZZ99999999").unwrap()).await.unwrap(), None);
}

async fn lookup_status(app: &safecert_tests::TestApp, cert: &safecert_tests::SeededRow) -> u16 {
    app.get(&format!("/api/v1/t/{}/certificates/{}", cert.tenant, cert.cert_no)).await.status().as_u16()
}

#[tokio::test]
async fn lookups_keep_answering_after_postgresql_ends_every_session() {
    let app = spawn_app().await;
    let rows = app.seed(6, 31).await;
    let (before, after) = rows.split_at(rows.len() / 2);
    for cert in before {
        assert_eq!(lookup_status(&app, cert).await, 200, "{}", cert.cert_no);
    }
    let ended = app.end_database_sessions().await;
    if app.backend == safecert_tests::Backend::Postgres {
        assert!(ended > 0, "the service held connections");
    }
    // Numbers not asked before, so not cached: each read needs PostgreSQL.
    for cert in after {
        assert_eq!(lookup_status(&app, cert).await, 200, "{}", cert.cert_no);
        let query = super::verify::url_encode(&[("cert_no", &cert.cert_no), ("name", &cert.holder_name)]);
        assert_eq!(app.get(&format!("/api/v1/verify?{query}")).await.status(), 200, "{}", cert.cert_no);
    }
}

#[tokio::test]
async fn postgresql_sessions_stay_within_the_stated_bound_with_32_tenants() {
    let app =
        safecert_tests::spawn_app_with(safecert_tests::SpawnOptions { tenants: None, ..Default::default() }).await;
    let rows = app.seed(2, 43).await;
    assert_eq!(rows.iter().map(|r| r.tenant.as_str()).collect::<std::collections::BTreeSet<_>>().len(), 32);
    // Every certificate of every province asked at once, twice over.
    let mut asking = tokio::task::JoinSet::new();
    let app = std::sync::Arc::new(app);
    for cert in rows.iter().chain(&rows).cloned() {
        let app = std::sync::Arc::clone(&app);
        asking.spawn(async move { (lookup_status(&app, &cert).await, cert.cert_no) });
    }
    while let Some(answer) = asking.join_next().await {
        let (status, cert_no) = answer.unwrap();
        assert_eq!(status, 200, "{cert_no}");
    }
    // The bound /metrics states, and background work's own (README).
    let dbs = app.platform.store.databases();
    let bound = (dbs.connection_bound() + dbs.background_connections()) as usize;
    let open = app.database_sessions().await;
    assert!(open <= bound, "{open} sessions open, bound {bound}");
    if app.backend == safecert_tests::Backend::Postgres {
        assert!(open > 0, "the service holds connections");
    }
}
