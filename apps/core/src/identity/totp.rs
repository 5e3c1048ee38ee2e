//! Time-based one-time passwords (RFC 6238 over RFC 4226): HMAC-SHA1,
//! 30-second steps, 6 digits, one step of clock drift either way.

use hmac::{Hmac, Mac};
use sha1::Sha1;

pub const STEP_SECS: i64 = 30;
const DIGITS: u32 = 6;

/// The HOTP value of a counter, `digits` long.
fn hotp(secret: &[u8], counter: u64, digits: u32) -> Option<u32> {
    let mut mac = Hmac::<Sha1>::new_from_slice(secret).ok()?;
    mac.update(&counter.to_be_bytes());
    let digest = mac.finalize().into_bytes();
    let offset = usize::from(digest[digest.len() - 1] & 0x0f);
    let bytes: [u8; 4] = digest.get(offset..offset + 4)?.try_into().ok()?;
    Some((u32::from_be_bytes(bytes) & 0x7fff_ffff) % 10u32.pow(digits))
}

/// The code for a Unix time.
pub fn code_at(secret: &[u8], unix: i64) -> Option<String> {
    let counter = u64::try_from(unix / STEP_SECS).ok()?;
    hotp(secret, counter, DIGITS).map(|v| format!("{v:06}"))
}

/// Which step the code matches (now, or one step either side), so a code
/// can be refused once used.
pub fn matching_step(secret: &[u8], code: &str, unix: i64) -> Option<i64> {
    let step = unix / STEP_SECS;
    (step - 1..=step + 1).find(|s| code_at(secret, s * STEP_SECS).as_deref() == Some(code))
}

/// RFC 4648 base32 without padding, as authenticator apps expect.
pub fn base32(bytes: &[u8]) -> String {
    const ALPHABET: &[u8; 32] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZ234567";
    let mut out = String::new();
    let (mut buffer, mut bits) = (0u32, 0u32);
    for &b in bytes {
        buffer = (buffer << 8) | u32::from(b);
        bits += 8;
        while bits >= 5 {
            bits -= 5;
            out.push(char::from(ALPHABET[((buffer >> bits) & 31) as usize]));
        }
    }
    if bits > 0 {
        out.push(char::from(ALPHABET[((buffer << (5 - bits)) & 31) as usize]));
    }
    out
}

/// The URI an authenticator app reads from a QR code.
pub fn provisioning_uri(secret: &[u8], account: &str) -> String {
    let label: String = account.chars().filter(|c| c.is_ascii_alphanumeric() || "._-@".contains(*c)).collect();
    format!(
        "otpauth://totp/SafeCert:{label}?secret={}&issuer=SafeCert&algorithm=SHA1&digits=6&period=30",
        base32(secret)
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    /// RFC 6238 appendix B, SHA-1 rows (8 digits there).
    #[test]
    fn rfc_6238_test_vectors() {
        let secret = b"12345678901234567890";
        for (time, expected) in [
            (59u64, 94287082u32),
            (1111111109, 7081804),
            (1111111111, 14050471),
            (1234567890, 89005924),
            (2000000000, 69279037),
        ] {
            assert_eq!(hotp(secret, time / 30, 8), Some(expected), "T={time}");
        }
        assert_eq!(code_at(secret, 59).as_deref(), Some("287082"));
    }

    #[test]
    fn a_code_is_accepted_one_step_late_and_not_two() {
        let secret = b"12345678901234567890";
        let code = code_at(secret, 1_000_000_000).unwrap_or_default();
        assert_eq!(matching_step(secret, &code, 1_000_000_000 + 30), Some(1_000_000_000 / 30));
        assert_eq!(matching_step(secret, &code, 1_000_000_000 + 90), None);
    }

    #[test]
    fn base32_matches_rfc_4648() {
        assert_eq!(base32(b"foobar"), "MZXW6YTBOI");
        assert_eq!(base32(b"12345678901234567890"), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ");
    }
}
