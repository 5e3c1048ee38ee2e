//! What a QR code says: the facts of one certificate as the platform
//! issued them, signed. The code is a link to the public verify page,
//! `{public_url}/q/{token}`, where the token is `v1.<facts>.<signature>`
//! (both base64url): the page checks the signature and shows the facts
//! beside the certificate's status now; an offline reader with the
//! platform's public key can check it without the network.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use chrono::NaiveDate;
use serde::{Deserialize, Serialize};

use super::signer::Signer;

/// The signed facts. Short keys keep the QR code small.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct SignedFacts {
    /// Verification code of the issued PDF.
    #[serde(rename = "c")]
    pub code: String,
    #[serde(rename = "n")]
    pub cert_no: String,
    /// Tenant slug.
    #[serde(rename = "t")]
    pub tenant: String,
    /// Holder name, masked.
    #[serde(rename = "h")]
    pub holder: String,
    /// Status when issued.
    #[serde(rename = "s")]
    pub status: String,
    #[serde(rename = "e")]
    pub expiry_date: NaiveDate,
    /// Day of issue (China time).
    #[serde(rename = "i")]
    pub issued_on: NaiveDate,
}

const VERSION: &str = "v1";

impl SignedFacts {
    pub fn to_token(&self, signer: &Signer) -> String {
        let facts = URL_SAFE_NO_PAD.encode(serde_json::to_vec(self).unwrap_or_default());
        let message = format!("{VERSION}.{facts}");
        let signature = URL_SAFE_NO_PAD.encode(signer.sign(message.as_bytes()));
        format!("{message}.{signature}")
    }

    /// The facts of a token whose signature holds; `None` for anything
    /// else (a forged, altered or truncated code).
    pub fn from_token(token: &str, signer: &Signer) -> Option<Self> {
        if token.len() > 1024 {
            return None;
        }
        let (message, signature) = token.rsplit_once('.')?;
        let (version, facts) = message.split_once('.')?;
        if version != VERSION {
            return None;
        }
        let signature = URL_SAFE_NO_PAD.decode(signature).ok()?;
        if !signer.verify(message.as_bytes(), &signature) {
            return None;
        }
        serde_json::from_slice(&URL_SAFE_NO_PAD.decode(facts).ok()?).ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn facts() -> SignedFacts {
        SignedFacts {
            code: "ABCD-EFGH-JKLM-NPQR".into(),
            cert_no: "GD2024000001".into(),
            tenant: "gd".into(),
            holder: "张*".into(),
            status: "valid".into(),
            expiry_date: NaiveDate::from_ymd_opt(2027, 1, 1).unwrap(),
            issued_on: NaiveDate::from_ymd_opt(2026, 11, 28).unwrap(),
        }
    }

    #[test]
    fn a_token_reads_back_only_with_its_signature_intact() {
        let signer = Signer::new(&[1; 32]).unwrap();
        let token = facts().to_token(&signer);
        assert_eq!(SignedFacts::from_token(&token, &signer), Some(facts()));
        // Facts changed after signing, a signature from another key, or a
        // cut-off code: all refused.
        let mut forged = facts();
        forged.status = "valid".into();
        forged.expiry_date = NaiveDate::from_ymd_opt(2099, 1, 1).unwrap();
        let other = forged.to_token(&Signer::new(&[2; 32]).unwrap());
        assert_eq!(SignedFacts::from_token(&other, &signer), None);
        let (head, sig) = token.rsplit_once('.').unwrap();
        let swapped = format!("{}.{sig}", other.rsplit_once('.').unwrap().0);
        assert_eq!(SignedFacts::from_token(&swapped, &signer), None);
        assert_eq!(SignedFacts::from_token(head, &signer), None);
    }
}
