use chrono::NaiveDate;
use safecert_domain::{RevocationKind, TenantSlug, iso_date};
use serde::{Deserialize, Serialize};

use crate::{CertificateRecord, StorageError, point_read::row_in_order, record::parse_revocation_kind};

/// A certificate as the national directory knows it: its province and
/// what public verification shows. Read in one query whatever the
/// province; cached like a record.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct DirectoryEntry {
    pub tenant: TenantSlug,
    pub cert_no: String,
    pub holder_name: String,
    pub cert_type: String,
    pub issuing_authority: String,
    #[serde(serialize_with = "iso_date::serialize")]
    pub issue_date: NaiveDate,
    #[serde(serialize_with = "iso_date::serialize")]
    pub expiry_date: NaiveDate,
    pub revocation_kind: Option<RevocationKind>,
    #[serde(serialize_with = "iso_date::serialize_option")]
    pub revocation_on: Option<NaiveDate>,
    #[serde(serialize_with = "iso_date::serialize_option")]
    pub reviewed_on: Option<NaiveDate>,
}

impl std::fmt::Debug for DirectoryEntry {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "DirectoryEntry({}, {})", self.tenant, self.cert_no)
    }
}

impl DirectoryEntry {
    pub(crate) fn from_record(tenant: TenantSlug, record: &CertificateRecord) -> Self {
        Self {
            tenant,
            cert_no: record.cert_no.clone(),
            holder_name: record.holder_name.clone(),
            cert_type: record.cert_type.clone(),
            issuing_authority: record.issuing_authority.clone(),
            issue_date: record.issue_date,
            expiry_date: record.expiry_date,
            revocation_kind: record.revocation_kind,
            revocation_on: record.revocation_on,
            reviewed_on: record.reviewed_on,
        }
    }
}

row_in_order! {
/// A directory row, its fields in the order of `DIRECTORY_COLUMNS`. Rows
/// written before the directory kept the public fields have them empty;
/// [`DirectoryRow::into_entry`] says so.
pub(crate) struct DirectoryRow {
    tenant_slug: String,
    holder_name: Option<String>,
    cert_type: Option<String>,
    issuing_authority: Option<String>,
    issue_date: Option<NaiveDate>,
    expiry_date: Option<NaiveDate>,
    revocation_kind: Option<String>,
    revocation_on: Option<NaiveDate>,
    reviewed_on: Option<NaiveDate>,
}
}

impl DirectoryRow {
    pub fn tenant(&self, no: &str) -> Result<TenantSlug, StorageError> {
        TenantSlug::parse(&self.tenant_slug)
            .map_err(|_| StorageError::Corrupt(format!("directory entry {no} names tenant {:?}", self.tenant_slug)))
    }

    /// The entry of `tenant` (from [`DirectoryRow::tenant`]), or `Ok(None)`
    /// for an older row without public fields.
    pub fn into_entry(self, tenant: TenantSlug, no: &str) -> Result<Option<DirectoryEntry>, StorageError> {
        let (Some(holder_name), Some(cert_type), Some(issuing_authority), Some(issue_date), Some(expiry_date)) =
            (self.holder_name, self.cert_type, self.issuing_authority, self.issue_date, self.expiry_date)
        else {
            return Ok(None);
        };
        Ok(Some(DirectoryEntry {
            tenant,
            cert_no: no.to_owned(),
            holder_name,
            cert_type,
            issuing_authority,
            issue_date,
            expiry_date,
            revocation_kind: parse_revocation_kind(self.revocation_kind.as_deref(), no)?,
            revocation_on: self.revocation_on,
            reviewed_on: self.reviewed_on,
        }))
    }
}
