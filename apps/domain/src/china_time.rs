//! China's civil time, UTC+8 all year, in which certificate dates are
//! written, the nightly scan is scheduled and proofs are stamped.

use chrono::{DateTime, FixedOffset, NaiveDate, Utc};

/// UTC+8, built when compiled: were the offset out of range, the build
/// would fail, never a request.
#[allow(clippy::panic)]
pub const CHINA_OFFSET: FixedOffset = match FixedOffset::east_opt(8 * 3600) {
    Some(offset) => offset,
    None => panic!("UTC+8 is within a day"),
};

/// The time now, on China's clocks.
pub fn china_now() -> DateTime<FixedOffset> {
    Utc::now().with_timezone(&CHINA_OFFSET)
}

/// Today's date in China.
pub fn china_today() -> NaiveDate {
    china_now().date_naive()
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    #[test]
    fn china_is_eight_hours_ahead_of_utc() {
        assert_eq!(CHINA_OFFSET.local_minus_utc(), 8 * 3600);
    }

    #[test]
    fn sixteen_hundred_utc_is_already_tomorrow_in_china() {
        let late = Utc.with_ymd_and_hms(2026, 12, 31, 16, 0, 0).single().map(|t| t.with_timezone(&CHINA_OFFSET));
        assert_eq!(late.map(|t| t.date_naive()), NaiveDate::from_ymd_opt(2027, 1, 1));
    }
}
