use std::sync::{Arc, RwLock};

use casbin::{CoreApi, Enforcer, rhai::Dynamic};

use crate::{
    Action, Grant, GrantKind, ObjectKind, PolicyError, PolicyFiles, Resource, Scope, ScopeProbe, Subject,
    attributes::account_key, partition::Partitions,
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
    state: RwLock<Arc<State>>,
}

struct State {
    partitions: Partitions,
    grants: Vec<Grant>,
}

#[derive(serde::Serialize)]
struct Env<'a> {
    now: &'a str,
}

impl Authorizer {
    pub async fn new(files: PolicyFiles, grants: Vec<Grant>) -> Result<Self, PolicyError> {
        let state = State { partitions: Partitions::build(&files, &grants).await?, grants };
        Ok(Self { files, state: RwLock::new(Arc::new(state)) })
    }

    /// Puts a new set of run-time grants in force (the role templates stay).
    pub async fn replace_grants(&self, grants: Vec<Grant>) -> Result<(), PolicyError> {
        let state = State { partitions: Partitions::build(&self.files, &grants).await?, grants };
        *self.state.write().unwrap_or_else(|p| p.into_inner()) = Arc::new(state);
        Ok(())
    }

    /// Whether a grant in force has passed its end (time to reload).
    pub fn has_ended_grants(&self) -> bool {
        let now = now();
        self.current().grants.iter().any(|g| g.until.as_deref().is_some_and(|u| u <= now.as_str()))
    }

    /// How many accounts hold grants (allowing, denying).
    pub fn grant_holders(&self) -> (usize, usize) {
        let state = self.current();
        (state.partitions.allow.len(), state.partitions.deny.len())
    }

    fn current(&self) -> Arc<State> {
        self.state.read().unwrap_or_else(|p| p.into_inner()).clone()
    }

    /// May `subject` do `action` to `resource` in `tenant`, now?
    pub fn decide(&self, subject: &Subject, tenant: &str, resource: &Resource, action: Action) -> Decision {
        self.decide_at(subject, tenant, resource, action, &now())
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
        let state = self.current();
        let Some(args) = request(subject, tenant, resource, action, now) else {
            return Decision::Deny;
        };
        let parts = &state.partitions;
        if let Some(deny) = parts.deny.for_account(&subject.id)
            && matches(deny, &args)
        {
            return Decision::Deny;
        }
        let by_role = parts.roles.get(&subject.role).is_some_and(|e| matches(e, &args));
        let by_grant = || parts.allow.for_account(&subject.id).is_some_and(|e| matches(e, &args));
        if by_role || by_grant() { Decision::Allow } else { Decision::Deny }
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
        let account = account_key_of(subject);
        let own_grants: Vec<&Grant> = state
            .grants
            .iter()
            .filter(|g| Some(account_key(g.account_id)) == account && g.tenant == tenant && g.object == kind)
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

fn account_key_of(subject: &Subject) -> Option<String> {
    subject.id.strip_prefix("acct:").map(|_| subject.id.clone())
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
    }
}

fn request(subject: &Subject, tenant: &str, resource: &Resource, action: Action, now: &str) -> Option<Vec<Dynamic>> {
    use casbin::rhai::serde::to_dynamic;
    Some(vec![
        to_dynamic(subject).ok()?,
        Dynamic::from(tenant.to_owned()),
        to_dynamic(resource).ok()?,
        Dynamic::from(action.as_str().to_owned()),
        to_dynamic(Env { now }).ok()?,
    ])
}

/// Fails closed: an error in a condition is a denial, and is logged.
fn matches(e: &Enforcer, args: &[Dynamic]) -> bool {
    match e.enforce(args.to_vec()) {
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
