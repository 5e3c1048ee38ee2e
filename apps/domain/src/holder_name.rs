use std::fmt;

/// A certificate holder's name: 1 to 40 letters (any script), with the
/// middle dot of names such as 买买提·艾力, spaces, apostrophes and hyphens.
/// `Debug` prints the masked form only.
#[derive(Clone, PartialEq, Eq)]
pub struct HolderName(String);

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum HolderNameError {
    #[error("the name is empty")]
    Empty,
    #[error("a name has at most 40 characters")]
    TooLong,
    #[error("a name holds only letters, spaces, '·', '-' and apostrophes")]
    Characters,
}

pub const MAX_NAME_CHARS: usize = 40;

impl HolderName {
    pub fn parse(raw: &str) -> Result<Self, HolderNameError> {
        let trimmed = raw.trim();
        if trimmed.is_empty() {
            return Err(HolderNameError::Empty);
        }
        if trimmed.chars().nth(MAX_NAME_CHARS).is_some() {
            return Err(HolderNameError::TooLong);
        }
        let allowed = |c: char| c.is_alphabetic() || matches!(c, ' ' | '·' | '•' | '.' | '-' | '\'');
        if !trimmed.chars().all(allowed) {
            return Err(HolderNameError::Characters);
        }
        Ok(Self(trimmed.to_owned()))
    }

    pub fn masked(&self) -> String {
        crate::mask_name(&self.0)
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for HolderName {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "HolderName({})", self.masked())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_in_every_script_parse() {
        for ok in ["张三", " 欧阳修 ", "买买提·艾力", "ئەخمەت", "Anna-Lena O'Neil"] {
            assert!(HolderName::parse(ok).is_ok(), "{ok:?}");
        }
    }

    #[test]
    fn markup_digits_and_long_input_are_refused() {
        assert_eq!(HolderName::parse(""), Err(HolderNameError::Empty));
        assert_eq!(HolderName::parse(&"张".repeat(10_000)), Err(HolderNameError::TooLong));
        for bad in ["<b>张三</b>", "张三'; --", "张三1", "a\u{0}b"] {
            assert_eq!(HolderName::parse(bad), Err(HolderNameError::Characters), "{bad:?}");
        }
    }
}
