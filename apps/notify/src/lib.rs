//! Messages that leave the service: sign-in codes and notices by SMS
//! (Aliyun SendSms) and by email (SMTP).

mod aliyun_signature;
mod mail;
mod sms;

pub use aliyun_signature::{percent_encode, sign, string_to_sign};
pub use mail::{MailConfig, MailError, Mailer};
pub use sms::{SmsConfig, SmsError, SmsSender};

/// Makes ring the TLS crypto of every HTTP client in the process (the
/// database driver brings it already). Safe to call more than once.
pub fn install_tls_crypto() {
    let _ = rustls::crypto::ring::default_provider().install_default();
}
