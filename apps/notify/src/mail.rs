//! Email over SMTP (lettre). `SAFECERT_SMTP_URL` takes lettre's URL form:
//! `smtp://host:25` (plain, for a relay on the same network),
//! `smtp://user:pass@host:587?tls=required` (STARTTLS), `smtps://host:465`.

use lettre::{
    AsyncSmtpTransport, AsyncTransport, Message, Tokio1Executor,
    message::{Mailbox, header::ContentType},
};

#[derive(Clone)]
pub struct MailConfig {
    pub smtp_url: String,
    /// `SafeCert <no-reply@example.gov.cn>`
    pub from: String,
}

impl std::fmt::Debug for MailConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The URL may carry a password.
        f.debug_struct("MailConfig").field("from", &self.from).finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum MailError {
    #[error("SAFECERT_SMTP_URL is not a usable SMTP URL: {0}")]
    Url(String),
    #[error("the sender address {0:?} is not a valid mailbox")]
    From(String),
    #[error("the email address is not valid")]
    To,
    #[error("the mail server did not take the message: {0}")]
    Smtp(String),
}

/// What went wrong, without the server's own words: they may quote the
/// recipient's address, which must not reach the logs.
fn describe(e: &lettre::transport::smtp::Error) -> String {
    let kind = if e.is_permanent() {
        "permanent refusal"
    } else if e.is_transient() {
        "temporary refusal"
    } else if e.is_timeout() {
        "timeout"
    } else if e.is_tls() {
        "TLS failure"
    } else {
        "connection failure"
    };
    match e.status() {
        Some(code) => format!("{kind} (SMTP {code})"),
        None => kind.to_owned(),
    }
}

pub struct Mailer {
    transport: AsyncSmtpTransport<Tokio1Executor>,
    from: Mailbox,
}

impl Mailer {
    pub fn new(config: &MailConfig) -> Result<Self, MailError> {
        crate::install_tls_crypto();
        let transport = AsyncSmtpTransport::<Tokio1Executor>::from_url(&config.smtp_url)
            .map_err(|e| MailError::Url(e.to_string()))?
            .build();
        let from = config.from.parse().map_err(|_| MailError::From(config.from.clone()))?;
        Ok(Self { transport, from })
    }

    pub async fn send(&self, to: &str, subject: &str, body: &str) -> Result<(), MailError> {
        let to: Mailbox = to.parse().map_err(|_| MailError::To)?;
        let message = Message::builder()
            .from(self.from.clone())
            .to(to)
            .subject(subject)
            .header(ContentType::TEXT_PLAIN)
            .body(body.to_owned())
            .map_err(|_| MailError::Smtp("the message could not be built".into()))?;
        self.transport.send(message).await.map_err(|e| MailError::Smtp(describe(&e)))?;
        Ok(())
    }
}
