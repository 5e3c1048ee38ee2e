//! Small enforcers: one per role (its lines and those of the roles it
//! inherits), and the grants spread over buckets of a few accounts each.
//! Casbin tries every line of an enforcer before it denies, so a decision
//! costs what the lines it looks at cost, however many grants exist.

use std::collections::{HashMap, HashSet};

use casbin::{
    CoreApi, DefaultModel, Enforcer, MgmtApi,
    function_map::OperatorFunction,
    rhai::{Dynamic, ImmutableString},
};

use crate::{Grant, GrantEffect, PolicyError, PolicyFiles, attributes::account_key, lines::Lines};

/// About this many grant lines share an enforcer.
const LINES_PER_BUCKET: usize = 8;

pub(crate) struct Partitions {
    pub roles: HashMap<String, Enforcer>,
    pub allow: GrantBuckets,
    pub deny: GrantBuckets,
}

pub(crate) struct GrantBuckets {
    enforcers: Vec<Enforcer>,
    accounts: HashSet<String>,
}

impl GrantBuckets {
    pub fn for_account(&self, account: &str) -> Option<&Enforcer> {
        if self.enforcers.is_empty() || !self.accounts.contains(account) {
            return None;
        }
        Some(&self.enforcers[bucket_of(account, self.enforcers.len())])
    }

    pub fn len(&self) -> usize {
        self.accounts.len()
    }

    async fn build(files: &PolicyFiles, grants: &[&Grant]) -> Result<Self, PolicyError> {
        let count = grants.len().div_ceil(LINES_PER_BUCKET);
        let mut lines: Vec<Vec<Vec<String>>> = vec![Vec::new(); count];
        let mut accounts = HashSet::new();
        for grant in grants {
            let Some(condition) = files.grant_conditions.get(grant.target.kind.as_str()) else {
                tracing::warn!(
                    kind = grant.target.kind.as_str(),
                    "grant kind missing from policies/grants.csv; ignored"
                );
                continue;
            };
            let key = account_key(grant.account_id);
            lines[bucket_of(&key, count)].push(grant.line(condition));
            accounts.insert(key);
        }
        let mut enforcers = Vec::with_capacity(count);
        for p in lines {
            enforcers.push(enforcer(files, p).await?);
        }
        Ok(Self { enforcers, accounts })
    }
}

fn bucket_of(account: &str, buckets: usize) -> usize {
    // FNV-1a: stable across runs and replicas.
    let hash = account.bytes().fold(0xcbf2_9ce4_8422_2325_u64, |h, b| (h ^ u64::from(b)).wrapping_mul(0x100_0000_01b3));
    (hash % buckets.max(1) as u64) as usize
}

impl Partitions {
    pub async fn build(files: &PolicyFiles, grants: &[Grant]) -> Result<Self, PolicyError> {
        let mut role_names: Vec<&str> = files.role_lines.iter().map(|l| l[0].as_str()).collect();
        role_names.extend(files.inherits.iter().map(|(from, _)| from.as_str()));
        role_names.sort_unstable();
        role_names.dedup();
        let mut roles = HashMap::new();
        for role in role_names {
            let reached = files.roles_reached_from(role);
            let p = files
                .role_lines
                .iter()
                .filter(|l| reached.contains(&l[0]))
                .map(|l| {
                    let mut line = l.clone();
                    line.resize(7, String::new());
                    line
                })
                .collect();
            roles.insert(role.to_owned(), enforcer(files, p).await?);
        }
        let (allow, deny): (Vec<&Grant>, Vec<&Grant>) = grants.iter().partition(|g| g.effect == GrantEffect::Allow);
        Ok(Self {
            roles,
            allow: GrantBuckets::build(files, &allow).await?,
            deny: GrantBuckets::build(files, &deny).await?,
        })
    }
}

async fn enforcer(files: &PolicyFiles, p: Vec<Vec<String>>) -> Result<Enforcer, PolicyError> {
    let model = DefaultModel::from_str(&files.model).await?;
    let g = files.inherits.iter().map(|(a, b)| vec![a.clone(), b.clone()]).collect();
    let mut e = Enforcer::new(model, Lines { p, g }).await?;
    e.add_function("sameAs", OperatorFunction::Arg2(same_as));
    e.add_function("within", OperatorFunction::Arg2(within));
    // Nothing is ever written back through Casbin.
    e.enable_auto_save(false);
    debug_assert!(e.get_policy().len() < 10_000);
    Ok(e)
}

fn text(d: &Dynamic) -> Option<ImmutableString> {
    d.clone().into_immutable_string().ok()
}

/// `a == b`, where an empty value never matches.
fn same_as(a: Dynamic, b: Dynamic) -> Dynamic {
    Dynamic::from_bool(matches!((text(&a), text(&b)), (Some(a), Some(b)) if !b.is_empty() && a == b))
}

/// `a` starts with `b`, where an empty `b` never matches.
fn within(a: Dynamic, b: Dynamic) -> Dynamic {
    Dynamic::from_bool(matches!((text(&a), text(&b)), (Some(a), Some(b)) if !b.is_empty() && a.starts_with(b.as_str())))
}
