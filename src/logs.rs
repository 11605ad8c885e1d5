//! The log: every log line goes to the terminal (stderr) and to a rotating
//! file in the data dir, `logs/kds.log`, so a kitchen that never had a
//! terminal open still has a record to send with "Export diagnostics".
//!
//! It owns the file's place and size cap ([`MAX_BYTES`] per file, [`KEEP`]
//! older files: `kds.log.1` … `kds.log.4`, the oldest deleted), the global
//! subscriber `kds serve` and the desktop app install ([`init`]), and
//! reading the files back for the diagnostics zip ([`read_all`]). Rotation
//! is `file-rotate`'s: it cuts after a complete line once the cap is passed.
//!
//! It never decides what is logged (each module does, and none logs a
//! secret) and never deletes a file other than its own rotated ones.

use std::io;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use file_rotate::compression::Compression;
use file_rotate::suffix::AppendCount;
use file_rotate::{ContentLimit, FileRotate};
use tracing_subscriber::layer::SubscriberExt;
use tracing_subscriber::util::SubscriberInitExt;
use tracing_subscriber::EnvFilter;

/// The folder in the data dir that holds the log files.
pub const LOG_DIR: &str = "logs";
/// The current log file's name; rotated ones get `.1` (newest) to `.4`.
pub const LOG_FILE: &str = "kds.log";
/// A file is rotated once it passes this many bytes (5 MiB).
pub const MAX_BYTES: usize = 5 * 1024 * 1024;
/// Rotated files kept besides the current one: at most 25 MiB in all.
pub const KEEP: usize = 4;

/// The rotating log file, as a writer the subscriber shares between threads.
pub type LogFile = Mutex<FileRotate<AppendCount>>;

/// The current log file's path in `data_dir`.
pub fn path(data_dir: &Path) -> PathBuf {
    data_dir.join(LOG_DIR).join(LOG_FILE)
}

/// Opens (creating the folder) the rotating log in `data_dir` with the given
/// cap; [`init`] uses [`MAX_BYTES`] and [`KEEP`], tests a small cap.
pub fn open(data_dir: &Path, max_bytes: usize, keep: usize) -> io::Result<LogFile> {
    let file = path(data_dir);
    // The log starts before the configuration is read, so on a new machine
    // this creates the data dir itself: owner only, like `config` would.
    crate::privacy::create_dir(file.parent().expect("the log path has a folder"))?;
    // file-rotate panics on a zero limit; it only ever reports errors on write.
    let limit = ContentLimit::BytesSurpassed(max_bytes.max(1));
    Ok(Mutex::new(FileRotate::new(file, AppendCount::new(keep), limit, Compression::None, None)))
}

/// Installs the process's log subscriber: the `KDS_LOG` filter (default
/// `info`), lines to stderr, and, with a data dir, the same lines (without
/// colours) to the rotating file there. Returns why the file could not be
/// opened, if it could not: the terminal log still works, and the caller
/// logs the reason.
pub fn init(data_dir: Option<&Path>, ansi: bool) -> Option<io::Error> {
    let filter = || EnvFilter::try_from_env("KDS_LOG").unwrap_or_else(|_| "info".into());
    let (file, error) = match data_dir.map(|dir| open(dir, MAX_BYTES, KEEP)) {
        Some(Ok(file)) => (Some(file), None),
        Some(Err(e)) => (None, Some(e)),
        None => (None, None),
    };
    let terminal = tracing_subscriber::fmt::layer().with_writer(io::stderr).with_ansi(ansi);
    let file = file.map(|file| tracing_subscriber::fmt::layer().with_writer(file).with_ansi(false));
    let _ = tracing_subscriber::registry().with(filter()).with(terminal).with(file).try_init();
    error
}

/// Every log file in `data_dir`, oldest first (`kds.log.4` … `kds.log`),
/// as (file name, bytes). Missing files are skipped.
pub fn read_all(data_dir: &Path) -> Vec<(String, Vec<u8>)> {
    let dir = data_dir.join(LOG_DIR);
    let rotated = (1..=KEEP).rev().map(|n| format!("{LOG_FILE}.{n}"));
    rotated
        .chain(std::iter::once(LOG_FILE.to_string()))
        .filter_map(|name| std::fs::read(dir.join(&name)).ok().map(|bytes| (name, bytes)))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io::Write;

    #[test]
    fn the_file_rotates_at_the_cap_and_keeps_only_so_many() {
        let dir = tempfile::tempdir().unwrap();
        let log = open(dir.path(), 100, 2).unwrap();
        for n in 0..40 {
            writeln!(log.lock().unwrap(), "line {n:02} of a kitchen's day").unwrap();
        }
        let files = read_all(dir.path());
        let names: Vec<&str> = files.iter().map(|(n, _)| n.as_str()).collect();
        assert_eq!(names, ["kds.log.2", "kds.log.1", "kds.log"], "two rotated files are kept besides the current one, oldest first");
        for (name, bytes) in &files {
            assert!(bytes.len() <= 100 + 40, "{name} is {} bytes: a file is cut after the line that passes the cap", bytes.len());
        }
        let newest = String::from_utf8(files[2].1.clone()).unwrap();
        assert!(newest.ends_with("line 39 of a kitchen's day\n"), "the current file has the newest line: {newest:?}");
        let all: String = files.iter().map(|(_, b)| String::from_utf8_lossy(b).into_owned()).collect();
        assert!(!all.contains("line 00 "), "the oldest lines were deleted with the oldest file");
    }

    #[cfg(unix)]
    #[test]
    fn on_a_new_machine_the_log_creates_the_data_dir_owner_only() {
        use std::os::unix::fs::PermissionsExt;
        let root = tempfile::tempdir().unwrap();
        let data = root.path().join("kds");
        let _log = open(&data, 100, 2).unwrap();
        let mode = std::fs::metadata(&data).unwrap().permissions().mode() & 0o777;
        // Before, `create_dir_all` made it 0755 and `config` then left the
        // existing dir as it was: every user of the PC could read the orders.
        assert_eq!(mode, 0o700, "the log opens before the configuration, so it creates the data dir that will hold the database (was {mode:o})");
    }
}
