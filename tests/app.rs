use std::{
    net::TcpListener,
    path::{Path, PathBuf},
    sync::Arc,
};

use safecert_core::{Config, Platform, identity::NewStaff};
use safecert_http::Application;
use safecert_policy::Role;

use crate::messaging::MessageServers;
use sea_orm::{ConnectionTrait, Database};

pub fn repo_root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap().to_path_buf()
}

/// Twelve random hex digits, to keep one test's files, databases and keys
/// apart from another's.
pub fn random_suffix() -> String {
    let mut bytes = [0u8; 6];
    getrandom::fill(&mut bytes).unwrap();
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// The PostgreSQL server the suite runs on (`SAFECERT_TEST_DATABASE_URL`),
/// or `None` for the embedded default.
pub fn postgres_admin_url() -> Option<String> {
    std::env::var("SAFECERT_TEST_DATABASE_URL").ok().filter(|u| !u.is_empty())
}

/// A new, empty database on that server: its URL and its name (for
/// [`drop_database`]).
pub async fn create_database(admin: &str) -> (String, String) {
    let name = format!("safecert_test_{}", random_suffix());
    let conn = Database::connect(admin).await.expect("connect to SAFECERT_TEST_DATABASE_URL");
    conn.execute_unprepared(&format!("CREATE DATABASE {name}")).await.unwrap();
    conn.close().await.unwrap();
    let base = admin.rsplit_once('/').map_or(admin, |(base, _)| base);
    (format!("{base}/{name}"), name)
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// What a test wants of its service.
#[derive(Clone, Debug)]
pub struct SpawnOptions {
    /// Tenant folders to copy from tenants/ (`_default` is always
    /// copied); `None` means all of them.
    pub tenants: Option<Vec<&'static str>>,
    pub rate_per_minute: u32,
    pub burst: u32,
    /// Overrides the Redis URL of the environment (`Some("")` disables).
    pub redis_url: Option<String>,
    /// Starts the SMS stand-in and an SMTP server, and configures both.
    pub messaging: bool,
    /// Settings added to a tenant's tenant.toml: (slug, `key = value`).
    pub settings: Vec<(&'static str, &'static str)>,
}

impl Default for SpawnOptions {
    fn default() -> Self {
        Self {
            tenants: Some(vec!["gd", "js", "xj", "bj"]),
            rate_per_minute: 6000,
            burst: 1000,
            redis_url: None,
            messaging: false,
            settings: Vec::new(),
        }
    }
}

pub struct TestApp {
    pub address: String,
    pub client: reqwest::Client,
    pub platform: Arc<Platform>,
    pub backend: Backend,
    pub dir: PathBuf,
    database_url: Option<String>,
    admin_url: Option<String>,
    database_name: Option<String>,
    /// A signed-in platform operator's session: what plain `get` sends.
    pub operator: String,
    /// The operator's authenticator key.
    pub operator_totp: String,
    pub messages: Option<MessageServers>,
}

fn copy_dir(from: &Path, to: &Path) {
    std::fs::create_dir_all(to).unwrap();
    for entry in std::fs::read_dir(from).unwrap() {
        let entry = entry.unwrap();
        let target = to.join(entry.file_name());
        if entry.file_type().unwrap().is_dir() {
            copy_dir(&entry.path(), &target);
        } else {
            std::fs::copy(entry.path(), target).unwrap();
        }
    }
}

/// The administrator token every test app accepts.
pub const ADMIN_TOKEN: &str = "test-admin-token-0123456789abcdef";

pub async fn spawn_app() -> TestApp {
    spawn_app_with(SpawnOptions::default()).await
}

pub async fn spawn_app_with(opts: SpawnOptions) -> TestApp {
    let root = repo_root();
    let dir = std::env::temp_dir().join(format!("safecert-test-{}", random_suffix()));
    let tenants_dir = dir.join("tenants");
    match &opts.tenants {
        None => copy_dir(&root.join("tenants"), &tenants_dir),
        Some(list) => {
            for slug in list.iter().chain(&["_default"]) {
                copy_dir(&root.join("tenants").join(slug), &tenants_dir.join(slug));
            }
        }
    }
    for (slug, line) in &opts.settings {
        // The [settings] table is the last of every tenant.toml.
        let file = tenants_dir.join(slug).join("tenant.toml");
        let text = std::fs::read_to_string(&file).unwrap();
        std::fs::write(&file, format!("{text}\n{line}\n")).unwrap();
    }
    let key_file = dir.join("field-keys");
    std::fs::write(&key_file, safecert_storage::FieldKeys::generate().unwrap().to_file_text()).unwrap();

    let admin_url = postgres_admin_url();
    let (backend, database_url, database_name) = match &admin_url {
        Some(admin) => {
            let (url, name) = create_database(admin).await;
            (Backend::Postgres, Some(url), Some(name))
        }
        None => (Backend::Sqlite, None, None),
    };
    let redis_url = match opts.redis_url.clone() {
        Some(url) => Some(url).filter(|u| !u.is_empty()),
        None => std::env::var("SAFECERT_TEST_REDIS_URL").ok().filter(|u| !u.is_empty()),
    };
    let messages = opts.messaging.then(|| MessageServers::start(&dir, &root));
    let config = Config {
        listen: "127.0.0.1:0".into(),
        database_url: database_url.clone(),
        data_dir: dir.join("data"),
        redis_url,
        redis_prefix: format!("safecert-test-{}:", random_suffix()),
        key_file: Some(key_file),
        tenants_dir,
        locales_dir: root.join("locales"),
        policies_dir: root.join("policies"),
        db_max_connections: 4,
        verify_rate_per_minute: opts.rate_per_minute,
        verify_burst: opts.burst,
        trust_forwarded_for: false,
        workers: 1,
        demo_certs_per_tenant: 0,
        cache_ttl: std::time::Duration::from_secs(60),
        redis_timeout: std::time::Duration::from_millis(100),
        admin_token: Some(safecert_core::AdminToken::new(ADMIN_TOKEN)),
        nightly_scan: false,
        sms: messages.as_ref().map(MessageServers::sms_config),
        mail: messages.as_ref().map(MessageServers::mail_config),
        public_url: "https://safecert.test".into(),
        pdf_font: None,
    };
    let platform = Arc::new(Platform::start(config).await.expect("platform starts"));
    platform.spawn_background();
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let app = Application::build(Arc::clone(&platform), listener, 1).unwrap();
    let address = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.into_server());
    safecert_notify::install_tls_crypto();
    let client = reqwest::Client::builder().redirect(reqwest::redirect::Policy::none()).build().unwrap();
    let mut app = TestApp {
        address,
        client,
        platform,
        backend,
        dir,
        database_url,
        admin_url,
        database_name,
        operator: String::new(),
        operator_totp: String::new(),
        messages,
    };
    let staff = NewStaff {
        role: Role::PlatformAdmin,
        tenant: "gd",
        region: None,
        login: "operator",
        password: OPERATOR_PASSWORD,
        email: None,
        phone: None,
        second_factor: "totp",
    };
    let (_, totp) = app.platform.identity.create_staff(staff, None).await.expect("operator account");
    app.operator_totp = totp.expect("totp").secret;
    app.operator = app.sign_in_totp("operator", OPERATOR_PASSWORD, &app.operator_totp.clone()).await;
    app
}

pub const OPERATOR_PASSWORD: &str = "Night-Watch-2026";

/// RFC 4648 base32 (no padding), for authenticator secrets.
pub fn base32_decode(s: &str) -> Vec<u8> {
    let (mut out, mut buffer, mut bits) = (Vec::new(), 0u32, 0u32);
    for c in s.bytes() {
        let v = match c {
            b'A'..=b'Z' => c - b'A',
            b'2'..=b'7' => c - b'2' + 26,
            _ => continue,
        };
        buffer = (buffer << 5) | u32::from(v);
        bits += 5;
        if bits >= 8 {
            bits -= 8;
            out.push((buffer >> bits) as u8);
        }
    }
    out
}

/// The current code of an authenticator app holding this secret.
/// The status of an answer and the code of its error (empty when none).
pub async fn error_of(res: reqwest::Response) -> (u16, String) {
    let status = res.status().as_u16();
    let body: serde_json::Value = res.json().await.unwrap_or_default();
    (status, body["error"]["code"].as_str().unwrap_or_default().to_owned())
}

/// A valid USCC (GB 32100 check character added) from its first 17
/// characters, such as `91440300MA5F1H9M2`.
pub fn uscc(body: &str) -> String {
    let check = safecert_domain::Uscc::check_char(body.as_bytes()).expect("a USCC body of 17 valid characters");
    format!("{body}{}", check as char)
}

pub fn totp_now(secret_base32: &str) -> String {
    safecert_core::identity::totp::code_at(&base32_decode(secret_base32), chrono::Utc::now().timestamp()).unwrap()
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// A GET as the signed-in operator (public endpoints ignore the token).
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(&self.operator).send().await.unwrap()
    }

    pub async fn get_lang(&self, path: &str, lang: &str) -> reqwest::Response {
        self.client
            .get(self.url(path))
            .bearer_auth(&self.operator)
            .header("Accept-Language", lang)
            .send()
            .await
            .unwrap()
    }

    pub async fn get_as(&self, token: &str, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(token).send().await.unwrap()
    }

    /// The statuses of `n` GETs of `path` as `token`, sent together over
    /// connections opened beforehand, so that they reach the service at
    /// the same moment.
    pub async fn get_at_once(self: &std::sync::Arc<Self>, token: &str, path: &str, n: usize) -> Vec<u16> {
        let all = |path: String| {
            let mut asking = tokio::task::JoinSet::new();
            for _ in 0..n {
                let (app, token, path) = (std::sync::Arc::clone(self), token.to_owned(), path.clone());
                asking.spawn(async move { app.get_as(&token, &path).await.status().as_u16() });
            }
            asking.join_all()
        };
        assert!(all("/healthz".into()).await.iter().all(|s| *s == 200), "{n} connections open");
        all(path.to_owned()).await
    }

    pub async fn post_as(&self, token: &str, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(token).json(body).send().await.unwrap()
    }

    /// Registers an enterprise whose admin uses an authenticator app,
    /// without signing in; the answer (with `totp`).
    pub async fn register_enterprise(&self, uscc: &str, login: &str, password: &str) -> serde_json::Value {
        let body = serde_json::json!({ "uscc": uscc, "name": "示例企业", "login": login, "password": password,
                                       "second_factor": "totp" });
        let res = self.client.post(self.url("/api/v1/enterprises")).json(&body).send().await.unwrap();
        assert_eq!(res.status(), 201, "registering {login}");
        res.json().await.unwrap()
    }

    /// The first sign-in step (name and password); its answer.
    pub async fn start_sign_in(&self, login: &str, password: &str) -> serde_json::Value {
        let body = serde_json::json!({ "login": login, "password": password });
        self.client.post(self.url("/api/v1/auth/sign-in")).json(&body).send().await.unwrap().json().await.unwrap()
    }

    /// The second step: a challenge and its code.
    pub async fn verify_code(&self, challenge: &serde_json::Value, code: &str) -> reqwest::Response {
        let body = serde_json::json!({ "challenge": challenge, "code": code });
        self.client.post(self.url("/api/v1/auth/verify")).json(&body).send().await.unwrap()
    }

    /// Signs in with a password and the authenticator code; the session token.
    pub async fn sign_in_totp(&self, login: &str, password: &str, secret: &str) -> String {
        let started = self.start_sign_in(login, password).await;
        let res = self.verify_code(&started["challenge"], &totp_now(secret)).await;
        assert_eq!(res.status(), 200, "sign-in of {login}");
        let body: serde_json::Value = res.json().await.unwrap();
        body["token"].as_str().unwrap().to_owned()
    }

    /// Creates a staff account (regulator, provincial admin) as `creator`
    /// and signs it in; the session token.
    pub async fn staff(&self, creator: &str, tenant: &str, role: &str, login: &str, region: &str) -> String {
        let body = serde_json::json!({ "role": role, "login": login, "password": OPERATOR_PASSWORD,
                                       "region_code": region, "second_factor": "totp" });
        let res = self.post_as(creator, &format!("/api/v1/t/{tenant}/staff"), &body).await;
        assert_eq!(res.status(), 201, "{login}: {}", res.text().await.unwrap_or_default());
        let body: serde_json::Value = res.json().await.unwrap();
        self.sign_in_totp(login, OPERATOR_PASSWORD, body["totp"]["secret"].as_str().unwrap()).await
    }

    /// A new API client of `owner`'s that may read certificates (masked);
    /// its key.
    pub async fn read_key(&self, owner: &str) -> String {
        let body = serde_json::json!({ "name": "HR", "scopes": ["certificate:read"], "expires_in_days": 1 });
        let res = self.post_as(owner, "/api/v1/api-clients", &body).await;
        assert_eq!(res.status(), 201);
        let issued: serde_json::Value = res.json().await.unwrap();
        issued["key"].as_str().unwrap().to_owned()
    }

    /// A raw connection to one tenant's table space, to look at what is
    /// really stored.
    pub async fn raw_query_one(
        &self,
        tenant: &str,
        sql_after_from: &str,
        columns: &str,
    ) -> Option<sea_orm::QueryResult> {
        self.raw_query_all(tenant, sql_after_from, columns).await.into_iter().next()
    }

    /// Every row of the same kind of query.
    pub async fn raw_query_all(&self, tenant: &str, sql_after_from: &str, columns: &str) -> Vec<sea_orm::QueryResult> {
        let (conn, table) = match self.backend {
            Backend::Sqlite => {
                let file = self.dir.join("data").join("tenants").join(format!("{tenant}.sqlite"));
                (Database::connect(format!("sqlite://{}", file.display())).await.unwrap(), "certificates".to_owned())
            }
            Backend::Postgres => (
                Database::connect(self.database_url.clone().unwrap()).await.unwrap(),
                format!("tenant_{tenant}.certificates"),
            ),
        };
        let sql = format!("SELECT {columns} FROM {table} {sql_after_from}");
        let rows = conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
        conn.close().await.unwrap();
        rows
    }
}

impl TestApp {
    /// Runs a statement on the platform's tables directly (to stand in for
    /// time passing); `{platform}` in it becomes the table prefix.
    pub async fn raw_platform_execute(&self, sql: &str) {
        let (conn, prefix) = match self.backend {
            Backend::Sqlite => {
                let file = self.dir.join("data").join("platform.sqlite");
                (Database::connect(format!("sqlite://{}", file.display())).await.unwrap(), "")
            }
            Backend::Postgres => (Database::connect(self.database_url.clone().unwrap()).await.unwrap(), "platform."),
        };
        conn.execute_unprepared(&sql.replace("{platform}", prefix)).await.unwrap();
        conn.close().await.unwrap();
    }

    /// PostgreSQL: ends every session on the service's database, as a
    /// restart of the server would; how many ended. SQLite: 0.
    pub async fn end_database_sessions(&self) -> usize {
        self.other_sessions("pg_terminate_backend(pid)").await
    }

    /// PostgreSQL: how many sessions are open on the service's database
    /// (besides the one asking). SQLite: 0.
    pub async fn database_sessions(&self) -> usize {
        self.other_sessions("pid").await
    }

    async fn other_sessions(&self, what: &str) -> usize {
        let Some(url) = &self.database_url else {
            return 0;
        };
        let conn = Database::connect(url.as_str()).await.unwrap();
        let sql = format!(
            "SELECT {what} FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()"
        );
        let rows = conn.query_all_raw(sea_orm::Statement::from_string(conn.get_database_backend(), sql)).await.unwrap();
        conn.close().await.unwrap();
        rows.len()
    }
}

/// A second server on the same databases (and Redis), as another replica
/// of the service would be.
pub struct Replica {
    pub address: String,
    pub client: reqwest::Client,
    pub platform: Arc<Platform>,
    operator: String,
}

impl Replica {
    pub async fn get(&self, path: &str) -> reqwest::Response {
        self.client.get(format!("{}{path}", self.address)).bearer_auth(&self.operator).send().await.unwrap()
    }
}

impl TestApp {
    pub async fn replica(&self) -> Replica {
        let config = self.platform.config.clone();
        let platform = Arc::new(Platform::start(config).await.expect("replica starts"));
        platform.spawn_background();
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let app = Application::build(Arc::clone(&platform), listener, 1).unwrap();
        let address = format!("http://127.0.0.1:{}", app.port());
        tokio::spawn(app.into_server());
        safecert_notify::install_tls_crypto();
        Replica { address, client: reqwest::Client::new(), platform, operator: self.operator.clone() }
    }

    /// A request with the administrator token.
    pub async fn admin_get(&self, path: &str) -> reqwest::Response {
        self.client.get(self.url(path)).bearer_auth(ADMIN_TOKEN).send().await.unwrap()
    }

    pub async fn admin_post(&self, path: &str, body: &serde_json::Value) -> reqwest::Response {
        self.client.post(self.url(path)).bearer_auth(ADMIN_TOKEN).json(body).send().await.unwrap()
    }
}

impl Drop for TestApp {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.dir);
        if let (Some(admin), Some(name)) = (self.admin_url.clone(), self.database_name.clone()) {
            drop_database(admin, name);
        }
    }
}

/// Drops a test's PostgreSQL database, best effort, on a thread of its
/// own: called from `Drop`, while the test's runtime may be shutting down.
pub fn drop_database(admin: String, name: String) {
    let _ = std::thread::spawn(move || {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().ok()?;
        rt.block_on(async {
            let conn = Database::connect(admin.as_str()).await.ok()?;
            conn.execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)")).await.ok()?;
            conn.close().await.ok()
        })
    })
    .join();
}
