use std::fmt;

use crate::sandbox::Location;

/// A rule that could not be compiled, checked or run, with the tenant, the
/// version and where in the script.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct RuleError {
    pub tenant: String,
    pub version: String,
    /// The rule that was running (`expiry`, `status`, ...), if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub rule: Option<&'static str>,
    /// The file the problem is in: `rules.rhai` or `rules.toml`.
    pub file: &'static str,
    pub line: usize,
    pub column: usize,
    pub message: String,
}

impl RuleError {
    pub(crate) fn at(file: &'static str, at: Location, message: impl Into<String>) -> Self {
        Self {
            tenant: String::new(),
            version: String::new(),
            rule: None,
            file,
            line: at.line,
            column: at.column,
            message: message.into(),
        }
    }

    pub(crate) fn of(mut self, tenant: &str, version: &str) -> Self {
        self.tenant = tenant.to_owned();
        self.version = version.to_owned();
        self
    }
}

impl fmt::Display for RuleError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "rules of {} (version {}), {}", self.tenant, self.version, self.file)?;
        if self.line > 0 {
            write!(f, " line {}, column {}", self.line, self.column)?;
        }
        if let Some(rule) = self.rule {
            write!(f, ", rule `{rule}`")?;
        }
        write!(f, ": {}", self.message)
    }
}

impl std::error::Error for RuleError {}
