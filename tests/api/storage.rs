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
