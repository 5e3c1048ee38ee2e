//! SMS through Aliyun's SendSms (API version 2017-05-25), signed with the
//! RPC signature 1.0. The endpoint is configuration, so tests and private
//! deployments can point it elsewhere.

use std::time::Duration;

use crate::aliyun_signature::{canonical_query, percent_encode, sign};

#[derive(Clone)]
pub struct SmsConfig {
    /// `https://dysmsapi.aliyuncs.com/` unless configured otherwise.
    pub endpoint: String,
    pub access_key_id: String,
    pub access_key_secret: String,
    /// The approved signature name shown in 【】.
    pub sign_name: String,
    /// Template with a `${code}` variable: sign-in and verification codes.
    pub code_template: String,
    /// Template with a `${event}` variable: notices (sign-in from a new device).
    pub notice_template: String,
}

impl std::fmt::Debug for SmsConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SmsConfig")
            .field("endpoint", &self.endpoint)
            .field("access_key_id", &self.access_key_id)
            .field("access_key_secret", &"<redacted>")
            .field("sign_name", &self.sign_name)
            .finish_non_exhaustive()
    }
}

#[derive(Debug, thiserror::Error)]
pub enum SmsError {
    /// Aliyun answered, and said no (`isv.BUSINESS_LIMIT_CONTROL`,
    /// `isv.MOBILE_NUMBER_ILLEGAL`, …).
    #[error("the SMS service refused the message: {code} ({message})")]
    Rejected { code: String, message: String },
    #[error("the SMS service could not be reached: {0}")]
    Unreachable(String),
    #[error("the SMS service answered something unexpected (HTTP {status})")]
    Malformed { status: u16 },
}

#[derive(serde::Deserialize)]
#[serde(rename_all = "PascalCase")]
struct Answer {
    code: String,
    #[serde(default)]
    message: String,
    #[serde(default)]
    biz_id: Option<String>,
}

pub struct SmsSender {
    config: SmsConfig,
    http: reqwest::Client,
}

impl SmsSender {
    pub fn new(config: SmsConfig) -> Result<Self, SmsError> {
        // reqwest's rustls carries no crypto of its own here: use ring,
        // which the database driver already brings. Installing twice is
        // harmless.
        crate::install_tls_crypto();
        let http = reqwest::Client::builder()
            .timeout(Duration::from_secs(10))
            .build()
            .map_err(|e| SmsError::Unreachable(e.to_string()))?;
        Ok(Self { config, http })
    }

    /// Sends a code. The phone number is never logged.
    pub async fn send_code(&self, phone: &str, code: &str) -> Result<String, SmsError> {
        let param = serde_json::json!({ "code": code }).to_string();
        self.send(phone, &self.config.code_template, &param).await
    }

    pub async fn send_notice(&self, phone: &str, event: &str) -> Result<String, SmsError> {
        let param = serde_json::json!({ "event": event }).to_string();
        self.send(phone, &self.config.notice_template, &param).await
    }

    /// One SendSms call. SendSms is not idempotent, so a call that may have
    /// reached Aliyun is never repeated here: the caller asks the user to
    /// request a new code instead.
    async fn send(&self, phone: &str, template: &str, template_param: &str) -> Result<String, SmsError> {
        let nonce = nonce();
        let timestamp = chrono::Utc::now().format("%Y-%m-%dT%H:%M:%SZ").to_string();
        let c = &self.config;
        let params = [
            ("AccessKeyId", c.access_key_id.as_str()),
            ("Action", "SendSms"),
            ("Format", "JSON"),
            ("PhoneNumbers", phone),
            ("RegionId", "cn-hangzhou"),
            ("SignName", c.sign_name.as_str()),
            ("SignatureMethod", "HMAC-SHA1"),
            ("SignatureNonce", nonce.as_str()),
            ("SignatureVersion", "1.0"),
            ("TemplateCode", template),
            ("TemplateParam", template_param),
            ("Timestamp", timestamp.as_str()),
            ("Version", "2017-05-25"),
        ];
        let signature = sign(&c.access_key_secret, "GET", &params);
        let url = format!(
            "{}?Signature={}&{}",
            c.endpoint.trim_end_matches('?'),
            percent_encode(&signature),
            canonical_query(&params)
        );
        let response =
            self.http.get(url).send().await.map_err(|e| SmsError::Unreachable(e.without_url().to_string()))?;
        let status = response.status().as_u16();
        let answer: Answer = response.json().await.map_err(|_| SmsError::Malformed { status })?;
        if answer.code == "OK" {
            Ok(answer.biz_id.unwrap_or_default())
        } else {
            Err(SmsError::Rejected { code: answer.code, message: answer.message })
        }
    }
}

fn nonce() -> String {
    let mut bytes = [0u8; 16];
    // Without randomness the nonce would repeat; the time keeps it unique.
    if getrandom::fill(&mut bytes).is_err() {
        return chrono::Utc::now().timestamp_nanos_opt().unwrap_or_default().to_string();
    }
    hex::encode(bytes)
}
