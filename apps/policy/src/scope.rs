//! What part of a tenant a query may cover, derived from the same policy.
//!
//! The conditions compare five attributes with `sameAs` and `within`, so a
//! probe stands for everything under it: if a resource in region `4403`
//! with no enterprise is allowed, every resource whose region starts with
//! `4403` is. The authorizer asks Casbin about each probe the caller's
//! attributes and grants suggest, and the allowed ones become the filter.

/// One slice of a tenant: every set field must match (region and
/// department as prefixes, the others exactly).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ScopeProbe {
    pub region: Option<String>,
    pub enterprise: Option<String>,
    pub dept: Option<String>,
    pub holder: Option<String>,
}

/// The filter a query in one tenant must apply.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scope {
    /// The whole tenant.
    pub whole_tenant: bool,
    /// Otherwise, the union of these slices.
    pub slices: Vec<ScopeProbe>,
    /// Minus these (grants that take away).
    pub except: Vec<ScopeProbe>,
}

impl Scope {
    pub fn is_empty(&self) -> bool {
        !self.whole_tenant && self.slices.is_empty()
    }

    /// Whether a resource with these attributes falls inside.
    pub fn covers(&self, region: &str, enterprise: &str, dept: &str, holder: &str) -> bool {
        let hit = |p: &ScopeProbe| {
            p.region.as_deref().is_none_or(|r| region.starts_with(r))
                && p.enterprise.as_deref().is_none_or(|e| e == enterprise)
                && p.dept.as_deref().is_none_or(|d| dept.starts_with(d))
                && p.holder.as_deref().is_none_or(|h| h == holder)
        };
        (self.whole_tenant || self.slices.iter().any(hit)) && !self.except.iter().any(hit)
    }
}
