//! The running platform: configuration, tenants, storage, cache and
//! messages, opened once at start and shared by every request.

use std::sync::Arc;

use chrono::NaiveDate;
use safecert_domain::TenantSlug;
use safecert_i18n::{I18nError, Localizer};
use safecert_storage::{
    CertificateStore, Databases, DbConfig, FieldCipher, FieldKeys, KeyFileError, LookupCache, RedisConfig,
    StorageError, TenantRow,
};

use safecert_notify::{Mailer, SmsSender};
use safecert_policy::{Action, ObjectKind, PolicyFiles};

use crate::{Config, RuleBook, RulesStartError, TenantError, TenantRegistry, identity::Identity};

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("tenants: {0}")]
    Tenants(#[from] TenantError),
    #[error("{0}")]
    Rules(#[from] RulesStartError),
    #[error("messages: {0}")]
    Messages(#[from] I18nError),
    #[error("field keys: {0}")]
    Keys(#[from] KeyFileError),
    #[error("field keys: {0}")]
    Cipher(#[from] safecert_storage::CryptoError),
    #[error(
        "SAFECERT_KEY_FILE is required when SAFECERT_DATABASE_URL is set: the keys must live apart from the database"
    )]
    KeyFileRequired,
    #[error("storage: {0}")]
    Storage(#[from] StorageError),
    #[error("accounts and access policy: {0}")]
    Identity(String),
    #[error("the report signing key: {0}")]
    Signing(String),
    #[error("SAFECERT_REDIS_URL is malformed: {0}")]
    Redis(String),
}

pub struct Platform {
    pub config: Config,
    pub tenants: TenantRegistry,
    pub localizer: Localizer,
    pub store: Arc<CertificateStore>,
    pub rules: RuleBook,
    pub identity: Identity,
    pub query_log: crate::query_log::QueryLog,
    pub(crate) masked_answers: crate::masked_answers::MaskedAnswers,
    pub(crate) batch_queue: crate::batch::BatchQueue,
    pub(crate) proofs: crate::proof::Proofs,
    /// Set when the service stops: the background loops end quietly
    /// instead of reading closed databases.
    pub(crate) stopping: std::sync::atomic::AtomicBool,
}

fn load_keys(config: &Config) -> Result<FieldKeys, StartError> {
    match (&config.key_file, config.is_embedded()) {
        (Some(path), _) => Ok(FieldKeys::load(path)?),
        (None, false) => Err(StartError::KeyFileRequired),
        (None, true) => {
            let path = config.data_dir.join("field-keys");
            let (keys, created) = FieldKeys::load_or_create(&path)?;
            if created {
                tracing::warn!(
                    path = %path.display(),
                    "generated new field-encryption keys for the embedded database; set SAFECERT_KEY_FILE and keep the file apart from the data in production"
                );
            }
            Ok(keys)
        }
    }
}

async fn start_identity(
    config: &Config,
    tenants: &TenantRegistry,
    dbs: Arc<Databases>,
    cipher: FieldCipher,
) -> Result<Identity, StartError> {
    let mut policies = PolicyFiles::load(&config.policies_dir).map_err(|e| StartError::Identity(e.to_string()))?;
    // A province's settings narrow the role templates in that province.
    for tenant in tenants.all() {
        for role in &tenant.settings.batch_counts_only_roles {
            policies.deny_in_tenant(role.as_str(), tenant.slug.as_str(), ObjectKind::BatchRows, Action::Read);
        }
    }
    let sms = config.sms.clone().map(SmsSender::new).transpose().map_err(|e| StartError::Identity(e.to_string()))?;
    let mailer = config.mail.as_ref().map(Mailer::new).transpose().map_err(|e| StartError::Identity(e.to_string()))?;
    Identity::start(dbs, cipher, policies, sms, mailer).await.map_err(|e| StartError::Identity(e.to_string()))
}

impl Platform {
    /// Opens everything and brings every tenant's storage up to date.
    pub async fn start(config: Config) -> Result<Self, StartError> {
        let tenants = TenantRegistry::load(&config.tenants_dir)?;
        let localizer = Localizer::load(&config.locales_dir)?;
        let rules = RuleBook::load(&config.tenants_dir, &tenants)?;
        for (locale, id) in localizer.missing_messages() {
            tracing::warn!(locale = locale.tag(), message_id = %id, "message missing; zh-CN is shown instead");
        }
        let keys = load_keys(&config)?;
        let cipher = FieldCipher::new(&keys)?;
        let proofs = crate::proof::Proofs::new(&keys.signing_seed()).map_err(StartError::Signing)?;
        let cache = match &config.redis_url {
            Some(url) => LookupCache::with_redis(&RedisConfig {
                url: url.clone(),
                prefix: config.redis_prefix.clone(),
                ttl: config.cache_ttl,
                op_timeout: config.redis_timeout,
            })
            .map_err(|e| StartError::Redis(e.to_string()))?,
            None => LookupCache::local(),
        };
        let cache = Arc::new(cache);
        cache.start_listener();
        let dbs = Databases::connect(DbConfig {
            url: config.database_url.clone(),
            data_dir: config.data_dir.clone(),
            max_connections: config.db_max_connections,
            pools: config.workers as u32,
        })
        .await?;
        let dbs = Arc::new(dbs);
        let identity = start_identity(&config, &tenants, Arc::clone(&dbs), cipher.clone()).await?;
        let store = Arc::new(CertificateStore::new(dbs, cipher, cache));
        let platform = Self {
            config,
            tenants,
            localizer,
            store,
            rules,
            identity,
            query_log: Default::default(),
            masked_answers: Default::default(),
            batch_queue: Default::default(),
            proofs,
            stopping: Default::default(),
        };
        platform.sync_tenants().await?;
        // Versions activated through the API replace the baseline files.
        platform.sync_rules(platform.store.databases()).await?;
        Ok(platform)
    }

    /// Creates or upgrades the storage of every tenant folder and records
    /// the tenants in the platform registry. Returns the slugs synced.
    pub async fn sync_tenants(&self) -> Result<Vec<TenantSlug>, StorageError> {
        let dbs = self.store.databases();
        let tenants = self.tenants.all();
        let slugs: Vec<TenantSlug> = tenants.iter().map(|t| t.slug.clone()).collect();
        dbs.ensure_tenants(&slugs).await?;
        let mut synced = Vec::new();
        for tenant in tenants {
            dbs.register_tenant(&TenantRow {
                slug: tenant.slug.to_string(),
                code: tenant.code.to_string(),
                name_zh: tenant.names.zh_cn.clone(),
                name_en: tenant.names.en.clone(),
                name_ug: tenant.names.ug.clone(),
                default_locale: tenant.default_locale.tag().to_owned(),
            })
            .await?;
            synced.push(tenant.slug.clone());
        }
        Ok(synced)
    }

    /// Today's date in China (UTC+8), in which certificate dates are
    /// written.
    pub fn today(&self) -> NaiveDate {
        safecert_domain::china_today()
    }

    /// After the last request: the query log written, the databases
    /// closed.
    pub async fn shutdown(&self) {
        self.stopping.store(true, std::sync::atomic::Ordering::Release);
        self.query_log.finish(std::time::Duration::from_secs(10)).await;
        self.store.databases().close().await;
    }
}
