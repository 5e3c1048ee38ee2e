use chrono::{DateTime, FixedOffset, NaiveDate};
use safecert_domain::{RevocationKind, iso_date};
use serde::{Deserialize, Serialize};

use crate::{StorageError, point_read::row_in_order};

/// A certificate as stored, without its encrypted ID number, training
/// records or custom fields: what lookups read and what the cache keeps.
/// The ID number appears only masked.
#[derive(Clone, Serialize, Deserialize, PartialEq)]
pub struct CertificateRecord {
    pub cert_no: String,
    pub holder_name: String,
    pub id_masked: String,
    /// The keyed blind index of the ID number: who the holder is, for
    /// access decisions, without the number itself.
    #[serde(default)]
    pub id_index: String,
    pub employer_uscc: String,
    pub employer_name: String,
    pub department: String,
    pub region_code: String,
    pub position: String,
    pub industry: String,
    pub cert_type: String,
    pub issuing_authority: String,
    #[serde(serialize_with = "iso_date::serialize")]
    pub issue_date: NaiveDate,
    #[serde(serialize_with = "iso_date::serialize")]
    pub expiry_date: NaiveDate,
    pub revocation_kind: Option<RevocationKind>,
    #[serde(serialize_with = "iso_date::serialize_option")]
    pub revocation_on: Option<NaiveDate>,
    pub revocation_reason: Option<String>,
    #[serde(serialize_with = "iso_date::serialize_option")]
    pub reviewed_on: Option<NaiveDate>,
    pub updated_at: DateTime<FixedOffset>,
}

impl std::fmt::Debug for CertificateRecord {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "CertificateRecord({})", self.cert_no)
    }
}

row_in_order! {
/// One row as the database returns it, its fields in the order of
/// `RECORD_COLUMNS`.
pub(crate) struct CertificateRow {
    cert_no: String,
    holder_name: String,
    id_masked: String,
    id_index: String,
    employer_uscc: String,
    employer_name: String,
    department: String,
    region_code: String,
    position: String,
    industry: String,
    cert_type: String,
    issuing_authority: String,
    issue_date: NaiveDate,
    expiry_date: NaiveDate,
    revocation_kind: Option<String>,
    revocation_on: Option<NaiveDate>,
    revocation_reason: Option<String>,
    reviewed_on: Option<NaiveDate>,
    updated_at: DateTime<FixedOffset>,
}
}

pub(crate) fn parse_revocation_kind(code: Option<&str>, cert_no: &str) -> Result<Option<RevocationKind>, StorageError> {
    match code {
        None => Ok(None),
        Some("revoked") => Ok(Some(RevocationKind::Revoked)),
        Some("suspended") => Ok(Some(RevocationKind::Suspended)),
        Some(other) => Err(StorageError::Corrupt(format!("certificate {cert_no}: unknown revocation kind {other:?}"))),
    }
}

impl TryFrom<CertificateRow> for CertificateRecord {
    type Error = StorageError;

    fn try_from(row: CertificateRow) -> Result<Self, StorageError> {
        let revocation_kind = parse_revocation_kind(row.revocation_kind.as_deref(), &row.cert_no)?;
        Ok(Self {
            cert_no: row.cert_no,
            holder_name: row.holder_name,
            id_masked: row.id_masked,
            id_index: row.id_index,
            employer_uscc: row.employer_uscc,
            employer_name: row.employer_name,
            department: row.department,
            region_code: row.region_code,
            position: row.position,
            industry: row.industry,
            cert_type: row.cert_type,
            issuing_authority: row.issuing_authority,
            issue_date: row.issue_date,
            expiry_date: row.expiry_date,
            revocation_kind,
            revocation_on: row.revocation_on,
            revocation_reason: row.revocation_reason,
            reviewed_on: row.reviewed_on,
            updated_at: row.updated_at,
        })
    }
}
