use std::{fmt, str::FromStr};

/// What an account is, as the role templates in `policies/roles.csv` name it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Individual,
    Employee,
    DepartmentAdmin,
    EnterpriseAdmin,
    SmeSubscriber,
    /// A training institution whose application awaits its review.
    InstitutionApplicant,
    Institution,
    Regulator,
    ProvincialAdmin,
    PlatformAdmin,
    ApiClient,
}

impl Role {
    pub const ALL: [Role; 11] = [
        Role::Individual,
        Role::Employee,
        Role::DepartmentAdmin,
        Role::EnterpriseAdmin,
        Role::SmeSubscriber,
        Role::InstitutionApplicant,
        Role::Institution,
        Role::Regulator,
        Role::ProvincialAdmin,
        Role::PlatformAdmin,
        Role::ApiClient,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Role::Individual => "individual",
            Role::Employee => "employee",
            Role::DepartmentAdmin => "department_admin",
            Role::EnterpriseAdmin => "enterprise_admin",
            Role::SmeSubscriber => "sme_subscriber",
            Role::InstitutionApplicant => "institution_applicant",
            Role::Institution => "institution",
            Role::Regulator => "regulator",
            Role::ProvincialAdmin => "provincial_admin",
            Role::PlatformAdmin => "platform_admin",
            Role::ApiClient => "api_client",
        }
    }
}

#[derive(Debug, thiserror::Error)]
#[error("unknown role {0:?}")]
pub struct UnknownRole(pub String);

impl FromStr for Role {
    type Err = UnknownRole;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Role::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| UnknownRole(s.to_owned()))
    }
}

impl fmt::Display for Role {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
