//! The diagnostics zip: what a kitchen sends to support, in one file, with
//! every secret masked.
//!
//! It owns the zip's layout and the masking:
//!
//! | file | holds |
//! |---|---|
//! | `version.txt` | kds's version and the operating system |
//! | `about.json` | version, data dir, listeners (as `GET /api/about`) |
//! | `health.json` | the health report (as `GET /api/health`) |
//! | `deliveries.json` | the recent deliveries' outcomes (as `GET /api/deliveries`) |
//! | `config.txt` | the configuration in force, secrets shown as `****` by their types |
//! | `config.toml` | the data dir's file with every secret key's value replaced by `****` |
//! | `logs/kds.log*` | the rotating log files (see [`crate::logs`]) |
//!
//! Masking is twofold: secrets are masked where they are known to be (the
//! secret types' `Debug`, the secret keys of `config.toml`), and then every
//! file is scrubbed of every secret value the caller passes in, so a secret
//! that slipped into a log line through a third party's error message is
//! masked too. Building the zip reads files: call it off the async runtime.
//! It never reads the database (the caller passes the reports in) and never
//! sends anything anywhere.

use std::io::Write;
use std::path::Path;

use serde::Serialize;
use zip::write::SimpleFileOptions;

use crate::config::{Config, CONFIG_FILE};

/// What stands in for a secret.
pub const MASK: &str = "****";

/// The keys of `config.toml` whose values are secrets.
pub const SECRET_KEYS: [&str; 6] = ["webhook_secret", "webhook_secret_previous", "tunnel_token", "api_token", "klikit_partner_key", "klikit_partner_secret"];

/// Why the zip could not be written.
#[derive(Debug, thiserror::Error)]
pub enum DiagnosticsError {
    #[error("cannot write the diagnostics zip: {0}")]
    Zip(#[from] zip::result::ZipError),
    #[error("cannot write the diagnostics zip: {0}")]
    Io(#[from] std::io::Error),
    #[error("cannot encode a report: {0}")]
    Json(#[from] serde_json::Error),
}

/// The reports that come from the running kds.
pub struct Reports<'a, A: Serialize, H: Serialize, D: Serialize> {
    pub about: &'a A,
    pub health: &'a H,
    pub deliveries: &'a D,
}

/// kds's version, as `kds --version` prints it.
pub const VERSION: &str = env!("CARGO_PKG_VERSION");

/// Builds the zip: the reports, the configuration and the logs of
/// `config.data_dir`, every file scrubbed of each of `secrets` (the ones in
/// force, some of which `config` may not know: a secret set in Settings).
pub fn build<A: Serialize, H: Serialize, D: Serialize>(config: &Config, reports: Reports<'_, A, H, D>, secrets: &[String]) -> Result<Vec<u8>, DiagnosticsError> {
    let mut files: Vec<(String, Vec<u8>)> = vec![
        ("version.txt".into(), format!("kds {VERSION}\nos: {} {}\n", std::env::consts::OS, std::env::consts::ARCH).into_bytes()),
        ("about.json".into(), serde_json::to_vec_pretty(reports.about)?),
        ("health.json".into(), serde_json::to_vec_pretty(reports.health)?),
        ("deliveries.json".into(), serde_json::to_vec_pretty(reports.deliveries)?),
        ("config.txt".into(), format!("{config:#?}\n").into_bytes()),
        ("config.toml".into(), masked_config_file(&config.data_dir).into_bytes()),
    ];
    files.extend(crate::logs::read_all(&config.data_dir).into_iter().map(|(name, bytes)| (format!("logs/{name}"), bytes)));

    let mut secrets: Vec<&str> = secrets.iter().map(String::as_str).filter(|s| !s.is_empty()).collect();
    secrets.extend(known_secrets(config));
    // Longest first, so a secret that contains another is masked whole.
    secrets.sort_by_key(|s| std::cmp::Reverse(s.len()));
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        zip.start_file(name, options)?;
        zip.write_all(&scrub(bytes, &secrets))?;
    }
    Ok(zip.finish()?.into_inner())
}

/// Every secret `config` holds, exposed for scrubbing only.
fn known_secrets(config: &Config) -> Vec<&str> {
    let mut out: Vec<&str> = [&config.webhook_secret, &config.webhook_secret_previous].into_iter().flatten().map(|s| s.expose()).collect();
    out.extend([&config.api_token, &config.tunnel_token].into_iter().flatten().map(|s| s.expose()));
    if let Some(p) = &config.partner {
        out.extend([p.partner_key.as_str(), p.secret_key()]);
    }
    out
}

/// `bytes` with every occurrence of each secret replaced by [`MASK`].
fn scrub(bytes: Vec<u8>, secrets: &[&str]) -> Vec<u8> {
    let mut out = bytes;
    for secret in secrets {
        let needle = secret.as_bytes();
        if needle.is_empty() || !out.windows(needle.len()).any(|w| w == needle) {
            continue;
        }
        let mut next = Vec::with_capacity(out.len());
        let mut i = 0;
        while i < out.len() {
            if out[i..].starts_with(needle) {
                next.extend_from_slice(MASK.as_bytes());
                i += needle.len();
            } else {
                next.push(out[i]);
                i += 1;
            }
        }
        out = next;
    }
    out
}

/// `config.toml` with the value of every [`SECRET_KEYS`] key replaced by
/// [`MASK`]; a file that does not parse is left out (it could hold anything).
fn masked_config_file(data_dir: &Path) -> String {
    let text = match std::fs::read_to_string(data_dir.join(CONFIG_FILE)) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return "# no config.toml in the data dir\n".into(),
        Err(e) => return format!("# config.toml unreadable: {e}\n"),
    };
    match text.parse::<toml::Table>() {
        Ok(mut table) => {
            for key in SECRET_KEYS {
                if let Some(value) = table.get_mut(key) {
                    *value = toml::Value::String(MASK.into());
                }
            }
            toml::to_string(&table).unwrap_or_else(|_| "# config.toml could not be written back\n".into())
        }
        Err(_) => "# config.toml does not parse; left out, as it may hold secrets\n".into(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scrubbing_masks_every_occurrence_and_the_longer_secret_whole() {
        let out = scrub(b"a=abc123 b=abc123456 c=abc123".to_vec(), &["abc123456", "abc123"]);
        assert_eq!(String::from_utf8(out).unwrap(), "a=**** b=**** c=****");
    }

    #[test]
    fn the_file_is_masked_by_key_and_a_broken_one_left_out() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(dir.path().join(CONFIG_FILE), "webhook_secret = \"whsec-x\"\ntunnel = \"quick\"\n").unwrap();
        let shown = masked_config_file(dir.path());
        assert!(shown.contains("webhook_secret = \"****\"") && shown.contains("tunnel = \"quick\"") && !shown.contains("whsec-x"), "{shown}");
        std::fs::write(dir.path().join(CONFIG_FILE), "webhook_secret = \"whsec-x\n").unwrap();
        assert!(!masked_config_file(dir.path()).contains("whsec-x"), "a file that does not parse is never copied raw");
    }
}
