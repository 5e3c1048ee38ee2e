/// Where a certificate stands on a given day. Which one applies is decided
/// by the province's rules, never here.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Expiring,
    Expired,
    Revoked,
    Suspended,
}

impl Status {
    pub fn code(self) -> &'static str {
        match self {
            Self::Valid => "valid",
            Self::Expiring => "expiring",
            Self::Expired => "expired",
            Self::Revoked => "revoked",
            Self::Suspended => "suspended",
        }
    }
}

impl std::str::FromStr for Status {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, String> {
        [Self::Valid, Self::Expiring, Self::Expired, Self::Revoked, Self::Suspended]
            .into_iter()
            .find(|st| st.code() == s)
            .ok_or_else(|| format!("unknown status {s:?}"))
    }
}
