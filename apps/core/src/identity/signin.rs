//! Sign-in: a password, then a code from the account's second factor (SMS,
//! email or an authenticator app). The first step answers the same whether
//! or not the account exists or the password is right; only a correct
//! code opens a session.

use chrono::{DateTime, TimeDelta, Utc};
use safecert_notify::SmsError;
use safecert_storage::AccountRow;

use super::{Identity, IdentityError, contact::mask_email, new_token, token_hash, totp};

/// How the second factor reaches the user.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecondFactor {
    Sms,
    Email,
    Totp,
}

impl SecondFactor {
    pub fn as_str(self) -> &'static str {
        match self {
            SecondFactor::Sms => "sms",
            SecondFactor::Email => "email",
            SecondFactor::Totp => "totp",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        [SecondFactor::Sms, SecondFactor::Email, SecondFactor::Totp].into_iter().find(|f| f.as_str() == s)
    }
}

/// What a challenge's code opens.
const SIGN_IN: &str = "sign_in";
const RESET: &str = "reset";
/// A fresh second factor for privacy mode.
pub(crate) const PRIVACY: &str = "privacy";

/// Failures before an account locks, and for how long.
const MAX_FAILURES: i32 = 5;
const LOCK_MINUTES: i64 = 15;
/// Codes: valid for five minutes, five tries each, five sent per 15 minutes.
const CODE_MINUTES: i64 = 5;
const CODE_TRIES: i32 = 5;
const CODES_PER_WINDOW: i64 = 5;
const SESSION_HOURS: i64 = 12;

/// The first step's answer: always a challenge token.
#[derive(Debug, Clone)]
pub struct SignInStarted {
    pub challenge: String,
    pub expires_in_secs: i64,
}

#[derive(Debug, Clone)]
pub struct SessionIssued {
    pub token: String,
    pub expires_at: DateTime<Utc>,
}

/// Where the request came from, for the login log.
pub struct Origin<'a> {
    pub ip: &'a str,
    pub user_agent: &'a str,
}

fn clip(s: &str, max: usize) -> String {
    s.chars().take(max).collect()
}

impl Identity {
    pub async fn start_sign_in(
        &self,
        login: &str,
        password: &str,
        origin: &Origin<'_>,
    ) -> Result<SignInStarted, IdentityError> {
        let decoy = || SignInStarted { challenge: new_token().unwrap_or_default(), expires_in_secs: CODE_MINUTES * 60 };
        let (ip, ua) = (clip(origin.ip, 64), clip(origin.user_agent, 256));
        let account = match super::Login::parse(login) {
            Ok(login) => self.dbs.account_by_login(login.as_str()).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            // The same work as a real check, so both paths take as long.
            self.hashing.verify(password, &self.dummy_hash).await;
            self.dbs.log_login(None, &ip, &ua, "unknown_login").await?;
            return Ok(decoy());
        };
        let locked = account.locked_until.is_some_and(|until| until > Utc::now());
        let password_ok = self.hashing.verify(password, &account.password_hash).await;
        if locked {
            self.dbs.log_login(Some(account.id), &ip, &ua, "locked").await?;
            return Ok(decoy());
        }
        if !password_ok {
            let lock =
                (account.failed_signins + 1 >= MAX_FAILURES).then(|| Utc::now() + TimeDelta::minutes(LOCK_MINUTES));
            self.dbs.record_failed_signin(account.id, lock).await?;
            self.dbs
                .log_login(
                    Some(account.id),
                    &ip,
                    &ua,
                    if lock.is_some() { "bad_password_locked" } else { "bad_password" },
                )
                .await?;
            return Ok(decoy());
        }
        self.dbs.clear_failed_signins(account.id).await?;
        let challenge = self.send_challenge(&account, SIGN_IN).await?;
        self.dbs.log_login(Some(account.id), &ip, &ua, "password_ok").await?;
        Ok(SignInStarted { challenge, expires_in_secs: CODE_MINUTES * 60 })
    }

    pub(crate) async fn send_challenge(&self, account: &AccountRow, purpose: &str) -> Result<String, IdentityError> {
        let factor =
            SecondFactor::parse(&account.second_factor).ok_or(IdentityError::FactorUnavailable("a second factor"))?;
        let token = new_token().ok_or(IdentityError::Invalid("no randomness"))?;
        let since = Utc::now() - TimeDelta::minutes(15);
        if factor != SecondFactor::Totp && self.dbs.challenges_since(account.id, since).await? >= CODES_PER_WINDOW {
            return Err(IdentityError::TooManyCodes);
        }
        let code_hash = match factor {
            SecondFactor::Totp => String::new(),
            SecondFactor::Sms | SecondFactor::Email => {
                let code = six_digits().ok_or(IdentityError::Invalid("no randomness"))?;
                self.deliver_code(account, factor, &code).await?;
                token_hash(&format!("{token}:{code}"))
            }
        };
        let expires = Utc::now() + TimeDelta::minutes(CODE_MINUTES);
        self.dbs
            .insert_challenge(&token_hash(&token), account.id, purpose, factor.as_str(), &code_hash, expires)
            .await?;
        Ok(token)
    }

    async fn deliver_code(&self, account: &AccountRow, factor: SecondFactor, code: &str) -> Result<(), IdentityError> {
        match factor {
            SecondFactor::Sms => {
                let sms = self.sms.as_ref().ok_or(IdentityError::FactorUnavailable("SMS"))?;
                let phone = self.phone_of(account)?;
                sms.send_code(&phone, code).await.map_err(|e| match e {
                    // Aliyun's own flow control for the number: the same
                    // answer as ours.
                    SmsError::Rejected { code, .. } if code == "isv.BUSINESS_LIMIT_CONTROL" => {
                        IdentityError::TooManyCodes
                    }
                    SmsError::Rejected { code, .. } if code == "isv.MOBILE_NUMBER_ILLEGAL" => {
                        IdentityError::FactorUnavailable("a phone number the SMS service accepts")
                    }
                    other => IdentityError::NotSent(other.to_string()),
                })?;
            }
            SecondFactor::Email => {
                let mailer = self.mailer.as_ref().ok_or(IdentityError::FactorUnavailable("email"))?;
                let to = account.email.as_deref().ok_or(IdentityError::FactorUnavailable("an email address"))?;
                let body = format!(
                    "您的 SafeCert 登录验证码是 {code}，{CODE_MINUTES} 分钟内有效。\n\
                     Your SafeCert sign-in code is {code}. It is valid for {CODE_MINUTES} minutes.\n\
                     If you did not try to sign in, change your password."
                );
                mailer
                    .send(to, "SafeCert 登录验证码 / sign-in code", &body)
                    .await
                    .map_err(|e| IdentityError::NotSent(e.to_string()))?;
            }
            SecondFactor::Totp => {}
        }
        Ok(())
    }

    fn phone_of(&self, account: &AccountRow) -> Result<String, IdentityError> {
        let sealed = account.phone_cipher.as_deref().ok_or(IdentityError::FactorUnavailable("a phone number"))?;
        Ok(self.cipher.decrypt(&phone_context(&account.login), sealed).map_err(safecert_storage::StorageError::from)?)
    }

    /// The second step: the code opens a session, once.
    pub async fn finish_sign_in(
        &self,
        challenge: &str,
        code: &str,
        origin: &Origin<'_>,
    ) -> Result<SessionIssued, IdentityError> {
        let (ip, ua) = (clip(origin.ip, 64), clip(origin.user_agent, 256));
        let account = self.check_code(challenge, code, SIGN_IN, &ip, &ua).await?;
        let token = new_token().ok_or(IdentityError::Invalid("no randomness"))?;
        let expires_at = Utc::now() + TimeDelta::hours(SESSION_HOURS);
        self.dbs.insert_session(&token_hash(&token), account.id, expires_at, &ip, &ua).await?;
        self.dbs.log_login(Some(account.id), &ip, &ua, "ok").await?;
        self.notice_new_device(&account, &ip, &ua).await;
        Ok(SessionIssued { token, expires_at })
    }

    /// A code sent for `purpose`, checked and spent: the account it opens.
    pub(crate) async fn check_code(
        &self,
        challenge: &str,
        code: &str,
        purpose: &str,
        ip: &str,
        ua: &str,
    ) -> Result<AccountRow, IdentityError> {
        let row = self.dbs.challenge(&token_hash(challenge)).await?.ok_or(IdentityError::InvalidCode)?;
        if row.purpose != purpose || row.used_at.is_some() || row.expires_at < Utc::now() || row.attempts >= CODE_TRIES
        {
            self.dbs.log_login(Some(row.account_id), ip, ua, "stale_code").await?;
            return Err(IdentityError::InvalidCode);
        }
        self.dbs.count_challenge_attempt(row.id).await?;
        let account = self.dbs.account(row.account_id).await?.ok_or(IdentityError::InvalidCode)?;
        let code = code.trim();
        let right = match SecondFactor::parse(&row.method) {
            Some(SecondFactor::Totp) if is_recovery_code(code) => {
                let spent = self.dbs.spend_recovery_code(account.id, &self.recovery_hash(account.id, code)).await?;
                if spent {
                    self.dbs.log_login(Some(account.id), ip, ua, "recovery_code_used").await?;
                }
                spent
            }
            Some(SecondFactor::Totp) => {
                let secret = self.totp_secret_of(&account)?;
                // A code opens one session: the step it belongs to is spent.
                match totp::matching_step(&secret, code, Utc::now().timestamp()).filter(|_| code.len() == 6) {
                    Some(step) => self.dbs.spend_totp_step(account.id, step).await?,
                    None => false,
                }
            }
            Some(_) => constant_time_eq(&token_hash(&format!("{challenge}:{code}")), &row.code_hash),
            None => false,
        };
        if !right {
            self.dbs.log_login(Some(account.id), ip, ua, "bad_code").await?;
            return Err(IdentityError::InvalidCode);
        }
        if !self.dbs.use_challenge(row.id).await? {
            return Err(IdentityError::InvalidCode);
        }
        Ok(account)
    }

    /// Asks for a password reset: a code goes to the account's second
    /// factor. The answer is the same whether or not the account exists, and
    /// whether or not a code could be sent.
    pub async fn start_reset(&self, login: &str, origin: &Origin<'_>) -> Result<SignInStarted, IdentityError> {
        let (ip, ua) = (clip(origin.ip, 64), clip(origin.user_agent, 256));
        let decoy = SignInStarted { challenge: new_token().unwrap_or_default(), expires_in_secs: CODE_MINUTES * 60 };
        let account = match super::Login::parse(login) {
            Ok(login) => self.dbs.account_by_login(login.as_str()).await?,
            Err(_) => None,
        };
        let Some(account) = account else {
            self.dbs.log_login(None, &ip, &ua, "reset_unknown_login").await?;
            return Ok(decoy);
        };
        match self.send_challenge(&account, RESET).await {
            Ok(challenge) => {
                self.dbs.log_login(Some(account.id), &ip, &ua, "reset_code_sent").await?;
                Ok(SignInStarted { challenge, expires_in_secs: CODE_MINUTES * 60 })
            }
            Err(e @ IdentityError::Storage(_)) => Err(e),
            Err(e) => {
                tracing::warn!(account = account.id, error = %e, "no reset code sent");
                self.dbs.log_login(Some(account.id), &ip, &ua, "reset_code_not_sent").await?;
                Ok(decoy)
            }
        }
    }

    /// Sets a new password with a reset code; every session of the account
    /// ends.
    pub async fn finish_reset(
        &self,
        challenge: &str,
        code: &str,
        new_password: &str,
        origin: &Origin<'_>,
    ) -> Result<(), IdentityError> {
        let (ip, ua) = (clip(origin.ip, 64), clip(origin.user_agent, 256));
        let row = self.dbs.challenge(&token_hash(challenge)).await?.ok_or(IdentityError::InvalidCode)?;
        let account = self.dbs.account(row.account_id).await?.ok_or(IdentityError::InvalidCode)?;
        // The strength check comes first, so a weak choice does not spend the code.
        let password = super::Password::parse(new_password, &account.login)?;
        let account = self.check_code(challenge, code, RESET, &ip, &ua).await?;
        let hash = self.hashing.hash(password.expose()).await.ok_or(IdentityError::Invalid("hashing failed"))?;
        self.dbs.set_password(account.id, &hash).await?;
        self.callers.clear();
        self.dbs.log_login(Some(account.id), &ip, &ua, "password_reset").await?;
        Ok(())
    }

    fn totp_secret_of(&self, account: &AccountRow) -> Result<Vec<u8>, IdentityError> {
        let sealed = account.totp_cipher.as_deref().ok_or(IdentityError::InvalidCode)?;
        let text =
            self.cipher.decrypt(&totp_context(&account.login), sealed).map_err(safecert_storage::StorageError::from)?;
        hex::decode(text).map_err(|_| IdentityError::InvalidCode)
    }

    /// A sign-in from a network (/24) and browser not seen before tells the
    /// account's phone or email. The first sign-in only remembers.
    async fn notice_new_device(&self, account: &AccountRow, ip: &str, ua: &str) {
        let network = ip.rsplit_once('.').map_or(ip, |(net, _)| net);
        let fingerprint = token_hash(&format!("{network}|{ua}"));
        let first = self.dbs.known_devices(account.id).await.unwrap_or(0) == 0;
        let new = self.dbs.remember_device(account.id, &fingerprint).await.unwrap_or(false);
        if !new || first {
            return;
        }
        let event = "new-device-sign-in";
        let sent = if let (Some(mailer), Some(to)) = (&self.mailer, account.email.as_deref()) {
            let body = format!(
                "您的 SafeCert 账号刚从新的网络或设备登录（{}）。如非本人操作，请立即修改密码。\n\
                 Your SafeCert account was just signed in from a new network or device ({}). \
                 If this was not you, change your password now.",
                mask_email(to),
                mask_email(to)
            );
            mailer.send(to, "SafeCert 新设备登录 / new sign-in", &body).await.map_err(|e| e.to_string())
        } else if let (Some(sms), Ok(phone)) = (&self.sms, self.phone_of(account)) {
            sms.send_notice(&phone, event).await.map(|_| ()).map_err(|e| e.to_string())
        } else {
            Ok(())
        };
        if let Err(error) = sent {
            tracing::warn!(account = account.id, %error, "could not send the new-device notice");
        }
    }
}

/// `ABCDE-FGHIJ` (base32, case and dash optional).
fn is_recovery_code(code: &str) -> bool {
    let plain: String = code.chars().filter(|c| *c != '-').collect();
    plain.len() == 10 && plain.chars().all(|c| c.is_ascii_alphabetic() || ('2'..='7').contains(&c))
}

impl Identity {
    /// The keyed hash a recovery code is kept as (the key lives with the
    /// field keys, apart from the database).
    pub(crate) fn recovery_hash(&self, account_id: i32, code: &str) -> String {
        let plain: String = code.chars().filter(|c| *c != '-').collect::<String>().to_ascii_uppercase();
        self.cipher.blind_index("recovery_code", &format!("{account_id}:{plain}"))
    }
}

fn six_digits() -> Option<String> {
    let mut bytes = [0u8; 4];
    getrandom::fill(&mut bytes).ok()?;
    Some(format!("{:06}", u32::from_le_bytes(bytes) % 1_000_000))
}

fn constant_time_eq(a: &str, b: &str) -> bool {
    a.len() == b.len() && a.bytes().zip(b.bytes()).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

/// Sealed values are bound to the account's sign-in name, which never
/// changes: a value copied to another account does not open.
pub(crate) fn phone_context(login: &str) -> String {
    format!("account.phone:{login}")
}

pub(crate) fn totp_context(login: &str) -> String {
    format!("account.totp:{login}")
}
