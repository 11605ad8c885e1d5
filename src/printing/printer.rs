//! One printer's settings: a `[[printers]]` table in `config.toml`, checked
//! at start and whenever the settings view changes one.
//!
//! What it owns: the names and meanings of the settings (address, paper
//! width, text or image mode, code page, when to print, backup printing,
//! the age past which a job is dropped) and their validation, each problem
//! named in one line.
//!
//! What it never does: open a connection or decide what a ticket looks like.

use std::path::PathBuf;
use std::time::Duration;

use serde::{Deserialize, Serialize};

/// Where the printer is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Address {
    /// A network printer's raw port: `tcp://192.168.1.50:9100` (9100 when
    /// the port is left out).
    Tcp { host: String, port: u16 },
    /// A local device file: `file:///dev/usb/lp0`.
    File(PathBuf),
}

impl Address {
    pub fn parse(s: &str) -> Result<Address, String> {
        let s = s.trim();
        if let Some(rest) = s.strip_prefix("tcp://") {
            let rest = rest.trim_end_matches('/');
            let (host, port) = match rest.rsplit_once(':') {
                Some((h, p)) => {
                    (h, p.parse::<u16>().map_err(|_| format!("{s:?}: the port {p:?} is not a number from 1 to 65535"))?)
                }
                _ => (rest, 9100),
            };
            if host.is_empty() || port == 0 {
                return Err(format!("{s:?} names no host or port (expected tcp://192.168.1.50:9100)"));
            }
            Ok(Address::Tcp { host: host.to_string(), port })
        } else if let Some(path) = s.strip_prefix("file://") {
            if !path.starts_with('/') {
                return Err(format!("{s:?}: a device needs an absolute path, like file:///dev/usb/lp0"));
            }
            Ok(Address::File(PathBuf::from(path)))
        } else {
            Err(format!("{s:?} is neither tcp://HOST:PORT nor file:///DEVICE"))
        }
    }
}

impl std::fmt::Display for Address {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Address::Tcp { host, port } => write!(f, "tcp://{host}:{port}"),
            Address::File(p) => write!(f, "file://{}", p.display()),
        }
    }
}

/// Text with the printer's own font (and a raster only for the lines its
/// code page cannot hold), or everything as a raster image.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintMode {
    #[default]
    Text,
    Image,
}

/// The printer's character table for text mode (ESC/POS `ESC t n`).
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CodePage {
    /// PC437 (USA, standard Europe): table 0, every ESC/POS printer's default.
    #[default]
    Pc437,
    /// Windows-1252 (Western European, with €): table 16 on Epson-compatible printers.
    Wpc1252,
}

/// When a ticket prints on this printer.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum PrintOn {
    /// As soon as the order arrives.
    Arrival,
    /// When the order is accepted (klikit's status, or a bump out of New),
    /// as klikit's own kitchen copy does.
    #[default]
    Accepted,
    /// Only when someone asks (a reprint from a card).
    Demand,
}

/// A `[[printers]]` table.
#[cfg_attr(test, derive(ts_rs::TS))]
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PrinterConfig {
    /// Shown on the board and used in `POST /api/printers/{name}/test`.
    pub name: String,
    /// `tcp://HOST:PORT` or `file:///DEVICE`.
    pub address: String,
    /// Paper width: 58 or 80.
    #[serde(default = "default_width")]
    pub width_mm: u32,
    #[serde(default)]
    pub mode: PrintMode,
    #[serde(default)]
    pub code_page: CodePage,
    #[serde(default)]
    pub print_on: PrintOn,
    /// `"board"`: this printer prints only while the board has had no live
    /// screen for `backup_after_seconds`, each ticket marked BACKUP.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(test, ts(optional))]
    pub backup_for: Option<String>,
    /// How long the board may be without a screen before backup printing starts.
    #[serde(default = "default_backup_after")]
    pub backup_after_seconds: u64,
    /// A job older than this is not printed (a stale ticket is worse than none).
    #[serde(default = "default_max_age")]
    pub max_age_seconds: u64,
    /// The kitchen's offset from UTC for the times on paper, like `+07:00`.
    #[serde(default = "default_utc_offset")]
    pub utc_offset: String,
}

fn default_width() -> u32 {
    80
}
fn default_backup_after() -> u64 {
    30
}
fn default_max_age() -> u64 {
    15 * 60
}
fn default_utc_offset() -> String {
    "+00:00".into()
}

/// A checked printer, ready to use.
#[derive(Debug, Clone, PartialEq)]
pub struct Printer {
    pub name: String,
    pub address: Address,
    pub width_mm: u32,
    pub mode: PrintMode,
    pub code_page: CodePage,
    pub print_on: PrintOn,
    /// Prints only as the board's backup.
    pub backup: bool,
    pub backup_after: Duration,
    pub max_age: Duration,
    pub utc_offset: time::UtcOffset,
}

impl Printer {
    /// A printer with the defaults, for tests and code.
    pub fn new(name: &str, address: Address) -> Printer {
        Printer {
            name: name.into(),
            address,
            width_mm: 80,
            mode: PrintMode::Text,
            code_page: CodePage::Pc437,
            print_on: PrintOn::Accepted,
            backup: false,
            backup_after: Duration::from_secs(default_backup_after()),
            max_age: Duration::from_secs(default_max_age()),
            utc_offset: time::UtcOffset::UTC,
        }
    }

    /// Dots across the printable width (203 dpi heads: 384 on 58 mm paper,
    /// 576 on 80 mm).
    pub fn dots(&self) -> u32 {
        if self.width_mm == 58 {
            384
        } else {
            576
        }
    }

    /// Characters per line in the printer's font A (12 dots wide).
    pub fn columns(&self) -> usize {
        (self.dots() / 12) as usize
    }
}

impl PrinterConfig {
    /// Checks the table; the error names the printer and the problem.
    pub fn validate(&self) -> Result<Printer, String> {
        let name = self.name.trim();
        let fail = |why: String| format!("printer {name:?}: {why}");
        if name.is_empty() || name.len() > 40 || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_') {
            return Err(fail("a name is 1 to 40 letters, digits, - or _".into()));
        }
        let address = Address::parse(&self.address).map_err(fail)?;
        if self.width_mm != 58 && self.width_mm != 80 {
            return Err(fail(format!("width_mm is {} (58 or 80)", self.width_mm)));
        }
        let backup = match self.backup_for.as_deref().map(str::trim) {
            None => false,
            Some("board") => true,
            Some(other) => return Err(fail(format!("backup_for is {other:?}; the only one so far is \"board\""))),
        };
        if !(1..=3600).contains(&self.backup_after_seconds) {
            return Err(fail("backup_after_seconds must be between 1 and 3600".into()));
        }
        if !(1..=24 * 3600).contains(&self.max_age_seconds) {
            return Err(fail("max_age_seconds must be between 1 and 86400".into()));
        }
        let format = time::macros::format_description!("[offset_hour sign:mandatory]:[offset_minute]");
        let utc_offset = time::UtcOffset::parse(self.utc_offset.trim(), &format).map_err(|_| fail(format!("utc_offset {:?} is not like +07:00", self.utc_offset)))?;
        Ok(Printer {
            name: name.to_string(),
            address,
            width_mm: self.width_mm,
            mode: self.mode,
            code_page: self.code_page,
            print_on: self.print_on,
            backup,
            backup_after: Duration::from_secs(self.backup_after_seconds),
            max_age: Duration::from_secs(self.max_age_seconds),
            utc_offset,
        })
    }
}

/// Checks every table, and that names are unique.
pub fn validate_all(tables: &[PrinterConfig]) -> Result<Vec<Printer>, String> {
    let mut printers: Vec<Printer> = Vec::with_capacity(tables.len());
    for t in tables {
        let p = t.validate()?;
        if printers.iter().any(|q| q.name == p.name) {
            return Err(format!("two printers are named {:?}", p.name));
        }
        printers.push(p);
    }
    Ok(printers)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn table(toml_text: &str) -> PrinterConfig {
        toml::from_str(toml_text).expect("a printer table parses")
    }

    #[test]
    fn addresses_read_as_tcp_with_a_default_port_or_a_device_file() {
        assert_eq!(Address::parse("tcp://192.168.1.50:9100"), Ok(Address::Tcp { host: "192.168.1.50".into(), port: 9100 }));
        assert_eq!(Address::parse("tcp://kitchen-printer"), Ok(Address::Tcp { host: "kitchen-printer".into(), port: 9100 }), "9100 is the raw port");
        assert_eq!(Address::parse("file:///dev/usb/lp0"), Ok(Address::File("/dev/usb/lp0".into())));
        for bad in ["192.168.1.50", "tcp://:9100", "tcp://host:99999", "file://dev/lp0", "http://x"] {
            assert!(Address::parse(bad).is_err(), "{bad} must be refused with a reason");
        }
    }

    #[test]
    fn defaults_are_80_mm_text_pc437_on_acceptance_and_15_minutes() {
        let p = table("name = \"hot\"\naddress = \"tcp://10.0.0.9\"").validate().unwrap();
        assert_eq!((p.width_mm, p.mode, p.code_page, p.print_on, p.backup), (80, PrintMode::Text, CodePage::Pc437, PrintOn::Accepted, false));
        assert_eq!(p.max_age, Duration::from_secs(900), "a job older than 15 minutes is dropped by default");
        assert_eq!(p.columns(), 48);
    }

    #[test]
    fn bad_tables_name_the_printer_and_the_problem() {
        let cases = [
            ("name = \"a\"\naddress = \"tcp://h\"\nwidth_mm = 76", "width_mm"),
            ("name = \"a\"\naddress = \"tcp://h\"\nbackup_for = \"grill\"", "backup_for"),
            ("name = \"a b\"\naddress = \"tcp://h\"", "name"),
            ("name = \"a\"\naddress = \"tcp://h\"\nutc_offset = \"7\"", "utc_offset"),
        ];
        for (text, word) in cases {
            let err = table(text).validate().expect_err(text);
            assert!(err.contains(word), "{err:?} should name {word}");
        }
        assert!(toml::from_str::<PrinterConfig>("name = \"a\"\naddress = \"tcp://h\"\nmode = \"pdf\"").is_err(), "an unknown mode is refused");
        let same = [table("name = \"a\"\naddress = \"tcp://h\""), table("name = \"a\"\naddress = \"tcp://g\"")];
        assert!(validate_all(&same).unwrap_err().contains("two printers"));
    }
}
