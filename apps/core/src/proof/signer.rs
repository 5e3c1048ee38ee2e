//! The platform's signing key (Ed25519): it signs what a QR code on a
//! report or an electronic certificate says, so a phone holding the public
//! key can tell a genuine code from a forged one even offline.

use base64::{Engine, engine::general_purpose::URL_SAFE_NO_PAD};
use ring::signature::{ED25519, Ed25519KeyPair, KeyPair, UnparsedPublicKey};
use sha2::{Digest, Sha256};

pub struct Signer {
    pair: Ed25519KeyPair,
}

impl Signer {
    pub fn new(seed: &[u8; 32]) -> Result<Self, String> {
        Ed25519KeyPair::from_seed_unchecked(seed).map(|pair| Self { pair }).map_err(|e| e.to_string())
    }

    pub fn sign(&self, message: &[u8]) -> Vec<u8> {
        self.pair.sign(message).as_ref().to_vec()
    }

    pub fn verify(&self, message: &[u8], signature: &[u8]) -> bool {
        UnparsedPublicKey::new(&ED25519, self.pair.public_key().as_ref()).verify(message, signature).is_ok()
    }

    /// The public key, base64url: what verifiers are given.
    pub fn public_key(&self) -> String {
        URL_SAFE_NO_PAD.encode(self.pair.public_key().as_ref())
    }

    /// A short fingerprint people can compare by eye: the first 16 hex
    /// digits of the key's SHA-256, in groups of four.
    pub fn fingerprint(&self) -> String {
        let digest = Sha256::digest(self.pair.public_key().as_ref());
        let hex = hex::encode(&digest[..8]).to_uppercase();
        hex.as_bytes().chunks(4).map(|c| String::from_utf8_lossy(c).into_owned()).collect::<Vec<_>>().join("-")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_signature_holds_for_its_message_only() {
        let signer = Signer::new(&[7; 32]).unwrap();
        let sig = signer.sign(b"GD2024001");
        assert!(signer.verify(b"GD2024001", &sig));
        assert!(!signer.verify(b"GD2024002", &sig));
        assert!(!Signer::new(&[8; 32]).unwrap().verify(b"GD2024001", &sig));
        assert_eq!(signer.fingerprint().len(), 19);
    }
}
