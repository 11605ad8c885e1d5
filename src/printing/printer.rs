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
    /// The stations whose lines this printer prints (station names, any
    /// case): a ticket per station, with only those lines. Empty: the whole
    /// ticket.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    #[cfg_attr(test, ts(optional, as = "Option<Vec<String>>"))]
    pub stations: Vec<String>,
    /// `"board"`: this printer prints only while the board has had no live
    /// screen for `backup_after_seconds`, each ticket marked BACKUP. A
    /// station's name: only that station's lines, while that station has
    /// had no live screen for as long.
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
    /// The stations whose lines it prints (empty: every line).
    pub stations: Vec<String>,
    /// Prints only as a backup: for the board, or for `backup_station`.
    pub backup: bool,
    /// A backup printer for one station's screens (`None`: the whole board).
    pub backup_station: Option<String>,
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
            stations: Vec::new(),
            backup: false,
            backup_station: None,
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

    /// Whether it prints the lines of `station`: a station backup printer
    /// only its station's, else those of its stations, or every line.
    pub fn prints_station(&self, station: &str) -> bool {
        match &self.backup_station {
            Some(s) => s.eq_ignore_ascii_case(station),
            None => self.stations.is_empty() || self.stations.iter().any(|s| s.eq_ignore_ascii_case(station)),
        }
    }

    /// What its tickets say they are for: its stations, or none (the whole ticket).
    pub fn station_label(&self) -> Option<String> {
        match &self.backup_station {
            Some(s) => Some(s.clone()),
            None if self.stations.is_empty() => None,
            None => Some(self.stations.join(", ")),
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
        let station = |s: &str, what: &str| {
            let s = s.trim();
            if s.is_empty() || s.chars().count() > 40 || s.chars().any(char::is_control) {
                return Err(fail(format!("{what} {s:?}: a station's name is 1 to 40 characters")));
            }
            Ok(s.to_string())
        };
        let stations = self.stations.iter().map(|s| station(s, "stations")).collect::<Result<Vec<_>, _>>()?;
        let (backup, backup_station) = match self.backup_for.as_deref().map(str::trim) {
            None => (false, None),
            Some("board") => (true, None),
            Some(other) => (true, Some(station(other, "backup_for (\"board\" or a station's name)")?)),
        };
        if backup_station.is_some() && !stations.is_empty() {
            return Err(fail("a station's backup printer prints that station's lines: leave stations empty".into()));
        }
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
            stations,
            backup,
            backup_station,
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
        assert!(p.prints_station("grill") && p.station_label().is_none(), "without stations, the whole ticket");
    }

    #[test]
    fn a_station_printer_prints_its_stations_lines_and_a_station_backup_only_that_station() {
        let p = table("name = \"hot\"\naddress = \"tcp://h\"\nstations = [\"Grill\", \" fryer \"]").validate().unwrap();
        assert!(p.prints_station("grill") && p.prints_station("FRYER") && !p.prints_station("drinks"), "station names match in any case");
        assert_eq!(p.station_label().as_deref(), Some("Grill, fryer"));
        let b = table("name = \"b\"\naddress = \"tcp://h\"\nbackup_for = \"drinks\"").validate().unwrap();
        assert!(b.backup && b.backup_station.as_deref() == Some("drinks"), "a station's name makes a station backup printer");
        assert!(b.prints_station("Drinks") && !b.prints_station("grill"));
        let board = table("name = \"b\"\naddress = \"tcp://h\"\nbackup_for = \"board\"").validate().unwrap();
        assert!(board.backup && board.backup_station.is_none() && board.prints_station("grill"));
    }

    #[test]
    fn bad_tables_name_the_printer_and_the_problem() {
        let cases = [
            ("name = \"a\"\naddress = \"tcp://h\"\nwidth_mm = 76", "width_mm"),
            ("name = \"a\"\naddress = \"tcp://h\"\nbackup_for = \" \"", "backup_for"),
            ("name = \"a\"\naddress = \"tcp://h\"\nstations = [\"\"]", "stations"),
            ("name = \"a\"\naddress = \"tcp://h\"\nstations = [\"grill\"]\nbackup_for = \"grill\"", "leave stations empty"),
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
