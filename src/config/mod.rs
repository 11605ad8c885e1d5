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
    /// Required on the app listener when it is bound beyond loopback.
    pub api_token: Option<Secret>,
    pub tunnel: TunnelMode,
    pub tunnel_token: Option<Secret>,
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
    /// Kitchen printers, checked.
    pub printers: Vec<crate::printing::Printer>,
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
            api_token: None,
            tunnel: TunnelMode::Off,
            tunnel_token: None,
            cloudflared: None,
            kiosk: false,
            public_url: None,
            status_names: Default::default(),
            store: Default::default(),
            header_timeout: Duration::from_secs(10),
            body_timeout: Duration::from_secs(10),
            printers: Vec::new(),
        }
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

        let mut config = Config::for_data_dir(&data_dir);
        config.webhook_listen = addr(
            "webhook listen address",
            overrides.webhook_listen.or_else(|| env("KDS_WEBHOOK_LISTEN")).or(file.webhook_listen).as_deref().unwrap_or(DEFAULT_WEBHOOK_LISTEN),
        )?;
        config.listen = addr("listen address", overrides.listen.or_else(|| env("KDS_LISTEN")).or(file.listen).as_deref().unwrap_or(DEFAULT_LISTEN))?;
        config.webhook_secret = secret("KLIKIT_WEBHOOK_SECRET", env("KLIKIT_WEBHOOK_SECRET").or(file.webhook_secret))?;
        config.webhook_secret_previous =
            secret("KLIKIT_WEBHOOK_SECRET_PREVIOUS", env("KLIKIT_WEBHOOK_SECRET_PREVIOUS").or(file.webhook_secret_previous))?;
        config.api_token = env("KDS_API_TOKEN").or(file.api_token).and_then(Secret::new);
        config.tunnel = match overrides.tunnel {
            Some(m) => m,
            None => match env("KDS_TUNNEL") {
                Some(v) => v.parse().map_err(|reason| ConfigError::Invalid { name: "KDS_TUNNEL", reason })?,
                None => file.tunnel.unwrap_or_default(),
            },
        };
        config.tunnel_token = env("KDS_TUNNEL_TOKEN").or(file.tunnel_token).and_then(Secret::new);
        config.cloudflared = env("KDS_CLOUDFLARED").map(PathBuf::from).or(file.cloudflared);
        config.kiosk = match env("KDS_KIOSK") {
            Some(v) => flag("KDS_KIOSK", &v)?,
            None => file.kiosk.unwrap_or(false),
        };
        if let Some(url) = env("KDS_PUBLIC_URL").or(file.public_url) {
            let url = url.trim().trim_end_matches('/').to_string();
            if !(url.starts_with("https://") || url.starts_with("http://")) {
                return Err(ConfigError::Invalid { name: "public_url", reason: format!("{url:?} is not a URL like https://orders.example.com") });
            }
            config.public_url = Some(url);
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
pub fn default_data_dir() -> Option<PathBuf> {
    directories::ProjectDirs::from("", "", "kds").map(|d| d.data_dir().to_path_buf())
}

fn prepare_data_dir(dir: &Path) -> Result<(), ConfigError> {
    let fail = |reason: String| ConfigError::DataDir { path: dir.to_owned(), reason };
    std::fs::create_dir_all(dir).map_err(|e| fail(e.to_string()))?;
    // Prove it is writable now rather than on the first delivery.
    let probe = dir.join(".kds-write-probe");
    std::fs::write(&probe, b"ok").map_err(|e| fail(format!("not writable: {e}")))?;
    let _ = std::fs::remove_file(&probe);
    Ok(())
}


fn addr(name: &'static str, value: &str) -> Result<SocketAddr, ConfigError> {
    value.trim().parse().map_err(|_| ConfigError::Invalid { name, reason: format!("{value:?} is not an address like 127.0.0.1:8080") })
}

fn flag(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "on" | "yes" => Ok(true),
        "0" | "false" | "off" | "no" => Ok(false),
        _ => Err(ConfigError::Invalid { name, reason: format!("{value:?} (expected true or false)") }),
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
    fn secrets_do_not_appear_in_debug_output() {
        let dir = tempfile::tempdir().unwrap();
        let c = load(
            dir.path(),
            &[("KLIKIT_WEBHOOK_SECRET", "whsec-AAA"), ("KDS_TUNNEL_TOKEN", "tok-BBB"), ("KDS_API_TOKEN", "api-CCC"), ("KDS_TUNNEL", "named")],
            Overrides::default(),
        )
        .unwrap();
        let printed = format!("{c:?}");
        for s in ["whsec-AAA", "tok-BBB", "api-CCC"] {
            assert!(!printed.contains(s), "{s} leaked into Debug output");
        }
    }
}
