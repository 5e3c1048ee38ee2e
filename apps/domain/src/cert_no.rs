use std::fmt;

/// A certificate number as printed on the certificate, normalized: spaces
/// removed, letters upper-case. Only `0-9`, `A-Z` and `-`, 4 to 32 characters.
/// A tenant's rules may narrow the format further; nothing wider gets in.
#[derive(Clone, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize)]
#[serde(transparent)]
pub struct CertNo(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CertNoError {
    #[error("the certificate number is empty")]
    Empty,
    #[error("a certificate number has 4 to 32 characters")]
    Length,
    #[error("a certificate number holds only digits, Latin letters and '-'")]
    Characters,
}

pub const MAX_CERT_NO_LEN: usize = 32;

impl CertNo {
    pub fn parse(raw: &str) -> Result<Self, CertNoError> {
        if raw.len() > MAX_CERT_NO_LEN * 4 {
            return Err(CertNoError::Length);
        }
        // Most numbers come already in their normal form: copied whole.
        let normal = |b: &u8| b.is_ascii_uppercase() || b.is_ascii_digit() || *b == b'-';
        let normalized: String = if raw.as_bytes().iter().all(normal) {
            raw.to_owned()
        } else {
            raw.chars().filter(|c| !c.is_whitespace()).map(|c| c.to_ascii_uppercase()).collect()
        };
        if normalized.is_empty() {
            return Err(CertNoError::Empty);
        }
        if !normalized.chars().all(|c| c.is_ascii_alphanumeric() || c == '-') {
            return Err(CertNoError::Characters);
        }
        if !(4..=MAX_CERT_NO_LEN).contains(&normalized.len()) {
            return Err(CertNoError::Length);
        }
        Ok(Self(normalized))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for CertNo {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CertNo({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spaces_and_case_are_normalized() {
        assert_eq!(CertNo::parse(" gd 2023-0001 ").unwrap().as_str(), "GD2023-0001");
    }

    #[test]
    fn malformed_numbers_say_what_is_wrong() {
        let long = "A".repeat(33);
        let cases = [
            ("", CertNoError::Empty),
            ("   ", CertNoError::Empty),
            ("AB1", CertNoError::Length),
            (long.as_str(), CertNoError::Length),
            ("GD'; DROP TABLE x;--", CertNoError::Characters),
            ("<script>", CertNoError::Characters),
            ("粤2023", CertNoError::Characters),
        ];
        for (raw, err) in cases {
            assert_eq!(CertNo::parse(raw), Err(err), "{raw:?}");
        }
    }
}
