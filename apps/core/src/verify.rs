//! Public verification: a certificate number and the holder's name, from
//! anyone, across every province.

use safecert_domain::{CertNo, HolderName, Locale};
use safecert_rules::RuleError;
use safecert_storage::StorageError;

use crate::{CertificateView, Platform};

/// The answer to a public verification. A wrong name and an unknown number
/// are the same answer, so nobody can probe who holds a number.
#[derive(Debug)]
pub enum VerifyOutcome {
    Genuine(Box<CertificateView>),
    NoMatch,
}

/// Names compare without spaces and with the variants of the middle dot
/// (`·`, `•`, `.`) made equal, as people type them differently.
pub(crate) fn comparable(name: &str) -> String {
    name.chars().filter(|c| !c.is_whitespace()).map(|c| if matches!(c, '•' | '.' | '・') { '·' } else { c }).collect()
}

#[derive(Debug, thiserror::Error)]
pub enum VerifyError {
    #[error(transparent)]
    Storage(#[from] StorageError),
    #[error(transparent)]
    Rules(#[from] RuleError),
}

impl Platform {
    pub async fn verify(&self, no: &CertNo, name: &HolderName, locale: Locale) -> Result<VerifyOutcome, VerifyError> {
        let Some(entry) = self.store.public_entry(no).await? else {
            return Ok(VerifyOutcome::NoMatch);
        };
        let Some(tenant) = self.tenant(&entry.tenant) else {
            return Ok(VerifyOutcome::NoMatch);
        };
        if comparable(&entry.holder_name) != comparable(name.expose()) {
            return Ok(VerifyOutcome::NoMatch);
        }
        let Some(rules) = self.rules.get(&entry.tenant) else {
            return Ok(VerifyOutcome::NoMatch);
        };
        let view = CertificateView::public(&entry, tenant, &rules, self.today(), locale)?;
        Ok(VerifyOutcome::Genuine(Box::new(view)))
    }
}

#[cfg(test)]
mod tests {
    use super::comparable;

    #[test]
    fn names_compare_across_dot_and_space_variants() {
        assert_eq!(comparable("买买提·艾力"), comparable("买买提•艾力"));
        assert_eq!(comparable(" 张 三 "), comparable("张三"));
        assert_ne!(comparable("张三"), comparable("张山"));
    }
}
