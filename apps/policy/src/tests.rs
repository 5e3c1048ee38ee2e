#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::path::Path;

use crate::*;

const NOW: &str = "2026-11-28T10:00:00";
const ACME: &str = "91440300MA5EXAMPLE";
const OTHER: &str = "91440300MA5OTHERCO";

async fn authorizer(grants: Vec<Grant>) -> Authorizer {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    Authorizer::new(PolicyFiles::load(&dir).unwrap(), grants).await.unwrap()
}

fn cert(region: &str, enterprise: &str, dept: &str, holder: &str) -> Resource {
    Resource::new(ObjectKind::Certificate, "gd").region(region).enterprise(enterprise).dept(dept).holder(holder)
}

fn grant(account_id: i64, kind: GrantKind, value: &str, action: Action, until: Option<&str>) -> Grant {
    Grant {
        account_id,
        role: Role::Regulator,
        tenant: "gd".into(),
        object: ObjectKind::Certificate,
        action,
        target: GrantTarget { kind, value: value.into() },
        effect: GrantEffect::Allow,
        until: until.map(str::to_owned),
    }
}

fn allowed(a: &Authorizer, s: &Subject, r: &Resource, act: Action) -> bool {
    a.decide_at(s, &r.tenant, r, act, NOW).is_allowed()
}

#[tokio::test]
async fn a_department_admin_sees_the_subtree_of_their_department_only() {
    let a = authorizer(vec![]).await;
    let admin = Subject::new(1, Role::DepartmentAdmin, "gd").enterprise(ACME).dept("/1/2/");
    assert!(allowed(&a, &admin, &cert("440305", ACME, "/1/2/", "h1"), Action::Read));
    assert!(allowed(&a, &admin, &cert("440305", ACME, "/1/2/5/", "h1"), Action::ReadPersonal));
    assert!(!allowed(&a, &admin, &cert("440305", ACME, "/1/3/", "h1"), Action::Read));
    assert!(!allowed(&a, &admin, &cert("440305", OTHER, "/1/2/", "h1"), Action::Read));
    assert!(!allowed(&a, &admin, &cert("440305", ACME, "/1/2/", "h1"), Action::Export));
}

#[tokio::test]
async fn empty_attributes_never_match() {
    let a = authorizer(vec![]).await;
    let nobody = Subject::new(2, Role::EnterpriseAdmin, "gd");
    assert!(!allowed(&a, &nobody, &cert("440305", "", "", ""), Action::Read));
    let unbound = Subject::new(3, Role::Individual, "gd");
    assert!(!allowed(&a, &unbound, &cert("440305", ACME, "/1/", ""), Action::Read));
}

#[tokio::test]
async fn a_regulator_sees_their_region_and_not_the_next_city() {
    let a = authorizer(vec![]).await;
    let shenzhen = Subject::new(4, Role::Regulator, "gd").region("4403");
    assert!(allowed(&a, &shenzhen, &cert("440305", ACME, "", ""), Action::ReadPersonal));
    assert!(!allowed(&a, &shenzhen, &cert("440105", ACME, "", ""), Action::Read));
    // Nor the same region code in another tenant.
    let elsewhere = Resource { tenant: "js".into(), ..cert("440305", ACME, "", "") };
    assert!(!allowed(&a, &shenzhen, &elsewhere, Action::Read));
}

#[tokio::test]
async fn a_region_grant_opens_the_region_until_it_ends() {
    let a = authorizer(vec![grant(4, GrantKind::Region, "4401", Action::Read, Some("2026-11-28T12:00:00"))]).await;
    let shenzhen = Subject::new(4, Role::Regulator, "gd").region("4403");
    let guangzhou = cert("440105", ACME, "", "");
    assert!(a.decide_at(&shenzhen, "gd", &guangzhou, Action::Read, NOW).is_allowed());
    assert!(!a.decide_at(&shenzhen, "gd", &guangzhou, Action::ReadPersonal, NOW).is_allowed());
    assert!(!a.decide_at(&shenzhen, "gd", &guangzhou, Action::Read, "2026-11-28T12:00:00").is_allowed());
    let other_regulator = Subject::new(5, Role::Regulator, "gd").region("4403");
    assert!(!a.decide_at(&other_regulator, "gd", &guangzhou, Action::Read, NOW).is_allowed());
}

#[tokio::test]
async fn a_deny_grant_takes_away_what_the_role_gives() {
    let mut less = grant(6, GrantKind::Department, "/1/9/", Action::Export, None);
    less.effect = GrantEffect::Deny;
    less.role = Role::EnterpriseAdmin;
    let a = authorizer(vec![less]).await;
    let admin = Subject::new(6, Role::EnterpriseAdmin, "gd").enterprise(ACME);
    assert!(allowed(&a, &admin, &cert("440305", ACME, "/1/2/", ""), Action::Export));
    assert!(!allowed(&a, &admin, &cert("440305", ACME, "/1/9/4/", ""), Action::Export));
    assert!(allowed(&a, &admin, &cert("440305", ACME, "/1/9/4/", ""), Action::Read));
}

#[tokio::test]
async fn scope_names_the_slices_a_query_may_cover() {
    let mut more = grant(7, GrantKind::Department, "/1/5/", Action::Read, None);
    more.role = Role::Employee;
    let a = authorizer(vec![more]).await;
    let member = Subject::new(7, Role::Employee, "gd").enterprise(ACME).dept("/1/2/").holder("h7");
    let scope = a.scope_at(&member, "gd", ObjectKind::Certificate, Action::Read, NOW);
    assert!(!scope.whole_tenant);
    assert!(scope.covers("440305", ACME, "/1/5/3/", "someone"));
    assert!(scope.covers("440305", OTHER, "", "h7"));
    assert!(!scope.covers("440305", ACME, "/1/2/", "someone"));
    let province = Subject::new(8, Role::ProvincialAdmin, "gd").region("44");
    assert!(a.scope_at(&province, "gd", ObjectKind::Certificate, Action::Read, NOW).whole_tenant);
    assert!(a.scope_at(&province, "js", ObjectKind::Certificate, Action::Read, NOW).is_empty());
}

#[tokio::test]
async fn ten_thousand_grants_still_decide_by_the_callers_lines_only() {
    let grants: Vec<Grant> =
        (0..10_000).map(|i| grant(1000 + i, GrantKind::Region, "4401", Action::Read, None)).collect();
    let a = authorizer(grants).await;
    assert_eq!(a.grant_holders(), 10_000);
    let holder = Subject::new(1500, Role::Regulator, "gd").region("4403");
    assert!(allowed(&a, &holder, &cert("440105", "", "", ""), Action::Read));
    let stranger = Subject::new(99, Role::Regulator, "gd").region("4403");
    assert!(!allowed(&a, &stranger, &cert("440105", "", "", ""), Action::Read));
}

#[test]
fn a_malformed_role_line_names_its_file_and_line() {
    let err = PolicyFiles::parse("", "# c\np, x, *, spaceship, read, \"true\"\n", "").unwrap_err();
    assert_eq!(err.to_string(), "roles.csv:2: unknown object \"spaceship\"");
}

#[test]
fn a_condition_the_model_does_not_spell_out_is_refused() {
    let model = "m = (p.cond == \"any\")";
    assert!(PolicyFiles::parse(model, "p, x, *, certificate, read, any\n", "").is_ok());
    let err = PolicyFiles::parse(model, "p, x, *, certificate, read, everything\n", "").unwrap_err();
    assert_eq!(err.to_string(), "roles.csv:1: condition \"everything\" is not written out in model.conf");
}

#[tokio::test]
async fn an_api_key_does_no_more_than_its_scopes_nor_more_than_its_account() {
    let a = authorizer(vec![]).await;
    let admin = Subject::new(6, Role::EnterpriseAdmin, "gd").enterprise(ACME);
    let key = admin.clone().limited_to("certificate:read");
    let own = cert("440305", ACME, "/1/", "h1");
    assert!(allowed(&a, &key, &own, Action::Read));
    assert!(!allowed(&a, &key, &own, Action::ReadPersonal), "read_personal is not in the key's scopes");
    assert!(allowed(&a, &admin, &own, Action::ReadPersonal), "the account itself may");
    assert!(!allowed(&a, &key, &cert("440305", OTHER, "/1/", "h1"), Action::Read), "nor beyond the account");
    let departments = Resource::new(ObjectKind::Department, "gd").enterprise(ACME);
    assert!(!allowed(&a, &key, &departments, Action::Manage));
    assert!(!allowed(&a, &admin.limited_to(""), &own, Action::Read), "empty scopes cover nothing");
}

#[tokio::test]
async fn an_sme_subscriber_manages_the_enterprises_linked_to_it_and_no_other() {
    let link = |object, action| Grant {
        account_id: 7,
        role: Role::SmeSubscriber,
        tenant: "gd".into(),
        object,
        action,
        target: GrantTarget { kind: GrantKind::Enterprise, value: ACME.into() },
        effect: GrantEffect::Allow,
        until: None,
    };
    let a = authorizer(vec![
        link(ObjectKind::Certificate, Action::ReadPersonal),
        link(ObjectKind::Department, Action::Manage),
    ])
    .await;
    let subscriber = Subject::new(7, Role::SmeSubscriber, "bj");
    assert!(allowed(&a, &subscriber, &cert("440305", ACME, "/4/", "h1"), Action::ReadPersonal));
    assert!(allowed(&a, &subscriber, &Resource::new(ObjectKind::Department, "gd").enterprise(ACME), Action::Manage));
    assert!(!allowed(&a, &subscriber, &cert("440305", OTHER, "/4/", "h1"), Action::ReadPersonal));
    assert!(!allowed(&a, &subscriber, &cert("440305", ACME, "/4/", "h1"), Action::Export));
    let scope = a.scope_at(&subscriber, "gd", ObjectKind::Certificate, Action::ReadPersonal, NOW);
    assert_eq!(scope.slices, vec![ScopeProbe { enterprise: Some(ACME.into()), ..ScopeProbe::default() }]);
}

#[tokio::test]
async fn only_an_approved_institution_may_upload_training_records() {
    let a = authorizer(vec![]).await;
    let records = Resource::new(ObjectKind::TrainingRecord, "gd");
    assert!(!allowed(&a, &Subject::new(8, Role::InstitutionApplicant, "gd"), &records, Action::Upload));
    assert!(allowed(&a, &Subject::new(8, Role::Institution, "gd"), &records, Action::Upload));
    let elsewhere = Resource::new(ObjectKind::TrainingRecord, "js");
    assert!(!allowed(&a, &Subject::new(8, Role::Institution, "gd"), &elsewhere, Action::Upload));
}

#[tokio::test]
async fn a_new_grant_set_rebuilds_only_the_groups_that_changed() {
    let mut grants: Vec<Grant> =
        (0..2_000).map(|i| grant(1000 + i, GrantKind::Region, "4401", Action::Read, None)).collect();
    let a = authorizer(grants.clone()).await;
    let newcomer = Subject::new(5000, Role::Regulator, "gd").region("4403");
    let guangzhou = cert("440105", "", "", "");
    assert!(!allowed(&a, &newcomer, &guangzhou, Action::Export));

    // One grant in another group: the 2,000 read grants are not rebuilt.
    grants.push(grant(5000, GrantKind::Region, "4401", Action::Export, None));
    a.replace_grants(grants.clone()).await.unwrap();
    assert!(allowed(&a, &newcomer, &guangzhou, Action::Export));
    assert!(allowed(&a, &Subject::new(1500, Role::Regulator, "gd").region("4403"), &guangzhou, Action::Read));

    // Taking one away again.
    grants.retain(|g| g.account_id != 1500);
    a.replace_grants(grants).await.unwrap();
    assert!(!allowed(&a, &Subject::new(1500, Role::Regulator, "gd").region("4403"), &guangzhou, Action::Read));
    assert!(allowed(&a, &newcomer, &guangzhou, Action::Export));
}

#[tokio::test]
async fn role_decisions_are_remembered_and_grant_decisions_never() {
    let a = authorizer(vec![grant(9, GrantKind::Region, "4401", Action::Read, Some("2026-11-28T12:00:00"))]).await;
    let shenzhen = Subject::new(10, Role::Regulator, "gd").region("4403");
    let inside = cert("440305", ACME, "", "");
    let outside = cert("440105", ACME, "", "");
    for _ in 0..3 {
        assert!(allowed(&a, &shenzhen, &inside, Action::Read));
        assert!(!allowed(&a, &shenzhen, &outside, Action::Read));
    }
    assert_eq!(a.remembered.len(), 2, "one answer per distinct request");
    // Another account of the same role and reach asks the same question.
    let colleague = Subject::new(11, Role::Regulator, "gd").region("4403");
    assert!(allowed(&a, &colleague, &inside, Action::Read));
    assert_eq!(a.remembered.len(), 2);
    // The grant holder's answer follows the time, call after call.
    let holder = Subject::new(9, Role::Regulator, "gd").region("4403");
    assert!(a.decide_at(&holder, "gd", &outside, Action::Read, NOW).is_allowed());
    assert!(!a.decide_at(&holder, "gd", &outside, Action::Read, "2026-11-28T12:00:00").is_allowed());
    assert_eq!(a.remembered.len(), 2);
}

#[test]
fn no_two_requests_share_a_remembered_key() {
    let s = Subject::new(1, Role::Regulator, "gd");
    let all = crate::reads::Reads::ALL;
    let a = crate::remembered::key(&s.clone().region("44"), "gd", &cert("0", "", "", ""), Action::Read, all);
    let b = crate::remembered::key(&s.region("440"), "gd", &cert("", "", "", ""), Action::Read, all);
    assert_ne!(a, b);
}

#[tokio::test]
async fn answers_are_kept_by_what_the_role_reads_of_the_certificate() {
    let a = authorizer(vec![]).await;
    let platform = Subject::new(20, Role::PlatformAdmin, "gd");
    let shenzhen = Subject::new(21, Role::Regulator, "gd").region("4403");
    let acme = Subject::new(22, Role::EnterpriseAdmin, "gd").enterprise(ACME);
    let certs =
        [cert("440305", ACME, "/1/", "h1"), cert("440305", OTHER, "/2/", "h2"), cert("440105", ACME, "/1/", "h3")];
    for c in &certs {
        assert!(allowed(&a, &platform, c, Action::Read));
    }
    assert_eq!(a.remembered.len(), 1, "a platform administrator's lines read nothing of a certificate");
    let seen: Vec<bool> = certs.iter().map(|c| allowed(&a, &shenzhen, c, Action::Read)).collect();
    assert_eq!(seen, [true, true, false]);
    assert_eq!(a.remembered.len(), 3, "a regulator's answers are kept by region only");
    let seen: Vec<bool> = certs.iter().map(|c| allowed(&a, &acme, c, Action::Read)).collect();
    assert_eq!(seen, [true, false, true]);
    assert_eq!(a.remembered.len(), 5, "an enterprise administrator's by enterprise only");
}

/// The `r.obj.<attribute>` names a piece of the matcher reads.
fn object_attributes(text: &str) -> Vec<&str> {
    text.match_indices("r.obj.")
        .map(|(at, m)| {
            let rest = &text[at + m.len()..];
            &rest[..rest.find(|c: char| !c.is_ascii_alphanumeric() && c != '_').unwrap_or(rest.len())]
        })
        .collect()
}

#[test]
fn what_each_condition_reads_is_what_the_model_reads() {
    use crate::reads::Reads;
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../policies");
    let files = PolicyFiles::load(&dir).unwrap();
    let matcher = &files.model[files.model.find("[matchers]").unwrap()..];
    let mut pieces = matcher.split("p.cond == \"");
    // Before the first condition the matcher reads only the kind.
    assert!(object_attributes(pieces.next().unwrap()).iter().all(|a| *a == "kind"));
    let probe = cert("region", "enterprise", "dept", "holder");
    let mut conditions = 0;
    for piece in pieces {
        let (condition, body) = piece.split_once('"').unwrap();
        let reads = Reads::of_condition(condition);
        assert_ne!(reads, Reads::ALL, "{condition} is written out in Reads::of_condition");
        let kept: Vec<&str> = reads.of(&probe).collect();
        for attribute in object_attributes(body) {
            assert!(kept.contains(&attribute), "{condition} reads r.obj.{attribute}; Reads must keep it");
        }
        conditions += 1;
    }
    assert!(conditions >= 9, "the matcher's conditions were found ({conditions})");
    // Every condition a role line uses is one of them.
    for line in &files.role_lines {
        assert_ne!(Reads::of_condition(&line[4]), Reads::ALL, "role line condition {}", line[4]);
    }
}
