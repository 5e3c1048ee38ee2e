use chrono::NaiveDate;

use crate::{CertNo, HolderName, IdNumber, RegionCode, Status, TenantSlug, Uscc};

/// Why a certificate no longer counts, if it doesn't.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RevocationKind {
    Revoked,
    Suspended,
}

impl RevocationKind {
    /// The stable code stored and given to the province's rules.
    pub fn code(self) -> &'static str {
        match self {
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Revocation {
    pub kind: RevocationKind,
    pub on: NaiveDate,
    pub reason: String,
}

/// One course of the training behind a certificate.
#[derive(Clone, Debug, PartialEq, serde::Serialize, serde::Deserialize)]
pub struct TrainingRecord {
    pub course: String,
    pub hours: u32,
    pub exam_score: Option<u32>,
}

/// One review (复审) a certificate passed: the day and who reviewed it.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
pub struct Review {
    pub on: NaiveDate,
    pub authority: String,
}

/// A certificate as the domain sees it: parsed fields, plain ID number.
/// It never reaches storage or a response as is: storage encrypts the ID
/// number, responses mask what the caller may not see.
#[derive(Clone, Debug)]
pub struct Certificate {
    pub tenant: TenantSlug,
    pub cert_no: CertNo,
    pub holder_name: HolderName,
    pub id_number: IdNumber,
    pub employer_uscc: Uscc,
    pub employer_name: String,
    pub department: String,
    pub region: RegionCode,
    pub position: String,
    pub industry: String,
    pub cert_type: String,
    pub issuing_authority: String,
    pub issue_date: NaiveDate,
    /// The expiry the province's rules gave when the record was written.
    pub expiry_date: NaiveDate,
    /// The last passed review (复审) or granted extension, if any.
    pub reviewed_on: Option<NaiveDate>,
    /// Every review, oldest first (the last is `reviewed_on`).
    pub reviews: Vec<Review>,
    /// The status the province's rules gave when the record was written;
    /// readers compute it afresh for their day.
    pub status: Status,
    pub training: Vec<TrainingRecord>,
    pub revocation: Option<Revocation>,
    pub custom_fields: serde_json::Map<String, serde_json::Value>,
}
