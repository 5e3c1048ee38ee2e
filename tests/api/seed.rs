use std::collections::HashSet;

use chrono::NaiveDate;
use safecert_domain::{IdNumber, Uscc};
use safecert_tests::spawn_app;

#[tokio::test]
async fn seeded_data_is_valid_varied_and_spread_over_every_status() {
    let app = spawn_app().await;
    let rows = app.seed(150, 5).await;
    assert_eq!(rows.len(), 150 * 4);
    let mut numbers = HashSet::new();
    for r in &rows {
        IdNumber::parse(&r.id_number).unwrap_or_else(|e| panic!("{}: {e}", r.id_number));
        Uscc::parse(&r.employer_uscc).unwrap_or_else(|e| panic!("{}: {e}", r.employer_uscc));
        assert!(numbers.insert(r.cert_no.clone()), "duplicate number {}", r.cert_no);
        assert!(r.holder_name.chars().count() >= 2);
    }
    let statuses: HashSet<&str> = rows.iter().map(|r| r.status.as_str()).collect();
    for s in ["valid", "expiring", "expired", "revoked", "suspended"] {
        assert!(statuses.contains(s), "no {s} certificate");
    }
    let types: HashSet<&str> = rows.iter().map(|r| r.cert_type.as_str()).collect();
    assert!(types.len() >= 3, "several certificate types: {types:?}");
    let special = rows.iter().find(|r| r.cert_type == "特种作业操作证").unwrap();
    assert_eq!(special.cert_no, format!("T{}", special.id_number), "special-operations numbers are T + ID number");
    for tenant in ["gd", "js", "xj", "bj"] {
        let slug = safecert_domain::TenantSlug::parse(tenant).unwrap();
        assert_eq!(app.platform.store.count(&slug).await.unwrap(), 150, "{tenant} holds what the export lists");
    }
}

#[tokio::test]
async fn the_same_seed_and_date_give_the_same_data() {
    let as_of = NaiveDate::from_ymd_opt(2026, 6, 30).unwrap();
    let a = spawn_app().await.seed_as_of(50, 99, as_of).await;
    let b = spawn_app().await.seed_as_of(50, 99, as_of).await;
    let c = spawn_app().await.seed_as_of(50, 100, as_of).await;
    assert_eq!(a, b, "same seed, same export");
    assert_ne!(a, c, "another seed, other data");
}

#[tokio::test]
async fn every_province_accepts_what_the_generator_makes_under_its_own_rules() {
    let app =
        safecert_tests::spawn_app_with(safecert_tests::SpawnOptions { tenants: None, ..Default::default() }).await;
    let rows = app.seed(12, 21).await;
    let mut provinces: Vec<&str> = rows.iter().map(|r| r.tenant.as_str()).collect();
    provinces.dedup();
    assert_eq!(provinces.len(), 32, "every province got certificates");
}
