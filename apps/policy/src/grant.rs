use crate::{Action, ObjectKind, Role, attributes::account_key};

/// A permission given at run time to one account: an enterprise's
/// sub-account may export a department, a regulator may see another region
/// until a date. Stored in the database, loaded beside the role templates.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Grant {
    pub account_id: i64,
    /// The role of the account that holds it.
    pub role: Role,
    /// The tenant it applies in.
    pub tenant: String,
    pub object: ObjectKind,
    pub action: Action,
    pub target: GrantTarget,
    pub effect: GrantEffect,
    /// UTC, `2026-12-31T23:59:59`; `None` for no end.
    pub until: Option<String>,
}

/// Which condition of `policies/grants.csv` the grant carries, and its value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct GrantTarget {
    pub kind: GrantKind,
    pub value: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantKind {
    /// A department subtree of the account's own enterprise.
    Department,
    /// A region (prefix).
    Region,
    /// The whole tenant.
    Tenant,
    /// One enterprise (by USCC): what an SME subscriber manages.
    Enterprise,
}

impl GrantKind {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantKind::Department => "department",
            GrantKind::Region => "region",
            GrantKind::Tenant => "tenant",
            GrantKind::Enterprise => "enterprise",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [GrantKind::Department, GrantKind::Region, GrantKind::Tenant, GrantKind::Enterprise]
            .into_iter()
            .find(|k| k.as_str() == s)
    }
}

/// More than the role gives, or less.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum GrantEffect {
    Allow,
    Deny,
}

impl GrantEffect {
    pub fn as_str(self) -> &'static str {
        match self {
            GrantEffect::Allow => "allow",
            GrantEffect::Deny => "deny",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "allow" => Some(GrantEffect::Allow),
            "deny" => Some(GrantEffect::Deny),
            _ => None,
        }
    }
}

impl Grant {
    /// The policy line: sub, dom, obj, act, cond, target, until, eft.
    pub(crate) fn line(&self, condition: &str) -> Vec<String> {
        vec![
            account_key(self.account_id),
            self.tenant.clone(),
            self.object.as_str().to_owned(),
            self.action.as_str().to_owned(),
            condition.to_owned(),
            self.target.value.clone(),
            self.until.clone().unwrap_or_default(),
            self.effect.as_str().to_owned(),
        ]
    }
}
