use crate::{ObjectKind, Role};

/// Who asks, with the attributes the conditions look at. Empty strings mean
/// "none": the conditions' `sameAs` and `within` never match an empty value.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Subject {
    /// `acct:<id>`: what grants made at run time name.
    pub id: String,
    pub role: String,
    /// The tenant the account belongs to (its "home").
    pub tenant: String,
    /// Region prefix: `44` a province, `4403` a city, `440305` a county.
    pub region: String,
    /// The enterprise's USCC.
    pub enterprise: String,
    /// Department path within the enterprise, such as `/3/7/`.
    pub dept: String,
    /// The holder key (blind index of the ID number) of a bound person.
    pub holder: String,
    /// What a request may touch at most: `*` for a person signed in, the
    /// space-separated `object:action` pairs of an API client's key.
    pub scopes: String,
}

impl Subject {
    pub fn new(account_id: i64, role: Role, tenant: &str) -> Self {
        Self {
            id: account_key(account_id),
            role: role.as_str().to_owned(),
            tenant: tenant.to_owned(),
            scopes: ALL_SCOPES.to_owned(),
            ..Self::default()
        }
    }

    /// The same account acting through an API client limited to `scopes`.
    pub fn limited_to(mut self, scopes: &str) -> Self {
        self.scopes = scopes.to_owned();
        self
    }

    pub fn region(mut self, prefix: &str) -> Self {
        self.region = prefix.to_owned();
        self
    }

    pub fn enterprise(mut self, uscc: &str) -> Self {
        self.enterprise = uscc.to_owned();
        self
    }

    pub fn dept(mut self, path: &str) -> Self {
        self.dept = path.to_owned();
        self
    }

    pub fn holder(mut self, key: &str) -> Self {
        self.holder = key.to_owned();
        self
    }
}

/// The scopes of a person signed in: whatever their role and grants give.
pub const ALL_SCOPES: &str = "*";

/// How a grant names its account: `acct:<id>`.
pub fn account_key(account_id: i64) -> String {
    format!("{ACCOUNT_PREFIX}{account_id}")
}

pub(crate) const ACCOUNT_PREFIX: &str = "acct:";

/// What is touched, with its attributes.
#[derive(Clone, Debug, PartialEq, Eq, Hash, serde::Serialize)]
pub struct Resource {
    pub kind: &'static str,
    pub tenant: String,
    /// Full six-digit region code of the thing (or a prefix, for a
    /// region-access request).
    pub region: String,
    pub enterprise: String,
    pub dept: String,
    pub holder: String,
}

impl Resource {
    pub fn new(kind: ObjectKind, tenant: &str) -> Self {
        Self {
            kind: kind.as_str(),
            tenant: tenant.to_owned(),
            region: String::new(),
            enterprise: String::new(),
            dept: String::new(),
            holder: String::new(),
        }
    }

    pub fn region(mut self, region: &str) -> Self {
        self.region = region.to_owned();
        self
    }

    pub fn enterprise(mut self, uscc: &str) -> Self {
        self.enterprise = uscc.to_owned();
        self
    }

    pub fn dept(mut self, path: &str) -> Self {
        self.dept = path.to_owned();
        self
    }

    pub fn holder(mut self, key: &str) -> Self {
        self.holder = key.to_owned();
        self
    }
}
