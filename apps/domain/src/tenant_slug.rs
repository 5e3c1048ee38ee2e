use std::fmt;

/// The short name of a province tenant (`gd`, `js`, `bt`): two to sixteen
/// lower-case ASCII letters or digits, starting with a letter. It names the
/// tenant's folder, its PostgreSQL schema (`tenant_<slug>`) and its SQLite file,
/// so nothing else may ever get into it.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(into = "String", try_from = "String")]
pub struct TenantSlug(String);

impl TryFrom<String> for TenantSlug {
    type Error = TenantSlugError;
    fn try_from(raw: String) -> Result<Self, TenantSlugError> {
        Self::parse(&raw)
    }
}

impl From<TenantSlug> for String {
    fn from(slug: TenantSlug) -> String {
        slug.0
    }
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a tenant slug is 2 to 16 lower-case letters or digits, starting with a letter")]
pub struct TenantSlugError;

impl TenantSlug {
    pub fn parse(raw: &str) -> Result<Self, TenantSlugError> {
        let ok_len = (2..=16).contains(&raw.len());
        let mut chars = raw.chars();
        let first_ok = chars.next().is_some_and(|c| c.is_ascii_lowercase());
        let rest_ok = chars.all(|c| c.is_ascii_lowercase() || c.is_ascii_digit());
        if ok_len && first_ok && rest_ok { Ok(Self(raw.to_owned())) } else { Err(TenantSlugError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The PostgreSQL schema that holds this tenant's tables.
    pub fn schema(&self) -> String {
        format!("tenant_{}", self.0)
    }
}

/// Looked up by its text: equal slugs have equal text and hash alike.
impl std::borrow::Borrow<str> for TenantSlug {
    fn borrow(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for TenantSlug {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "TenantSlug({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_province_slugs() {
        for ok in ["gd", "js", "bt", "xj", "tenant2"] {
            assert!(TenantSlug::parse(ok).is_ok(), "{ok} should parse");
        }
    }

    #[test]
    fn rejects_anything_that_could_escape_a_schema_name() {
        for bad in ["", "g", "GD", "2x", "gd;drop", "gd-x", "_default", "tenant_gd\"", "gd ", "广东"] {
            assert_eq!(TenantSlug::parse(bad), Err(TenantSlugError), "{bad:?} should be rejected");
        }
    }
}
