//! Passwords: a strength check, and argon2id hashing kept off the request
//! threads (on the blocking pool, one hash at a time per core so lookups
//! keep a core to themselves).

use std::sync::Arc;

use argon2::{Argon2, PasswordHasher, PasswordVerifier};
use tokio::sync::Semaphore;

/// A password that passed the strength check. Never printed.
pub struct Password(String);

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum WeakPassword {
    #[error("a password needs at least 10 characters")]
    TooShort,
    #[error("a password has at most 128 characters")]
    TooLong,
    #[error("mix at least three of: lower-case, upper-case, digits, other characters")]
    TooSimple,
    #[error("the password must not contain the sign-in name")]
    ContainsLogin,
}

/// Well-known passwords that pass the character-class rule.
const COMMON: [&str; 6] = ["Password123", "Passw0rd!!", "Admin@12345", "Qwerty@1234", "P@ssw0rd123", "Aa123456789"];

impl Password {
    pub fn parse(raw: &str, login: &str) -> Result<Self, WeakPassword> {
        let chars = raw.chars().count();
        if chars < 10 {
            return Err(WeakPassword::TooShort);
        }
        if chars > 128 {
            return Err(WeakPassword::TooLong);
        }
        let classes = [
            raw.chars().any(|c| c.is_lowercase()),
            raw.chars().any(|c| c.is_uppercase()),
            raw.chars().any(|c| c.is_ascii_digit()),
            raw.chars().any(|c| !c.is_alphanumeric()),
        ];
        if classes.iter().filter(|c| **c).count() < 3 || COMMON.iter().any(|c| c.eq_ignore_ascii_case(raw)) {
            return Err(WeakPassword::TooSimple);
        }
        let login = login.trim().to_lowercase();
        if login.len() >= 3 && raw.to_lowercase().contains(&login) {
            return Err(WeakPassword::ContainsLogin);
        }
        Ok(Self(raw.to_owned()))
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

#[derive(Clone)]
pub struct PasswordHashing {
    permits: Arc<Semaphore>,
}

impl PasswordHashing {
    pub fn new() -> Self {
        let cores = std::thread::available_parallelism().map_or(2, usize::from);
        Self { permits: Arc::new(Semaphore::new((cores / 2).max(1))) }
    }

    /// An argon2id PHC string (OWASP parameters: 19 MiB, 2 passes).
    pub async fn hash(&self, password: &str) -> Option<String> {
        let password = password.to_owned();
        let _permit = self.permits.acquire().await.ok()?;
        tokio::task::spawn_blocking(move || {
            let mut salt = [0u8; 16];
            getrandom::fill(&mut salt).ok()?;
            Argon2::default().hash_password_with_salt(password.as_bytes(), &salt).ok().map(|h| h.to_string())
        })
        .await
        .ok()
        .flatten()
    }

    pub async fn verify(&self, password: &str, hash: &str) -> bool {
        let (password, hash) = (password.to_owned(), hash.to_owned());
        let Ok(_permit) = self.permits.acquire().await else { return false };
        tokio::task::spawn_blocking(move || {
            Argon2::default().verify_password(password.as_bytes(), hash.as_str()).is_ok()
        })
        .await
        .unwrap_or(false)
    }
}

impl Default for PasswordHashing {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weak_passwords_are_refused_with_the_reason() {
        assert_eq!(Password::parse("short1A", "x").err(), Some(WeakPassword::TooShort));
        assert_eq!(Password::parse("alllowercaseletters", "x").err(), Some(WeakPassword::TooSimple));
        assert_eq!(Password::parse("Password123", "x").err(), Some(WeakPassword::TooSimple));
        assert_eq!(Password::parse("Zhang.San-2026", "zhang.san").err(), Some(WeakPassword::ContainsLogin));
        assert!(Password::parse("Correct-Horse-9", "li.si").is_ok());
    }

    #[tokio::test]
    async fn a_hash_verifies_its_password_only() {
        let hashing = PasswordHashing::new();
        let hash = hashing.hash("Correct-Horse-9").await.unwrap_or_default();
        assert!(hash.starts_with("$argon2id$"));
        assert!(hashing.verify("Correct-Horse-9", &hash).await);
        assert!(!hashing.verify("Correct-Horse-8", &hash).await);
    }
}
