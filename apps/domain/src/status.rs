use chrono::NaiveDate;

use crate::RevocationKind;

/// Where a certificate stands on a given day.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    Valid,
    Expiring,
    Expired,
    Revoked,
    Suspended,
}

impl Status {
    /// The status on `today` of a certificate that expires on `expiry`
    /// (valid through that day), given the tenant's expiring window.
    pub fn on(
        today: NaiveDate,
        expiry: NaiveDate,
        revocation: Option<RevocationKind>,
        expiring_window_days: u32,
    ) -> Self {
        match revocation {
            Some(RevocationKind::Revoked) => return Self::Revoked,
            Some(RevocationKind::Suspended) => return Self::Suspended,
            None => {}
        }
        let days_left = (expiry - today).num_days();
        if days_left < 0 {
            Self::Expired
        } else if days_left < i64::from(expiring_window_days) {
            Self::Expiring
        } else {
            Self::Valid
        }
    }

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

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn status_follows_the_calendar_and_revocation() {
        let expiry = day("2026-12-31");
        let cases = [
            ("2026-01-01", None, Status::Valid, "far from expiry"),
            ("2026-12-01", None, Status::Valid, "31 days left is outside a 30-day window"),
            ("2026-12-02", None, Status::Expiring, "30 days left"),
            ("2026-12-31", None, Status::Expiring, "last valid day"),
            ("2027-01-01", None, Status::Expired, "day after expiry"),
            ("2026-01-01", Some(RevocationKind::Revoked), Status::Revoked, "revocation wins"),
            ("2030-01-01", Some(RevocationKind::Suspended), Status::Suspended, "suspension wins over expiry"),
        ];
        for (today, rev, want, why) in cases {
            assert_eq!(Status::on(day(today), expiry, rev, 30), want, "{why}");
        }
    }
}
