//! `config.toml`: its shape, reading it, and saving it atomically.
//!
//! It owns the file's format (every field optional) and the atomic,
//! owner-only save the settings view uses. It never resolves values against
//! the environment or flags (that is `config` itself).

use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::{BoardSettings, ConfigError, TunnelMode, CONFIG_FILE};

/// The contents of `config.toml`. Every field is optional; missing ones take
/// the defaults.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ConfigFile {
    pub webhook_listen: Option<String>,
    pub listen: Option<String>,
    pub webhook_secret: Option<String>,
    pub webhook_secret_previous: Option<String>,
    /// Until when (RFC 3339) the previous secret is still accepted; written
    /// by the settings view when it changes the secret.
    pub webhook_secret_previous_until: Option<String>,
    /// How long a secret replaced in the settings view stays accepted.
    pub secret_rotation_hours: Option<u32>,
    pub api_token: Option<String>,
    pub tunnel: Option<TunnelMode>,
    pub tunnel_token: Option<String>,
    pub cloudflared: Option<PathBuf>,
    /// Desktop app only: start the window fullscreen (kiosk mode).
    pub kiosk: Option<bool>,
    pub public_url: Option<String>,
    /// klikit status code → status name overrides (REFERENCE §5), e.g.
    /// `[status_names] 5 = "READY"`.
    #[serde(default, skip_serializing_if = "std::collections::BTreeMap::is_empty")]
    pub status_names: std::collections::BTreeMap<String, String>,
    /// klikit partner API keys (HTTP Basic) and base (`dev`, `prod` or a URL
    /// ending in `/v1/partner`). Write-only in Settings; never logged.
    pub klikit_partner_key: Option<String>,
    pub klikit_partner_secret: Option<String>,
    pub klikit_api_url: Option<String>,
    /// The klikit branch ids this kitchen serves (empty or absent: all).
    pub branches: Option<Vec<i64>>,
    /// How the board looks and sounds (`[board]`); changed from its settings view.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub board: Option<BoardSettings>,
    /// How long things are kept and when the night work runs (`[retention]`).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub retention: Option<crate::maintenance::RetentionSettings>,
    /// Litestream replicates the database: kds leaves WAL checkpoints to it.
    pub litestream: Option<bool>,
    /// The kitchen's time zone (an IANA name); the machine's when absent.
    pub timezone: Option<String>,
    /// Kitchen printers (`[[printers]]` tables; see `printing::printer`).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub printers: Vec<crate::printing::PrinterConfig>,
}

/// Reads `config.toml` from `data_dir` (an absent file is the defaults).
pub fn read_config_file(data_dir: &Path) -> Result<ConfigFile, ConfigError> {
    read_file(&data_dir.join(CONFIG_FILE))
}

/// Writes `config.toml` in `data_dir`, replacing it atomically (write a
/// temporary file, then rename) and readable by its owner only, since it
/// may hold the webhook secret. Comments in a hand-edited file are not kept.
pub fn save_config_file(data_dir: &Path, file: &ConfigFile) -> Result<(), ConfigError> {
    let path = data_dir.join(CONFIG_FILE);
    let fail = |reason: String| ConfigError::DataDir { path: path.clone(), reason };
    let text = toml::to_string_pretty(file).map_err(|e| fail(format!("cannot encode settings: {e}")))?;
    let temp = data_dir.join(format!(".{CONFIG_FILE}.tmp"));
    {
        use std::io::Write;
        let mut options = std::fs::OpenOptions::new();
        options.write(true).create(true).truncate(true);
        #[cfg(unix)]
        std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
        let mut out = options.open(&temp).map_err(|e| fail(format!("cannot write: {e}")))?;
        out.write_all(b"# kds settings. The board's settings view rewrites this file.\n").map_err(|e| fail(e.to_string()))?;
        out.write_all(text.as_bytes()).map_err(|e| fail(e.to_string()))?;
        out.sync_all().map_err(|e| fail(e.to_string()))?;
    }
    std::fs::rename(&temp, &path).map_err(|e| fail(format!("cannot replace: {e}")))?;
    Ok(())
}

pub(super) fn read_file(path: &Path) -> Result<ConfigFile, ConfigError> {
    match std::fs::read_to_string(path) {
        Ok(text) => toml::from_str(&text).map_err(|e| ConfigError::ParseFile { path: path.to_owned(), reason: e.message().to_string() }),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(ConfigFile::default()),
        Err(e) => Err(ConfigError::ReadFile { path: path.to_owned(), reason: e.to_string() }),
    }
}
