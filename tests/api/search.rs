//! Search and autocomplete: names within one edit, exact ID numbers and
//! the other filters give exactly the certificates a plain reading of the
//! seeded data says they should, on either backend; only what the
//! caller may read, personal data only where the caller may see it.

use std::collections::BTreeSet;

use safecert_domain::is_within_one_edit;
use safecert_tests::{SeededRow, TestApp, error_of, spawn_app};
use serde_json::Value;

const PASSWORD: &str = "Safe-Cert-2026!";

/// Every certificate number a search gives, over all its pages.
async fn all_numbers(app: &TestApp, token: &str, query: &str) -> (u64, Vec<String>) {
    let mut numbers = Vec::new();
    let mut total = 0;
    for page in 1.. {
        let res = app.get_as(token, &format!("/api/v1/t/gd/certificates?{query}&per_page=100&page={page}")).await;
        assert_eq!(res.status(), 200, "{query}");
        let body: Value = res.json().await.unwrap();
        total = body["total"].as_u64().unwrap();
        let items = body["items"].as_array().unwrap();
        numbers.extend(items.iter().map(|i| i["cert_no"].as_str().unwrap().to_owned()));
        if items.is_empty() || numbers.len() as u64 >= total {
            break;
        }
    }
    (total, numbers)
}

fn expected<'a>(rows: impl Iterator<Item = &'a SeededRow>) -> BTreeSet<String> {
    rows.map(|r| r.cert_no.clone()).collect()
}

fn encode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn names_within_one_edit_and_every_filter_find_exactly_the_right_certificates() {
    let app = spawn_app().await;
    let rows = app.seed(120, 31).await;
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let search = |query: String| {
        let (app, province) = (&app, province.clone());
        async move {
            let (total, numbers) = all_numbers(app, &province, &query).await;
            assert_eq!(total as usize, numbers.len(), "{query}: total and pages agree");
            numbers.into_iter().collect::<BTreeSet<String>>()
        }
    };

    let name =
        gd.iter().map(|r| r.holder_name.as_str()).find(|n| n.chars().count() == 3).expect("a three-character name");
    let chars: Vec<char> = name.chars().collect();
    let typos = [
        name.to_owned(),
        format!("{}鑫{}", chars[0], chars[2]),
        format!("{}{}", chars[0], chars[2]),
        format!("{}{}鑫{}", chars[0], chars[1], chars[2]),
        format!("鑫鑫{}", chars[2]),
    ];
    for query in &typos {
        let want = expected(gd.iter().copied().filter(|r| is_within_one_edit(query, &r.holder_name)));
        assert_eq!(search(format!("name={}", encode(query))).await, want, "name {query}");
    }
    let holder = gd[3];
    let want = expected(gd.iter().copied().filter(|r| r.id_number == holder.id_number));
    assert_eq!(search(format!("id_number={}", holder.id_number)).await, want);
    let want = expected(gd.iter().copied().filter(|r| r.employer_uscc == holder.employer_uscc));
    assert_eq!(search(format!("enterprise={}", holder.employer_uscc)).await, want);
    let year = &holder.issue_date[..4];
    let want = expected(gd.iter().copied().filter(|r| r.issue_date.starts_with(year)));
    assert_eq!(search(format!("issue_year={year}")).await, want);
    for status in ["valid", "expiring", "expired", "revoked"] {
        let want = expected(gd.iter().copied().filter(|r| r.status == status));
        assert_eq!(search(format!("status={status}")).await, want, "status {status}");
    }
    let want =
        expected(gd.iter().copied().filter(|r| r.cert_type == holder.cert_type && r.issue_date.starts_with(year)));
    assert_eq!(search(format!("cert_type={}&issue_year={year}", encode(&holder.cert_type))).await, want);
    assert_eq!(search("department=x%27%20OR%201%3D1%20--".into()).await, BTreeSet::new(), "text is text");

    // Sorted and paged: the pages, in order, are the sorted whole.
    let mut by_number: Vec<String> = gd.iter().map(|r| r.cert_no.clone()).collect();
    by_number.sort();
    let mut paged = Vec::new();
    for page in 1..=3 {
        let body: Value = app
            .get_as(&province, &format!("/api/v1/t/gd/certificates?per_page=7&page={page}"))
            .await
            .json()
            .await
            .unwrap();
        assert_eq!(body["total"], gd.len());
        paged.extend(body["items"].as_array().unwrap().iter().map(|i| i["cert_no"].as_str().unwrap().to_owned()));
    }
    assert_eq!(paged, by_number[..21]);
    let body: Value =
        app.get_as(&province, "/api/v1/t/gd/certificates?sort=-issue_date&per_page=100").await.json().await.unwrap();
    let dates: Vec<&str> =
        body["items"].as_array().unwrap().iter().map(|i| i["issue_date"].as_str().unwrap()).collect();
    assert!(dates.windows(2).all(|w| w[0] >= w[1]), "newest first");
    // The provincial admin sees personal data.
    let first = &body["items"][0];
    let row = gd.iter().find(|r| r.cert_no == first["cert_no"].as_str().unwrap()).unwrap();
    assert_eq!(first["id_number"], row.id_number.as_str());
    assert_eq!(first["holder_name"], row.holder_name.as_str());
}

#[tokio::test]
async fn a_search_covers_only_what_the_caller_may_read() {
    let app = spawn_app().await;
    let rows = app.seed(80, 37).await;
    let gd: Vec<&SeededRow> = rows.iter().filter(|r| r.tenant == "gd").collect();
    let own = gd[0];
    let registered = app.register_enterprise(&own.employer_uscc, "boss", PASSWORD).await;
    let boss = app.sign_in_totp("boss", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    let (total, numbers) = all_numbers(&app, &boss, "sort=cert_no").await;
    let want = expected(gd.iter().copied().filter(|r| r.employer_uscc == own.employer_uscc));
    assert_eq!(numbers.into_iter().collect::<BTreeSet<_>>(), want);
    assert_eq!(total as usize, want.len());
    let body: Value = app
        .get_as(&boss, &format!("/api/v1/t/gd/certificates?id_number={}", own.id_number))
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(body["items"][0]["id_number"], own.id_number.as_str(), "the enterprise sees its staff in full");

    // The platform operator: the whole province, masked.
    let body: Value = app.get("/api/v1/t/gd/certificates?per_page=100").await.json().await.unwrap();
    assert_eq!(body["total"], gd.len());
    for item in body["items"].as_array().unwrap() {
        assert!(item["id_number"].as_str().unwrap().contains("****"));
        assert!(item["holder_name"].as_str().unwrap().contains('*'));
    }
    // Another enterprise's certificate cannot be found, even by its ID number.
    let stranger = gd.iter().find(|r| r.employer_uscc != own.employer_uscc).unwrap();
    let body: Value = app
        .get_as(&boss, &format!("/api/v1/t/gd/certificates?id_number={}", stranger.id_number))
        .await
        .json()
        .await
        .unwrap();
    let found: Vec<&str> = body["items"].as_array().unwrap().iter().map(|i| i["cert_no"].as_str().unwrap()).collect();
    assert!(!found.contains(&stranger.cert_no.as_str()) || stranger.id_number == own.id_number);
    // Nothing in another province, nothing for a role that reads no certificates.
    assert_eq!(app.get_as(&boss, "/api/v1/t/js/certificates").await.status(), 403);
    assert_eq!(app.get_as(&boss, "/api/v1/t/js/autocomplete?q=JS").await.status(), 403);
    assert_eq!(app.get("/api/v1/t/gd/certificates").await.status(), 200);
    assert_eq!(app.client.get(app.url("/api/v1/t/gd/certificates")).send().await.unwrap().status(), 401);

    // Autocomplete: names and numbers that start with what was typed, in reach.
    let first: String = own.holder_name.chars().take(1).collect();
    let found: Value =
        app.get_as(&boss, &format!("/api/v1/t/gd/autocomplete?q={}", encode(&first))).await.json().await.unwrap();
    let found = found.as_array().unwrap();
    assert!(!found.is_empty() && found.len() <= 10);
    for s in found {
        let row = gd.iter().find(|r| r.cert_no == s["cert_no"].as_str().unwrap()).unwrap();
        assert_eq!(row.employer_uscc, own.employer_uscc, "only the enterprise's own");
        assert!(row.holder_name.starts_with(&first));
        assert_eq!(s["holder_name"], row.holder_name.as_str());
    }
    let prefix = &own.cert_no[..6];
    let found: Value = app.get_as(&boss, &format!("/api/v1/t/gd/autocomplete?q={prefix}")).await.json().await.unwrap();
    assert!(found.as_array().unwrap().iter().any(|s| s["cert_no"] == own.cert_no.as_str()));
}

#[tokio::test]
async fn malformed_searches_get_clear_answers() {
    let app = spawn_app().await;
    app.seed(10, 41).await;
    let invalid = |query: &'static str| {
        let app = &app;
        async move { error_of(app.get(&format!("/api/v1/t/gd/certificates?{query}")).await).await }
    };
    let unprocessable = (422, "invalid_input".to_owned());
    for query in [
        "name=%3Cscript%3E",
        "name=%E5%BC%A0%25",
        "id_number=110105194912310021",
        "enterprise=91440300MA5F1H9M2X",
        "per_page=0",
        "per_page=101",
        "page=0",
        "page=9999",
        "sort=evil",
        "status=maybe",
        "issue_year=1800",
    ] {
        assert_eq!(invalid(query).await, unprocessable, "{query}");
    }
    assert_eq!(invalid("issue_year=abc").await.0, 400);
    assert_eq!(invalid("per_page=-1").await.0, 400);
    let long = format!("/api/v1/t/gd/certificates?name={}", encode(&"张".repeat(41)));
    assert_eq!(app.get(&long).await.status(), 422);
    assert_eq!(app.get("/api/v1/t/zz/certificates").await.status(), 404);
    assert_eq!(app.get("/api/v1/t/gd/autocomplete").await.status(), 400);
    assert_eq!(app.get("/api/v1/t/gd/autocomplete?q=%25").await.status(), 422);
    assert_eq!(app.get("/api/v1/t/gd/autocomplete?q=").await.status(), 422);
    // The messages come in the caller's language.
    let res = app.get_lang("/api/v1/t/gd/certificates?sort=evil", "ug").await;
    let body: Value = res.json().await.unwrap();
    assert_ne!(
        body["error"]["message"],
        app.get_lang("/api/v1/t/gd/certificates?sort=evil", "en").await.json::<Value>().await.unwrap()["error"]["message"]
    );
}
