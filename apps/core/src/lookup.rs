//! What a caller sees of a certificate: a view built from the stored
//! record, masked according to who is asking.

use std::{borrow::Cow, sync::Arc};

use chrono::NaiveDate;
use safecert_domain::{CertNo, Locale, Status, TenantSlug, mask_name};
use safecert_rules::{Outcome, RuleError, RuleSet};
use safecert_storage::{CertificateRecord, DirectoryEntry, StorageError};
use serde::Serialize;

use safecert_policy::{Action, Resource};

use crate::{
    Platform, TenantConfig, entry_facts,
    identity::Caller,
    masked_answers::{Asked, Stamp},
    record_facts,
    search::works_for,
};

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ProvinceView {
    /// Tenant slug, e.g. `gd`.
    pub slug: String,
    /// Region code, e.g. `440000`.
    pub code: String,
    /// The province's name in the response language.
    pub name: String,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateView {
    pub cert_no: String,
    /// The holder name: masked (`张*三`) unless the caller may see personal data.
    pub holder_name: String,
    #[schema(value_type = String, example = "valid")]
    pub status: Status,
    pub province: ProvinceView,
    pub cert_type: String,
    pub issuing_authority: String,
    #[serde(serialize_with = "safecert_domain::iso_date::serialize")]
    pub issue_date: NaiveDate,
    #[serde(serialize_with = "safecert_domain::iso_date::serialize")]
    pub expiry_date: NaiveDate,
    #[serde(skip_serializing_if = "Option::is_none", serialize_with = "safecert_domain::iso_date::serialize_option")]
    pub revoked_on: Option<NaiveDate>,
    /// Masked ID number, e.g. `110105********002X`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub id_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub employer_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub position: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub industry: Option<String>,
}

fn province(tenant: &TenantConfig, locale: Locale) -> ProvinceView {
    ProvinceView {
        slug: tenant.slug.to_string(),
        code: tenant.code.to_string(),
        name: tenant.names.get(locale).to_owned(),
    }
}

impl CertificateView {
    /// What anyone may see: status, dates, masked holder, province and
    /// authority, from the national directory. Expiry and status are the
    /// province's rules' answer for `today`.
    pub fn public(
        entry: &Arc<DirectoryEntry>,
        tenant: &TenantConfig,
        rules: &RuleSet,
        today: NaiveDate,
        locale: Locale,
    ) -> Result<Self, RuleError> {
        let outcome = rules.outcome_kept(entry, entry_facts, today)?;
        Ok(Self {
            cert_no: entry.cert_no.clone(),
            holder_name: mask_name(&entry.holder_name),
            status: outcome.status,
            province: province(tenant, locale),
            cert_type: entry.cert_type.clone(),
            issuing_authority: entry.issuing_authority.clone(),
            issue_date: entry.issue_date,
            expiry_date: outcome.expiry,
            revoked_on: entry.revocation_on,
            id_number: None,
            employer_name: None,
            position: None,
            industry: None,
        })
    }

    /// What anyone who names a certificate in its own province may see:
    /// the public view plus employer, position, industry and the masked ID
    /// number.
    pub fn masked(
        record: &CertificateRecord,
        tenant: &TenantConfig,
        rules: &RuleSet,
        today: NaiveDate,
        locale: Locale,
    ) -> Result<Self, RuleError> {
        let outcome = rules.outcome_cached(&record_facts(record), today)?;
        Ok(Self::masked_with(record, tenant, outcome, locale))
    }

    /// [`CertificateView::masked`] of a cached record (its outcome kept by
    /// the record's identity).
    pub fn masked_kept(
        record: &Arc<CertificateRecord>,
        tenant: &TenantConfig,
        rules: &RuleSet,
        today: NaiveDate,
        locale: Locale,
    ) -> Result<Self, RuleError> {
        let outcome = rules.outcome_kept(record, record_facts, today)?;
        Ok(Self::masked_with(record, tenant, outcome, locale))
    }

    fn masked_with(record: &CertificateRecord, tenant: &TenantConfig, outcome: Outcome, locale: Locale) -> Self {
        Self {
            cert_no: record.cert_no.clone(),
            holder_name: mask_name(&record.holder_name),
            status: outcome.status,
            province: province(tenant, locale),
            cert_type: record.cert_type.clone(),
            issuing_authority: record.issuing_authority.clone(),
            issue_date: record.issue_date,
            expiry_date: outcome.expiry,
            revoked_on: record.revocation_on,
            id_number: Some(record.id_masked.clone()),
            employer_name: Some(record.employer_name.clone()),
            position: Some(record.position.clone()),
            industry: Some(record.industry.clone()),
        }
    }
}

/// One course of the training behind a certificate.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct TrainingView {
    pub course: String,
    pub hours: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub exam_score: Option<u32>,
}

/// One review (复审) the certificate passed.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct ReviewView {
    pub on: NaiveDate,
    pub authority: String,
}

/// A province's own field, with its label in the response language.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CustomFieldView {
    pub key: String,
    pub label: String,
    #[schema(value_type = Object)]
    pub value: serde_json::Value,
}

/// The detailed view: the lookup plus training, review and the province's
/// own fields.
#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct CertificateDetail {
    #[serde(flatten)]
    pub certificate: CertificateView,
    pub training: Vec<TrainingView>,
    pub training_hours: u32,
    /// The last review (复审), when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub reviewed_on: Option<NaiveDate>,
    /// Every review, oldest first.
    pub reviews: Vec<ReviewView>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub revocation_reason: Option<String>,
    pub custom_fields: Vec<CustomFieldView>,
}

/// A certificate as a caller was allowed to see it, and what the view was
/// made from.
pub(crate) struct Seen<'a> {
    pub(crate) view: CertificateView,
    pub(crate) record: Arc<CertificateRecord>,
    pub(crate) rules: Arc<RuleSet>,
    pub(crate) tenant: &'a TenantConfig,
}

/// A certificate a caller may read, found.
struct Reached<'a, 'n> {
    tenant: &'a TenantConfig,
    rules: Arc<RuleSet>,
    record: Arc<CertificateRecord>,
    /// Its number as the province writes it.
    no: Cow<'n, CertNo>,
    /// Whether the caller may see the personal data in it.
    personal: bool,
    /// The certificate as the access policy saw it.
    resource: Resource,
}

/// The number as the province writes it (`no` itself, most often): a
/// number the province can't have issued is not looked up.
fn province_number<'n>(rules: &RuleSet, no: &'n CertNo) -> Result<Cow<'n, CertNo>, LookupError> {
    match rules.normalize_number_cached(no.as_str())?.ok_or(LookupError::NotFound)? {
        Cow::Borrowed(_) => Ok(Cow::Borrowed(no)),
        Cow::Owned(number) => CertNo::parse(&number).map(Cow::Owned).map_err(|_| LookupError::NotFound),
    }
}

fn to_json(view: &CertificateView) -> Result<Vec<u8>, LookupError> {
    serde_json::to_vec(view).map_err(|e| LookupError::Storage(StorageError::Corrupt(format!("writing a view: {e}"))))
}

#[derive(Debug, thiserror::Error)]
pub enum LookupError {
    #[error("unknown tenant")]
    UnknownTenant,
    #[error("certificate not found")]
    NotFound,
    #[error("not allowed to see this certificate")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Rules(#[from] RuleError),
}

impl Platform {
    /// A certificate as this caller may see it: in full (ID number shown)
    /// where the policy allows personal data, masked where it allows
    /// reading, refused otherwise. A refusal looks like "not found" to
    /// callers who may not know the certificate exists.
    pub async fn lookup_as(
        &self,
        caller: &Caller,
        tenant: &str,
        no: &CertNo,
        locale: Locale,
    ) -> Result<CertificateView, LookupError> {
        Ok(self.seen_as(caller, tenant, no, locale).await?.view)
    }

    /// [`Platform::lookup_as`] written as JSON. The masked view most
    /// callers see is written once and kept (see `masked_answers`); a view
    /// with personal data is written for each request and never kept. The
    /// province is the one the caller named, already found.
    pub async fn lookup_json_as(
        &self,
        caller: &Caller,
        config: &TenantConfig,
        no: &CertNo,
        locale: Locale,
    ) -> Result<bytes::Bytes, LookupError> {
        let stamp = self.stamp();
        let asked = Asked::new(&config.slug, no, locale);
        // Its department matters to callers of its own enterprise; a
        // refusal, and more than the masked view, are the full lookup's.
        let kept = self.masked_answers.get(&asked, stamp, |resource| {
            !works_for(caller, &resource.enterprise)
                && self.identity.permits(caller, Action::Read, resource)
                && !self.identity.shows_personal(caller, resource)
        });
        if let Some(body) = kept {
            return Ok(body);
        }
        // In a box of its own: the future of a kept answer, made for every
        // lookup, does not carry the reads of a miss.
        Box::pin(self.lookup_json_unkept(caller, config, no, asked, stamp, locale)).await
    }

    /// [`Platform::lookup_json_as`] without a kept answer: the full lookup,
    /// its masked answer kept for the next caller.
    async fn lookup_json_unkept(
        &self,
        caller: &Caller,
        config: &TenantConfig,
        no: &CertNo,
        asked: Asked,
        stamp: Stamp,
        locale: Locale,
    ) -> Result<bytes::Bytes, LookupError> {
        let reached = self.reach(caller, config, no).await?;
        if reached.personal {
            let view = self.personal_view(&reached, stamp.today, locale).await?;
            return Ok(to_json(&view)?.into());
        }
        let Reached { record, rules, tenant, .. } = &reached;
        let view = CertificateView::masked_kept(record, tenant, rules, stamp.today, locale)?;
        let body = bytes::Bytes::from(to_json(&view)?);
        if !works_for(caller, &record.employer_uscc) {
            self.masked_answers.keep(asked, stamp, reached.resource, body.clone());
        }
        Ok(body)
    }

    /// The view of [`Platform::lookup_as`], with what it was made from.
    pub(crate) async fn seen_as(
        &self,
        caller: &Caller,
        tenant: &str,
        no: &CertNo,
        locale: Locale,
    ) -> Result<Seen<'_>, LookupError> {
        let config = self.tenants.find(tenant).ok_or(LookupError::UnknownTenant)?;
        let reached = self.reach(caller, config, no).await?;
        let today = self.today();
        let view = if reached.personal {
            self.personal_view(&reached, today, locale).await?
        } else {
            CertificateView::masked_kept(&reached.record, reached.tenant, &reached.rules, today, locale)?
        };
        let Reached { record, rules, tenant, .. } = reached;
        Ok(Seen { view, record, rules, tenant })
    }

    /// A certificate of the province `config` describes that the caller
    /// may read, and whether it may see the personal data in it.
    async fn reach<'a, 'n>(
        &'a self,
        caller: &Caller,
        config: &'a TenantConfig,
        no: &'n CertNo,
    ) -> Result<Reached<'a, 'n>, LookupError> {
        let rules = self.rules.get(&config.slug).ok_or(LookupError::UnknownTenant)?;
        let no = province_number(&rules, no)?;
        let record = self.store.get(&config.slug, &no).await?.ok_or(LookupError::NotFound)?;
        let resource = self.resource_of(caller, &record, config.slug.as_str(), &mut Default::default()).await?;
        if !self.identity.authorize(caller, Action::Read, &resource) {
            return Err(LookupError::Forbidden);
        }
        let personal = self.identity.shows_personal(caller, &resource);
        Ok(Reached { tenant: config, rules, record, no, personal, resource })
    }

    /// The view with the holder's name and ID number shown.
    async fn personal_view(
        &self,
        reached: &Reached<'_, '_>,
        today: NaiveDate,
        locale: Locale,
    ) -> Result<CertificateView, LookupError> {
        let Reached { record, rules, tenant, no, .. } = reached;
        let mut view = CertificateView::masked_kept(record, tenant, rules, today, locale)?;
        view.holder_name = record.holder_name.clone();
        if let Some(id) = self.store.reveal_id_number(&tenant.slug, no).await? {
            view.id_number = Some(id.expose().to_owned());
        }
        Ok(view)
    }

    /// The detailed view of a certificate, for a caller who may read it;
    /// personal data as in [`Platform::lookup_as`].
    pub async fn lookup_detailed_as(
        &self,
        caller: &Caller,
        tenant: &str,
        no: &CertNo,
        locale: Locale,
    ) -> Result<CertificateDetail, LookupError> {
        let Seen { view: certificate, record, rules, tenant } = self.seen_as(caller, tenant, no, locale).await?;
        let slug = &tenant.slug;
        let no = CertNo::parse(&record.cert_no).map_err(|_| LookupError::NotFound)?;
        let details = self.store.details(slug, &no).await?.unwrap_or_default();
        let custom_fields = rules
            .fields()
            .filter_map(|field| {
                let value = details.custom_fields.get(&field.key)?.clone();
                let label = self.rules.label(slug, locale, &field.label).unwrap_or_else(|| field.key.clone());
                Some(CustomFieldView { key: field.key.clone(), label, value })
            })
            .collect();
        let training: Vec<TrainingView> = details
            .training
            .into_iter()
            .map(|t| TrainingView { course: t.course, hours: t.hours, exam_score: t.exam_score })
            .collect();
        // Certificates written before every review was kept know their last.
        let mut reviews: Vec<ReviewView> =
            details.reviews.into_iter().map(|r| ReviewView { on: r.on, authority: r.authority }).collect();
        if let Some(on) = record.reviewed_on.filter(|on| !reviews.iter().any(|r| r.on == *on)) {
            reviews.push(ReviewView { on, authority: record.issuing_authority.clone() });
        }
        reviews.sort_by_key(|r| r.on);
        Ok(CertificateDetail {
            reviews,
            training_hours: training.iter().map(|t| t.hours).sum(),
            training,
            reviewed_on: record.reviewed_on,
            revocation_reason: record.revocation_reason.clone(),
            custom_fields,
            certificate,
        })
    }

    pub fn tenant(&self, slug: &TenantSlug) -> Option<&TenantConfig> {
        self.tenants.get(slug)
    }

    /// What an answer made from now on is made from: read before anything
    /// the answer is made of.
    pub(crate) fn stamp(&self) -> Stamp {
        Stamp { changes: self.store.cache().changes(), rules: self.rules.installed(), today: self.today() }
    }
}
