//! Signed PDFs: a report of certificates and a holder's electronic
//! certificate embed their Chinese font, carry a verification code and a
//! QR code whose facts the platform signed; the QR code opens the verify
//! page with the same status; an altered file or a forged code is caught.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use safecert_tests::{TestApp, error_of, spawn_app};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn pdf(app: &TestApp, token: &str, path: &str) -> (Vec<u8>, String) {
    let res = app.get_as(token, path).await;
    assert_eq!(res.status(), 200, "{path}");
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let code = res.headers()["x-verification-code"].to_str().unwrap().to_owned();
    (res.bytes().await.unwrap().to_vec(), code)
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle.as_bytes())
}

/// The addresses of a PDF's link annotations.
fn links(pdf: &[u8]) -> Vec<String> {
    let text = String::from_utf8_lossy(pdf);
    text.split("/URI (").skip(1).map(|rest| rest.split(')').next().unwrap().to_owned()).collect()
}

async fn check_file(app: &TestApp, bytes: Vec<u8>) -> reqwest::Response {
    app.client.post(app.url("/api/v1/verify-report")).body(bytes).send().await.unwrap()
}

#[tokio::test]
async fn a_report_carries_its_font_a_code_and_a_signed_qr_code_that_opens_the_verify_page() {
    let app = spawn_app().await;
    let rows = app.seed(6, 71).await;
    let cert = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let (bytes, code) =
        pdf(&app, &app.operator, &format!("/api/v1/t/gd/certificates/{}/report.pdf", cert.cert_no)).await;
    assert!(bytes.starts_with(b"%PDF-"));
    // The Chinese font is embedded (a subset), with a map back to Unicode
    // so the text can be searched: 证 is U+8BC1.
    assert!(contains(&bytes, "/CIDFontType2") && contains(&bytes, "/FontFile2") && contains(&bytes, "/ToUnicode"));
    assert!(contains(&bytes, "8bc1") || contains(&bytes, "8BC1"), "证 maps back to its code point");
    assert!(bytes.len() < 200_000, "the font is a subset: {} bytes", bytes.len());

    // The QR code opens the platform's verify page, which checks the
    // signature and shows the same status.
    let qr = links(&bytes).into_iter().find(|l| l.contains("/q/")).expect("a QR link");
    assert!(qr.starts_with("https://safecert.test/q/v1."), "{qr}");
    let path = qr.trim_start_matches("https://safecert.test");
    let page = app.client.get(app.url(&format!("{path}?lang=en"))).send().await.unwrap();
    assert_eq!(page.status(), 200);
    let html = page.text().await.unwrap();
    let lookup: Value = app.get(&format!("/api/v1/t/gd/certificates/{}", cert.cert_no)).await.json().await.unwrap();
    let status = lookup["status"].as_str().unwrap();
    let status_text = match status {
        "valid" => "Valid",
        "expiring" => "Expiring soon",
        "expired" => "Expired",
        "revoked" => "Revoked",
        _ => "Suspended",
    };
    assert!(html.contains("signed by the platform"), "{html}");
    assert!(html.contains(&cert.cert_no) && html.contains(status_text) && html.contains(&code));
    assert!(html.contains("https://safecert.test") && html.contains("fingerprint"), "the platform's identity: {html}");
    let home = app.client.get(app.url("/?lang=en")).send().await.unwrap().text().await.unwrap();
    assert!(home.contains("The platform&#39;s address: <bdi dir=\"ltr\">https://safecert.test</bdi>"), "{home}");

    // A phone with the platform's key checks the code offline.
    let key: Value = app.client.get(app.url("/api/v1/platform-key")).send().await.unwrap().json().await.unwrap();
    let public = URL_SAFE_NO_PAD.decode(key["public_key"].as_str().unwrap()).unwrap();
    let token = path.trim_start_matches("/q/");
    let (message, signature) = token.rsplit_once('.').unwrap();
    let verifier = ring::signature::UnparsedPublicKey::new(&ring::signature::ED25519, &public);
    assert!(verifier.verify(message.as_bytes(), &URL_SAFE_NO_PAD.decode(signature).unwrap()).is_ok());
    let facts: Value =
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(message.trim_start_matches("v1.")).unwrap()).unwrap();
    assert_eq!(
        (facts["n"].as_str(), facts["s"].as_str(), facts["c"].as_str()),
        (Some(&*cert.cert_no), Some(status), Some(&*code))
    );

    // A forged code (facts changed, the signature kept) is called out.
    let mut forged = facts.clone();
    forged["e"] = json!("2099-12-31");
    let forged = format!("v1.{}.{signature}", URL_SAFE_NO_PAD.encode(forged.to_string()));
    let html = app.client.get(app.url(&format!("/q/{forged}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(html.contains("not signed by the platform") && !html.contains("2099-12-31"), "{html}");

    // The printed code and the file itself check out; an altered copy does not.
    let check: Value = app
        .client
        .get(app.url(&format!("/api/v1/verify-report?code={}", code.to_lowercase())))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(
        (check["genuine"].as_bool(), check["certificates"][0]["cert_no"].as_str()),
        (Some(true), Some(&*cert.cert_no))
    );
    assert_eq!(check["certificates"][0]["status"], status);
    let res = check_file(&app, bytes.clone()).await;
    let check: Value = res.json().await.unwrap();
    assert_eq!((check["genuine"].as_bool(), check["finding"].as_str()), (Some(true), Some("issued")));
    let mut altered = bytes.clone();
    let at = altered.windows(4).position(|w| w == b"/URI").unwrap();
    altered[at + 10] ^= 1;
    let check: Value = check_file(&app, altered).await.json().await.unwrap();
    assert_eq!(
        (check["genuine"].as_bool(), check["finding"].as_str(), check["code"].as_str()),
        (Some(false), Some("altered"), Some(&*code))
    );
    let check: Value = check_file(&app, b"%PDF-1.7\n%%EOF".to_vec()).await.json().await.unwrap();
    assert_eq!(check["finding"], "unknown");
    assert_eq!(error_of(check_file(&app, b"MZ\x90\x00".to_vec()).await).await, (415, "not_a_pdf".into()));
    let check: Value = app
        .client
        .get(app.url("/api/v1/verify-report?code=AAAA-BBBB-CCCC-DDDD"))
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    assert_eq!(check["genuine"], false);
    let page = app.client.get(app.url(&format!("/r/{code}?lang=en"))).send().await.unwrap().text().await.unwrap();
    assert!(page.contains("issued by the platform") && page.contains(&cert.cert_no), "{page}");
}

#[tokio::test]
async fn a_report_of_several_certificates_has_a_page_each_and_a_limit() {
    let app = spawn_app().await;
    let rows = app.seed(6, 72).await;
    let gd: Vec<&str> = rows.iter().filter(|r| r.tenant == "gd").map(|r| r.cert_no.as_str()).take(3).collect();
    let (bytes, _) = pdf(&app, &app.operator, &format!("/api/v1/t/gd/report.pdf?cert_nos={}", gd.join(","))).await;
    assert!(contains(&bytes, "/Count 3"));
    assert_eq!(links(&bytes).iter().filter(|l| l.contains("/q/")).count(), 3);
    let many = vec![gd[0]; 101].join(",");
    let res = app.get(&format!("/api/v1/t/gd/report.pdf?cert_nos={many}")).await;
    assert_eq!(error_of(res).await, (422, "report_too_many".into()));
    let res = app.get("/api/v1/t/gd/report.pdf?cert_nos=GD2099NOSUCH01").await;
    assert_eq!(error_of(res).await.0, 404);
    let res = app.get("/api/v1/t/gd/report.pdf").await;
    assert_eq!(error_of(res).await, (400, "missing_parameter".into()));
    let res = app.client.get(app.url(&format!("/api/v1/t/gd/certificates/{}/report.pdf", gd[0]))).send().await.unwrap();
    assert_eq!(res.status(), 401, "reports are for signed-in callers");
}

#[tokio::test]
async fn a_holder_downloads_their_own_electronic_certificate_and_nobody_elses() {
    let app = spawn_app().await;
    let rows = app.seed(10, 73).await;
    let mine = rows.iter().find(|r| r.tenant == "gd").unwrap();
    let other = rows.iter().find(|r| r.tenant == "gd" && r.id_number != mine.id_number).unwrap();
    let body = json!({ "cert_no": mine.cert_no, "name": mine.holder_name, "id_number": mine.id_number,
                       "login": "holder.pdf", "password": PASSWORD, "second_factor": "totp" });
    let res = app.client.post(app.url("/api/v1/individuals")).json(&body).send().await.unwrap();
    assert_eq!(res.status(), 201);
    let created: Value = res.json().await.unwrap();
    let holder = app.sign_in_totp("holder.pdf", PASSWORD, created["totp"]["secret"].as_str().unwrap()).await;

    let path = |no: &str| format!("/api/v1/me/certificates/gd/{no}/e-certificate.pdf");
    let (bytes, code) = pdf(&app, &holder, &path(&mine.cert_no)).await;
    assert!(contains(&bytes, "/FontFile2"));
    let check: Value = check_file(&app, bytes).await.json().await.unwrap();
    assert_eq!((check["kind"].as_str(), check["code"].as_str()), (Some("e_certificate"), Some(&*code)));
    // Someone else's, and anyone else asking for the holder's: refused.
    assert_eq!(app.get_as(&holder, &path(&other.cert_no)).await.status(), 404);
    assert_eq!(app.get(&path(&mine.cert_no)).await.status(), 403, "the operator reads it, but it is not theirs");
}
