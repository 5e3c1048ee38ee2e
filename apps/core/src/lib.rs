//! The SafeCert services: configuration, tenants, the platform context that
//! ties storage, cache and messages together, public verification, tenant
//! lookups and synthetic data.

mod config;
mod lookup;
mod platform;
mod rulebook;
pub mod seed;
mod tenants;
mod verify;

pub use config::{Config, ConfigError};
pub use lookup::{CertificateView, LookupError};
pub use platform::{Platform, StartError};
pub use rulebook::{BASELINE, RuleBook, RulesStartError, certificate_facts, entry_facts, record_facts, rule_settings};
pub use tenants::{TenantConfig, TenantError, TenantNames, TenantRegistry, TenantSettings};
pub use verify::{VerifyError, VerifyOutcome};
