//! Tenants as configured in `tenants/<slug>/tenant.toml`, with settings
//! inherited from `tenants/_default/tenant.toml`.

use std::{collections::BTreeMap, path::Path};

use safecert_domain::{Locale, RegionCode, TenantSlug};
use safecert_policy::Role;
use serde::Deserialize;

#[derive(Debug, thiserror::Error)]
pub enum TenantError {
    #[error("cannot read {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("{path}: {why}")]
    Invalid { path: String, why: String },
    #[error("no tenants found in {0}: each province needs a folder with a tenant.toml")]
    Empty(String),
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
pub struct TenantNames {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
    pub ug: String,
}

impl TenantNames {
    pub fn get(&self, locale: Locale) -> &str {
        match locale {
            Locale::ZhCn => &self.zh_cn,
            Locale::En => &self.en,
            Locale::Ug => &self.ug,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TenantSettings {
    pub expiring_window_days: u32,
    pub issuing_authority: String,
    pub locales: Vec<Locale>,
    /// Roles that get a batch verification's counts only, never its
    /// per-person rows (becomes a deny line of the access policy).
    pub batch_counts_only_roles: Vec<Role>,
}

#[derive(Clone, Debug)]
pub struct TenantConfig {
    pub slug: TenantSlug,
    pub code: RegionCode,
    pub names: TenantNames,
    pub default_locale: Locale,
    pub settings: TenantSettings,
}

#[derive(Deserialize, Default)]
#[serde(deny_unknown_fields)]
struct RawSettings {
    expiring_window_days: Option<u32>,
    issuing_authority: Option<String>,
    locales: Option<Vec<String>>,
    batch_counts_only_roles: Option<Vec<String>>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawNames {
    #[serde(rename = "zh-CN")]
    zh_cn: String,
    en: String,
    ug: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct RawTenant {
    slug: Option<String>,
    code: Option<String>,
    default_locale: Option<String>,
    names: Option<RawNames>,
    #[serde(default)]
    settings: RawSettings,
}

fn read_raw(path: &Path) -> Result<RawTenant, TenantError> {
    let shown = path.display().to_string();
    let text = std::fs::read_to_string(path).map_err(|source| TenantError::Read { path: shown.clone(), source })?;
    toml::from_str(&text).map_err(|e| TenantError::Invalid { path: shown, why: e.to_string() })
}

/// Every tenant, in region-code order.
#[derive(Clone, Debug)]
pub struct TenantRegistry {
    tenants: BTreeMap<TenantSlug, TenantConfig>,
}

impl TenantRegistry {
    pub fn load(dir: &Path) -> Result<Self, TenantError> {
        let defaults = read_raw(&dir.join("_default").join("tenant.toml"))?.settings;
        let read_err = |source| TenantError::Read { path: dir.display().to_string(), source };
        let mut tenants = BTreeMap::new();
        for entry in std::fs::read_dir(dir).map_err(read_err)? {
            let folder = entry.map_err(read_err)?.path();
            let file = folder.join("tenant.toml");
            let name = folder.file_name().and_then(|n| n.to_str()).unwrap_or_default();
            if name.starts_with('_') || name.starts_with('.') || !file.is_file() {
                continue;
            }
            let tenant = Self::parse_tenant(&file, name, read_raw(&file)?, &defaults)?;
            tenants.insert(tenant.slug.clone(), tenant);
        }
        if tenants.is_empty() {
            return Err(TenantError::Empty(dir.display().to_string()));
        }
        Ok(Self { tenants })
    }

    fn parse_tenant(
        file: &Path,
        folder: &str,
        raw: RawTenant,
        defaults: &RawSettings,
    ) -> Result<TenantConfig, TenantError> {
        let invalid = |why: String| TenantError::Invalid { path: file.display().to_string(), why };
        let slug_text = raw.slug.ok_or_else(|| invalid("`slug` is missing".into()))?;
        let slug = TenantSlug::parse(&slug_text).map_err(|e| invalid(format!("slug {slug_text:?}: {e}")))?;
        if slug.as_str() != folder {
            return Err(invalid(format!("slug {slug} does not match its folder {folder}")));
        }
        let code_text = raw.code.ok_or_else(|| invalid("`code` is missing".into()))?;
        let code = RegionCode::parse(&code_text).map_err(|e| invalid(format!("code {code_text:?}: {e}")))?;
        let names = raw.names.ok_or_else(|| invalid("the [names] table is missing".into()))?;
        let locale = |tag: &str| {
            Locale::parse(tag).ok_or_else(|| invalid(format!("unknown locale {tag:?}; use zh-CN, en or ug")))
        };
        let default_locale = locale(raw.default_locale.as_deref().unwrap_or("zh-CN"))?;
        let s = raw.settings;
        let locales = s
            .locales
            .or_else(|| defaults.locales.clone())
            .unwrap_or_else(|| Locale::ALL.iter().map(|l| l.tag().to_owned()).collect())
            .iter()
            .map(|t| locale(t))
            .collect::<Result<Vec<_>, _>>()?;
        let batch_counts_only_roles = s
            .batch_counts_only_roles
            .or_else(|| defaults.batch_counts_only_roles.clone())
            .unwrap_or_default()
            .iter()
            .map(|r| {
                r.parse::<Role>().map_err(|_| {
                    invalid(format!("batch_counts_only_roles: unknown role {r:?}; use the roles of policies/roles.csv"))
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let settings = TenantSettings {
            expiring_window_days: s.expiring_window_days.or(defaults.expiring_window_days).unwrap_or(30),
            issuing_authority: s.issuing_authority.or_else(|| defaults.issuing_authority.clone()).unwrap_or_default(),
            locales,
            batch_counts_only_roles,
        };
        if settings.expiring_window_days > 366 {
            return Err(invalid("expiring_window_days must be at most 366".into()));
        }
        Ok(TenantConfig {
            slug,
            code,
            names: TenantNames { zh_cn: names.zh_cn, en: names.en, ug: names.ug },
            default_locale,
            settings,
        })
    }

    pub fn get(&self, slug: &TenantSlug) -> Option<&TenantConfig> {
        self.tenants.get(slug)
    }

    /// The tenant for a slug typed by a user, if it exists.
    pub fn find(&self, raw: &str) -> Option<&TenantConfig> {
        // Every key is a valid slug, so text that is not one finds nothing.
        self.tenants.get(raw)
    }

    /// Tenants ordered by region code, as the provinces are usually listed.
    pub fn all(&self) -> Vec<&TenantConfig> {
        let mut all: Vec<_> = self.tenants.values().collect();
        all.sort_by(|a, b| a.code.as_str().cmp(b.code.as_str()));
        all
    }

    pub fn len(&self) -> usize {
        self.tenants.len()
    }

    pub fn is_empty(&self) -> bool {
        self.tenants.is_empty()
    }
}
