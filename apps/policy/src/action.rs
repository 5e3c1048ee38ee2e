use std::fmt;

/// What is touched.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ObjectKind {
    Certificate,
    Department,
    Account,
    Grant,
    RegionAccess,
    Institution,
    Rules,
    /// A regulator's account (provincial administrators create them).
    RegulatorAccount,
    /// A provincial administrator's account (the platform creates them).
    ProvinceAdminAccount,
    Audit,
    /// A system's credential that acts for the account that made it.
    ApiClient,
    /// The enterprises an SME subscriber manages.
    Subscription,
    /// Training records an approved institution uploads.
    TrainingRecord,
    /// Certificate queries kept out of the query log (privacy mode).
    PrivateQueries,
    /// Checking a spreadsheet of certificates at once.
    BatchVerification,
    /// The row-by-row results of a batch verification (without them, its
    /// counts only).
    BatchRows,
    /// A holder's electronic certificate (电子证照), as a signed PDF.
    ECertificate,
}

impl ObjectKind {
    pub fn as_str(self) -> &'static str {
        match self {
            ObjectKind::Certificate => "certificate",
            ObjectKind::Department => "department",
            ObjectKind::Account => "account",
            ObjectKind::Grant => "grant",
            ObjectKind::RegionAccess => "region_access",
            ObjectKind::Institution => "institution",
            ObjectKind::Rules => "rules",
            ObjectKind::RegulatorAccount => "regulator_account",
            ObjectKind::ProvinceAdminAccount => "province_admin_account",
            ObjectKind::Audit => "audit",
            ObjectKind::ApiClient => "api_client",
            ObjectKind::Subscription => "subscription",
            ObjectKind::TrainingRecord => "training_record",
            ObjectKind::PrivateQueries => "private_queries",
            ObjectKind::BatchVerification => "batch_verification",
            ObjectKind::BatchRows => "batch_rows",
            ObjectKind::ECertificate => "e_certificate",
        }
    }

    pub const ALL: [ObjectKind; 17] = [
        ObjectKind::Certificate,
        ObjectKind::Department,
        ObjectKind::Account,
        ObjectKind::Grant,
        ObjectKind::RegionAccess,
        ObjectKind::Institution,
        ObjectKind::Rules,
        ObjectKind::RegulatorAccount,
        ObjectKind::ProvinceAdminAccount,
        ObjectKind::Audit,
        ObjectKind::ApiClient,
        ObjectKind::Subscription,
        ObjectKind::TrainingRecord,
        ObjectKind::PrivateQueries,
        ObjectKind::BatchVerification,
        ObjectKind::BatchRows,
        ObjectKind::ECertificate,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|k| k.as_str() == s)
    }
}

/// What is done to it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Action {
    /// See it, with personal data masked.
    Read,
    /// See the personal data (ID number, phone) unmasked.
    ReadPersonal,
    Export,
    Manage,
    Request,
    Approve,
    Review,
    Upload,
}

impl Action {
    pub fn as_str(self) -> &'static str {
        match self {
            Action::Read => "read",
            Action::ReadPersonal => "read_personal",
            Action::Export => "export",
            Action::Manage => "manage",
            Action::Request => "request",
            Action::Approve => "approve",
            Action::Review => "review",
            Action::Upload => "upload",
        }
    }

    pub const ALL: [Action; 8] = [
        Action::Read,
        Action::ReadPersonal,
        Action::Export,
        Action::Manage,
        Action::Request,
        Action::Approve,
        Action::Review,
        Action::Upload,
    ];

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
