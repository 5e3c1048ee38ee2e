//! Public verification: a certificate number and the holder's name, from
//! anyone, across every province.

use std::sync::Arc;

use bytes::Bytes;
use chrono::NaiveDate;
use safecert_domain::{CertNo, HolderName, Locale};
use safecert_rules::RuleError;
use safecert_storage::{DirectoryEntry, StorageError};

use crate::{CertificateView, Platform, masked_answers::Asked};

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
        Ok(match self.genuine(no, name, self.today(), locale).await? {
            Some((_, view)) => VerifyOutcome::Genuine(Box::new(view)),
            None => VerifyOutcome::NoMatch,
        })
    }

    /// [`Platform::verify`]'s genuine answer as `write` writes it, kept for
    /// the number and language (see `masked_answers`) and sent to whoever
    /// names the holder; `None` where no certificate has this number and
    /// this holder.
    pub async fn verify_written(
        &self,
        no: &CertNo,
        name: &HolderName,
        locale: Locale,
        write: impl FnOnce(CertificateView) -> Result<Vec<u8>, serde_json::Error>,
    ) -> Result<Option<Bytes>, VerifyError> {
        let stamp = self.stamp();
        let asked = Asked::national(no, locale);
        if let Some(kept) = self.masked_answers.public(&asked, stamp, |holder| same_name(holder, name.expose())) {
            return Ok(kept);
        }
        // The reads of a miss in a box of their own, as in `lookup_json_as`.
        let Some((entry, view)) = Box::pin(self.genuine(no, name, stamp.today, locale)).await? else {
            return Ok(None);
        };
        let body = Bytes::from(write(view).map_err(|e| StorageError::Corrupt(format!("writing an answer: {e}")))?);
        self.masked_answers.keep_public(asked, stamp, &entry.holder_name, body.clone());
        Ok(Some(body))
    }

    /// The national directory's entry for a number held by `name`, and its
    /// public view on `today`: none for an unknown number or another name.
    async fn genuine(
        &self,
        no: &CertNo,
        name: &HolderName,
        today: NaiveDate,
        locale: Locale,
    ) -> Result<Option<(Arc<DirectoryEntry>, CertificateView)>, VerifyError> {
        let Some(entry) = self.store.public_entry(no).await? else { return Ok(None) };
        let Some(tenant) = self.tenant(&entry.tenant) else { return Ok(None) };
        if !same_name(&entry.holder_name, name.expose()) {
            return Ok(None);
        }
        let Some(rules) = self.rules.get(&entry.tenant) else { return Ok(None) };
        let view = CertificateView::public(&entry, tenant, &rules, today, locale)?;
        Ok(Some((entry, view)))
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
