//! Field-encryption keys, read from `SAFECERT_KEY_FILE` and kept apart from
//! the database. The file is a few `name = hex` lines:
//!
//! ```text
//! # SafeCert field keys: keep this file out of the database and its backups.
//! key_id = 1
//! sm4 = 32 hex digits (128-bit SM4 key for ID numbers)
//! blind_index = 64 hex digits (256-bit HMAC key for the searchable index)
//! signing = 64 hex digits (Ed25519 seed that signs reports and QR codes)
//! ```
//!
//! A file without `signing` (written before reports were signed) signs
//! with a key derived from `blind_index`.

use std::{fmt, path::Path};

#[derive(Debug, thiserror::Error)]
pub enum KeyFileError {
    #[error("cannot read the key file {path}: {source}")]
    Read { path: String, source: std::io::Error },
    #[error("the key file {path} is malformed: {what}")]
    Malformed { path: String, what: String },
    #[error("cannot write a new key file at {path}: {source}")]
    Write { path: String, source: std::io::Error },
    #[error("the system random generator failed: {0}")]
    Random(String),
}

/// The keys that protect personal data at rest. `Debug` prints nothing secret.
#[derive(Clone)]
pub struct FieldKeys {
    pub(crate) key_id: u8,
    pub(crate) sm4: [u8; 16],
    pub(crate) blind_index: [u8; 32],
    signing: Option<[u8; 32]>,
}

impl fmt::Debug for FieldKeys {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "FieldKeys(key_id={}, ..)", self.key_id)
    }
}

fn hex_field<const N: usize>(path: &str, name: &str, value: Option<&str>) -> Result<[u8; N], KeyFileError> {
    let malformed = |what: String| KeyFileError::Malformed { path: path.to_owned(), what };
    let value = value.ok_or_else(|| malformed(format!("`{name}` is missing")))?;
    let bytes = hex::decode(value).map_err(|_| malformed(format!("`{name}` is not hexadecimal")))?;
    bytes.try_into().map_err(|_| malformed(format!("`{name}` must be {} hex digits", N * 2)))
}

impl FieldKeys {
    pub fn parse(path: &str, text: &str) -> Result<Self, KeyFileError> {
        let mut key_id = None;
        let mut sm4 = None;
        let mut blind_index = None;
        let mut signing = None;
        for line in text.lines().map(str::trim).filter(|l| !l.is_empty() && !l.starts_with('#')) {
            let Some((name, value)) = line.split_once('=') else {
                return Err(KeyFileError::Malformed {
                    path: path.to_owned(),
                    what: "a line is not `name = value`".into(),
                });
            };
            let value = value.trim().trim_matches('"');
            match name.trim() {
                "key_id" => key_id = value.parse::<u8>().ok(),
                "sm4" => sm4 = Some(value),
                "blind_index" => blind_index = Some(value),
                "signing" => signing = Some(value),
                _ => {}
            }
        }
        Ok(Self {
            key_id: key_id.unwrap_or(1),
            sm4: hex_field(path, "sm4", sm4)?,
            blind_index: hex_field(path, "blind_index", blind_index)?,
            signing: signing.map(|s| hex_field(path, "signing", Some(s))).transpose()?,
        })
    }

    pub fn load(path: &Path) -> Result<Self, KeyFileError> {
        let shown = path.display().to_string();
        let text =
            std::fs::read_to_string(path).map_err(|source| KeyFileError::Read { path: shown.clone(), source })?;
        Self::parse(&shown, &text)
    }

    /// Fresh random keys.
    pub fn generate() -> Result<Self, KeyFileError> {
        let mut sm4 = [0u8; 16];
        let mut blind_index = [0u8; 32];
        let mut signing = [0u8; 32];
        for buf in [&mut sm4[..], &mut blind_index[..], &mut signing[..]] {
            getrandom::fill(buf).map_err(|e| KeyFileError::Random(e.to_string()))?;
        }
        Ok(Self { key_id: 1, sm4, blind_index, signing: Some(signing) })
    }

    /// Loads the key file, or creates it with fresh keys if it does not
    /// exist. Returns the keys and whether they were just created.
    pub fn load_or_create(path: &Path) -> Result<(Self, bool), KeyFileError> {
        if path.exists() {
            return Ok((Self::load(path)?, false));
        }
        let keys = Self::generate()?;
        let shown = path.display().to_string();
        let write_err = |source| KeyFileError::Write { path: shown.clone(), source };
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir).map_err(write_err)?;
        }
        std::fs::write(path, keys.to_file_text()).map_err(write_err)?;
        restrict_permissions(path).map_err(write_err)?;
        Ok((keys, true))
    }

    pub fn to_file_text(&self) -> String {
        format!(
            "# SafeCert field keys: keep this file out of the database and its backups.\nkey_id = {}\nsm4 = {}\nblind_index = {}\nsigning = {}\n",
            self.key_id,
            hex::encode(self.sm4),
            hex::encode(self.blind_index),
            hex::encode(self.signing_seed())
        )
    }

    /// The Ed25519 seed the platform signs reports and QR codes with.
    pub fn signing_seed(&self) -> [u8; 32] {
        use hmac::{Mac, SimpleHmac};
        self.signing.unwrap_or_else(|| {
            // HMAC takes a key of any length: `new_from_slice` cannot fail
            // on 32 bytes; the fallback is never reached.
            match <SimpleHmac<sha2::Sha256> as Mac>::new_from_slice(&self.blind_index) {
                Ok(mut mac) => {
                    mac.update(b"safecert report signing key v1");
                    mac.finalize().into_bytes().into()
                }
                Err(_) => self.blind_index,
            }
        })
    }
}

#[cfg(unix)]
fn restrict_permissions(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))
}

#[cfg(not(unix))]
fn restrict_permissions(_: &Path) -> std::io::Result<()> {
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_written_key_file_reads_back() {
        let keys = FieldKeys::generate().unwrap();
        let again = FieldKeys::parse("k", &keys.to_file_text()).unwrap();
        assert_eq!(again.sm4, keys.sm4);
        assert_eq!(again.blind_index, keys.blind_index);
    }

    #[test]
    fn a_short_key_is_refused_with_its_name() {
        let err = FieldKeys::parse("k", "sm4 = 00ff\nblind_index = 00").unwrap_err();
        assert!(err.to_string().contains("`sm4` must be 32 hex digits"), "{err}");
    }

    #[test]
    fn debug_shows_no_key_material() {
        let keys = FieldKeys::generate().unwrap();
        assert!(!format!("{keys:?}").contains(&hex::encode(keys.sm4)));
    }
}
