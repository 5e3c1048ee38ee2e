use std::{collections::HashMap, sync::Arc};

use casbin::{
    CoreApi, Enforcer,
    rhai::{Dynamic, ImmutableString, Map},
};
use safecert_memo::Current;

use crate::{
    Action, Grant, GrantKind, ObjectKind, PolicyError, PolicyFiles, Resource, Scope, ScopeProbe, Subject,
    attributes::account_key,
    partition::{Chosen, Partitions},
    remembered::{self, Remembered},
};

/// The answer for one resource.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Decision {
    Allow,
    Deny,
}

impl Decision {
    pub fn is_allowed(self) -> bool {
        self == Decision::Allow
    }
}

/// Every authorization decision of the service.
pub struct Authorizer {
    files: PolicyFiles,
    state: Current<State>,
    /// Decisions of role lines alone (they never change while it runs).
    pub(crate) remembered: Remembered,
}

struct State {
    partitions: Partitions,
    /// Grants by account key, for query scopes.
    grants: HashMap<String, Vec<Grant>>,
}

impl State {
    async fn build(files: &PolicyFiles, grants: Vec<Grant>, before: Option<&State>) -> Result<Self, PolicyError> {
        let partitions = match before {
            Some(state) => state.partitions.rebuild(files, &grants).await?,
            None => Partitions::build(files, &grants).await?,
        };
        let mut by_account: HashMap<String, Vec<Grant>> = HashMap::new();
        for g in grants {
            by_account.entry(account_key(g.account_id)).or_default().push(g);
        }
        Ok(Self { partitions, grants: by_account })
    }
}

impl Authorizer {
    pub async fn new(files: PolicyFiles, grants: Vec<Grant>) -> Result<Self, PolicyError> {
        let state = State::build(&files, grants, None).await?;
        Ok(Self { files, state: Current::new(state), remembered: Remembered::default() })
    }

    /// Puts a new set of run-time grants in force (the role templates stay,
    /// and so does every group of grants that did not change).
    pub async fn replace_grants(&self, grants: Vec<Grant>) -> Result<(), PolicyError> {
        let before = self.current();
        let state = State::build(&self.files, grants, Some(&before)).await?;
        self.state.replace(state);
        Ok(())
    }

    /// Whether a grant in force has passed its end (time to reload).
    pub fn has_ended_grants(&self) -> bool {
        let now = now();
        self.current().grants.values().flatten().any(|g| g.until.as_deref().is_some_and(|u| u <= now.as_str()))
    }

    /// How many accounts hold grants.
    pub fn grant_holders(&self) -> usize {
        self.current().partitions.holders()
    }

    fn current(&self) -> Arc<State> {
        self.state.get()
    }

    /// May `subject` do `action` to `resource` in `tenant`, now?
    pub fn decide(&self, subject: &Subject, tenant: &str, resource: &Resource, action: Action) -> Decision {
        self.decide_when(subject, tenant, resource, action, now)
    }

    /// The same, at a given UTC time (`2026-12-31T23:59:59`).
    pub fn decide_at(
        &self,
        subject: &Subject,
        tenant: &str,
        resource: &Resource,
        action: Action,
        now: &str,
    ) -> Decision {
        self.decide_when(subject, tenant, resource, action, || now.to_owned())
    }

    /// The time is only read when a grant could be weighed.
    fn decide_when(
        &self,
        subject: &Subject,
        tenant: &str,
        resource: &Resource,
        action: Action,
        now: impl FnOnce() -> String,
    ) -> Decision {
        let op = (resource.kind, action.as_str());
        let allowed =
            self.state.read(|state| match state.partitions.for_decision(&subject.id, &subject.role, tenant, op) {
                None => false,
                Some(Chosen::WithGrants(enforcer)) => {
                    matches(enforcer, request(subject, tenant, resource, action, &now()))
                }
                Some(Chosen::RoleOnly(enforcer, reads)) => {
                    let key = |key: &mut Vec<u8>| remembered::write_key(key, subject, tenant, resource, action, reads);
                    self.remembered
                        .answer(key, || matches(enforcer, request(subject, tenant, resource, action, &now())))
                }
            });
        if allowed { Decision::Allow } else { Decision::Deny }
    }

    /// What part of `tenant` a query of `kind` by `subject` may cover.
    pub fn scope(&self, subject: &Subject, tenant: &str, kind: ObjectKind, action: Action) -> Scope {
        self.scope_at(subject, tenant, kind, action, &now())
    }

    pub fn scope_at(&self, subject: &Subject, tenant: &str, kind: ObjectKind, action: Action, now: &str) -> Scope {
        let allowed = |probe: &ScopeProbe| {
            let mut r = Resource::new(kind, tenant);
            r.region = probe.region.clone().unwrap_or_default();
            r.enterprise = probe.enterprise.clone().unwrap_or_default();
            r.dept = probe.dept.clone().unwrap_or_default();
            r.holder = probe.holder.clone().unwrap_or_default();
            self.decide_at(subject, tenant, &r, action, now).is_allowed()
        };
        if allowed(&ScopeProbe::default()) {
            return Scope { whole_tenant: true, ..Scope::default() };
        }
        let state = self.current();
        let own_grants: Vec<&Grant> = state
            .grants
            .get(&subject.id)
            .into_iter()
            .flatten()
            .filter(|g| g.tenant == tenant && g.object == kind)
            .collect();
        let mut candidates = own_probes(subject);
        candidates.extend(own_grants.iter().map(|g| grant_probe(g, subject)));
        let mut scope = Scope::default();
        for probe in candidates {
            if !scope.slices.contains(&probe) && allowed(&probe) {
                scope.slices.push(probe);
            }
        }
        // A grant that takes away a department or region: nothing under it
        // is allowed unless a probe says otherwise.
        for g in own_grants.iter().filter(|g| g.effect == crate::GrantEffect::Deny && g.action == action) {
            scope.except.push(grant_probe(g, subject));
        }
        scope
    }
}

/// The probes the caller's own attributes suggest.
fn own_probes(s: &Subject) -> Vec<ScopeProbe> {
    let some = |v: &str| (!v.is_empty()).then(|| v.to_owned());
    let mut probes = Vec::new();
    if let Some(region) = some(&s.region) {
        probes.push(ScopeProbe { region: Some(region), ..ScopeProbe::default() });
    }
    if let Some(enterprise) = some(&s.enterprise) {
        probes.push(ScopeProbe { enterprise: Some(enterprise.clone()), ..ScopeProbe::default() });
        if let Some(dept) = some(&s.dept) {
            probes.push(ScopeProbe { enterprise: Some(enterprise), dept: Some(dept), ..ScopeProbe::default() });
        }
    }
    if let Some(holder) = some(&s.holder) {
        probes.push(ScopeProbe { holder: Some(holder), ..ScopeProbe::default() });
    }
    probes
}

fn grant_probe(g: &Grant, s: &Subject) -> ScopeProbe {
    match g.target.kind {
        GrantKind::Department => ScopeProbe {
            enterprise: Some(s.enterprise.clone()),
            dept: Some(g.target.value.clone()),
            ..ScopeProbe::default()
        },
        GrantKind::Region => ScopeProbe { region: Some(g.target.value.clone()), ..ScopeProbe::default() },
        GrantKind::Tenant => ScopeProbe::default(),
        GrantKind::Enterprise => ScopeProbe { enterprise: Some(g.target.value.clone()), ..ScopeProbe::default() },
    }
}

/// The request as the matcher reads it (`r.sub.role`, `r.obj.region`, …),
/// built field by field: a decision is a hot path.
fn request(subject: &Subject, tenant: &str, resource: &Resource, action: Action, now: &str) -> Vec<Dynamic> {
    fn map(fields: &[(&str, &str)]) -> Dynamic {
        let mut m = Map::new();
        for (k, v) in fields {
            m.insert((*k).into(), Dynamic::from(ImmutableString::from(*v)));
        }
        Dynamic::from_map(m)
    }
    let s = subject;
    let r = resource;
    vec![
        map(&[
            ("id", &s.id),
            ("role", &s.role),
            ("tenant", &s.tenant),
            ("region", &s.region),
            ("enterprise", &s.enterprise),
            ("dept", &s.dept),
            ("holder", &s.holder),
            ("scopes", &s.scopes),
        ]),
        Dynamic::from(ImmutableString::from(tenant)),
        map(&[
            ("kind", r.kind),
            ("tenant", &r.tenant),
            ("region", &r.region),
            ("enterprise", &r.enterprise),
            ("dept", &r.dept),
            ("holder", &r.holder),
        ]),
        Dynamic::from(ImmutableString::from(action.as_str())),
        map(&[("now", now)]),
    ]
}

/// Fails closed: an error in a condition is a denial, and is logged.
fn matches(e: &Enforcer, args: Vec<Dynamic>) -> bool {
    match e.enforce(args) {
        Ok(allowed) => allowed,
        Err(error) => {
            tracing::warn!(%error, "a policy condition failed; denied");
            false
        }
    }
}

/// UTC now in the form grants carry.
pub fn now() -> String {
    chrono::Utc::now().format("%Y-%m-%dT%H:%M:%S").to_string()
}
