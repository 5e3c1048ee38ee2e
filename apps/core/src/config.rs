//! Configuration from the environment (`SAFECERT_*`), with the embedded
//! defaults that let `cargo run` work on a bare machine.

use std::{path::PathBuf, time::Duration};

#[derive(Debug, thiserror::Error)]
#[error("{name} is malformed: {why}")]
pub struct ConfigError {
    pub name: &'static str,
    pub why: String,
}

#[derive(Clone, Debug)]
pub struct Config {
    pub listen: String,
    pub database_url: Option<String>,
    pub data_dir: PathBuf,
    pub redis_url: Option<String>,
    pub redis_prefix: String,
    pub key_file: Option<PathBuf>,
    pub tenants_dir: PathBuf,
    pub locales_dir: PathBuf,
    pub policies_dir: PathBuf,
    pub db_max_connections: u32,
    pub verify_rate_per_minute: u32,
    pub verify_burst: u32,
    pub trust_forwarded_for: bool,
    pub workers: usize,
    pub demo_certs_per_tenant: u64,
    pub cache_ttl: Duration,
    /// How long a Redis command may take before the lookup goes on without
    /// Redis (and leaves it alone for a moment).
    pub redis_timeout: Duration,
    /// Guards the rules administration API until accounts exist; `None`
    /// turns that API off.
    pub admin_token: Option<AdminToken>,
    /// Whether this replica runs the nightly status scan (02:30 in China).
    pub nightly_scan: bool,
    /// Sign-in codes by SMS (Aliyun SendSms); `None` turns SMS off.
    pub sms: Option<safecert_notify::SmsConfig>,
    /// Sign-in codes and notices by email; `None` turns email off.
    pub mail: Option<safecert_notify::MailConfig>,
    /// The address people reach the service at, as QR codes on reports and
    /// electronic certificates print it (`https://safecert.example.gov.cn`).
    pub public_url: String,
    /// The CJK TrueType font PDFs embed; `None` looks in the usual places
    /// (the README's set-up installs WenQuanYi Micro Hei).
    pub pdf_font: Option<PathBuf>,
}

/// A shared secret that is never printed and is compared in constant time.
#[derive(Clone)]
pub struct AdminToken(String);

impl AdminToken {
    pub const MIN_LEN: usize = 24;

    pub fn new(token: impl Into<String>) -> Self {
        Self(token.into())
    }

    pub fn matches(&self, presented: &str) -> bool {
        let (a, b) = (self.0.as_bytes(), presented.as_bytes());
        let mut diff = a.len() ^ b.len();
        for i in 0..a.len().max(b.len()) {
            diff |= usize::from(a.get(i).copied().unwrap_or(0) ^ b.get(i).copied().unwrap_or(0));
        }
        diff == 0
    }
}

impl std::fmt::Debug for AdminToken {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("AdminToken(***)")
    }
}

fn var(name: &str) -> Option<String> {
    std::env::var(name).ok().filter(|v| !v.trim().is_empty())
}

/// PostgreSQL connections per HTTP worker thread unless
/// `SAFECERT_DB_MAX_CONNECTIONS` says otherwise: more only queue up more
/// backends for the same cores (on 2 cores, 16 connections answered cold
/// lookups more slowly than 8, with a longer tail).
const DB_CONNECTIONS_PER_WORKER: u32 = 4;

fn number<T: std::str::FromStr>(name: &'static str, default: T) -> Result<T, ConfigError> {
    match var(name) {
        None => Ok(default),
        Some(v) => v.trim().parse().map_err(|_| ConfigError { name, why: format!("{v:?} is not a number") }),
    }
}

fn flag(name: &'static str) -> Result<bool, ConfigError> {
    match var(name).as_deref().map(str::to_ascii_lowercase).as_deref() {
        None | Some("0" | "false" | "no" | "off") => Ok(false),
        Some("1" | "true" | "yes" | "on") => Ok(true),
        Some(other) => Err(ConfigError { name, why: format!("{other:?} is not true or false") }),
    }
}

impl Config {
    pub fn from_env() -> Result<Self, ConfigError> {
        let data_dir = PathBuf::from(var("SAFECERT_DATA_DIR").unwrap_or_else(|| "data".into()));
        let database_url = var("SAFECERT_DATABASE_URL");
        if let Some(url) = &database_url
            && !["postgres://", "postgresql://", "sqlite://"].iter().any(|p| url.starts_with(p))
        {
            return Err(ConfigError {
                name: "SAFECERT_DATABASE_URL",
                why: "use postgres://… or sqlite://<directory>".into(),
            });
        }
        let admin_token = match var("SAFECERT_ADMIN_TOKEN") {
            Some(t) if t.trim().len() < AdminToken::MIN_LEN => {
                return Err(ConfigError {
                    name: "SAFECERT_ADMIN_TOKEN",
                    why: format!(
                        "use at least {} random characters (e.g. `openssl rand -hex 24`)",
                        AdminToken::MIN_LEN
                    ),
                });
            }
            t => t.map(|t| AdminToken::new(t.trim())),
        };
        let sms = match var("SAFECERT_SMS_ACCESS_KEY_ID") {
            None => None,
            Some(access_key_id) => {
                let need = |name: &'static str| {
                    var(name).ok_or_else(|| ConfigError {
                        name,
                        why: "required when SAFECERT_SMS_ACCESS_KEY_ID is set".into(),
                    })
                };
                Some(safecert_notify::SmsConfig {
                    endpoint: var("SAFECERT_SMS_ENDPOINT").unwrap_or_else(|| "https://dysmsapi.aliyuncs.com/".into()),
                    access_key_id,
                    access_key_secret: need("SAFECERT_SMS_ACCESS_KEY_SECRET")?,
                    sign_name: need("SAFECERT_SMS_SIGN_NAME")?,
                    code_template: need("SAFECERT_SMS_TEMPLATE_CODE")?,
                    notice_template: need("SAFECERT_SMS_TEMPLATE_NOTICE")?,
                })
            }
        };
        let mail = var("SAFECERT_SMTP_URL").map(|smtp_url| safecert_notify::MailConfig {
            smtp_url,
            from: var("SAFECERT_MAIL_FROM").unwrap_or_else(|| "SafeCert <no-reply@localhost>".into()),
        });
        let workers = number("SAFECERT_WORKERS", std::thread::available_parallelism().map_or(2, usize::from))?.max(1);
        let listen = var("SAFECERT_LISTEN").unwrap_or_else(|| "127.0.0.1:8080".into());
        let public_url = var("SAFECERT_PUBLIC_URL").unwrap_or_else(|| format!("http://{listen}"));
        if !(public_url.starts_with("https://") || public_url.starts_with("http://")) {
            return Err(ConfigError { name: "SAFECERT_PUBLIC_URL", why: "must start with https:// or http://".into() });
        }
        Ok(Self {
            listen,
            database_url,
            redis_url: var("SAFECERT_REDIS_URL"),
            redis_prefix: var("SAFECERT_REDIS_PREFIX").unwrap_or_else(|| "safecert:".into()),
            key_file: var("SAFECERT_KEY_FILE").map(PathBuf::from),
            tenants_dir: PathBuf::from(var("SAFECERT_TENANTS_DIR").unwrap_or_else(|| "tenants".into())),
            locales_dir: PathBuf::from(var("SAFECERT_LOCALES_DIR").unwrap_or_else(|| "locales".into())),
            policies_dir: PathBuf::from(var("SAFECERT_POLICIES_DIR").unwrap_or_else(|| "policies".into())),
            db_max_connections: number(
                "SAFECERT_DB_MAX_CONNECTIONS",
                u32::try_from(workers).unwrap_or(u32::MAX).saturating_mul(DB_CONNECTIONS_PER_WORKER),
            )?,
            verify_rate_per_minute: number("SAFECERT_VERIFY_RATE_PER_MINUTE", 60)?,
            verify_burst: number("SAFECERT_VERIFY_BURST", 20)?,
            trust_forwarded_for: flag("SAFECERT_TRUST_FORWARDED_FOR")?,
            workers,
            demo_certs_per_tenant: number("SAFECERT_DEMO_CERTS_PER_TENANT", 40)?,
            cache_ttl: Duration::from_secs(number("SAFECERT_CACHE_TTL_SECS", 3600)?),
            redis_timeout: Duration::from_millis(number::<u64>("SAFECERT_REDIS_TIMEOUT_MS", 100)?.max(1)),
            admin_token,
            nightly_scan: var("SAFECERT_NIGHTLY_SCAN").is_none() || flag("SAFECERT_NIGHTLY_SCAN")?,
            sms,
            mail,
            data_dir,
            public_url: public_url.trim_end_matches('/').to_owned(),
            pdf_font: var("SAFECERT_PDF_FONT").map(PathBuf::from),
        })
    }

    /// True when running on the embedded default (SQLite files under the
    /// data directory), where demo data and a key file are created on
    /// first start.
    pub fn is_embedded(&self) -> bool {
        self.database_url.is_none()
    }
}
