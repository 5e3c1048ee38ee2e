//! Storage of SafeCert: the databases (PostgreSQL with a schema per tenant,
//! or SQLite with a file per tenant), the encryption of personal data, and
//! the lookup cache (in-process, with Redis behind it when configured).

mod access;
mod accounts;
mod batch_jobs;
mod cache;
mod certificates;
mod clients;
mod crypto;
mod db;
mod directory;
mod directory_entry;
mod error;
mod institutions;
mod issued_reports;
mod keys;
mod point_read;
mod queries;
mod read_connections;
mod record;
mod redis_cache;
mod rule_store;
mod schema;
mod search;
mod status_scan;

pub use access::{AuditRow, GrantRow, NewGrant, RegionRequestRow};
pub use accounts::{
    AccountRow, ChallengeRow, DepartmentRow, EnterpriseRow, FirstManager, InsertError, LoginRow, NewAccount, SessionRow,
};
pub use batch_jobs::{BatchJobRow, NewBatchJob};
pub use cache::{CacheStats, LookupCache};
pub use certificates::{CertificateDetails, CertificateStore, Durability};
pub use clients::{ApiClientRow, ApiKeyRow, KeyHolder, NewApiClient as NewApiClientRow, StoredKey};
pub use crypto::{CryptoError, FieldCipher};
pub use db::{Backend, Databases, DbConfig};
pub use directory::TenantRow;
pub use directory_entry::DirectoryEntry;
pub use error::StorageError;
pub use institutions::{InstitutionRow, NewInstitution};
pub use issued_reports::{IssuedReportRow, issued_now};
pub use keys::{FieldKeys, KeyFileError};
pub use queries::{FavoriteRow, LoggedQuery, QueryLogRow, SavedQueryRow, address_text};
pub use record::CertificateRecord;
pub use redis_cache::RedisConfig;
pub use rule_store::{ActivateError, ActivationRow, RuleVersionRow};
pub use search::{CertificateQuery, Found, PageRequest, Reach, ReachSlice, SortBy};
pub use status_scan::{StatusFacts, StatusUpdate};
