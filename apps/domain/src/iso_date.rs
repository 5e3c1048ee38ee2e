//! Dates written into JSON as `2026-11-28`, digit by digit, for
//! `#[serde(serialize_with = ...)]`: through the formatter each date cost
//! about a thousand instructions, and a lookup that misses the caches
//! writes up to seven (into what the cache keeps, then into its answer).
//! The text is the formatter's, so chrono reads it back as before.

use chrono::{Datelike, NaiveDate};
use serde::Serializer;

/// A date as `YYYY-MM-DD`; a year outside 0–9999 as the formatter writes it.
pub fn serialize<S: Serializer>(date: &NaiveDate, out: S) -> Result<S::Ok, S::Error> {
    let year = date.year();
    if !(0..=9999).contains(&year) {
        return out.collect_str(date);
    }
    let mut text = *b"0000-00-00";
    let mut put = |at: usize, value: u32, width: usize| {
        for i in 0..width {
            text[at + width - 1 - i] = b'0' + (value / 10u32.pow(i as u32) % 10) as u8;
        }
    };
    put(0, year.unsigned_abs(), 4);
    put(5, date.month(), 2);
    put(8, date.day(), 2);
    out.serialize_str(std::str::from_utf8(&text).unwrap_or_default())
}

/// [`serialize`] for a date that may be missing (`null`).
pub fn serialize_option<S: Serializer>(date: &Option<NaiveDate>, out: S) -> Result<S::Ok, S::Error> {
    match date {
        Some(date) => serialize(date, out),
        None => out.serialize_none(),
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;

    #[derive(serde::Serialize)]
    struct Dated {
        #[serde(serialize_with = "super::serialize")]
        on: NaiveDate,
        #[serde(serialize_with = "super::serialize_option")]
        maybe: Option<NaiveDate>,
    }

    #[test]
    fn dates_are_written_as_the_formatter_writes_them() {
        for (y, m, d) in [(2026, 11, 28), (1999, 1, 5), (7, 12, 31), (9999, 9, 9), (10000, 1, 1), (-1, 3, 4)] {
            let on = NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default();
            let written = serde_json::to_string(&Dated { on, maybe: Some(on) }).ok();
            assert_eq!(written, Some(format!(r#"{{"on":"{on}","maybe":"{on}"}}"#)));
            assert_eq!(serde_json::from_str::<NaiveDate>(&format!(r#""{on}""#)).ok(), Some(on), "read back");
        }
        let none = serde_json::to_string(&Dated { on: NaiveDate::MIN, maybe: None }).ok().unwrap_or_default();
        assert!(none.ends_with(r#""maybe":null}"#), "{none}");
    }
}
