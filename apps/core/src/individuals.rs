//! Real-name binding: a holder proves who they are with a certificate
//! number, the name on it and their ID number, and then sees only their own
//! certificates.

use safecert_domain::{CertNo, HolderName, IdNumber};

use crate::{
    Platform,
    identity::{BindIndividual, IdentityError, TotpEnrollment},
    verify::same_name,
};

impl Platform {
    /// A wrong name, a wrong ID number and an unknown certificate all get
    /// the same answer, so the form cannot be used to learn who holds what.
    pub async fn bind_individual(
        &self,
        req: BindIndividual,
    ) -> Result<(i32, String, Option<TotpEnrollment>), IdentityError> {
        let mismatch =
            IdentityError::Invalid("the certificate number, name and ID number do not match one certificate");
        let id = IdNumber::parse(req.id_number.trim()).map_err(|e| IdentityError::IdNumber(e.to_string()))?;
        let (Ok(no), Ok(name)) = (CertNo::parse(req.cert_no.trim()), HolderName::parse(req.name.trim())) else {
            return Err(mismatch);
        };
        let Some(tenant) = self.store.locate(&no).await? else { return Err(mismatch) };
        let Some(record) = self.store.get(&tenant, &no).await? else { return Err(mismatch) };
        let holder = self.store.holder_index(&id);
        if !same_name(&record.holder_name, name.expose()) || record.id_index != holder {
            return Err(mismatch);
        }
        let (account, totp) = self.identity.create_individual(&req, tenant.as_str(), holder).await?;
        Ok((account, tenant.to_string(), totp))
    }
}
