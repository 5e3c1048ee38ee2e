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
fn comparable(name: &str) -> impl Iterator<Item = char> + '_ {
    name.chars().filter(|c| !c.is_whitespace()).map(|c| if matches!(c, '•' | '.' | '・') { '·' } else { c })
}

/// Whether two names are the same name, compared as [`comparable`] says.
pub(crate) fn same_name(a: &str, b: &str) -> bool {
    comparable(a).eq(comparable(b))
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
        if !same_name(&entry.holder_name, name.expose()) {
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
    use super::same_name;

    #[test]
    fn names_compare_across_dot_and_space_variants() {
        assert!(same_name("买买提·艾力", "买买提•艾力"));
        assert!(same_name(" 张 三 ", "张三"));
        assert!(!same_name("张三", "张山"));
        assert!(!same_name("张三", "张三丰"));
    }
}
