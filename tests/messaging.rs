//! Real message servers for the tests, on 127.0.0.1: a stand-in for
//! Aliyun's SMS endpoint that checks signatures as Alibaba documents them
//! (tests/support/aliyun_sms.py), and aiosmtpd, a real SMTP server, with a
//! handler that writes what it receives to an outbox file.

use std::{
    net::{TcpListener, TcpStream},
    path::{Path, PathBuf},
    process::{Child, Command, Stdio},
    time::{Duration, Instant},
};

use safecert_notify::{MailConfig, SmsConfig};

pub const SMS_KEY_ID: &str = "LTAI5tTestKeyId";
pub const SMS_SECRET: &str = "testSecretForTheStandIn";
pub const SMS_CODE_TEMPLATE: &str = "SMS_100000001";
pub const SMS_NOTICE_TEMPLATE: &str = "SMS_100000002";

pub struct MessageServers {
    children: Vec<Child>,
    pub sms_port: u16,
    pub smtp_port: u16,
    pub sms_outbox: PathBuf,
    pub mail_outbox: PathBuf,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port()
}

fn wait_for(port: u16, what: &str) {
    let start = Instant::now();
    while TcpStream::connect(("127.0.0.1", port)).is_err() {
        assert!(start.elapsed() < Duration::from_secs(20), "{what} did not start on port {port} (see .ci/setup.sh)");
        std::thread::sleep(Duration::from_millis(50));
    }
}

impl MessageServers {
    pub fn start(dir: &Path, root: &Path) -> Self {
        let support = root.join("tests").join("support");
        let (sms_port, smtp_port) = (free_port(), free_port());
        let sms_outbox = dir.join("sms-outbox.jsonl");
        let mail_outbox = dir.join("mail-outbox.jsonl");
        let sms = Command::new("python3")
            .arg(support.join("aliyun_sms.py"))
            .args([&sms_port.to_string(), SMS_KEY_ID, SMS_SECRET, &sms_outbox.display().to_string()])
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs the SMS stand-in");
        let smtp = Command::new("python3")
            .args(["-m", "aiosmtpd", "-n", "-l", &format!("127.0.0.1:{smtp_port}"), "-c", "smtp_outbox.Outbox"])
            .arg(&mail_outbox)
            .env("PYTHONPATH", &support)
            .stdout(Stdio::null())
            .spawn()
            .expect("python3 runs aiosmtpd (pip install aiosmtpd)");
        let servers = Self { children: vec![sms, smtp], sms_port, smtp_port, sms_outbox, mail_outbox };
        wait_for(sms_port, "the SMS stand-in");
        wait_for(smtp_port, "aiosmtpd");
        servers
    }

    pub fn sms_config(&self) -> SmsConfig {
        SmsConfig {
            endpoint: format!("http://127.0.0.1:{}/", self.sms_port),
            access_key_id: SMS_KEY_ID.into(),
            access_key_secret: SMS_SECRET.into(),
            sign_name: "安全证书查询".into(),
            code_template: SMS_CODE_TEMPLATE.into(),
            notice_template: SMS_NOTICE_TEMPLATE.into(),
        }
    }

    pub fn mail_config(&self) -> MailConfig {
        MailConfig {
            smtp_url: format!("smtp://127.0.0.1:{}", self.smtp_port),
            from: "SafeCert <no-reply@safecert.test>".into(),
        }
    }

    fn records(path: &Path) -> Vec<serde_json::Value> {
        std::fs::read_to_string(path).unwrap_or_default().lines().filter_map(|l| serde_json::from_str(l).ok()).collect()
    }

    /// Every SMS accepted so far.
    pub fn sms(&self) -> Vec<serde_json::Value> {
        Self::records(&self.sms_outbox)
    }

    /// Every email received so far.
    pub fn mail(&self) -> Vec<serde_json::Value> {
        Self::records(&self.mail_outbox)
    }

    /// Waits for the next record of an outbox to satisfy `pick`.
    pub async fn wait<T>(
        &self,
        read: fn(&Self) -> Vec<serde_json::Value>,
        pick: impl Fn(&[serde_json::Value]) -> Option<T>,
    ) -> T {
        let start = Instant::now();
        loop {
            if let Some(found) = pick(&read(self)) {
                return found;
            }
            assert!(start.elapsed() < Duration::from_secs(10), "the message did not arrive");
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }
}

impl Drop for MessageServers {
    fn drop(&mut self) {
        for child in &mut self.children {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}
