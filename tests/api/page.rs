use safecert_tests::spawn_app;

use super::verify::url_encode;

#[tokio::test]
async fn the_page_offers_a_labelled_form_and_a_language_switch() {
    let app = spawn_app().await;
    let res = app.get("/").await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-security-policy"].to_str().unwrap().contains("default-src 'none'"));
    let html = res.text().await.unwrap();
    for needle in [
        r#"<html lang="zh-CN" dir="ltr">"#,
        r#"<label for="cert_no">"#,
        r#"<label for="name">"#,
        r#"name="viewport""#,
        r#"href="/?lang=en""#,
        "ئۇيغۇرچە",
        "English",
        "中文",
        "<script",
    ] {
        if needle == "<script" {
            assert!(!html.contains(needle), "the page needs no JavaScript");
        } else {
            assert!(html.contains(needle), "page lacks {needle}");
        }
    }
}

#[tokio::test]
async fn uyghur_is_laid_out_right_to_left() {
    let app = spawn_app().await;
    let html = app.get("/?lang=ug").await.text().await.unwrap();
    assert!(html.contains(r#"<html lang="ug" dir="rtl">"#));
    let html = app.get_lang("/", "ug-CN").await.text().await.unwrap();
    assert!(html.contains(r#"dir="rtl""#), "Accept-Language picks Uyghur too");
}

async fn submit(app: &safecert_tests::TestApp, lang: &str, cert_no: &str, name: &str) -> (u16, String) {
    let res = app
        .client
        .post(app.url(&format!("/?lang={lang}")))
        .header("content-type", "application/x-www-form-urlencoded")
        .body(url_encode(&[("cert_no", cert_no), ("name", name)]))
        .send()
        .await
        .unwrap();
    (res.status().as_u16(), res.text().await.unwrap())
}

#[tokio::test]
async fn a_verified_certificate_shows_its_status_colour_in_every_language() {
    let app = spawn_app().await;
    let rows = app.seed(120, 9).await;
    for (status, class) in [("valid", "result valid"), ("expiring", "result expiring"), ("expired", "result expired")] {
        let cert = rows.iter().find(|r| r.status == status).unwrap();
        for lang in ["zh-CN", "en", "ug"] {
            let (code, html) = submit(&app, lang, &cert.cert_no, &cert.holder_name).await;
            assert_eq!(code, 200, "{status} in {lang}");
            assert!(html.contains(class), "{status} in {lang} has class {class}");
            assert!(html.contains(&cert.expiry_date), "{status} in {lang} shows the expiry date");
        }
    }
}

#[tokio::test]
async fn markup_typed_into_the_form_is_never_echoed_unescaped() {
    let app = spawn_app().await;
    let (code, html) = submit(&app, "en", "<script>alert(1)</script>", "\"><img src=x onerror=alert(1)>").await;
    assert_eq!(code, 400);
    assert!(!html.contains("<script>alert"), "number is escaped");
    assert!(!html.contains("<img src=x"), "name is escaped");
    assert!(html.contains(r#"role="alert""#), "the error is announced");

    let (code, html) = submit(&app, "en", "GD20230000001", &"张".repeat(10_000)).await;
    assert!(code == 400 || code == 413, "a 10,000-character name is refused, got {code}");
    assert!(html.contains(r#"role="alert""#), "with a message on the page");
}

#[tokio::test]
async fn a_qr_code_link_prefills_the_number() {
    let app = spawn_app().await;
    let html = app.get("/?cert_no=gd20230000001").await.text().await.unwrap();
    assert!(html.contains(r#"value="GD20230000001""#));
    let html = app.get("/?cert_no=%22%3E%3Cscript%3E").await.text().await.unwrap();
    assert!(!html.contains("<script>"), "a malformed number is not echoed");
}
