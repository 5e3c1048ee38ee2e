//! An account's own queries: every query is logged (personal numbers
//! masked) and shown back as its history; searches are saved under a name
//! and run again; certificates are kept as favorites while they may be
//! read.

use std::time::{Duration, Instant};

use safecert_storage::LoggedQuery;
use safecert_tests::{SeededRow, TestApp, error_of, spawn_app};
use serde_json::{Value, json};

const PASSWORD: &str = "Safe-Cert-2026!";

async fn enterprise_admin(app: &TestApp, rows: &[SeededRow]) -> (String, SeededRow) {
    let own = rows.iter().find(|r| r.tenant == "gd").unwrap().clone();
    let registered = app.register_enterprise(&own.employer_uscc, "boss", PASSWORD).await;
    let token = app.sign_in_totp("boss", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    (token, own)
}

#[tokio::test]
async fn every_query_is_logged_with_personal_numbers_masked_and_shown_as_history() {
    let app = spawn_app().await;
    let rows = app.seed(20, 43).await;
    let (boss, own) = enterprise_admin(&app, &rows).await;
    let name: String = own.holder_name.chars().take(2).collect();
    for path in [
        format!("/api/v1/t/gd/certificates/{}", own.cert_no),
        format!("/api/v1/t/gd/certificates/{}?view=detailed", own.cert_no),
        format!("/api/v1/t/gd/certificates?id_number={}", own.id_number),
        "/api/v1/t/gd/autocomplete?q=GD20".to_owned(),
    ] {
        assert_eq!(app.get_as(&boss, &path).await.status(), 200, "{path}");
    }
    let res = app.get_as(&boss, &format!("/api/v1/t/gd/certificates?name={}", urlencode(&name))).await;
    assert!(res.status().is_success());

    let started = Instant::now();
    let history = loop {
        let history: Value = app.get_as(&boss, "/api/v1/me/queries").await.json().await.unwrap();
        if history.as_array().unwrap().len() >= 4 || started.elapsed() > Duration::from_secs(5) {
            break history;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    };
    let entries = history.as_array().unwrap();
    let kinds: Vec<&str> = entries.iter().map(|e| e["kind"].as_str().unwrap()).collect();
    assert_eq!(kinds, ["search", "search", "detail", "lookup"], "newest first; keystrokes are not logged");
    assert!(entries.iter().all(|e| e["tenant_slug"] == "gd" && !e["ip"].as_str().unwrap().is_empty()));
    let text = history.to_string();
    assert!(!text.contains(&own.id_number), "the ID number is never kept: {text}");
    assert!(text.contains(&format!("id_number={}********{}", &own.id_number[..6], &own.id_number[14..])));
    // Nobody else's history has them.
    let other: Value = app.get("/api/v1/me/queries").await.json().await.unwrap();
    assert!(!other.to_string().contains(&own.cert_no));
    // Keys keep none.
    let key = app.read_key(&boss).await;
    assert_eq!(app.get_as(&key, "/api/v1/me/queries").await.status(), 403);
}

/// The signed-in account's id, as `/api/v1/me` gives it.
async fn account_id_of(app: &TestApp, token: &str) -> i32 {
    let me: Value = app.get_as(token, "/api/v1/me").await.json().await.unwrap();
    i32::try_from(me["account_id"].as_i64().unwrap()).unwrap()
}

#[tokio::test]
async fn history_lists_queries_by_when_they_were_asked_not_by_when_they_were_stored() {
    let app = spawn_app().await;
    let rows = app.seed(20, 47).await;
    let (boss, _) = enterprise_admin(&app, &rows).await;
    let account_id = account_id_of(&app, &boss).await;
    let asked = |seconds_ago: i64, query: &str| {
        let at = chrono::Utc::now() - chrono::Duration::seconds(seconds_ago);
        LoggedQuery::asked(at, (account_id, None), "gd", "lookup", query.into(), "127.0.0.1".parse().ok())
    };
    // Two batches in flight at once: the later one is stored first.
    let dbs = app.platform.store.databases();
    dbs.log_queries(&[asked(1, "cert_no=THIRD")]).await.unwrap();
    dbs.log_queries(&[asked(3, "cert_no=FIRST"), asked(2, "cert_no=SECOND")]).await.unwrap();
    let history = settled_history(&app, &boss).await;
    let queries: Vec<&str> = history.iter().map(|e| e["query"].as_str().unwrap()).collect();
    assert_eq!(queries, ["cert_no=THIRD", "cert_no=SECOND", "cert_no=FIRST"], "newest asked first");
    let at = chrono::DateTime::parse_from_rfc3339(history[0]["at"].as_str().unwrap()).unwrap().to_utc();
    let off = (chrono::Utc::now() - chrono::Duration::seconds(1) - at).num_seconds().abs();
    assert!(off < 30, "kept at the moment it was asked, not {at}");
}

#[tokio::test]
async fn a_stopping_service_writes_the_queries_it_has_gathered_before_it_stops() {
    let app = spawn_app().await;
    let rows = app.seed(20, 59).await;
    let (boss, own) = enterprise_admin(&app, &rows).await;
    let account_id = account_id_of(&app, &boss).await;
    let lookup = format!("/api/v1/t/gd/certificates/{}", own.cert_no);
    for _ in 0..3 {
        assert_eq!(app.get_as(&boss, &lookup).await.status(), 200);
    }
    // Well within the writer's gathering second.
    let started = Instant::now();
    app.platform.query_log.finish(Duration::from_secs(5)).await;
    assert!(started.elapsed() < Duration::from_secs(5), "the writer stopped of itself");
    let logged = app.platform.store.databases().query_history(account_id, 10).await.unwrap();
    let seen: Vec<(&str, i32)> = logged.iter().map(|r| (r.query.as_str(), r.count)).collect();
    assert_eq!(seen, [(format!("cert_no={}", own.cert_no).as_str(), 3)], "written, the repeats folded");
    assert_eq!(app.platform.query_log.dropped(), 0);
}

fn urlencode(s: &str) -> String {
    s.bytes().map(|b| if b.is_ascii_alphanumeric() { (b as char).to_string() } else { format!("%{b:02X}") }).collect()
}

#[tokio::test]
async fn a_saved_search_runs_again_and_names_are_the_accounts_own() {
    let app = spawn_app().await;
    let rows = app.seed(20, 47).await;
    let (boss, own) = enterprise_admin(&app, &rows).await;
    let year: i32 = own.issue_date[..4].parse().unwrap();
    let body = json!({ "name": format!("{year}年发证"), "tenant": "gd", "query": { "issue_year": year, "sort": "-expiry_date" } });
    let res = app.post_as(&boss, "/api/v1/me/saved-queries", &body).await;
    assert_eq!(res.status(), 201);
    let saved: Value = res.json().await.unwrap();
    let path = saved["path"].as_str().unwrap();
    assert_eq!(path, format!("/api/v1/t/gd/certificates?issue_year={year}&sort=-expiry_date"));
    let found: Value = app.get_as(&boss, path).await.json().await.unwrap();
    assert!(found["items"].as_array().unwrap().iter().any(|i| i["cert_no"] == own.cert_no.as_str()));

    assert_eq!(error_of(app.post_as(&boss, "/api/v1/me/saved-queries", &body).await).await, (409, "name_taken".into()));
    // The operator may use the same name: names are per account.
    assert_eq!(app.post_as(&app.operator, "/api/v1/me/saved-queries", &body).await.status(), 201);
    for bad in [
        json!({ "name": "x", "tenant": "gd", "query": { "status": "maybe" } }),
        json!({ "name": "", "tenant": "gd", "query": {} }),
        json!({ "name": "x", "tenant": "gd", "query": { "per_page": 1000 } }),
    ] {
        assert_eq!(error_of(app.post_as(&boss, "/api/v1/me/saved-queries", &bad).await).await.0, 422, "{bad}");
    }
    let unknown = json!({ "name": "x", "tenant": "zz", "query": {} });
    assert_eq!(error_of(app.post_as(&boss, "/api/v1/me/saved-queries", &unknown).await).await.0, 404);
    let id = saved["id"].as_i64().unwrap();
    let delete = |path: String| {
        let (app, boss) = (&app, boss.clone());
        async move { app.client.delete(app.url(&path)).bearer_auth(&boss).send().await.unwrap() }
    };
    assert_eq!(delete(format!("/api/v1/me/saved-queries/{id}")).await.status(), 204);
    assert_eq!(error_of(delete(format!("/api/v1/me/saved-queries/{id}")).await).await, (404, "not_saved".into()));
    let list: Value = app.get_as(&boss, "/api/v1/me/saved-queries").await.json().await.unwrap();
    assert_eq!(list, json!([]));

    // Favorites: only certificates the account may read.
    let mark = |path: String| {
        let (app, boss) = (&app, boss.clone());
        async move { app.client.put(app.url(&path)).bearer_auth(&boss).send().await.unwrap() }
    };
    let fav = format!("/api/v1/me/favorites/gd/{}", own.cert_no);
    assert_eq!(mark(fav.clone()).await.status(), 204);
    assert_eq!(mark(fav.clone()).await.status(), 204, "marking twice is fine");
    let stranger = rows.iter().find(|r| r.tenant == "gd" && r.employer_uscc != own.employer_uscc).unwrap();
    let res = mark(format!("/api/v1/me/favorites/gd/{}", stranger.cert_no)).await;
    assert_eq!(error_of(res).await, (404, "certificate_not_found".into()));
    let list: Value = app.get_as(&boss, "/api/v1/me/favorites").await.json().await.unwrap();
    assert_eq!(list.as_array().unwrap().len(), 1);
    assert_eq!(list[0]["certificate"]["id_number"], own.id_number.as_str());
    assert_eq!(delete(fav.clone()).await.status(), 204);
    assert_eq!(error_of(delete(fav).await).await, (404, "not_saved".into()));
}

/// The account's logged queries, once the writer has caught up: it
/// writes a second after the first entry it gathers.
async fn settled_history(app: &TestApp, token: &str) -> Vec<Value> {
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let history: Value = app.get_as(token, "/api/v1/me/queries").await.json().await.unwrap();
    history.as_array().unwrap().clone()
}

#[tokio::test]
async fn privacy_mode_takes_a_fresh_second_factor_and_keeps_queries_out_of_the_log() {
    let app = spawn_app().await;
    let rows = app.seed(20, 53).await;
    let own = rows.iter().find(|r| r.tenant == "gd").unwrap().clone();
    let registered = app.register_enterprise(&own.employer_uscc, "boss", PASSWORD).await;
    let boss = app.sign_in_totp("boss", PASSWORD, registered["totp"]["secret"].as_str().unwrap()).await;
    let recovery = registered["totp"]["recovery_codes"][0].as_str().unwrap().to_owned();
    let lookup = format!("/api/v1/t/gd/certificates/{}", own.cert_no);
    assert_eq!(app.get_as(&boss, &lookup).await.status(), 200);
    assert_eq!(settled_history(&app, &boss).await.len(), 1, "logged as usual");

    let started: Value = app.post_as(&boss, "/api/v1/me/private-queries", &json!({})).await.json().await.unwrap();
    let verify = |challenge: &Value, code: &str| {
        let (app, boss, body) = (&app, boss.clone(), json!({ "challenge": challenge, "code": code }));
        async move { app.post_as(&boss, "/api/v1/me/private-queries/verify", &body).await }
    };
    let wrong = verify(&started["challenge"], "000000").await;
    assert_eq!(wrong.status(), 401);
    // A sign-in challenge does not open privacy mode.
    let sign_in = app.start_sign_in("boss", PASSWORD).await;
    assert_eq!(verify(&sign_in["challenge"], &recovery).await.status(), 401);
    let res = verify(&started["challenge"], &recovery).await;
    assert_eq!(res.status(), 200);
    let me: Value = app.get_as(&boss, "/api/v1/me").await.json().await.unwrap();
    assert!(me["private_until"].is_string(), "{me}");

    assert_eq!(app.get_as(&boss, &lookup).await.status(), 200);
    assert_eq!(app.get_as(&boss, "/api/v1/t/gd/certificates?status=valid").await.status(), 200);
    assert_eq!(settled_history(&app, &boss).await.len(), 1, "nothing logged in privacy mode");

    assert_eq!(app.post_as(&boss, "/api/v1/me/private-queries/end", &json!({})).await.status(), 204);
    assert_eq!(app.get_as(&boss, &lookup).await.status(), 200);
    assert_eq!(settled_history(&app, &boss).await.len(), 2, "logged again");

    // Regulators' queries are always on record; keys have no privacy mode.
    let province = app.staff(&app.operator, "gd", "provincial_admin", "gd.admin", "440000").await;
    let regulator = app.staff(&province, "gd", "regulator", "gd.regulator", "440300").await;
    assert_eq!(app.post_as(&regulator, "/api/v1/me/private-queries", &json!({})).await.status(), 403);
    let key = app.read_key(&boss).await;
    assert_eq!(app.post_as(&key, "/api/v1/me/private-queries", &json!({})).await.status(), 403);
    let audit: Value = app.get_as(&province, "/api/v1/t/gd/audit").await.json().await.unwrap();
    let actions: Vec<&str> = audit.as_array().unwrap().iter().map(|r| r["action"].as_str().unwrap()).collect();
    assert!(actions.contains(&"privacy.start") && actions.contains(&"privacy.end"), "{actions:?}");
}
