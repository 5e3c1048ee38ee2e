//! Table and column names, shared by the queries of this crate. The tables
//! themselves are created by the migrations crate.

use sea_orm::DeriveIden;

#[derive(DeriveIden, Clone, Copy)]
pub enum Certificates {
    Table,
    Id,
    CertNo,
    HolderName,
    IdCipher,
    IdIndex,
    IdMasked,
    EmployerUscc,
    EmployerName,
    Department,
    RegionCode,
    Position,
    Industry,
    CertType,
    IssuingAuthority,
    IssueDate,
    ExpiryDate,
    RevocationKind,
    RevocationOn,
    RevocationReason,
    ReviewedOn,
    Status,
    Training,
    Reviews,
    CustomFields,
    CreatedAt,
    UpdatedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum Tenants {
    Table,
    Slug,
    Code,
    NameZh,
    NameEn,
    NameUg,
    DefaultLocale,
    SyncedAt,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum CertDirectory {
    Table,
    CertNo,
    TenantSlug,
    UpdatedAt,
    HolderName,
    CertType,
    IssuingAuthority,
    IssueDate,
    ExpiryDate,
    RevocationKind,
    RevocationOn,
    ReviewedOn,
}

/// The directory columns public verification reads.
pub const DIRECTORY_COLUMNS: [CertDirectory; 9] = [
    CertDirectory::TenantSlug,
    CertDirectory::HolderName,
    CertDirectory::CertType,
    CertDirectory::IssuingAuthority,
    CertDirectory::IssueDate,
    CertDirectory::ExpiryDate,
    CertDirectory::RevocationKind,
    CertDirectory::RevocationOn,
    CertDirectory::ReviewedOn,
];

/// The columns a lookup reads, in one place so every reader agrees.
pub const RECORD_COLUMNS: [Certificates; 19] = [
    Certificates::CertNo,
    Certificates::HolderName,
    Certificates::IdMasked,
    Certificates::IdIndex,
    Certificates::EmployerUscc,
    Certificates::EmployerName,
    Certificates::Department,
    Certificates::RegionCode,
    Certificates::Position,
    Certificates::Industry,
    Certificates::CertType,
    Certificates::IssuingAuthority,
    Certificates::IssueDate,
    Certificates::ExpiryDate,
    Certificates::RevocationKind,
    Certificates::RevocationOn,
    Certificates::RevocationReason,
    Certificates::ReviewedOn,
    Certificates::UpdatedAt,
];

#[derive(DeriveIden, Clone, Copy)]
pub enum RuleVersions {
    Table,
    Id,
    TenantSlug,
    Version,
    Script,
    Data,
    Note,
    UploadedBy,
    UploadedAt,
    Report,
}

#[derive(DeriveIden, Clone, Copy)]
pub enum RuleActivations {
    Table,
    Id,
    TenantSlug,
    FromVersion,
    ToVersion,
    Actor,
    Reason,
    At,
}
