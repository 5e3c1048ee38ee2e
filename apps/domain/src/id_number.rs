use std::fmt;

/// A resident identity number under GB 11643-1999: 17 digits and a check
/// character. `Debug` and `Display` never print it; use [`IdNumber::masked`]
/// for display and [`IdNumber::expose`] only to encrypt or index it.
#[derive(Clone, PartialEq, Eq)]
pub struct IdNumber(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum IdNumberError {
    #[error("an ID number has 18 characters: 17 digits and a digit or X")]
    Shape,
    #[error("the ID number's check character does not match (GB 11643)")]
    Checksum,
}

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK: &[u8; 11] = b"10X98765432";

impl IdNumber {
    pub fn parse(raw: &str) -> Result<Self, IdNumberError> {
        let raw = raw.trim();
        // Most text asked about is not an ID number: told apart before
        // anything is copied.
        if raw.len() != 18 {
            return Err(IdNumberError::Shape);
        }
        let upper = raw.to_ascii_uppercase();
        let bytes = upper.as_bytes();
        if bytes.len() != 18
            || !bytes[..17].iter().all(u8::is_ascii_digit)
            || !(bytes[17].is_ascii_digit() || bytes[17] == b'X')
        {
            return Err(IdNumberError::Shape);
        }
        if Self::check_char(&bytes[..17]) != bytes[17] {
            return Err(IdNumberError::Checksum);
        }
        Ok(Self(upper))
    }

    /// The check character for 17 leading digits, as GB 11643 defines it.
    pub fn check_char(body: &[u8]) -> u8 {
        let sum: u32 = body.iter().zip(WEIGHTS).map(|(d, w)| u32::from(d - b'0') * w).sum();
        CHECK[(sum % 11) as usize]
    }

    /// `110105********002X`: the region and the last four, nothing else.
    pub fn masked(&self) -> String {
        format!("{}********{}", &self.0[..6], &self.0[14..])
    }

    /// The plain number, for encryption and the blind index only.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for IdNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "IdNumber({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_standards_own_example_is_valid() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert_eq!(id.masked(), "110105********002X");
    }

    #[test]
    fn lower_case_x_and_spaces_are_accepted() {
        assert!(IdNumber::parse(" 11010519491231002x ").is_ok());
    }

    #[test]
    fn a_wrong_check_character_is_refused() {
        assert_eq!(IdNumber::parse("110105194912310021"), Err(IdNumberError::Checksum));
    }

    #[test]
    fn wrong_shapes_are_refused() {
        for bad in ["", "11010519491231002", "11010519491231002XX", "11010519491231002Y", "1101051949123１002X"] {
            assert_eq!(IdNumber::parse(bad), Err(IdNumberError::Shape), "{bad:?}");
        }
    }

    #[test]
    fn debug_never_prints_the_middle_digits() {
        let id = IdNumber::parse("11010519491231002X").unwrap();
        assert!(!format!("{id:?}").contains("19491231"));
    }
}
