//! Searching a province's certificates as a signed-in caller: by name
//! (tolerant of one wrong, missing or extra character), by ID number
//! (exactly, through the blind index), by employer, department, position,
//! industry, type, issue year and status; sorted and paged; and only what
//! the policy lets the caller read, with personal data only where it lets
//! the caller see it. Autocomplete suggests names and numbers as one types.

use std::collections::HashMap;

use safecert_domain::{CertNo, HolderName, IdNumber, Locale, Status, Uscc, variants, within_one_edit};
use safecert_policy::{Action, ObjectKind, Resource, ScopeProbe};
use safecert_storage::{CertificateQuery, CertificateRecord, PageRequest, Reach, ReachSlice, SortBy, StorageError};
use serde::Serialize;

use crate::{CertificateView, Platform, identity::Caller};

/// Deepest page offset: past it, narrow the search instead.
pub const MAX_OFFSET: u64 = 10_000;
pub const MAX_PER_PAGE: u64 = 100;
/// The longest prefix autocomplete takes (a whole certificate number).
const MAX_PREFIX: usize = 32;
/// Suggestions per keystroke.
pub const SUGGESTIONS: u64 = 10;

/// A search as the caller asks it (every field optional).
#[derive(Clone, Debug, Default)]
pub struct SearchRequest {
    pub name: Option<String>,
    pub id_number: Option<String>,
    /// The employer's USCC.
    pub enterprise: Option<String>,
    pub department: Option<String>,
    pub position: Option<String>,
    pub industry: Option<String>,
    pub cert_type: Option<String>,
    pub issue_year: Option<i32>,
    pub status: Option<String>,
    /// `cert_no`, `holder_name`, `issue_date` or `expiry_date`; a leading
    /// `-` sorts descending.
    pub sort: Option<String>,
    pub page: Option<u64>,
    pub per_page: Option<u64>,
}

impl SearchRequest {
    /// Every field as a query-string pair (unset ones as `None`), in one
    /// order: what a saved search stores and what the query log records.
    pub fn pairs(&self) -> [(&'static str, Option<String>); 12] {
        [
            ("name", self.name.clone()),
            ("id_number", self.id_number.clone()),
            ("enterprise", self.enterprise.clone()),
            ("department", self.department.clone()),
            ("position", self.position.clone()),
            ("industry", self.industry.clone()),
            ("cert_type", self.cert_type.clone()),
            ("issue_year", self.issue_year.map(|y| y.to_string())),
            ("status", self.status.clone()),
            ("sort", self.sort.clone()),
            ("page", self.page.map(|p| p.to_string())),
            ("per_page", self.per_page.map(|p| p.to_string())),
        ]
    }
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct SearchPage {
    pub total: u64,
    pub page: u64,
    pub per_page: u64,
    pub items: Vec<CertificateView>,
}

#[derive(Clone, Debug, Serialize, utoipa::ToSchema)]
pub struct Suggestion {
    pub cert_no: String,
    /// Masked unless the caller may see the holder's personal data.
    pub holder_name: String,
}

#[derive(Debug, thiserror::Error)]
pub enum SearchError {
    #[error("unknown tenant")]
    UnknownTenant,
    #[error("{0}")]
    Invalid(&'static str),
    #[error("the caller may not read certificates here")]
    Forbidden,
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Rules(#[from] safecert_rules::RuleError),
}

fn text(field: &Option<String>, max: usize, what: &'static str) -> Result<Option<String>, SearchError> {
    match field.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) if v.chars().count() > max || v.chars().any(char::is_control) => Err(SearchError::Invalid(what)),
        Some(v) => Ok(Some(v.to_owned())),
    }
}

fn sort_of(raw: Option<&str>) -> Result<(SortBy, bool), SearchError> {
    let raw = raw.map(str::trim).filter(|s| !s.is_empty()).unwrap_or("cert_no");
    let (descending, key) = match raw.strip_prefix('-') {
        Some(key) => (true, key),
        None => (false, raw),
    };
    let by = match key {
        "cert_no" => SortBy::CertNo,
        "holder_name" => SortBy::HolderName,
        "issue_date" => SortBy::IssueDate,
        "expiry_date" => SortBy::ExpiryDate,
        _ => {
            return Err(SearchError::Invalid(
                "sort is cert_no, holder_name, issue_date or expiry_date, with - for descending",
            ));
        }
    };
    Ok((by, descending))
}

/// Whether the caller belongs to the enterprise with this USCC: then the
/// department a certificate sits in is part of what the policy weighs.
pub(crate) fn works_for(caller: &Caller, uscc: &str) -> bool {
    caller.enterprise_uscc.as_deref() == Some(uscc)
}

impl Platform {
    /// The part of `tenant` this caller's certificate queries may cover,
    /// in the terms of the certificates table (department paths become
    /// the names of the departments under them).
    async fn reach_of(&self, caller: &Caller, tenant: &str) -> Result<Reach, SearchError> {
        let scope = self.identity.scope(caller, tenant, ObjectKind::Certificate, Action::Read);
        if scope.is_empty() {
            return Err(SearchError::Forbidden);
        }
        let mut reach = Reach { whole_tenant: scope.whole_tenant, ..Reach::default() };
        for slice in &scope.slices {
            if let Some(s) = self.reach_slice(slice).await? {
                reach.slices.push(s);
            }
        }
        for slice in &scope.except {
            // An exception that names no department still excepts its part.
            let excepted = self.reach_slice(slice).await?;
            reach.except.push(excepted.unwrap_or(ReachSlice {
                employer_uscc: slice.enterprise.clone(),
                departments: Some(Vec::new()),
                ..ReachSlice::default()
            }));
        }
        if !reach.whole_tenant && reach.slices.is_empty() {
            return Err(SearchError::Forbidden);
        }
        Ok(reach)
    }

    /// `None` when the slice names a department subtree with no departments.
    async fn reach_slice(&self, probe: &ScopeProbe) -> Result<Option<ReachSlice>, SearchError> {
        let departments = match (&probe.enterprise, &probe.dept) {
            (Some(uscc), Some(prefix)) => {
                let dbs = self.store.databases();
                let Some(enterprise) = dbs.enterprise_by_uscc(uscc).await? else { return Ok(None) };
                let names: Vec<String> = dbs
                    .departments(enterprise.id)
                    .await?
                    .into_iter()
                    .filter(|d| d.path.starts_with(prefix.as_str()))
                    .map(|d| d.name)
                    .collect();
                if names.is_empty() {
                    return Ok(None);
                }
                Some(names)
            }
            _ => None,
        };
        Ok(Some(ReachSlice {
            region_prefix: probe.region.clone(),
            employer_uscc: probe.enterprise.clone(),
            departments,
            holder_index: probe.holder.clone(),
        }))
    }

    fn query_of(&self, req: &SearchRequest) -> Result<CertificateQuery, SearchError> {
        let mut q = CertificateQuery::default();
        if let Some(raw) = req.name.as_deref().filter(|n| !n.trim().is_empty()) {
            let name = HolderName::parse(raw).map_err(|_| SearchError::Invalid("name is 1 to 40 letters"))?;
            q.name = Some(within_one_edit(name.expose()));
            q.name_variants = variants(name.expose());
        }
        if let Some(raw) = req.id_number.as_deref().filter(|n| !n.trim().is_empty()) {
            let id =
                IdNumber::parse(raw.trim()).map_err(|_| SearchError::Invalid("id_number is not a valid ID number"))?;
            q.holder_index = Some(self.store.holder_index(&id));
        }
        if let Some(raw) = req.enterprise.as_deref().filter(|n| !n.trim().is_empty()) {
            let uscc =
                Uscc::parse(raw.trim()).map_err(|_| SearchError::Invalid("enterprise is a USCC (18 characters)"))?;
            q.employer_uscc = Some(uscc.as_str().to_owned());
        }
        q.department = text(&req.department, 64, "department is at most 64 characters")?;
        q.position = text(&req.position, 64, "position is at most 64 characters")?;
        q.industry = text(&req.industry, 64, "industry is at most 64 characters")?;
        q.cert_type = text(&req.cert_type, 128, "cert_type is at most 128 characters")?;
        if let Some(year) = req.issue_year {
            if !(1949..=2200).contains(&year) {
                return Err(SearchError::Invalid("issue_year is a year such as 2023"));
            }
            q.issue_year = Some(year);
        }
        if let Some(raw) = req.status.as_deref().filter(|s| !s.trim().is_empty()) {
            let status: Status = raw
                .trim()
                .parse()
                .map_err(|_| SearchError::Invalid("status is valid, expiring, expired, revoked or suspended"))?;
            q.status = Some(status.code().to_owned());
        }
        Ok(q)
    }

    /// Whether a search request is well-formed, without running it.
    pub fn check_search(&self, req: &SearchRequest) -> Result<(), SearchError> {
        self.query_of(req)?;
        sort_of(req.sort.as_deref())?;
        if req.per_page.is_some_and(|p| !(1..=MAX_PER_PAGE).contains(&p)) || req.page == Some(0) {
            return Err(SearchError::Invalid("per_page is 1 to 100 and page starts at 1"));
        }
        Ok(())
    }

    /// One page of the certificates of `tenant` this caller may read that
    /// match the request.
    pub async fn search_as(
        &self,
        caller: &Caller,
        tenant: &str,
        req: &SearchRequest,
        locale: Locale,
    ) -> Result<SearchPage, SearchError> {
        let config = self.tenants.find(tenant).ok_or(SearchError::UnknownTenant)?;
        let query = self.query_of(req)?;
        let (sort, descending) = sort_of(req.sort.as_deref())?;
        let per_page = req.per_page.unwrap_or(20);
        if !(1..=MAX_PER_PAGE).contains(&per_page) {
            return Err(SearchError::Invalid("per_page is 1 to 100"));
        }
        let page = req.page.unwrap_or(1);
        let offset = page
            .checked_sub(1)
            .and_then(|p| p.checked_mul(per_page))
            .ok_or(SearchError::Invalid("page starts at 1"))?;
        if offset > MAX_OFFSET {
            return Err(SearchError::Invalid("pages go up to 10,000 results deep; narrow the search"));
        }
        let reach = self.reach_of(caller, config.slug.as_str()).await?;
        let page_request = PageRequest { sort, descending, offset, limit: per_page };
        let found = self.store.search(&config.slug, &reach, &query, page_request).await?;
        let mut items = Vec::with_capacity(found.records.len());
        let mut paths = HashMap::new();
        for record in &found.records {
            items.push(self.view_as(caller, config, record, locale, &mut paths).await?);
        }
        Ok(SearchPage { total: found.total, page, per_page, items })
    }

    /// Names and numbers starting with `prefix`, within what the caller
    /// may read.
    pub async fn suggest_as(
        &self,
        caller: &Caller,
        tenant: &str,
        prefix: &str,
    ) -> Result<Vec<Suggestion>, SearchError> {
        let config = self.tenants.find(tenant).ok_or(SearchError::UnknownTenant)?;
        let prefix = prefix.trim();
        let is_name = HolderName::parse(prefix).is_ok();
        let is_number = !prefix.is_empty()
            && prefix.len() <= MAX_PREFIX
            && prefix.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !is_name && !is_number {
            return Err(SearchError::Invalid("q is the start of a name or a certificate number"));
        }
        let reach = self.reach_of(caller, config.slug.as_str()).await?;
        let records = self.store.suggest(&config.slug, &reach, prefix, (is_name, is_number), SUGGESTIONS).await?;
        let mut paths = HashMap::new();
        let mut out = Vec::with_capacity(records.len());
        for record in &records {
            let resource = self.resource_of(caller, record, config.slug.as_str(), &mut paths).await?;
            let holder_name = if self.identity.shows_personal(caller, &resource) {
                record.holder_name.clone()
            } else {
                safecert_domain::mask_name(&record.holder_name)
            };
            out.push(Suggestion { cert_no: record.cert_no.clone(), holder_name });
        }
        Ok(out)
    }

    /// The certificate as a resource of the policy; the department path
    /// only matters to callers of the same enterprise.
    pub(crate) async fn resource_of(
        &self,
        caller: &Caller,
        record: &CertificateRecord,
        tenant: &str,
        paths: &mut HashMap<(String, String), Option<String>>,
    ) -> Result<Resource, StorageError> {
        let mut resource = Resource::new(ObjectKind::Certificate, tenant)
            .region(&record.region_code)
            .enterprise(&record.employer_uscc)
            .holder(&record.id_index);
        if works_for(caller, &record.employer_uscc) {
            let key = (record.employer_uscc.clone(), record.department.clone());
            let path = match paths.get(&key) {
                Some(path) => path.clone(),
                None => {
                    let path = self.store.databases().department_path(&key.0, &key.1).await?;
                    paths.insert(key, path.clone());
                    path
                }
            };
            if let Some(path) = path {
                resource = resource.dept(&path);
            }
        }
        Ok(resource)
    }

    /// One found certificate as the caller may see it.
    async fn view_as(
        &self,
        caller: &Caller,
        config: &crate::TenantConfig,
        record: &CertificateRecord,
        locale: Locale,
        paths: &mut HashMap<(String, String), Option<String>>,
    ) -> Result<CertificateView, SearchError> {
        let rules = self.rules.get(&config.slug).ok_or(SearchError::UnknownTenant)?;
        let resource = self.resource_of(caller, record, config.slug.as_str(), paths).await?;
        let mut view = CertificateView::masked(record, config, &rules, self.today(), locale)?;
        if self.identity.shows_personal(caller, &resource) {
            view.holder_name = record.holder_name.clone();
            if let Ok(no) = CertNo::parse(&record.cert_no)
                && let Some(id) = self.store.reveal_id_number(&config.slug, &no).await?
            {
                view.id_number = Some(id.expose().to_owned());
            }
        }
        Ok(view)
    }
}
