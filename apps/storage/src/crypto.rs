//! Encryption of personal data at rest (SM4-GCM) and the keyed blind index
//! that finds an ID number without decrypting anything.

use aes_gcm::{
    AesGcm, KeyInit,
    aead::{Aead, Payload, consts::U12},
};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use sm4::Sm4;

use crate::keys::FieldKeys;

type Sm4Gcm = AesGcm<Sm4, U12>;
const NONCE_LEN: usize = 12;

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum CryptoError {
    #[error("the blind-index key has the wrong length")]
    KeyLength,
    #[error("the system random generator failed")]
    Random,
    #[error("a stored value could not be decrypted: wrong key or tampered data")]
    Decrypt,
    #[error("a stored value was encrypted with key {0}, which is not loaded")]
    UnknownKey(u8),
}

/// Encrypts and decrypts personal fields. Ciphertext layout:
/// `key_id (1) | nonce (12) | SM4-GCM ciphertext and tag`. The associated
/// data names the field and the tenant, so a value copied into another
/// field or province does not decrypt.
#[derive(Clone)]
pub struct FieldCipher {
    key_id: u8,
    aead: Sm4Gcm,
    index_mac: Hmac<Sha256>,
}

impl FieldCipher {
    pub fn new(keys: &FieldKeys) -> Result<Self, CryptoError> {
        Ok(Self {
            key_id: keys.key_id,
            aead: Sm4Gcm::new(&keys.sm4.into()),
            index_mac: <Hmac<Sha256> as Mac>::new_from_slice(&keys.blind_index).map_err(|_| CryptoError::KeyLength)?,
        })
    }

    pub fn encrypt(&self, context: &str, plain: &str) -> Result<Vec<u8>, CryptoError> {
        self.encrypt_bytes(context, plain.as_bytes())
    }

    /// The same for bytes that are not text (compressed data).
    pub fn encrypt_bytes(&self, context: &str, plain: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let mut nonce = [0u8; NONCE_LEN];
        getrandom::fill(&mut nonce).map_err(|_| CryptoError::Random)?;
        let sealed = self
            .aead
            .encrypt(&nonce.into(), Payload { msg: plain, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Random)?;
        let mut out = Vec::with_capacity(1 + NONCE_LEN + sealed.len());
        out.push(self.key_id);
        out.extend_from_slice(&nonce);
        out.extend_from_slice(&sealed);
        Ok(out)
    }

    pub fn decrypt(&self, context: &str, stored: &[u8]) -> Result<String, CryptoError> {
        String::from_utf8(self.decrypt_bytes(context, stored)?).map_err(|_| CryptoError::Decrypt)
    }

    pub fn decrypt_bytes(&self, context: &str, stored: &[u8]) -> Result<Vec<u8>, CryptoError> {
        let (&key_id, rest) = stored.split_first().ok_or(CryptoError::Decrypt)?;
        if key_id != self.key_id {
            return Err(CryptoError::UnknownKey(key_id));
        }
        if rest.len() < NONCE_LEN {
            return Err(CryptoError::Decrypt);
        }
        let (nonce, sealed) = rest.split_at(NONCE_LEN);
        let nonce: [u8; NONCE_LEN] = nonce.try_into().map_err(|_| CryptoError::Decrypt)?;
        self.aead
            .decrypt(&nonce.into(), Payload { msg: sealed, aad: context.as_bytes() })
            .map_err(|_| CryptoError::Decrypt)
    }

    /// HMAC-SHA256 of the value under the index key, hex-encoded: equal
    /// inputs give equal indexes, and without the key nothing can be
    /// learned or guessed from it.
    pub fn blind_index(&self, field: &str, plain: &str) -> String {
        let mut mac = self.index_mac.clone();
        mac.update(field.as_bytes());
        mac.update(b"\0");
        mac.update(plain.as_bytes());
        hex::encode(mac.finalize().into_bytes())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cipher() -> FieldCipher {
        FieldCipher::new(&FieldKeys::generate().unwrap()).unwrap()
    }

    #[test]
    fn encryption_round_trips_and_differs_each_time() {
        let c = cipher();
        let a = c.encrypt("id:gd", "11010519491231002X").unwrap();
        let b = c.encrypt("id:gd", "11010519491231002X").unwrap();
        assert_ne!(a, b, "a fresh nonce each time");
        assert_eq!(c.decrypt("id:gd", &a).unwrap(), "11010519491231002X");
    }

    #[test]
    fn ciphertext_moved_to_another_tenant_does_not_decrypt() {
        let c = cipher();
        let a = c.encrypt("id:gd", "11010519491231002X").unwrap();
        assert_eq!(c.decrypt("id:js", &a), Err(CryptoError::Decrypt));
    }

    #[test]
    fn tampering_is_detected() {
        let c = cipher();
        let mut a = c.encrypt("id:gd", "11010519491231002X").unwrap();
        let last = a.len() - 1;
        a[last] ^= 1;
        assert_eq!(c.decrypt("id:gd", &a), Err(CryptoError::Decrypt));
    }

    #[test]
    fn blind_index_is_stable_and_keyed() {
        let c = cipher();
        assert_eq!(c.blind_index("id", "x"), c.blind_index("id", "x"));
        assert_ne!(c.blind_index("id", "x"), cipher().blind_index("id", "x"));
        assert_eq!(c.blind_index("id", "x").len(), 64);
    }
}
