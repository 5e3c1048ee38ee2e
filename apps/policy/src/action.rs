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
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use ObjectKind::*;
        [Certificate, Department, Account, Grant, RegionAccess, Institution, Rules]
            .into_iter()
            .find(|k| k.as_str() == s)
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
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        use Action::*;
        [Read, ReadPersonal, Export, Manage, Request, Approve, Review].into_iter().find(|a| a.as_str() == s)
    }
}

impl fmt::Display for Action {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}
