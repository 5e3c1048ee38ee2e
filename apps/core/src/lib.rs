//! The SafeCert services: configuration, tenants, the platform context that
//! ties storage, cache and messages together, public verification, tenant
//! lookups and synthetic data.

mod background;
pub mod batch;
mod config;
pub mod identity;
mod individuals;
mod lookup;
mod masked_answers;
mod my_queries;
mod platform;
pub mod proof;
pub mod query_log;
mod rule_admin;
mod rulebook;
mod search;
pub mod seed;
mod tenants;
mod verify;

pub use config::{AdminToken, Config, ConfigError};
pub use lookup::{CertificateDetail, CertificateView, CustomFieldView, LookupError, ReviewView, TrainingView};
pub use my_queries::{FavoriteView, MyQueriesError, SavedQueryView};
pub use platform::{Platform, StartError};
pub use rule_admin::{ChangeExample, DryRun, RulesAdminError, RulesCheck, ScanReport, Transition, check_offline};
pub use rulebook::{BASELINE, RuleBook, RulesStartError, certificate_facts, entry_facts, record_facts, rule_settings};
pub use search::{SearchError, SearchPage, SearchRequest, Suggestion};
pub use tenants::{TenantConfig, TenantError, TenantNames, TenantRegistry, TenantSettings};
pub use verify::{VerifyError, VerifyOutcome};
