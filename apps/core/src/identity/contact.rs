//! Sign-in names, phone numbers and email addresses, parsed.

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("a sign-in name is 3 to 64 characters: letters, digits, . _ - @")]
    Login,
    #[error("a phone number is a mainland mobile number of 11 digits starting with 1")]
    Phone,
    #[error("the email address is not valid")]
    Email,
}

/// A sign-in name, lower-cased.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Login(String);

impl Login {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let login = raw.trim().to_lowercase();
        let ok =
            (3..=64).contains(&login.len()) && login.chars().all(|c| c.is_ascii_alphanumeric() || "._-@".contains(c));
        if ok { Ok(Self(login)) } else { Err(ContactError::Login) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A mainland mobile number (`+86` and spaces allowed on input).
#[derive(Clone, PartialEq, Eq)]
pub struct Phone(String);

impl Phone {
    pub fn parse(raw: &str) -> Result<Self, ContactError> {
        let digits: String = raw.chars().filter(|c| !c.is_whitespace() && *c != '-').collect();
        let digits = digits.strip_prefix("+86").unwrap_or(&digits);
        let b = digits.as_bytes();
        if b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && b.iter().all(u8::is_ascii_digit) {
            Ok(Self(digits.to_owned()))
        } else {
            Err(ContactError::Phone)
        }
    }

    pub fn expose(&self) -> &str {
        &self.0
    }

    /// `138****5678`
    pub fn masked(&self) -> String {
        format!("{}****{}", &self.0[..3], &self.0[7..])
    }
}

impl std::fmt::Debug for Phone {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Phone({})", self.masked())
    }
}

/// A plausible email address (the mail server has the last word).
pub fn parse_email(raw: &str) -> Result<String, ContactError> {
    let email = raw.trim();
    let ok = email.len() <= 254
        && email.split_once('@').is_some_and(|(local, domain)| {
            !local.is_empty() && domain.contains('.') && !domain.starts_with('.') && !domain.ends_with('.')
        })
        && !email.chars().any(|c| c.is_whitespace() || c.is_control() || "<>\"(),;:[]\\".contains(c));
    if ok { Ok(email.to_owned()) } else { Err(ContactError::Email) }
}

/// `z***@example.com`
pub fn mask_email(email: &str) -> String {
    match email.split_once('@') {
        Some((local, domain)) => format!("{}***@{domain}", local.chars().next().unwrap_or('*')),
        None => "***".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones_parse_and_mask() {
        assert_eq!(Phone::parse("+86 138 0013 8000").map(|p| p.masked()), Ok("138****8000".into()));
        assert_eq!(Phone::parse("12800138000"), Err(ContactError::Phone));
        assert_eq!(Phone::parse("1380013800"), Err(ContactError::Phone));
    }

    #[test]
    fn emails_and_logins() {
        assert!(parse_email("li.si@example.com").is_ok());
        assert!(parse_email("li si@example.com").is_err());
        assert!(parse_email("<x>@a.b").is_err());
        assert_eq!(mask_email("li.si@example.com"), "l***@example.com");
        assert_eq!(Login::parse(" Li.Si ").map(|l| l.as_str().to_owned()), Ok("li.si".into()));
        assert!(Login::parse("x").is_err());
        assert!(Login::parse("drop table;").is_err());
    }
}
