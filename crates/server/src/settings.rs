//! Typed, layered configuration.
//!
//! Sources, later ones winning: `config/default.toml` → `config/<APP_ENV>.toml`
//! (`development` when `APP_ENV` is unset; also `test`, `production`) → environment
//! variables `APP__<SECTION>__<KEY>` (`APP__SERVER__PORT=8080`). The result is checked
//! by [`Settings::validate`] before anything starts: a bad value stops the process with
//! a message naming the key. Secrets are [`SecretString`]s: they print as `[REDACTED]`.

use std::collections::HashMap;
use std::path::Path;
use std::time::Duration;

use ipnet::IpNet;
use qblog_domain::qrcode::NumberMatching;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize, Serializer};

/// Which configuration file is layered over the defaults, and how strict start-up is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Environment {
    /// A developer's machine: pretty logs, generated secrets allowed.
    Development,
    /// Automated tests.
    Test,
    /// Production: JSON logs, every secret must be configured.
    Production,
}

impl Environment {
    /// The file name stem under the config directory.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Development => "development",
            Self::Test => "test",
            Self::Production => "production",
        }
    }

    /// Reads `APP_ENV`; `development` when unset.
    ///
    /// # Errors
    /// Names the variable and the accepted values when it holds anything else.
    pub fn from_env() -> Result<Self, SettingsError> {
        match std::env::var("APP_ENV").as_deref() {
            Err(_) | Ok("") | Ok("development") => Ok(Self::Development),
            Ok("test") => Ok(Self::Test),
            Ok("production") => Ok(Self::Production),
            Ok(other) => Err(SettingsError::Invalid {
                key: "APP_ENV",
                problem: format!("`{other}` is not one of development, test, production"),
            }),
        }
    }
}

/// Everything the service can be configured with.
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    /// Filled from `APP_ENV`, not from the files.
    #[serde(skip, default = "default_environment")]
    pub environment: Environment,
    /// The HTTP listener and public URL.
    pub server: ServerSettings,
    /// The relational database.
    pub database: DatabaseSettings,
    /// The key-value store.
    pub redis: RedisSettings,
    /// Logging.
    pub log: LogSettings,
    /// Sessions and tokens.
    pub auth: AuthSettings,
    /// The QR-code login.
    pub qrcode: QrCodeSettings,
    /// Blogs.
    pub blog: BlogSettings,
    /// Compatibility with front ends written for the Node blog.
    pub compat: CompatSettings,
}

/// `[compat]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct CompatSettings {
    /// Send `/api/` errors with HTTP 200 (the envelope unchanged), as the Node blog did.
    pub legacy_error_status: bool,
}

/// `[blog]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct BlogSettings {
    /// Cache `detail` and `list` answers in the store (Redis, or the embedded store).
    pub cache: bool,
    /// Seconds a cached answer lives at most (writes make it stale at once anyway).
    pub cache_ttl_secs: u64,
    /// Answers larger than this many bytes (long bodies) are not cached.
    pub cache_max_entry_bytes: usize,
}

/// `[qrcode]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct QrCodeSettings {
    /// Seconds from generation until a code expires.
    pub ttl_secs: u64,
    /// `generate` calls per client IP per minute.
    pub generate_per_minute: u64,
    /// `check` calls per client IP per minute.
    pub check_per_minute: u64,
    /// Seconds a session started by a QR code lasts; unset: `auth.session_ttl_secs`.
    #[serde(default)]
    pub login_ttl_secs: Option<u64>,
    /// When a scan asks the phone for the PC's match code: `off`, `always` or
    /// `when_networks_differ`.
    pub number_matching: String,
    /// IPv4 prefix length under which the PC and the phone share a network.
    pub same_network_prefix_v4: u8,
    /// IPv6 prefix length, likewise.
    pub same_network_prefix_v6: u8,
    /// Networks (IPs or CIDRs) a QR-code login may be started from; empty: anywhere.
    #[serde(default)]
    pub allowed_networks: Vec<String>,
    /// Whether a session started by a QR code may not approve QR-code logins nor end
    /// other sessions.
    #[serde(default)]
    pub limited_sessions: bool,
}

impl QrCodeSettings {
    /// `number_matching`, parsed (validated at load, so an unknown word cannot reach
    /// here; the default mode would be its fallback).
    pub fn number_matching(&self) -> NumberMatching {
        NumberMatching::parse(&self.number_matching).unwrap_or_default()
    }
}

fn default_environment() -> Environment {
    Environment::Development
}

/// `[server]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    /// Interface to bind (`127.0.0.1`, `0.0.0.0`).
    pub host: String,
    /// Port to bind; 0 picks a free one (tests).
    pub port: u16,
    /// The URL clients reach the service at, without a trailing slash; QR codes and
    /// the API document point there.
    pub public_base_url: String,
    /// Largest request body accepted; larger ones get 413.
    pub body_limit_bytes: usize,
    /// How long shutdown may take from SIGTERM/SIGINT, drain delay included.
    pub shutdown_timeout_secs: u64,
    /// After SIGTERM/SIGINT: how long the instance keeps accepting and serving (every
    /// response closing its connection, readiness failing) before it stops accepting,
    /// so load balancers stop sending first.
    pub drain_delay_secs: u64,
    /// How long a client may take to send a request's head, and then its body.
    pub request_timeout_secs: u64,
    /// Reverse proxies (IPs or CIDRs) whose `X-Forwarded-For` is believed.
    #[serde(default)]
    pub trusted_proxies: Vec<String>,
    /// Origins whose pages may call the API from the browser (CORS); empty: none.
    #[serde(default)]
    pub cors_origins: Vec<String>,
}

/// `[database]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// `sqlite://data/qblog.db`, `postgres://…` or `mysql://…`; may hold a password.
    #[serde(serialize_with = "url_without_password")]
    pub url: SecretString,
    /// Pool size.
    pub max_connections: u32,
    /// Apply pending migrations at start-up.
    pub auto_migrate: bool,
    /// Seconds to wait for the database at start-up.
    pub connect_timeout_secs: u64,
    /// Milliseconds a request waits for a pooled connection before its 503.
    pub acquire_timeout_ms: u64,
    /// Milliseconds one statement may take, connection included; beyond it the
    /// request gets 503 and counts towards opening the database's breaker.
    pub query_timeout_ms: u64,
}

/// `[redis]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct RedisSettings {
    /// `redis://host:6379/0`; empty selects the embedded in-process store.
    #[serde(serialize_with = "url_without_password")]
    pub url: SecretString,
    /// Prepended to every key and notice channel, so deployments can share a Redis.
    pub key_prefix: String,
    /// Milliseconds a connection attempt may take.
    pub connect_timeout_ms: u64,
    /// Milliseconds a command may take once connected.
    pub command_timeout_ms: u64,
    /// PEM file of a private certificate authority for `rediss://` (empty: the
    /// system's roots).
    #[serde(default)]
    pub tls_ca_file: String,
    /// PEM files of a client certificate and its key, for servers that ask for one.
    #[serde(default)]
    pub tls_client_cert_file: String,
    /// See `tls_client_cert_file`.
    #[serde(default)]
    pub tls_client_key_file: String,
    /// `[redis.sentinel]`: a master found through Sentinel.
    #[serde(default)]
    pub sentinel: SentinelSettings,
    /// `[redis.cluster]`: a Redis Cluster.
    #[serde(default)]
    pub cluster: ClusterSettings,
}

/// `[redis.sentinel]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct SentinelSettings {
    /// The name the sentinels know the master by (`mymaster`).
    #[serde(default)]
    pub master_name: String,
    /// The sentinels: `redis://host:26379` (or `rediss://…`, then the data nodes
    /// are reached with TLS too).
    #[serde(default)]
    #[serde(serialize_with = "urls_without_passwords")]
    pub nodes: Vec<String>,
    /// The data nodes' password, if they require one.
    #[serde(default)]
    #[serde(serialize_with = "redacted")]
    pub password: Option<SecretString>,
}

/// `[redis.cluster]`
#[derive(Debug, Clone, Default, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// Seed nodes: `redis://host:7000` (or `rediss://…`); credentials in the first
    /// apply to every node. The rest of the cluster is found from them.
    #[serde(default)]
    #[serde(serialize_with = "urls_without_passwords")]
    pub nodes: Vec<String>,
}

/// Which Redis layout the settings name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RedisMode {
    /// No Redis: the embedded store, one instance only.
    Embedded,
    /// `redis.url`.
    Standalone,
    /// `redis.sentinel.*`.
    Sentinel,
    /// `redis.cluster.nodes`.
    Cluster,
}

/// The format of application log lines.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    /// Human-readable, coloured.
    Pretty,
    /// One JSON object per line.
    Json,
}

/// `[log]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    /// A tracing filter: `info`, `qblog=debug,info`, … (`RUST_LOG` wins when set).
    pub level: String,
    /// `pretty` or `json`.
    pub format: LogFormat,
    /// Directory for log files (the access log).
    pub dir: String,
    /// Write `<dir>/access.log` (combined format, rotated daily).
    pub access_log: bool,
    /// How many rotated access-log files to keep.
    pub keep_days: u32,
}

/// `[auth]`
#[derive(Debug, Clone, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    /// HMAC key signing access tokens. Required in production (≥ 32 bytes); in
    /// development and tests a random one is generated at start when unset.
    #[serde(default)]
    #[serde(serialize_with = "redacted")]
    pub jwt_secret: Option<SecretString>,
    /// Lifetime of a login session (the `sid` cookie's `Max-Age`).
    pub session_ttl_secs: u64,
    /// Lifetime of a bearer token.
    pub token_ttl_secs: u64,
    /// Add `Secure` to the session cookie (behind HTTPS).
    pub cookie_secure: bool,
    /// Failed logins per (username, client address) per window before 429.
    pub max_failed_logins: u64,
    /// Failed logins per client address per window before 429.
    pub max_failed_logins_per_ip: u64,
    /// Failed logins per username from all addresses per window before 429: high, so
    /// that others' guesses cannot lock the owner out.
    pub max_failed_logins_per_user: u64,
    /// The window failed logins are counted in.
    pub failed_login_window_secs: u64,
    /// Origins besides `server.public_base_url` whose pages may make cookie-authenticated
    /// unsafe requests (`https://app.example.com`).
    #[serde(default)]
    pub allowed_origins: Vec<String>,
    /// Password hashes computed at once; 0 means one per CPU core.
    pub hash_concurrency: usize,
    /// Registrations per client IP per minute (each one hashes a password).
    pub register_per_minute: u64,
}

/// Why the configuration could not be used.
#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    /// A file or variable could not be read or parsed.
    #[error("configuration could not be loaded: {0}")]
    Load(#[from] config::ConfigError),
    /// A value is present but unusable.
    #[error("invalid setting {key}: {problem}")]
    Invalid {
        /// The dotted key, e.g. `server.public_base_url`.
        key: &'static str,
        /// What is wrong with it.
        problem: String,
    },
}

/// Refuses the first `(key, value)` whose value is 0, naming its key.
fn at_least_one(values: &[(&'static str, u64)]) -> Result<(), SettingsError> {
    match values.iter().find(|(_, value)| *value == 0) {
        Some((key, _)) => Err(SettingsError::Invalid {
            key,
            problem: "must be at least 1".to_owned(),
        }),
        None => Ok(()),
    }
}

/// `Err` naming `key` with `problem`: how every check below refuses.
fn invalid(key: &'static str, problem: &str) -> Result<(), SettingsError> {
    Err(SettingsError::Invalid {
        key,
        problem: problem.to_owned(),
    })
}

/// Whether `text` is an origin (`scheme://host[:port]`, nothing after).
fn is_origin(text: &str) -> bool {
    (text.starts_with("http://") || text.starts_with("https://"))
        && text.trim_end_matches('/').matches('/').count() <= 2
}

/// Refuses the first entry of `key` that is not an IP address or a CIDR block.
fn networks(key: &'static str, entries: &[String]) -> Result<(), SettingsError> {
    if entries.iter().any(|entry| parse_net(entry).is_none()) {
        return invalid(key, "every entry must be an IP address or a CIDR block");
    }
    Ok(())
}

impl ServerSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("server.body_limit_bytes", self.body_limit_bytes as u64),
            ("server.shutdown_timeout_secs", self.shutdown_timeout_secs),
            ("server.request_timeout_secs", self.request_timeout_secs),
        ])?;
        let base = &self.public_base_url;
        if !(base.starts_with("http://") || base.starts_with("https://")) || base.ends_with('/') {
            return invalid(
                "server.public_base_url",
                "must start with http:// or https:// and have no trailing slash",
            );
        }
        networks("server.trusted_proxies", &self.trusted_proxies)?;
        if !self
            .cors_origins
            .iter()
            .all(|o| o.starts_with("http://") || o.starts_with("https://"))
        {
            return invalid(
                "server.cors_origins",
                "every entry must be an origin like https://app.example.com",
            );
        }
        if self.drain_delay_secs >= self.shutdown_timeout_secs {
            return invalid(
                "server.drain_delay_secs",
                "must be less than server.shutdown_timeout_secs, which bounds the whole shutdown",
            );
        }
        Ok(())
    }
}

impl DatabaseSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("database.max_connections", u64::from(self.max_connections)),
            ("database.connect_timeout_secs", self.connect_timeout_secs),
            ("database.acquire_timeout_ms", self.acquire_timeout_ms),
            ("database.query_timeout_ms", self.query_timeout_ms),
        ])?;
        let url = self.url.expose_secret();
        let known = [
            "sqlite:",
            "postgres://",
            "postgresql://",
            "mysql://",
            "mariadb://",
        ];
        if !known.iter().any(|scheme| url.starts_with(scheme)) {
            return invalid(
                "database.url",
                "must start with sqlite:, postgres://, postgresql://, mysql:// or mariadb://",
            );
        }
        Ok(())
    }
}

impl RedisSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("redis.connect_timeout_ms", self.connect_timeout_ms),
            ("redis.command_timeout_ms", self.command_timeout_ms),
        ])?;
        let url = self.url.expose_secret();
        if !(url.is_empty() || is_redis_url(url)) {
            return invalid(
                "redis.url",
                "must be empty (embedded store) or start with redis:// or rediss://",
            );
        }
        Ok(())
    }
}

impl LogSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[("log.keep_days", u64::from(self.keep_days))])?;
        if !is_log_filter(&self.level) {
            return invalid(
                "log.level",
                "must be a level (trace, debug, info, warn, error, off) or directives \
                 like `info,qblog_infrastructure=debug`",
            );
        }
        Ok(())
    }
}

impl AuthSettings {
    fn validate(&self, environment: Environment) -> Result<(), SettingsError> {
        at_least_one(&[
            ("auth.max_failed_logins", self.max_failed_logins),
            ("auth.register_per_minute", self.register_per_minute),
            (
                "auth.max_failed_logins_per_ip",
                self.max_failed_logins_per_ip,
            ),
            (
                "auth.failed_login_window_secs",
                self.failed_login_window_secs,
            ),
            ("auth.session_ttl_secs", self.session_ttl_secs),
            ("auth.token_ttl_secs", self.token_ttl_secs),
        ])?;
        if !self.allowed_origins.iter().all(|o| is_origin(o)) {
            return invalid(
                "auth.allowed_origins",
                "every entry must be an origin like https://app.example.com",
            );
        }
        if self.max_failed_logins_per_user < self.max_failed_logins {
            return invalid(
                "auth.max_failed_logins_per_user",
                "must be at least auth.max_failed_logins",
            );
        }
        match &self.jwt_secret {
            Some(secret) if secret.expose_secret().len() < MIN_JWT_SECRET_BYTES => {
                invalid("auth.jwt_secret", "must be at least 32 bytes long")
            }
            None if environment == Environment::Production => invalid(
                "auth.jwt_secret",
                "must be set in production (APP__AUTH__JWT_SECRET); refusing to start",
            ),
            _ => Ok(()),
        }
    }
}

impl QrCodeSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[
            ("qrcode.ttl_secs", self.ttl_secs),
            ("qrcode.generate_per_minute", self.generate_per_minute),
            ("qrcode.check_per_minute", self.check_per_minute),
        ])?;
        if self.login_ttl_secs == Some(0) {
            return invalid("qrcode.login_ttl_secs", "must be at least 1 (or unset)");
        }
        if let Err(err) = NumberMatching::parse(&self.number_matching) {
            return invalid("qrcode.number_matching", &err.problem);
        }
        if self.same_network_prefix_v4 > 32 {
            return invalid("qrcode.same_network_prefix_v4", "must be 0 to 32");
        }
        if self.same_network_prefix_v6 > 128 {
            return invalid("qrcode.same_network_prefix_v6", "must be 0 to 128");
        }
        networks("qrcode.allowed_networks", &self.allowed_networks)
    }
}

impl BlogSettings {
    fn validate(&self) -> Result<(), SettingsError> {
        at_least_one(&[("blog.cache_ttl_secs", self.cache_ttl_secs)])
    }
}

/// The least a token-signing key must hold.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// `url` with the password of its user part replaced: `redis://u:p@h` →
/// `redis://u:[REDACTED]@h`. What `qblog config check` prints for URLs.
pub fn without_password(url: &str) -> String {
    let Some(scheme_end) = url.find("://").map(|i| i + 3) else {
        return url.to_owned();
    };
    let rest = &url[scheme_end..];
    let authority_end = rest.find(['/', '?', '#']).unwrap_or(rest.len());
    let Some(at) = rest[..authority_end].rfind('@') else {
        return url.to_owned();
    };
    match rest[..at].find(':') {
        Some(colon) => format!(
            "{}{}:[REDACTED]{}",
            &url[..scheme_end],
            &rest[..colon],
            &rest[at..]
        ),
        None => url.to_owned(),
    }
}

fn url_without_password<S: Serializer>(url: &SecretString, out: S) -> Result<S::Ok, S::Error> {
    out.serialize_str(&without_password(url.expose_secret()))
}

fn urls_without_passwords<S: Serializer>(urls: &[String], out: S) -> Result<S::Ok, S::Error> {
    out.collect_seq(urls.iter().map(|url| without_password(url)))
}

/// `[REDACTED]` for a secret that is set, nothing for one that is not.
fn redacted<S: Serializer>(secret: &Option<SecretString>, out: S) -> Result<S::Ok, S::Error> {
    match secret {
        Some(_) => out.serialize_str("[REDACTED]"),
        None => out.serialize_none(),
    }
}

/// The files of `config/`, as shipped: the lowest layers of every load.
const SHIPPED: [(&str, &str); 4] = [
    ("default.toml", include_str!("../../../config/default.toml")),
    (
        "development.toml",
        include_str!("../../../config/development.toml"),
    ),
    ("test.toml", include_str!("../../../config/test.toml")),
    (
        "production.toml",
        include_str!("../../../config/production.toml"),
    ),
];

/// The shipped file `name` as a configuration source (empty if there is none).
fn compiled_in(name: &str) -> config::File<config::FileSourceString, config::FileFormat> {
    let text = SHIPPED
        .iter()
        .find(|(file, _)| *file == name)
        .map_or("", |(_, text)| text);
    config::File::from_str(text, config::FileFormat::Toml)
}

/// Settings that hold lists. Their `APP__…` variables take a comma-separated string
/// or a JSON array of strings.
const LIST_KEYS: &[&str] = &[
    "server.trusted_proxies",
    "server.cors_origins",
    "auth.allowed_origins",
    "qrcode.allowed_networks",
    "redis.sentinel.nodes",
    "redis.cluster.nodes",
];

/// The variable that sets the dotted `key`: `server.cors_origins` →
/// `APP__SERVER__CORS_ORIGINS`.
pub fn variable_of(key: &str) -> String {
    format!("APP__{}", key.replace('.', "__").to_ascii_uppercase())
}

/// The items of `key`'s variable when it holds a JSON array (`["a", "b"]`); `None`
/// when it is unset or not written as an array (then it is comma-separated).
fn json_list_variable(
    key: &'static str,
    value: Option<&String>,
) -> Result<Option<Vec<String>>, SettingsError> {
    let Some(value) = value else {
        return Ok(None);
    };
    if !value.trim_start().starts_with('[') {
        return Ok(None);
    }
    serde_json::from_str::<Vec<String>>(value)
        .map(Some)
        .map_err(|err| SettingsError::Invalid {
            key,
            problem: format!(
                "{} looks like a JSON array but is not one of strings ({err}); write \
                 [\"a\", \"b\"] or a,b",
                variable_of(key)
            ),
        })
}

impl Settings {
    /// Loads the layers for `environment`: the files shipped in `config/` (compiled
    /// in, so the binary starts from any directory), then the same files in
    /// `config_dir` when they are there, then `APP__…` variables.
    ///
    /// # Errors
    /// Unparsable files or values, or a failed [`Self::validate`].
    pub fn load(config_dir: &Path, environment: Environment) -> Result<Self, SettingsError> {
        Self::load_with(config_dir, environment, std::env::vars().collect())
    }

    /// [`Self::load`] with `variables` standing for the process environment.
    ///
    /// # Errors
    /// As [`Self::load`].
    pub fn load_with(
        config_dir: &Path,
        environment: Environment,
        variables: HashMap<String, String>,
    ) -> Result<Self, SettingsError> {
        let overlay = format!("{}.toml", environment.as_str());
        let mut builder = config::Config::builder()
            .add_source(compiled_in("default.toml"))
            .add_source(compiled_in(&overlay))
            .add_source(config::File::from(config_dir.join("default.toml")).required(false))
            .add_source(config::File::from(config_dir.join(&overlay)).required(false))
            .add_source(
                config::Environment::with_prefix("APP")
                    .prefix_separator("__")
                    .separator("__")
                    .try_parsing(true)
                    .list_separator(",")
                    .with_list_parse_key("server.trusted_proxies")
                    .with_list_parse_key("qrcode.allowed_networks")
                    .with_list_parse_key("auth.allowed_origins")
                    .with_list_parse_key("server.cors_origins")
                    .with_list_parse_key("redis.sentinel.nodes")
                    .with_list_parse_key("redis.cluster.nodes")
                    .source(Some(variables.clone())),
            );
        for key in LIST_KEYS {
            if let Some(items) = json_list_variable(key, variables.get(&variable_of(key)))? {
                builder = builder.set_override(*key, items)?;
            }
        }
        let mut settings: Settings = builder.build()?.try_deserialize()?;
        settings.environment = environment;
        settings.validate()?;
        Ok(settings)
    }

    /// Checks values the types alone cannot, section by section.
    ///
    /// # Errors
    /// The first unusable value, by its dotted key.
    pub fn validate(&self) -> Result<(), SettingsError> {
        self.server.validate()?;
        self.database.validate()?;
        self.redis.validate()?;
        self.validate_redis_layout()?;
        self.log.validate()?;
        self.auth.validate(self.environment)?;
        self.qrcode.validate()?;
        self.blog.validate()
    }

    /// Checks that at most one Redis layout is named, completely, and that its TLS
    /// files exist.
    fn validate_redis_layout(&self) -> Result<(), SettingsError> {
        let redis = &self.redis;
        let named = [
            !redis.url.expose_secret().trim().is_empty(),
            !redis.sentinel.nodes.is_empty() || !redis.sentinel.master_name.is_empty(),
            !redis.cluster.nodes.is_empty(),
        ];
        if named.iter().filter(|named| **named).count() > 1 {
            return invalid(
                "redis.url",
                "name one Redis layout: redis.url, redis.sentinel.* or redis.cluster.nodes",
            );
        }
        if named[1] {
            if redis.sentinel.master_name.trim().is_empty() {
                return invalid(
                    "redis.sentinel.master_name",
                    "must name the master (mymaster)",
                );
            }
            if redis.sentinel.nodes.is_empty()
                || !redis.sentinel.nodes.iter().all(|n| is_redis_url(n))
            {
                return invalid(
                    "redis.sentinel.nodes",
                    "must list the sentinels as redis://host:port or rediss://host:port",
                );
            }
        }
        if named[2] {
            if !redis.cluster.nodes.iter().all(|n| is_redis_url(n)) {
                return invalid(
                    "redis.cluster.nodes",
                    "every seed node must be redis://host:port or rediss://host:port",
                );
            }
            if redis.key_prefix.contains(['{', '}']) {
                return invalid(
                    "redis.key_prefix",
                    "must not contain braces with redis.cluster: a hash tag in the prefix would \
                     put every key in one slot",
                );
            }
        }
        for (key, file) in [
            ("redis.tls_ca_file", &redis.tls_ca_file),
            ("redis.tls_client_cert_file", &redis.tls_client_cert_file),
            ("redis.tls_client_key_file", &redis.tls_client_key_file),
        ] {
            if !file.is_empty() && !Path::new(file).is_file() {
                return invalid(key, "names no readable file");
            }
        }
        if redis.tls_client_cert_file.is_empty() != redis.tls_client_key_file.is_empty() {
            return invalid(
                "redis.tls_client_cert_file",
                "needs redis.tls_client_key_file, and the other way round",
            );
        }
        Ok(())
    }

    /// Which Redis layout is configured.
    pub fn redis_mode(&self) -> RedisMode {
        if !self.redis.cluster.nodes.is_empty() {
            RedisMode::Cluster
        } else if !self.redis.sentinel.nodes.is_empty() {
            RedisMode::Sentinel
        } else if self.redis.url.expose_secret().trim().is_empty() {
            RedisMode::Embedded
        } else {
            RedisMode::Standalone
        }
    }

    /// Whether the embedded store is selected (no Redis layout named).
    pub fn uses_embedded_store(&self) -> bool {
        self.redis_mode() == RedisMode::Embedded
    }

    /// `server.trusted_proxies`, parsed (validated at load).
    pub fn trusted_proxies(&self) -> Vec<IpNet> {
        self.server
            .trusted_proxies
            .iter()
            .filter_map(|entry| parse_net(entry))
            .collect()
    }

    /// `qrcode.allowed_networks`, parsed (validated at load).
    pub fn qrcode_networks(&self) -> Vec<IpNet> {
        self.qrcode
            .allowed_networks
            .iter()
            .filter_map(|entry| parse_net(entry))
            .collect()
    }

    /// `server.shutdown_timeout_secs` as a duration.
    pub fn shutdown_timeout(&self) -> Duration {
        Duration::from_secs(self.server.shutdown_timeout_secs)
    }
}

fn is_redis_url(url: &str) -> bool {
    url.starts_with("redis://") || url.starts_with("rediss://")
}

/// An IP address (a /32 or /128 network) or a CIDR block.
fn parse_net(text: &str) -> Option<IpNet> {
    let text = text.trim();
    text.parse::<IpNet>()
        .ok()
        .or_else(|| text.parse::<std::net::IpAddr>().ok().map(IpNet::from))
}

/// Whether `text` is a log filter: comma-separated directives, each a bare level or a
/// `target=level` pair. A bare word that is not a level would be taken as a target
/// name and silently turn every other log line off, so it is refused.
fn is_log_filter(text: &str) -> bool {
    const LEVELS: [&str; 6] = ["trace", "debug", "info", "warn", "error", "off"];
    let directives_ok = text.split(',').all(|directive| {
        let directive = directive.trim().to_ascii_lowercase();
        match directive.rsplit_once('=') {
            Some((target, level)) => !target.is_empty() && LEVELS.contains(&level),
            None => LEVELS.contains(&directive.as_str()),
        }
    });
    directives_ok && tracing_subscriber::EnvFilter::try_new(text).is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config_dir() -> std::path::PathBuf {
        Path::new(env!("CARGO_MANIFEST_DIR")).join("../../config")
    }

    fn defaults() -> Settings {
        Settings::load(&config_dir(), Environment::Test).expect("the shipped test settings load")
    }

    fn load_with_variables(
        dir: &Path,
        variables: &[(&str, &str)],
    ) -> Result<Settings, SettingsError> {
        let variables = variables
            .iter()
            .map(|(name, value)| ((*name).to_owned(), (*value).to_owned()))
            .collect();
        Settings::load_with(dir, Environment::Test, variables)
    }

    #[test]
    fn list_variables_take_a_json_array_or_a_comma_separated_string() {
        let settings = load_with_variables(
            &config_dir(),
            &[
                (
                    "APP__AUTH__ALLOWED_ORIGINS",
                    r#"["http://127.0.0.1:18080", "http://localhost:18080"]"#,
                ),
                ("APP__SERVER__TRUSTED_PROXIES", "10.0.0.1,10.1.0.0/16"),
                ("APP__SERVER__CORS_ORIGINS", "[]"),
            ],
        )
        .expect("loads");
        assert_eq!(
            settings.auth.allowed_origins,
            vec!["http://127.0.0.1:18080", "http://localhost:18080"]
        );
        assert_eq!(
            settings.server.trusted_proxies,
            vec!["10.0.0.1", "10.1.0.0/16"]
        );
        assert!(settings.server.cors_origins.is_empty());
    }

    #[test]
    fn a_list_variable_that_is_not_a_json_array_of_strings_is_refused_by_name() {
        let err = load_with_variables(
            &config_dir(),
            &[("APP__QRCODE__ALLOWED_NETWORKS", r#"["10.0.0.0/8", 7"#)],
        )
        .expect_err("refused");
        let text = err.to_string();
        assert!(text.contains("qrcode.allowed_networks"), "{text}");
        assert!(text.contains("APP__QRCODE__ALLOWED_NETWORKS"), "{text}");
    }

    #[test]
    fn a_mistyped_variable_or_file_key_stops_the_start_naming_it() {
        let err = load_with_variables(&config_dir(), &[("APP__AUTH__SESION_TTL_SECS", "60")])
            .expect_err("refused");
        assert!(err.to_string().contains("sesion_ttl_secs"), "{err}");

        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("default.toml"), "[blog]\ncahce = false\n")
            .expect("written");
        let err = load_with_variables(dir.path(), &[]).expect_err("refused");
        assert!(err.to_string().contains("cahce"), "{err}");

        let err =
            load_with_variables(&config_dir(), &[("APP__NOSUCH__KEY", "1")]).expect_err("refused");
        assert!(err.to_string().contains("nosuch"), "{err}");
    }

    /// Every key of a TOML table, dotted (`redis.sentinel.nodes`).
    fn dotted_keys(prefix: &str, table: &toml::Table, out: &mut Vec<String>) {
        for (key, value) in table {
            let dotted = if prefix.is_empty() {
                key.clone()
            } else {
                format!("{prefix}.{key}")
            };
            match value {
                toml::Value::Table(inner) => dotted_keys(&dotted, inner, out),
                _ => out.push(dotted),
            }
        }
    }

    #[test]
    fn every_shipped_key_is_documented_in_operations_md() {
        let defaults: toml::Table = SHIPPED[0].1.parse().expect("default.toml parses");
        let mut keys = Vec::new();
        dotted_keys("", &defaults, &mut keys);
        assert!(keys.len() > 40, "{keys:?}");
        let docs = std::fs::read_to_string(
            Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/operations.md"),
        )
        .expect("docs/operations.md");
        let missing: Vec<_> = keys
            .iter()
            .filter(|key| !docs.contains(&format!("| `{key}` |")))
            .collect();
        assert!(
            missing.is_empty(),
            "not in docs/operations.md's key table: {missing:?}"
        );
    }

    #[test]
    fn a_zero_where_at_least_one_is_needed_is_named() {
        for (key, zero) in [
            (
                "blog.cache_ttl_secs",
                (|s: &mut Settings| s.blog.cache_ttl_secs = 0) as fn(&mut Settings),
            ),
            ("redis.command_timeout_ms", |s: &mut Settings| {
                s.redis.command_timeout_ms = 0
            }),
            ("log.keep_days", |s: &mut Settings| s.log.keep_days = 0),
        ] {
            let mut settings = defaults();
            zero(&mut settings);
            let err = settings.validate().expect_err("refused");
            assert_eq!(
                err.to_string(),
                format!("invalid setting {key}: must be at least 1")
            );
        }
    }

    #[test]
    fn without_a_config_directory_the_compiled_in_files_are_used() {
        let nowhere = tempfile::tempdir().expect("temp dir");
        let settings = load_with_variables(&nowhere.path().join("missing"), &[]).expect("loads");
        let shipped = defaults();
        assert_eq!(settings.server.port, shipped.server.port);
        assert_eq!(
            settings.log.level, shipped.log.level,
            "the test overlay too"
        );
        assert_eq!(
            settings.auth.register_per_minute,
            shipped.auth.register_per_minute
        );
    }

    #[test]
    fn files_in_the_config_directory_override_the_compiled_in_ones() {
        let dir = tempfile::tempdir().expect("temp dir");
        std::fs::write(dir.path().join("default.toml"), "[server]\nport = 9999\n")
            .expect("written");
        let settings = load_with_variables(dir.path(), &[]).expect("loads");
        assert_eq!(settings.server.port, 9999);
        assert_eq!(settings.blog.cache_ttl_secs, defaults().blog.cache_ttl_secs);
        let overridden =
            load_with_variables(dir.path(), &[("APP__SERVER__PORT", "7000")]).expect("loads");
        assert_eq!(overridden.server.port, 7000, "variables still win");
    }

    #[test]
    fn printed_settings_hide_passwords_and_keys() {
        let mut settings = defaults();
        settings.database.url = SecretString::from("postgres://qblog:hunter2@db/qblog");
        settings.auth.jwt_secret = Some(SecretString::from("k".repeat(40)));
        settings.redis.cluster.nodes = vec!["rediss://default:s3cret@10.0.0.1:7000".to_owned()];
        let printed = toml::to_string_pretty(&settings).expect("printed");
        assert!(
            !printed.contains("hunter2") && !printed.contains("s3cret"),
            "{printed}"
        );
        assert!(!printed.contains(&"k".repeat(40)), "{printed}");
        assert!(
            printed.contains("postgres://qblog:[REDACTED]@db/qblog"),
            "{printed}"
        );
        assert!(printed.contains("jwt_secret = \"[REDACTED]\""), "{printed}");
        assert!(
            printed.contains("rediss://default:[REDACTED]@10.0.0.1:7000"),
            "{printed}"
        );
    }

    #[test]
    fn only_the_password_of_a_url_is_hidden() {
        assert_eq!(
            without_password("redis://:pw@h:6379/0"),
            "redis://:[REDACTED]@h:6379/0"
        );
        assert_eq!(without_password("redis://h:6379"), "redis://h:6379");
        assert_eq!(
            without_password("postgres://user@h/db"),
            "postgres://user@h/db"
        );
        assert_eq!(
            without_password("sqlite://data/qblog.db?mode=rwc"),
            "sqlite://data/qblog.db?mode=rwc"
        );
        assert_eq!(
            without_password("mysql://u:p@ss@h/db"),
            "mysql://u:[REDACTED]@h/db"
        );
    }

    #[test]
    fn the_shipped_files_load_for_every_environment_but_production() {
        for environment in [Environment::Development, Environment::Test] {
            let settings = Settings::load(&config_dir(), environment).expect("loads");
            assert_eq!(settings.environment, environment);
        }
    }

    #[test]
    fn production_without_a_jwt_secret_refuses_and_names_the_setting() {
        let mut settings = defaults();
        settings.environment = Environment::Production;
        settings.auth.jwt_secret = None;
        let err = settings.validate().expect_err("refused");
        assert!(err.to_string().contains("auth.jwt_secret"), "{err}");
    }

    #[test]
    fn a_short_jwt_secret_is_refused_everywhere() {
        let mut settings = defaults();
        settings.auth.jwt_secret = Some(SecretString::from("short"));
        assert!(settings.validate().is_err());
    }

    #[test]
    fn secrets_never_print() {
        let mut settings = defaults();
        settings.auth.jwt_secret = Some(SecretString::from("x".repeat(40)));
        settings.database.url = SecretString::from("postgres://u:hunter2@db/x");
        let printed = format!("{settings:?}");
        assert!(!printed.contains("hunter2"));
        assert!(!printed.contains(&"x".repeat(40)));
    }

    #[test]
    fn a_bad_public_url_is_named() {
        let mut settings = defaults();
        settings.server.public_base_url = "example.com/".into();
        let err = settings.validate().expect_err("refused");
        assert!(err.to_string().contains("server.public_base_url"));
    }

    #[test]
    fn trusted_proxies_take_addresses_and_blocks_and_refuse_anything_else() {
        let mut settings = defaults();
        settings.server.trusted_proxies = vec!["10.0.0.0/8".into(), "192.0.2.1".into()];
        assert!(settings.validate().is_ok());
        assert_eq!(settings.trusted_proxies().len(), 2);
        settings.server.trusted_proxies.push("proxy.local".into());
        let err = settings.validate().expect_err("refused");
        assert!(err.to_string().contains("server.trusted_proxies"));
    }

    #[test]
    fn an_unknown_database_scheme_is_named() {
        let mut settings = defaults();
        settings.database.url = SecretString::from("oracle://db");
        let err = settings.validate().expect_err("refused");
        assert!(err.to_string().contains("database.url"));
    }

    #[test]
    fn a_log_level_typo_is_named_instead_of_silencing_the_log() {
        let mut settings = defaults();
        for good in ["info", "WARN", "info,qblog_infrastructure=debug", "off"] {
            settings.log.level = good.into();
            assert!(settings.validate().is_ok(), "{good} should be accepted");
        }
        for bad in ["inof", "", "info,", "qblog=loud", "=debug"] {
            settings.log.level = bad.into();
            let err = settings.validate().expect_err(bad);
            assert!(err.to_string().contains("log.level"), "{bad}: {err}");
        }
    }
}
