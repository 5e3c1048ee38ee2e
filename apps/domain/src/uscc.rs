use std::fmt;

/// A unified social credit code (统一社会信用代码) under GB 32100-2015:
/// 17 characters from a 31-character alphabet and a check character.
#[derive(Clone, PartialEq, Eq, Hash, serde::Serialize)]
#[serde(transparent)]
pub struct Uscc(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum UsccError {
    #[error("a unified social credit code has 18 characters from 0-9 and A-Y without I, O, S, V, Z")]
    Shape,
    #[error("the unified social credit code's check character does not match (GB 32100)")]
    Checksum,
}

pub(crate) const ALPHABET: &[u8; 31] = b"0123456789ABCDEFGHJKLMNPQRTUWXY";
const WEIGHTS: [u32; 17] = [1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28];

fn value(c: u8) -> Option<u32> {
    ALPHABET.iter().position(|&a| a == c).map(|p| p as u32)
}

impl Uscc {
    pub fn parse(raw: &str) -> Result<Self, UsccError> {
        let upper = raw.trim().to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 18 || !bytes.iter().all(|&c| value(c).is_some()) {
            return Err(UsccError::Shape);
        }
        if Self::check_char(&bytes[..17]) != Some(bytes[17]) {
            return Err(UsccError::Checksum);
        }
        Ok(Self(upper))
    }

    /// The check character for a 17-character body, or `None` if the body
    /// holds a character outside the alphabet.
    pub fn check_char(body: &[u8]) -> Option<u8> {
        let mut sum = 0;
        for (&c, w) in body.iter().zip(WEIGHTS) {
            sum += value(c)? * w;
        }
        let check = (31 - sum % 31) % 31;
        Some(ALPHABET[check as usize])
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Debug for Uscc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Uscc({})", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_example_has_check_character_3() {
        assert_eq!(Uscc::check_char(b"91350100M000100Y4"), Some(b'3'));
        assert!(Uscc::parse("91350100M000100Y43").is_ok());
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        assert_eq!(Uscc::parse("91350100M000100Y44"), Err(UsccError::Checksum));
    }

    #[test]
    fn letters_outside_the_alphabet_are_refused() {
        for bad in ["91350100M000100I43", "91350100M000100Y4", "", "91350100M000100Y43X"] {
            assert_eq!(Uscc::parse(bad), Err(UsccError::Shape), "{bad:?}");
        }
    }
}
