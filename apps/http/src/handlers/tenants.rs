use actix_web::{HttpResponse, get};
use serde::Serialize;

use crate::lang::Lang;

#[derive(Serialize, utoipa::ToSchema)]
pub struct TenantNamesBody {
    #[serde(rename = "zh-CN")]
    pub zh_cn: String,
    pub en: String,
    pub ug: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TenantBody {
    /// Region code, e.g. `440000`.
    pub code: String,
    /// Short name used in URLs, e.g. `gd`.
    pub slug: String,
    pub names: TenantNamesBody,
    /// The province's name in the response language.
    pub name: String,
    pub default_locale: &'static str,
    pub locales: Vec<&'static str>,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct TenantList {
    pub tenants: Vec<TenantBody>,
}

/// Every province: code, slug, names and languages.
#[utoipa::path(tag = "public", responses((status = 200, body = TenantList)))]
#[get("/api/v1/tenants")]
pub async fn list(lang: Lang) -> HttpResponse {
    let tenants = lang
        .app()
        .platform
        .tenants
        .all()
        .into_iter()
        .map(|t| TenantBody {
            code: t.code.to_string(),
            slug: t.slug.to_string(),
            names: TenantNamesBody { zh_cn: t.names.zh_cn.clone(), en: t.names.en.clone(), ug: t.names.ug.clone() },
            name: t.names.get(lang.locale).to_owned(),
            default_locale: t.default_locale.tag(),
            locales: t.settings.locales.iter().map(|l| l.tag()).collect(),
        })
        .collect();
    HttpResponse::Ok().json(TenantList { tenants })
}
