use std::process::{Child, Command, Stdio};

use chrono::NaiveDate;
use safecert_domain::{CertNo, Revocation, RevocationKind, TenantSlug};
use safecert_tests::{SpawnOptions, TestApp, spawn_app, spawn_app_with};

async fn status_of(app: &TestApp, tenant: &str, cert_no: &str) -> (u16, String) {
    let res = app.get(&format!("/api/v1/t/{tenant}/certificates/{cert_no}")).await;
    let code = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap();
    (code, body["status"].as_str().unwrap_or_default().to_owned())
}

async fn revoke(app: &TestApp, tenant: &str, cert_no: &str) {
    let revocation = Revocation {
        kind: RevocationKind::Revoked,
        on: NaiveDate::from_ymd_opt(2026, 1, 1).unwrap(),
        reason: "test".into(),
    };
    let changed = app
        .platform
        .store
        .revoke(&TenantSlug::parse(tenant).unwrap(), &CertNo::parse(cert_no).unwrap(), &revocation)
        .await
        .unwrap();
    assert!(changed);
}

#[tokio::test]
async fn a_changed_certificate_is_not_served_stale_from_the_cache() {
    let app = spawn_app().await;
    let rows = app.seed(40, 11).await;
    let cert = rows.iter().find(|r| r.status == "valid").unwrap();
    assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await, (200, "valid".into()));
    assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await, (200, "valid".into()), "now cached");
    assert_eq!(verified_status(&app, cert).await, "valid");
    revoke(&app, &cert.tenant, &cert.cert_no).await;
    assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await, (200, "revoked".into()));
    assert_eq!(verified_status(&app, cert).await, "revoked", "the national directory changed too");
}

async fn verified_status(app: &TestApp, cert: &safecert_tests::SeededRow) -> String {
    let query = super::verify::url_encode(&[("cert_no", &cert.cert_no), ("name", &cert.holder_name)]);
    let body: serde_json::Value = app.get(&format!("/api/v1/verify?{query}")).await.json().await.unwrap();
    body["certificate"]["status"].as_str().unwrap_or_default().to_owned()
}

#[tokio::test]
async fn many_requests_at_once_for_a_number_not_yet_cached_read_it_from_the_database_once() {
    let app = std::sync::Arc::new(spawn_app().await);
    let rows = app.seed(10, 29).await;
    let no = CertNo::parse(&rows[0].cert_no).unwrap();
    let before = app.platform.store.cache().stats().misses;
    // All started before any read can finish.
    let mut asking = tokio::task::JoinSet::new();
    for _ in 0..64 {
        let (app, no) = (std::sync::Arc::clone(&app), no.clone());
        asking.spawn(async move { app.platform.store.public_entry(&no).await.map(|e| e.is_some()) });
    }
    assert!(asking.join_all().await.into_iter().all(|found| found.unwrap()));
    assert_eq!(app.platform.store.cache().stats().misses - before, 1, "64 requests for one new number");
}

#[tokio::test]
async fn lookups_answer_from_the_database_when_redis_is_unreachable() {
    // Nothing listens on port 1.
    let app =
        spawn_app_with(SpawnOptions { redis_url: Some("redis://127.0.0.1:1".into()), ..Default::default() }).await;
    let rows = app.seed(10, 2).await;
    let cert = &rows[0];
    for _ in 0..3 {
        let (code, status) = status_of(&app, &cert.tenant, &cert.cert_no).await;
        assert_eq!(code, 200);
        assert_eq!(status, cert.status);
    }
}

struct RedisServer {
    child: Child,
    port: u16,
}

impl RedisServer {
    fn start() -> Self {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let child = Command::new("redis-server")
            .args(["--port", &port.to_string(), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"])
            .stdout(Stdio::null())
            .spawn()
            .expect("redis-server must be installed for this test (README: set-up)");
        for _ in 0..50 {
            if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
                break;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        Self { child, port }
    }
}

impl Drop for RedisServer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test]
async fn lookups_keep_answering_when_redis_stops_mid_run_and_see_changes_after() {
    let mut redis = RedisServer::start();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(SpawnOptions { redis_url: Some(url), ..Default::default() }).await;
    let rows = app.seed(30, 4).await;
    let valid: Vec<_> = rows.iter().filter(|r| r.status == "valid").take(2).collect();
    for cert in &valid {
        assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await.0, 200);
    }
    let before = app.platform.store.cache().stats();
    assert!(before.misses > 0, "first lookups went to the database through the cache");

    redis.child.kill().unwrap();
    redis.child.wait().unwrap();
    for cert in &valid {
        assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await, (200, "valid".into()), "served without Redis");
    }
    // A certificate never looked up before comes straight from the database.
    let fresh = rows.iter().rev().find(|r| r.status == "expired").unwrap();
    assert_eq!(status_of(&app, &fresh.tenant, &fresh.cert_no).await, (200, "expired".into()));
    // A change while Redis is down is still seen.
    revoke(&app, &valid[0].tenant, &valid[0].cert_no).await;
    assert_eq!(status_of(&app, &valid[0].tenant, &valid[0].cert_no).await, (200, "revoked".into()));
}

/// The keys Redis holds that match `pattern` (Redis's inline protocol).
fn redis_keys(port: u16, pattern: &str) -> String {
    use std::io::{Read, Write};
    let mut conn = std::net::TcpStream::connect(("127.0.0.1", port)).unwrap();
    conn.set_read_timeout(Some(std::time::Duration::from_secs(2))).unwrap();
    conn.write_all(format!("KEYS {pattern}\r\n").as_bytes()).unwrap();
    let mut reply = vec![0; 4096];
    let n = conn.read(&mut reply).unwrap();
    String::from_utf8_lossy(&reply[..n]).into_owned()
}

#[tokio::test]
async fn a_certificate_read_from_the_database_is_stored_in_redis_for_other_replicas() {
    let redis = RedisServer::start();
    let url = format!("redis://127.0.0.1:{}", redis.port);
    let app = spawn_app_with(SpawnOptions { redis_url: Some(url), ..Default::default() }).await;
    let rows = app.seed(30, 4).await;
    let cert = &rows[0];
    assert_eq!(status_of(&app, &cert.tenant, &cert.cert_no).await.0, 200);
    // Stored after the answer, by the writer: within moments.
    let pattern = format!("*cert:{}:{}", cert.tenant, cert.cert_no);
    let mut keys = String::new();
    for _ in 0..100 {
        keys = redis_keys(redis.port, &pattern);
        if keys.contains(&cert.cert_no) {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    assert!(keys.contains(&cert.cert_no), "not in Redis: {keys:?}");
}
