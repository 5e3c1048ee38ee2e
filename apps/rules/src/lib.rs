//! Province rules. Each tenant's rules.rhai is an expression script run on
//! a restricted Rhai engine: the service puts `rule`, `number`, `cert`,
//! `today`, `settings` and `expiry` in scope and the script answers the
//! rule asked for (`switch rule { "expiry" => …, … }`). Custom fields and
//! test cases are data beside it, in rules.toml. See docs/RULES.md.

mod dates;
mod error;
mod facts;
mod fields;
mod helpers;
pub mod limits;
mod ruleset;
mod sandbox;
mod selftest;
mod settings;
pub mod source;

use std::sync::Arc;

pub use dates::{from_day, to_day};
pub use error::RuleError;
pub use facts::{CertFacts, RecordFacts};
pub use fields::{FieldDef, FieldKind};
pub use ruleset::{DATA_FILE, Outcome, Problem, Rule, RuleSet, RuleSource, SCRIPT_FILE};
pub use sandbox::Location;
pub use selftest::{TestResult, run_tests};
pub use settings::RuleSettings;

/// The one restricted engine all tenants' rules run on.
pub fn engine() -> Arc<rhai::Engine> {
    Arc::new(sandbox::engine())
}

pub use rhai::{Dynamic, Engine, ImmutableString, Map};

#[cfg(test)]
mod tests;
