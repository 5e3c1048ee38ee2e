use std::fmt;

/// A six-digit administrative division code (GB/T 2260): `440000` is a
/// province, `440300` a city, `440305` a county.
#[derive(Clone, Copy, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(into = "String")]
pub struct RegionCode([u8; 6]);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
#[error("a region code is six digits, such as 440000 or 440305")]
pub struct RegionCodeError;

impl RegionCode {
    pub fn parse(raw: &str) -> Result<Self, RegionCodeError> {
        let bytes: [u8; 6] = raw.as_bytes().try_into().map_err(|_| RegionCodeError)?;
        if bytes.iter().all(u8::is_ascii_digit) && &bytes[..2] != b"00" {
            Ok(Self(bytes))
        } else {
            Err(RegionCodeError)
        }
    }

    pub fn as_str(&self) -> &str {
        // Only ASCII digits are ever stored.
        std::str::from_utf8(&self.0).unwrap_or("000000")
    }

    /// The province this region belongs to (`440305` → `440000`).
    pub fn province(&self) -> RegionCode {
        let mut p = self.0;
        p[2..].copy_from_slice(b"0000");
        RegionCode(p)
    }

    /// The significant prefix: two digits for a province, four for a city,
    /// six for a county. A region contains every code that starts with it.
    pub fn prefix(&self) -> &str {
        let s = self.as_str();
        if s.ends_with("0000") {
            &s[..2]
        } else if s.ends_with("00") {
            &s[..4]
        } else {
            s
        }
    }

    pub fn contains(&self, other: &RegionCode) -> bool {
        other.as_str().starts_with(self.prefix())
    }
}

impl From<RegionCode> for String {
    fn from(r: RegionCode) -> String {
        r.as_str().to_owned()
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "RegionCode({})", self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_province_contains_its_cities_and_counties() {
        let gd = RegionCode::parse("440000").unwrap();
        let sz = RegionCode::parse("440300").unwrap();
        let ft = RegionCode::parse("440304").unwrap();
        assert!(gd.contains(&sz));
        assert!(sz.contains(&ft));
        assert!(!sz.contains(&RegionCode::parse("440100").unwrap()));
        assert_eq!(ft.province(), gd);
    }

    #[test]
    fn rejects_malformed_codes() {
        for bad in ["", "44000", "4400000", "44000a", "000000", "４４００００"] {
            assert!(RegionCode::parse(bad).is_err(), "{bad:?}");
        }
    }
}
