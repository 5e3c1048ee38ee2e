use safecert_domain::TenantSlug;

#[derive(Debug, thiserror::Error)]
pub enum StorageError {
    #[error("database error: {0}")]
    Database(#[from] sea_orm::DbErr),
    #[error("tenant {0} has no database here; run `safecert tenants sync`")]
    UnknownTenant(TenantSlug),
    #[error(transparent)]
    Crypto(#[from] crate::CryptoError),
    #[error("cannot prepare the data directory {path}: {source}")]
    DataDir { path: String, source: std::io::Error },
    #[error("a stored row is malformed: {0}")]
    Corrupt(String),
}
