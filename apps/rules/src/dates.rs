//! Dates as the scripts see them: whole days since 1970-01-01, so they fit
//! the engine's 32-bit integers, compare with `<` and subtract to a number of
//! days. Scripts build and shift them with the helpers registered here and
//! never parse date text themselves.

use chrono::{Datelike, Months, NaiveDate};
use rhai::INT;

const EPOCH: NaiveDate = match NaiveDate::from_ymd_opt(1970, 1, 1) {
    Some(d) => d,
    None => NaiveDate::MIN,
};

/// The day number of a date.
pub fn to_day(date: NaiveDate) -> INT {
    // Every date the service stores lies within ±5 million years of 1970.
    INT::try_from((date - EPOCH).num_days()).unwrap_or(INT::MAX)
}

/// The date of a day number, if it is one chrono can represent.
pub fn from_day(day: INT) -> Option<NaiveDate> {
    EPOCH.checked_add_signed(chrono::TimeDelta::try_days(i64::from(day))?)
}

pub fn ymd(year: INT, month: INT, day: INT) -> Option<INT> {
    let month = u32::try_from(month).ok()?;
    let day = u32::try_from(day).ok()?;
    NaiveDate::from_ymd_opt(year, month, day).map(to_day)
}

/// Shifts by whole months; the 31st becomes the last day of a shorter
/// month, and 29 February becomes 28 February in a common year.
pub fn add_months(day: INT, months: INT) -> Option<INT> {
    let date = from_day(day)?;
    let shifted = if months >= 0 {
        date.checked_add_months(Months::new(months.unsigned_abs()))
    } else {
        date.checked_sub_months(Months::new(months.unsigned_abs()))
    }?;
    Some(to_day(shifted))
}

pub fn add_years(day: INT, years: INT) -> Option<INT> {
    add_months(day, years.checked_mul(12)?)
}

pub fn year(day: INT) -> Option<INT> {
    from_day(day).map(|d| d.year())
}

pub fn month(day: INT) -> Option<INT> {
    from_day(day).and_then(|d| INT::try_from(d.month()).ok())
}

pub fn day_of_month(day: INT) -> Option<INT> {
    from_day(day).and_then(|d| INT::try_from(d.day()).ok())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> INT {
        to_day(s.parse().unwrap())
    }

    #[test]
    fn day_numbers_round_trip_and_shift_like_a_calendar() {
        assert_eq!(d("1970-01-01"), 0);
        assert_eq!(from_day(d("2026-11-27")).unwrap().to_string(), "2026-11-27");
        assert_eq!(add_years(d("2024-02-29"), 3), Some(d("2027-02-28")));
        assert_eq!(add_months(d("2026-01-31"), 1), Some(d("2026-02-28")));
        assert_eq!(add_months(d("2026-03-31"), -1), Some(d("2026-02-28")));
        assert_eq!(ymd(2026, 2, 30), None);
        assert_eq!(
            (year(d("2026-11-27")), month(d("2026-11-27")), day_of_month(d("2026-11-27"))),
            (Some(2026), Some(11), Some(27))
        );
    }
}
