//! Small enforcers. Casbin tries every line of an enforcer before it
//! decides, and each call has a cost of its own, so every decision is one
//! call over a handful of lines:
//! - an account without grants: the lines of its role (and the roles it
//!   inherits) for the object and action asked about, one to three lines;
//! - an account with grants: a bucket of a few accounts' grants for that
//!   tenant, object and action, with the role lines of those accounts'
//!   roles beside them, so grants that add and grants that take away are
//!   weighed against the role in the same call.
//!
//! A decision so costs what a handful of lines cost, however many grants
//! exist.

use std::{
    collections::{HashMap, HashSet},
    sync::Arc,
};

use casbin::{
    CoreApi, DefaultModel, Enforcer,
    function_map::OperatorFunction,
    rhai::{Dynamic, ImmutableString},
};

use crate::{Action, Grant, ObjectKind, PolicyError, PolicyFiles, attributes::account_key, lines::Lines, reads::Reads};

/// The enforcer a decision runs.
pub(crate) enum Chosen<'a> {
    /// The role's lines alone: the same request always gets the same
    /// answer; they read only these attributes of the resource.
    RoleOnly(&'a Enforcer, Reads),
    /// Grants of the account beside its role's lines: the answer depends
    /// on the time and on the grants in force.
    WithGrants(&'a Enforcer),
}

/// About this many grant lines share an enforcer.
const LINES_PER_BUCKET: usize = 2;

/// Object kind and action, as the policy spells them.
pub(crate) type Operation = (&'static str, &'static str);

/// Every decision finds its enforcer through these maps: hashed with a
/// seeded fast hash. Their keys (roles, operations, tenants and accounts
/// of grants) come from the policy files and from administrators, never
/// from an anonymous request.
type Fast = foldhash::fast::RandomState;
type Map<K, V> = HashMap<K, V, Fast>;

/// Each role's enforcers, by operation.
type RoleMap = Map<String, Map<Operation, RoleEnforcer>>;

/// A role's lines for one operation, and what they read of a resource.
pub(crate) struct RoleEnforcer {
    enforcer: Enforcer,
    reads: Reads,
}

/// The role templates never change while the service runs, and a change
/// to grants touches a few (tenant, operation) groups: a new set of
/// partitions shares everything else with the one before it.
pub(crate) struct Partitions {
    roles: Arc<RoleMap>,
    grants: Map<String, Map<Operation, Arc<GrantBuckets>>>,
    holders: HashSet<String>,
}

struct GrantBuckets {
    enforcers: Vec<Enforcer>,
    accounts: HashSet<String, Fast>,
    /// What they were built from, to tell whether a new set changed them.
    grants: Vec<Grant>,
}

impl GrantBuckets {
    fn for_account(&self, account: &str) -> Option<&Enforcer> {
        if self.enforcers.is_empty() || !self.accounts.contains(account) {
            return None;
        }
        Some(&self.enforcers[bucket_of(account, self.enforcers.len())])
    }

    async fn build(files: &PolicyFiles, op: Operation, grants: Vec<Grant>) -> Result<Self, PolicyError> {
        let count = grants.len().div_ceil(LINES_PER_BUCKET);
        let mut lines: Vec<Vec<Vec<String>>> = vec![Vec::new(); count];
        let mut roles: Vec<HashSet<&str>> = vec![HashSet::new(); count];
        let mut accounts = HashSet::default();
        for grant in &grants {
            let Some(condition) = files.grant_conditions.get(grant.target.kind.as_str()) else {
                tracing::warn!(
                    kind = grant.target.kind.as_str(),
                    "grant kind missing from policies/grants.csv; ignored"
                );
                continue;
            };
            let key = account_key(grant.account_id);
            let bucket = bucket_of(&key, count);
            lines[bucket].push(grant.line(condition));
            roles[bucket].insert(grant.role.as_str());
            accounts.insert(key);
        }
        let mut enforcers = Vec::with_capacity(count);
        for (mut p, roles) in lines.into_iter().zip(roles) {
            for role in roles {
                p.extend(role_lines(files, role, op));
            }
            enforcers.push(enforcer(files, p).await?);
        }
        Ok(Self { enforcers, accounts, grants })
    }
}

fn bucket_of(account: &str, buckets: usize) -> usize {
    // FNV-1a: stable across runs and replicas.
    let hash = account.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % buckets.max(1) as u64) as usize
}

/// The operation of a role line (already checked when the files loaded).
fn operation_of(line: &[String]) -> Option<Operation> {
    Some((ObjectKind::parse(&line[2])?.as_str(), Action::parse(&line[3])?.as_str()))
}

/// The lines a role has for an operation, its own and inherited, as full
/// policy lines (no target, no end; allow unless the line denies).
fn role_lines(files: &PolicyFiles, role: &str, op: Operation) -> Vec<Vec<String>> {
    let reached = files.roles_reached_from(role);
    files
        .role_lines
        .iter()
        .filter(|l| reached.contains(&l[0]) && operation_of(l) == Some(op))
        .map(|l| {
            let effect = l.get(5).map_or("allow", String::as_str);
            let mut line = l[..5].to_vec();
            line.extend([String::new(), String::new(), effect.to_owned()]);
            line
        })
        .collect()
}

impl Partitions {
    pub async fn build(files: &PolicyFiles, grants: &[Grant]) -> Result<Self, PolicyError> {
        let roles = Arc::new(role_enforcers(files).await?);
        Self::with_roles(files, roles, grants, None).await
    }

    /// The partitions for a new set of grants: the role enforcers and
    /// every grant group that did not change are shared with `self`.
    pub async fn rebuild(&self, files: &PolicyFiles, grants: &[Grant]) -> Result<Self, PolicyError> {
        Self::with_roles(files, Arc::clone(&self.roles), grants, Some(self)).await
    }

    async fn with_roles(
        files: &PolicyFiles,
        roles: Arc<RoleMap>,
        grants: &[Grant],
        before: Option<&Partitions>,
    ) -> Result<Self, PolicyError> {
        let mut grouped: HashMap<(String, Operation), Vec<Grant>> = HashMap::new();
        for g in grants {
            grouped.entry((g.tenant.clone(), (g.object.as_str(), g.action.as_str()))).or_default().push(g.clone());
        }
        let mut by_tenant: Map<String, Map<Operation, Arc<GrantBuckets>>> = Map::default();
        for ((tenant, op), group) in grouped {
            let unchanged = before
                .and_then(|b| b.grants.get(&tenant))
                .and_then(|ops| ops.get(&op))
                .filter(|old| old.grants == group)
                .map(Arc::clone);
            let buckets = match unchanged {
                Some(same) => same,
                None => Arc::new(GrantBuckets::build(files, op, group).await?),
            };
            by_tenant.entry(tenant).or_default().insert(op, buckets);
        }
        let holders = grants.iter().map(|g| account_key(g.account_id)).collect();
        Ok(Self { roles, grants: by_tenant, holders })
    }

    /// The one enforcer a decision asks: the account's grant bucket for
    /// this tenant and operation if it has one, else its role's lines.
    pub fn for_decision(&self, account: &str, role: &str, tenant: &str, op: Operation) -> Option<Chosen<'_>> {
        if let Some(bucket) = self.grants.get(tenant).and_then(|ops| ops.get(&op)).and_then(|b| b.for_account(account))
        {
            return Some(Chosen::WithGrants(bucket));
        }
        self.roles.get(role)?.get(&op).map(|r| Chosen::RoleOnly(&r.enforcer, r.reads))
    }

    /// How many accounts hold grants.
    pub fn holders(&self) -> usize {
        self.holders.len()
    }
}

/// One small enforcer per role and operation, with the role's own and
/// inherited lines for it.
async fn role_enforcers(files: &PolicyFiles) -> Result<RoleMap, PolicyError> {
    let mut role_names: Vec<&str> = files.role_lines.iter().map(|l| l[0].as_str()).collect();
    role_names.extend(files.inherits.iter().map(|(from, _)| from.as_str()));
    role_names.sort_unstable();
    role_names.dedup();
    let ops: HashSet<Operation> = files.role_lines.iter().filter_map(|l| operation_of(l)).collect();
    let mut roles = RoleMap::default();
    for role in role_names {
        let mut enforcers = Map::default();
        for op in &ops {
            let lines = role_lines(files, role, *op);
            if !lines.is_empty() {
                let reads = Reads::of_lines(&lines);
                enforcers.insert(*op, RoleEnforcer { enforcer: enforcer(files, lines).await?, reads });
            }
        }
        roles.insert(role.to_owned(), enforcers);
    }
    Ok(roles)
}

async fn enforcer(files: &PolicyFiles, p: Vec<Vec<String>>) -> Result<Enforcer, PolicyError> {
    let model = DefaultModel::from_str(&files.model).await?;
    let g = files.inherits.iter().map(|(a, b)| vec![a.clone(), b.clone()]).collect();
    let mut e = Enforcer::new(model, Lines { p, g }).await?;
    e.add_function("sameAs", OperatorFunction::Arg2(same_as));
    e.add_function("within", OperatorFunction::Arg2(within));
    e.add_function("isAccount", OperatorFunction::Arg1(is_account));
    e.add_function("inScopes", OperatorFunction::Arg3(in_scopes));
    // Nothing is ever written back through Casbin.
    e.enable_auto_save(false);
    Ok(e)
}

fn text(d: &Dynamic) -> Option<ImmutableString> {
    d.clone().into_immutable_string().ok()
}

/// `a == b`, where an empty value never matches.
fn same_as(a: Dynamic, b: Dynamic) -> Dynamic {
    Dynamic::from_bool(matches!((text(&a), text(&b)), (Some(a), Some(b)) if !b.is_empty() && a == b))
}

/// Whether a policy subject names one account (a grant) rather than a role.
fn is_account(sub: Dynamic) -> Dynamic {
    Dynamic::from_bool(text(&sub).is_some_and(|s| s.starts_with(crate::attributes::ACCOUNT_PREFIX)))
}

/// Whether `scopes` (`*`, or space-separated `object:action` pairs) covers
/// this object and action; empty scopes cover nothing.
fn in_scopes(scopes: Dynamic, obj: Dynamic, act: Dynamic) -> Dynamic {
    let (Some(scopes), Some(obj), Some(act)) = (text(&scopes), text(&obj), text(&act)) else {
        return Dynamic::from_bool(false);
    };
    let covered = scopes.as_str() == crate::attributes::ALL_SCOPES
        || scopes.split_ascii_whitespace().any(|s| s.split_once(':') == Some((obj.as_str(), act.as_str())));
    Dynamic::from_bool(covered)
}

/// `a` starts with `b`, where an empty `b` never matches.
fn within(a: Dynamic, b: Dynamic) -> Dynamic {
    Dynamic::from_bool(matches!((text(&a), text(&b)), (Some(a), Some(b)) if !b.is_empty() && a.starts_with(b.as_str())))
}
