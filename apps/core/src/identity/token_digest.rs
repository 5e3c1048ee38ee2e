//! The SHA-256 of a secret token (a session or an API key). The database
//! keeps it as hex; the service remembers signed-in callers by the 32
//! bytes themselves, which a request computes without building a string.

use std::hash::{Hash, Hasher};

use sha2::{Digest, Sha256};

#[derive(Clone, Copy, PartialEq, Eq)]
pub(crate) struct TokenDigest([u8; 32]);

impl TokenDigest {
    pub(crate) fn of(token: &str) -> Self {
        Self(Sha256::digest(token.as_bytes()).into())
    }

    /// A digest as the database keeps it (64 hex digits), if it is one.
    pub(crate) fn from_hex(hex: &str) -> Option<Self> {
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(hex, &mut bytes).ok()?;
        Some(Self(bytes))
    }

    /// The 64 lowercase hex digits the database keeps.
    pub(crate) fn hex(&self) -> String {
        hex::encode(self.0)
    }
}

impl Hash for TokenDigest {
    /// Its first eight bytes: a digest's bytes are already evenly spread,
    /// and the map's own keyed hash still runs over them.
    fn hash<H: Hasher>(&self, state: &mut H) {
        let mut first = [0u8; 8];
        first.copy_from_slice(&self.0[..8]);
        state.write_u64(u64::from_le_bytes(first));
    }
}

impl std::fmt::Debug for TokenDigest {
    /// Never the digest itself: it finds a live session in the database.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TokenDigest(..)")
    }
}

#[cfg(test)]
mod tests {
    use super::TokenDigest;

    #[test]
    fn the_hex_is_the_sha256_the_database_keeps_and_reads_back_as_the_same_digest() {
        let digest = TokenDigest::of("abc");
        assert_eq!(digest.hex(), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        assert_eq!(TokenDigest::from_hex(&digest.hex()), Some(digest));
    }

    #[test]
    fn text_that_is_not_64_hex_digits_is_no_digest() {
        assert_eq!(TokenDigest::from_hex("ba78"), None);
        assert_eq!(TokenDigest::from_hex(&"zz".repeat(32)), None);
    }
}
