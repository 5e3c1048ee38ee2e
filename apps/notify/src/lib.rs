//! Messages that leave the service: sign-in codes and notices by SMS
//! (Aliyun SendSms) and by email (SMTP).

mod aliyun_signature;
mod mail;
mod sms;

pub use aliyun_signature::{percent_encode, sign, string_to_sign};
pub use mail::{MailConfig, MailError, Mailer};
pub use sms::{SmsConfig, SmsError, SmsSender};
