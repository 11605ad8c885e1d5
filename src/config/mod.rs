//! Configuration: defaults, then `config.toml` in the data dir, then `KDS_*`
//! and `KLIKIT_*` environment variables, then command-line flags. It is
//! resolved and validated once, at start, into a [`Config`].
//!
//! `kds serve` and the desktop app both come through here, so a kitchen can
//! point either one at any data dir and ports.
//!
//! This file owns the resolution; `config.toml` itself is [`file`], the
//! board's settings [`board`], and every secret (the webhook secrets, the
//! tunnel token, the API token) one [`Secret`] type whose `Debug` is masked;
//! this module never logs or prints them.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::{Deserialize, Serialize};

mod board;
mod file;
mod secret;

pub use board::BoardSettings;
pub use file::{read_config_file, save_config_file, ConfigFile};
use file::read_file;
pub use secret::Secret;

use crate::klikit::WebhookSecret;

/// The file in the data dir that holds configuration.
pub const CONFIG_FILE: &str = "config.toml";
/// The database file in the data dir.
pub const DATABASE_FILE: &str = "kds.sqlite";

/// Default intake listener: the only thing the tunnel exposes.
pub const DEFAULT_WEBHOOK_LISTEN: &str = "127.0.0.1:8080";
/// Default app listener: board and API, loopback only.
pub const DEFAULT_LISTEN: &str = "127.0.0.1:8787";

/// Default cap on open connections, per listener. Well under the common
/// limit of 1,024 open files for both listeners together, the database and
/// cloudflared.
pub const DEFAULT_MAX_CONNECTIONS: usize = 256;

/// How long a secret replaced in the settings view is still accepted, by
/// default: klikit may have signed deliveries with it that are still being
/// retried.
pub const DEFAULT_SECRET_ROTATION: Duration = Duration::from_secs(24 * 3600);

/// Where the webhook secret in force came from. The environment wins over
/// the file at every start.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum SecretSource {
    Environment,
    File,
    None,
}

/// Why the configuration cannot be used. Each names its cause in one line.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("no data directory: set --data-dir or KDS_DATA_DIR (the OS gave no per-user data dir)")]
    NoDataDir,
    #[error("cannot use data dir {path}: {reason}")]
    DataDir { path: PathBuf, reason: String },
    #[error("cannot read {path}: {reason}")]
    ReadFile { path: PathBuf, reason: String },
    #[error("invalid {path}: {reason}")]
    ParseFile { path: PathBuf, reason: String },
    #[error("invalid {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

/// How `cloudflared` is run (see `tunnel`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TunnelMode {
    /// No tunnel: the kitchen runs its own reverse proxy.
    #[default]
    Off,
    /// A throwaway `trycloudflare.com` URL that changes on every start.
    Quick,
    /// A named tunnel run from a token: a stable hostname, for production.
    Named,
}

impl std::str::FromStr for TunnelMode {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s.trim().to_ascii_lowercase().as_str() {
            "off" | "" => Ok(TunnelMode::Off),
            "quick" => Ok(TunnelMode::Quick),
            "named" => Ok(TunnelMode::Named),
            other => Err(format!("unknown tunnel mode {other:?} (expected off, quick or named)")),
        }
    }
}

/// Values given on the command line; they win over everything else.
#[derive(Debug, Clone, Default)]
pub struct Overrides {
    pub data_dir: Option<PathBuf>,
    pub webhook_listen: Option<String>,
    pub listen: Option<String>,
    pub tunnel: Option<TunnelMode>,
}

/// The resolved configuration.
#[derive(Debug, Clone)]
pub struct Config {
    /// Where the database and `config.toml` live.
    pub data_dir: PathBuf,
    /// Intake listener address (`POST /webhooks/klikit`, `GET /healthz`).
    pub webhook_listen: SocketAddr,
    /// App listener address (board, API, live stream).
    pub listen: SocketAddr,
    /// The current webhook secret. `None`: the intake answers 503.
    pub webhook_secret: Option<WebhookSecret>,
    /// The previous secret, accepted too while a rotation is under way.
    pub webhook_secret_previous: Option<WebhookSecret>,
    /// Until when the previous secret is accepted (`None`: for as long as
    /// it is configured, as one from the environment is).
    pub webhook_secret_previous_until: Option<time::OffsetDateTime>,
    /// Where the current webhook secret came from.
    pub webhook_secret_source: SecretSource,
    /// How long a secret replaced in the settings view stays accepted.
    pub secret_rotation: Duration,
    /// Required on the app listener when it is bound beyond loopback.
    pub api_token: Option<Secret>,
    pub tunnel: TunnelMode,
    pub tunnel_token: Option<Secret>,
    /// What set the tunnel at this start besides `config.toml`: the
    /// `--tunnel` flag and the `KDS_TUNNEL`, `KDS_TUNNEL_TOKEN` and
    /// `KDS_PUBLIC_URL` variables, by name. They win over the file at every
    /// start, so a change made in Settings lasts only until the next one.
    pub tunnel_set_by: Vec<&'static str>,
    /// Explicit path to `cloudflared`; otherwise it is looked up on PATH.
    pub cloudflared: Option<PathBuf>,
    /// Desktop app only: open the window fullscreen (kiosk mode); F11 and
    /// the tray toggle it while the app runs.
    pub kiosk: bool,
    /// The public base URL klikit posts to (`https://orders.example.com`):
    /// a named tunnel's hostname, or the kitchen's own reverse proxy. Quick
    /// tunnels learn theirs from cloudflared.
    pub public_url: Option<String>,
    /// klikit status code → name overrides.
    pub status_names: std::collections::BTreeMap<i64, String>,
    /// Storage tuning (benchmarks and fault tests only change these).
    pub store: crate::store::StoreOptions,
    /// Time allowed to receive a request's headers before the connection
    /// is closed (slow-loris defence).
    pub header_timeout: Duration,
    /// Time allowed to receive a request's body.
    pub body_timeout: Duration,
    /// klikit's partner API; `None` (no keys): nothing is sent to klikit.
    pub partner: Option<crate::partner::PartnerConfig>,
    /// How often catch-up lists klikit's recent orders (with partner keys).
    pub catchup_every: Duration,
    /// The klikit branch ids this kitchen serves; empty: all.
    pub branches: Vec<i64>,
    /// Most connections open at once on each listener.
    pub max_connections: usize,
    /// Most body bytes the intake holds in memory at once (unsigned
    /// bodies included: they are read before they can be checked).
    pub intake_budget_bytes: u64,
    /// Retention periods and the night work's schedule.
    pub retention: crate::maintenance::RetentionSettings,
    /// Kitchen printers, checked.
    pub printers: Vec<crate::printing::Printer>,
    /// The kitchen's time zone: its local day for reports and the night
    /// work's quiet hour. `timezone` (an IANA name such as `Asia/Jakarta`)
    /// or `KDS_TIMEZONE`; without either, the machine's (`TZ`, then
    /// `/etc/localtime`), and UTC when the machine names none.
    pub timezone: jiff::tz::TimeZone,
}

impl Config {
    /// A configuration for tests and embedding: the given data dir, both
    /// listeners on `127.0.0.1:0`, no tunnel, no file, no environment.
    pub fn for_data_dir(data_dir: impl Into<PathBuf>) -> Config {
        Config {
            data_dir: data_dir.into(),
            webhook_listen: "127.0.0.1:0".parse().unwrap(),
            listen: "127.0.0.1:0".parse().unwrap(),
            webhook_secret: None,
            webhook_secret_previous: None,
            webhook_secret_previous_until: None,
            webhook_secret_source: SecretSource::None,
            secret_rotation: DEFAULT_SECRET_ROTATION,
            api_token: None,
            tunnel: TunnelMode::Off,
            tunnel_token: None,
            tunnel_set_by: Vec::new(),
            cloudflared: None,
            kiosk: false,
            public_url: None,
            status_names: Default::default(),
            store: Default::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            partner: None,
            catchup_every: crate::partner::catchup::DEFAULT_EVERY,
            branches: Vec::new(),
            max_connections: DEFAULT_MAX_CONNECTIONS,
            intake_budget_bytes: crate::intake::DEFAULT_BUDGET_BYTES,
            retention: Default::default(),
            printers: Vec::new(),
            timezone: jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC),
        }
    }

    /// What each listener allows its connections.
    pub fn connection_limits(&self) -> crate::server::ConnectionLimits {
        crate::server::ConnectionLimits { header_timeout: self.header_timeout, max_connections: self.max_connections }
    }

    /// The database path.
    pub fn database_path(&self) -> PathBuf {
        self.data_dir.join(DATABASE_FILE)
    }

    /// Resolves the configuration from flags, the process environment and the
    /// config file.
    pub fn load(overrides: Overrides) -> Result<Config, ConfigError> {
        Self::load_with(overrides, |k| std::env::var(k).ok())
    }

    /// As [`Config::load`], with the environment passed in (for tests).
    pub fn load_with(overrides: Overrides, env: impl Fn(&str) -> Option<String>) -> Result<Config, ConfigError> {
        let env = |k: &str| env(k).filter(|v| !v.trim().is_empty());
        let data_dir = match overrides.data_dir.clone().or_else(|| env("KDS_DATA_DIR").map(PathBuf::from)) {
            Some(d) => d,
            None => default_data_dir().ok_or(ConfigError::NoDataDir)?,
        };
        prepare_data_dir(&data_dir)?;
        let file = read_file(&data_dir.join(CONFIG_FILE))?;
        warn_if_others_can_read(&data_dir.join(CONFIG_FILE), "config.toml (it may hold the webhook secret)");

        let mut config = Config::for_data_dir(&data_dir);
        config.webhook_listen = addr(
            "webhook listen address",
            overrides.webhook_listen.or_else(|| env("KDS_WEBHOOK_LISTEN")).or(file.webhook_listen).as_deref().unwrap_or(DEFAULT_WEBHOOK_LISTEN),
        )?;
        config.listen = addr("listen address", overrides.listen.or_else(|| env("KDS_LISTEN")).or(file.listen).as_deref().unwrap_or(DEFAULT_LISTEN))?;
        config.webhook_secret_source = match (env("KLIKIT_WEBHOOK_SECRET"), &file.webhook_secret) {
            (Some(_), _) => SecretSource::Environment,
            (None, Some(_)) => SecretSource::File,
            (None, None) => SecretSource::None,
        };
        config.webhook_secret = secret("KLIKIT_WEBHOOK_SECRET", env("KLIKIT_WEBHOOK_SECRET").or(file.webhook_secret))?;
        match env("KLIKIT_WEBHOOK_SECRET_PREVIOUS") {
            Some(v) => config.webhook_secret_previous = secret("KLIKIT_WEBHOOK_SECRET_PREVIOUS", Some(v))?,
            None => {
                config.webhook_secret_previous = secret("webhook_secret_previous", file.webhook_secret_previous)?;
                config.webhook_secret_previous_until = match file.webhook_secret_previous_until {
                    Some(t) => Some(time::OffsetDateTime::parse(t.trim(), &time::format_description::well_known::Rfc3339).map_err(|_| {
                        ConfigError::Invalid { name: "webhook_secret_previous_until", reason: format!("{t:?} is not a time like 2026-07-15T18:24:13Z") }
                    })?),
                    None => None,
                };
            }
        }
        if let Some(v) = env("KDS_SECRET_ROTATION_HOURS") {
            config.secret_rotation = Duration::from_secs(number("KDS_SECRET_ROTATION_HOURS", &v, 0..=24 * 30)? * 3600);
        } else if let Some(h) = file.secret_rotation_hours {
            config.secret_rotation = Duration::from_secs(number("secret_rotation_hours", &h.to_string(), 0..=24 * 30)? * 3600);
        }
        config.api_token = env("KDS_API_TOKEN").or(file.api_token).and_then(Secret::new);
        config.tunnel = match overrides.tunnel {
            Some(m) => m,
            None => match env("KDS_TUNNEL") {
                Some(v) => v.parse().map_err(|reason| ConfigError::Invalid { name: "KDS_TUNNEL", reason })?,
                None => file.tunnel.unwrap_or_default(),
            },
        };
        config.tunnel_token = env("KDS_TUNNEL_TOKEN").or(file.tunnel_token).and_then(Secret::new);
        config.tunnel_set_by = [
            ("--tunnel", overrides.tunnel.is_some()),
            ("KDS_TUNNEL", overrides.tunnel.is_none() && env("KDS_TUNNEL").is_some()),
            ("KDS_TUNNEL_TOKEN", env("KDS_TUNNEL_TOKEN").is_some()),
            ("KDS_PUBLIC_URL", env("KDS_PUBLIC_URL").is_some()),
        ]
        .into_iter()
        .filter_map(|(name, set)| set.then_some(name))
        .collect();
        config.cloudflared = env("KDS_CLOUDFLARED").map(PathBuf::from).or(file.cloudflared);
        config.kiosk = match env("KDS_KIOSK") {
            Some(v) => flag("KDS_KIOSK", &v)?,
            None => file.kiosk.unwrap_or(false),
        };
        if let Some(url) = env("KDS_PUBLIC_URL").or(file.public_url) {
            config.public_url = Some(public_url(&url)?);
        }
        for (code, name) in file.status_names {
            let code = code.trim().parse::<i64>().map_err(|_| ConfigError::Invalid {
                name: "status_names",
                reason: format!("{code:?} is not a status number"),
            })?;
            config.status_names.insert(code, name);
        }
        config.printers = crate::printing::printer::validate_all(&file.printers).map_err(|reason| ConfigError::Invalid { name: "printers", reason })?;
        if let Some(v) = env("KDS_SYNCHRONOUS") {
            config.store.synchronous_full = match v.to_ascii_lowercase().as_str() {
                "full" => true,
                "normal" => false,
                _ => return Err(ConfigError::Invalid { name: "KDS_SYNCHRONOUS", reason: format!("{v:?} (expected full or normal)") }),
            };
        }
        if let Some(v) = env("KDS_GROUP_COMMIT") {
            config.store.group_commit = !matches!(v.to_ascii_lowercase().as_str(), "0" | "false" | "off" | "no");
        }
        config.partner = partner(
            env("KLIKIT_PARTNER_KEY").or(file.klikit_partner_key),
            env("KLIKIT_PARTNER_SECRET").or(file.klikit_partner_secret),
            env("KLIKIT_API_URL").or(file.klikit_api_url),
        )?;
        config.branches = match env("KDS_BRANCHES") {
            Some(v) => v
                .split(',')
                .map(str::trim)
                .filter(|b| !b.is_empty())
                .map(|b| b.parse::<i64>().map_err(|_| ConfigError::Invalid { name: "KDS_BRANCHES", reason: format!("{b:?} is not a branch id") }))
                .collect::<Result<_, _>>()?,
            None => file.branches.clone().unwrap_or_default(),
        };
        if let Some(v) = env("KDS_CATCHUP_MINUTES") {
            let minutes: u64 = v.trim().parse().ok().filter(|m| (1..=1440).contains(m)).ok_or_else(|| ConfigError::Invalid {
                name: "KDS_CATCHUP_MINUTES",
                reason: format!("{v:?} (expected minutes from 1 to 1440)"),
            })?;
            config.catchup_every = Duration::from_secs(minutes * 60);
        }
        if let Some(v) = env("KDS_HEADER_TIMEOUT_SECS") {
            config.header_timeout = Duration::from_secs(number("KDS_HEADER_TIMEOUT_SECS", &v, 1..=300)?);
        }
        if let Some(v) = env("KDS_BODY_TIMEOUT_SECS") {
            config.body_timeout = Duration::from_secs(number("KDS_BODY_TIMEOUT_SECS", &v, 1..=300)?);
        }
        if let Some(v) = env("KDS_MAX_CONNECTIONS") {
            config.max_connections = number("KDS_MAX_CONNECTIONS", &v, 1..=100_000)? as usize;
        }
        if let Some(v) = env("KDS_INTAKE_BUFFER_MIB") {
            config.intake_budget_bytes = number("KDS_INTAKE_BUFFER_MIB", &v, 4..=4096)? * 1024 * 1024;
        }
        if let Some(retention) = file.retention {
            retention.check().map_err(|reason| ConfigError::Invalid { name: "retention", reason })?;
            config.retention = retention;
        }
        if let Some(name) = env("KDS_TIMEZONE").or(file.timezone) {
            config.timezone = jiff::tz::TimeZone::get(name.trim()).map_err(|_| ConfigError::Invalid {
                name: "timezone",
                reason: format!("{name:?} is not a time zone this machine knows (use an IANA name such as Asia/Jakarta or UTC)"),
            })?;
        }
        config.store.litestream = match env("KDS_LITESTREAM") {
            Some(v) => flag("KDS_LITESTREAM", &v)?,
            None => file.litestream.unwrap_or(false),
        };
        if config.tunnel == TunnelMode::Named && config.tunnel_token.is_none() {
            return Err(ConfigError::Invalid { name: "tunnel", reason: "named mode needs a token (KDS_TUNNEL_TOKEN or tunnel_token)".into() });
        }
        Ok(config)
    }

    /// Every webhook secret that is accepted, current first.
    pub fn webhook_secrets(&self) -> Vec<WebhookSecret> {
        self.webhook_secret.iter().chain(self.webhook_secret_previous.iter()).cloned().collect()
    }
}

/// The OS's per-user data directory for kds (`~/.local/share/kds` on Linux).
/// A public base URL, checked and without a trailing `/`
/// (`https://orders.example.com`).
pub fn public_url(url: &str) -> Result<String, ConfigError> {
    let url = url.trim().trim_end_matches('/').to_string();
    let host = url.strip_prefix("https://").or_else(|| url.strip_prefix("http://")).unwrap_or("");
    if host.is_empty() || host.contains(char::is_whitespace) {
        return Err(ConfigError::Invalid { name: "public_url", reason: format!("{url:?} is not a URL like https://orders.example.com") });
    }
    Ok(url)
}

/// The data dir [`Config::load`] will use: the flag, else `KDS_DATA_DIR`,
/// else the OS default. For what must start before the configuration is
/// read (the log file).
pub fn data_dir_from(flag: Option<PathBuf>) -> Option<PathBuf> {
    flag.or_else(|| std::env::var_os("KDS_DATA_DIR").filter(|v| !v.is_empty()).map(PathBuf::from)).or_else(default_data_dir)
}

pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kds").map(|d| d.data_dir().to_path_buf())
}

/// Logs a warning when users other than the owner may read `path`.
fn warn_if_others_can_read(path: &Path, what: &str) {
    if let Some(mode) = others_can_read(path) {
        tracing::warn!(path = %path.display(), mode = format!("{mode:o}"), "{what} is readable by other users of this computer: chmod go-rwx it");
    }
}

/// The mode of `path` when group or others have any access to it; `None`
/// when only its owner has (or it does not exist).
pub fn others_can_read(path: &Path) -> Option<u32> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path).ok()?.permissions().mode() & 0o777;
        (mode & 0o077 != 0).then_some(mode)
    }
    #[cfg(not(unix))]
    {
        let _ = path;
        None
    }
}

fn prepare_data_dir(dir: &Path) -> Result<(), ConfigError> {
    let fail = |reason: String| ConfigError::DataDir { path: dir.to_owned(), reason };
    // Owner only (0700): the database holds customers' names, phone
    // numbers and addresses. An existing dir is left as it is (it may be
    // shared on purpose), with a warning.
    crate::privacy::create_dir(dir).map_err(|e| fail(e.to_string()))?;
    warn_if_others_can_read(dir, "the data dir");
    // Prove it is writable now rather than on the first delivery.
    let probe = dir.join(".kds-write-probe");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}


fn addr(name: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid { name, reason: format!("{value:?} is not an address like 127.0.0.1:8080") })
}

fn number(name: &'static str, value: &str, range: std::ops::RangeInclusive<u64>) -> Result<u64, ConfigError> {
    match value.trim().parse::<u64>() {
        Ok(n) if range.contains(&n) => Ok(n),
        _ => Err(ConfigError::Invalid { name, reason: format!("{value:?} (expected a whole number from {} to {})", range.start(), range.end()) }),
    }
}

fn flag(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid { name, reason: format!("{value:?} (expected true or false)") }),
    }
}

/// The partner API configuration: both keys or neither; the base defaults
/// to production.
pub fn partner(key: Option<String>, secret: Option<String>, base: Option<String>) -> Result<Option<crate::partner::PartnerConfig>, ConfigError> {
    let base = crate::partner::client::resolve_base(base.as_deref().unwrap_or("prod")).map_err(|reason| ConfigError::Invalid { name: "KLIKIT_API_URL", reason })?;
    match (key.filter(|k| !k.trim().is_empty()), secret.filter(|s| !s.trim().is_empty())) {
        (None, None) => Ok(None),
        (Some(k), Some(s)) => Ok(crate::partner::PartnerConfig::new(base, &k, &s)),
        _ => Err(ConfigError::Invalid { name: "klikit partner keys", reason: "set both KLIKIT_PARTNER_KEY and KLIKIT_PARTNER_SECRET, or neither".into() }),
    }
}

fn secret(name: &'static str, value: Option<String>) -> Result<Option<WebhookSecret>, ConfigError> {
    match value {
        None => Ok(None),
        Some(v) => WebhookSecret::new(v).map(Some).ok_or(ConfigError::Invalid { name, reason: "the secret is empty".into() }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn load(dir: &Path, env: &[(&str, &str)], overrides: Overrides) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = env.iter().map(|(k, v)| (k.to_string(), v.to_string())).collect();
        Config::load_with(Overrides { data_dir: Some(dir.to_owned()), ..overrides }, |k| env.get(k).cloned())
    }

    #[test]
    fn defaults_then_file_then_env_then_flags() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(dir.path(), &[], Overrides::default()).unwrap();
        assert_eq!(c.webhook_listen.to_string(), DEFAULT_WEBHOOK_LISTEN);
        assert_eq!(c.listen.to_string(), DEFAULT_LISTEN);
        assert!(c.webhook_secret.is_none(), "no secret unless one is configured");

        std::fs::write(dir.path().join(CONFIG_FILE), "listen = \"127.0.0.1:9001\"\nwebhook_secret = \"from-file\"\n").unwrap();
        let c = load(dir.path(), &[], Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 9001, "the file overrides the default");
        assert_eq!(c.webhook_secret, Some(WebhookSecret::new("from-file").unwrap()));

        let c = load(dir.path(), &[("KDS_LISTEN", "127.0.0.1:9002"), ("KLIKIT_WEBHOOK_SECRET", "from-env")], Overrides::default()).unwrap();
        assert_eq!(c.listen.port(), 9002, "the environment overrides the file");
        assert_eq!(c.webhook_secret, Some(WebhookSecret::new("from-env").unwrap()));

        let c = load(dir.path(), &[("KDS_LISTEN", "127.0.0.1:9002")], Overrides { listen: Some("127.0.0.1:9003".into()), ..Default::default() }).unwrap();
        assert_eq!(c.listen.port(), 9003, "flags override everything");
    }

    #[test]
    fn empty_secret_in_env_means_none_and_bad_values_name_their_cause() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(dir.path(), &[("KLIKIT_WEBHOOK_SECRET", "   ")], Overrides::default()).unwrap();
        assert!(c.webhook_secret.is_none(), "an empty secret is never accepted as a secret");
        let e = load(dir.path(), &[("KDS_LISTEN", "nonsense")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("listen address"), "{e}");
        std::fs::write(dir.path().join(CONFIG_FILE), "lisen = 1").unwrap();
        let e = load(dir.path(), &[], Overrides::default()).unwrap_err();
        assert!(matches!(e, ConfigError::ParseFile { .. }), "a typo in the file is an error, not silently ignored: {e}");
    }

    #[test]
    fn connection_limits_come_from_the_environment_and_are_bounded() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(dir.path(), &[], Overrides::default()).unwrap();
        assert_eq!((c.max_connections, c.header_timeout), (DEFAULT_MAX_CONNECTIONS, Duration::from_secs(10)), "defaults");
        let c = load(dir.path(), &[("KDS_MAX_CONNECTIONS", "40"), ("KDS_HEADER_TIMEOUT_SECS", "2"), ("KDS_BODY_TIMEOUT_SECS", "3")], Overrides::default()).unwrap();
        assert_eq!((c.max_connections, c.header_timeout, c.body_timeout), (40, Duration::from_secs(2), Duration::from_secs(3)));
        for bad in [("KDS_MAX_CONNECTIONS", "0"), ("KDS_HEADER_TIMEOUT_SECS", "ten"), ("KDS_BODY_TIMEOUT_SECS", "100000")] {
            let e = load(dir.path(), &[bad], Overrides::default()).unwrap_err();
            assert!(e.to_string().contains(bad.0), "a bad limit names itself: {e}");
        }
    }

    #[test]
    fn the_secret_source_and_the_rotation_window_are_resolved() {
        let dir = tempfile::tempdir().unwrap();
        assert_eq!(load(dir.path(), &[], Overrides::default()).unwrap().webhook_secret_source, SecretSource::None);
        std::fs::write(
            dir.path().join(CONFIG_FILE),
            "webhook_secret = \"new\"\nwebhook_secret_previous = \"old\"\nwebhook_secret_previous_until = \"2026-07-16T18:00:00Z\"\nsecret_rotation_hours = 2\n",
        )
        .unwrap();
        let c = load(dir.path(), &[], Overrides::default()).unwrap();
        assert_eq!(c.webhook_secret_source, SecretSource::File);
        assert_eq!(c.webhook_secret_previous, WebhookSecret::new("old"));
        assert_eq!(c.webhook_secret_previous_until, Some(time::macros::datetime!(2026-07-16 18:00 UTC)), "the window's end survives a restart");
        assert_eq!(c.secret_rotation, Duration::from_secs(2 * 3600));
        let c = load(dir.path(), &[("KLIKIT_WEBHOOK_SECRET", "from-env")], Overrides::default()).unwrap();
        assert_eq!(c.webhook_secret_source, SecretSource::Environment, "the environment wins, and settings must say so");
        let c = load(dir.path(), &[("KLIKIT_WEBHOOK_SECRET_PREVIOUS", "env-old")], Overrides::default()).unwrap();
        assert_eq!((c.webhook_secret_previous, c.webhook_secret_previous_until), (WebhookSecret::new("env-old"), None), "a previous secret from the environment has no end");
    }

    #[test]
    fn kiosk_comes_from_the_file_or_the_environment() {
        let dir = tempfile::tempdir().unwrap();
        assert!(!load(dir.path(), &[], Overrides::default()).unwrap().kiosk, "a window by default");
        std::fs::write(dir.path().join(CONFIG_FILE), "kiosk = true\n").unwrap();
        assert!(load(dir.path(), &[], Overrides::default()).unwrap().kiosk, "the file turns kiosk mode on");
        assert!(!load(dir.path(), &[("KDS_KIOSK", "off")], Overrides::default()).unwrap().kiosk, "the environment wins");
        let e = load(dir.path(), &[("KDS_KIOSK", "maybe")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("KDS_KIOSK"), "a bad flag names itself: {e}");
    }

    #[test]
    fn public_url_is_a_url_without_its_trailing_slash() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(dir.path(), &[("KDS_PUBLIC_URL", "https://orders.example.com/")], Overrides::default()).unwrap();
        assert_eq!(c.public_url.as_deref(), Some("https://orders.example.com"), "<url>/webhooks/klikit must not get a double slash");
        let e = load(dir.path(), &[("KDS_PUBLIC_URL", "orders.example.com")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("public_url"), "{e}");
    }

    #[cfg(unix)]
    #[test]
    fn a_new_data_dir_is_private_and_a_shared_config_file_is_noticed() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let data = dir.path().join("new").join("kds");
        load(&data, &[], Overrides::default()).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o700, "the data dir holds customer data: owner only (was {mode:o})");
        let file = data.join(CONFIG_FILE);
        std::fs::write(&file, "").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        assert_eq!(others_can_read(&file), Some(0o644), "a config.toml others can read is noticed (and warned about at start)");
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        assert_eq!(others_can_read(&file), None);
    }

    #[test]
    fn unwritable_data_dir_is_an_error() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("a-file");
        std::fs::write(&file, "x").unwrap();
        let e = load(&file.join("sub"), &[], Overrides::default()).unwrap_err();
        assert!(matches!(e, ConfigError::DataDir { .. }), "{e}");
    }

    #[test]
    fn a_saved_file_reads_back_and_is_private() {
        let dir = tempfile::tempdir().unwrap();
        let mut file = ConfigFile { webhook_secret: Some("whsec-saved".into()), tunnel: Some(TunnelMode::Quick), ..Default::default() };
        file.status_names.insert("5".into(), "READY".into());
        file.board = Some(BoardSettings { warn_after_minutes: 3, late_after_minutes: 7, chime: false, chime_repeat: true });
        save_config_file(dir.path(), &file).unwrap();
        let back = read_config_file(dir.path()).unwrap();
        assert_eq!(back.board, file.board, "board settings survive a save");
        assert_eq!(back.status_names, file.status_names);
        let c = load(dir.path(), &[], Overrides::default()).unwrap();
        assert_eq!(c.webhook_secret, Some(WebhookSecret::new("whsec-saved").unwrap()), "a saved file loads like a hand-written one");
        assert_eq!(c.tunnel, TunnelMode::Quick);
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(dir.path().join(CONFIG_FILE)).unwrap().permissions().mode();
            assert_eq!(mode & 0o077, 0, "the file holds the secret, so only its owner may read it (mode {mode:o})");
        }
    }

    #[test]
    fn the_time_zone_comes_from_the_file_or_the_environment_and_must_exist() {
        let dir = tempfile::tempdir().unwrap();
        let machine = jiff::tz::TimeZone::try_system().unwrap_or(jiff::tz::TimeZone::UTC);
        assert_eq!(load(dir.path(), &[], Overrides::default()).unwrap().timezone, machine, "without a setting, the machine's zone");
        std::fs::write(dir.path().join(CONFIG_FILE), "timezone = \"Asia/Jakarta\"\n").unwrap();
        assert_eq!(load(dir.path(), &[], Overrides::default()).unwrap().timezone.iana_name(), Some("Asia/Jakarta"), "the file names the zone");
        let c = load(dir.path(), &[("KDS_TIMEZONE", "Europe/Berlin")], Overrides::default()).unwrap();
        assert_eq!(c.timezone.iana_name(), Some("Europe/Berlin"), "the environment wins over the file");
        let e = load(dir.path(), &[("KDS_TIMEZONE", "Mars/Olympus")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("timezone"), "an unknown zone is refused by name, not silently UTC: {e}");
    }

    #[test]
    fn branches_come_from_the_file_or_a_comma_list() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path(), &[], Overrides::default()).unwrap().branches.is_empty(), "no list: every branch");
        std::fs::write(dir.path().join(CONFIG_FILE), "branches = [3307]\n").unwrap();
        assert_eq!(load(dir.path(), &[], Overrides::default()).unwrap().branches, [3307]);
        assert_eq!(load(dir.path(), &[("KDS_BRANCHES", "1, 2")], Overrides::default()).unwrap().branches, [1, 2], "the environment wins");
        let e = load(dir.path(), &[("KDS_BRANCHES", "1,x")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("KDS_BRANCHES"), "{e}");
    }

    #[test]
    fn partner_keys_come_in_pairs_and_the_base_resolves() {
        let dir = tempfile::tempdir().unwrap();
        assert!(load(dir.path(), &[], Overrides::default()).unwrap().partner.is_none(), "no keys: nothing goes to klikit");
        let c = load(dir.path(), &[("KLIKIT_PARTNER_KEY", "pk"), ("KLIKIT_PARTNER_SECRET", "sk"), ("KLIKIT_API_URL", "dev")], Overrides::default()).unwrap();
        assert_eq!(c.partner.unwrap().base_url, crate::partner::client::DEV_BASE);
        let e = load(dir.path(), &[("KLIKIT_PARTNER_KEY", "pk")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("KLIKIT_PARTNER_SECRET"), "one key alone is a mistake worth naming: {e}");
        let e = load(dir.path(), &[("KLIKIT_API_URL", "http://x/api")], Overrides::default()).unwrap_err();
        assert!(e.to_string().contains("KLIKIT_API_URL"), "{e}");
    }

    #[test]
    fn the_config_names_what_set_the_tunnel_besides_the_file() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "tunnel = \"quick\"\n").unwrap();
        assert!(load(dir.path(), &[], Overrides::default()).unwrap().tunnel_set_by.is_empty(), "a tunnel from config.toml alone is Settings' to change");
        let c = load(dir.path(), &[("KDS_TUNNEL", "named"), ("KDS_TUNNEL_TOKEN", "tok")], Overrides::default()).unwrap();
        assert_eq!(c.tunnel_set_by, vec!["KDS_TUNNEL", "KDS_TUNNEL_TOKEN"], "both variables win over the file at every start");
        let c = load(dir.path(), &[("KDS_TUNNEL", "named"), ("KDS_TUNNEL_TOKEN", "tok")], Overrides { tunnel: Some(TunnelMode::Off), ..Default::default() }).unwrap();
        assert_eq!(c.tunnel_set_by, vec!["--tunnel", "KDS_TUNNEL_TOKEN"], "the flag wins over KDS_TUNNEL, so only the flag is named for the mode");
    }

    #[test]
    fn secrets_do_not_appear_in_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(
            dir.path(),
            &[
                ("KLIKIT_WEBHOOK_SECRET", "whsec-AAA"),
                ("KDS_TUNNEL_TOKEN", "tok-BBB"),
                ("KDS_API_TOKEN", "api-CCC"),
                ("KDS_TUNNEL", "named"),
                ("KLIKIT_PARTNER_KEY", "pk-DDD"),
                ("KLIKIT_PARTNER_SECRET", "sk-EEE"),
            ],
            Overrides::default(),
        )
        .unwrap();
        let printed = format!("{c:?}");
        assert!(c.partner.is_some(), "both partner keys configure the partner API");
        for s in ["whsec-AAA", "tok-BBB", "api-CCC", "pk-DDD", "sk-EEE"] {
            assert!(!printed.contains(s), "{s} leaked into Debug output");
        }
    }
}
