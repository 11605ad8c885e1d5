//! Restore: replacing the data dir's database with a backup, only while no
//! kds runs on it, and only with a file that is a sound kds database.
//!
//! The order of a restore: take the data dir's lock (so no kds can start
//! meanwhile, and one that runs makes this refuse); check the backup
//! (`store::check_kds_database`); copy it next to the database under a
//! temporary name and sync it; move the current database and its `-wal`
//! and `-shm` aside under one timestamped name (nothing is deleted); then
//! rename the copy into place. A failure before the last step leaves the
//! current database where it was.
//!
//! What it never does: open the live database for writing, or delete one.

use std::path::{Path, PathBuf};

use crate::instance::{InstanceError, InstanceLock};
use crate::store::{check_kds_database, BackupError};

/// Why a restore did not happen. Each names its cause in one line.
#[derive(Debug, thiserror::Error)]
pub enum RestoreError {
    #[error(transparent)]
    Running(#[from] InstanceError),
    #[error("refusing to restore: {0}")]
    Refused(#[from] BackupError),
    #[error("cannot restore into {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

/// What a restore did.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Restored {
    /// The database now in place.
    pub database: PathBuf,
    /// Where the replaced database was moved (`None`: there was none).
    pub replaced: Option<PathBuf>,
}

/// Replaces `database` (in `data_dir`) with a copy of `backup`; `stamp`
/// names the set-aside files (`kds.sqlite.replaced-<stamp>`).
pub fn restore(data_dir: &Path, database: &Path, backup: &Path, stamp: &str) -> Result<Restored, RestoreError> {
    let _lock = InstanceLock::acquire(data_dir)?;
    check_kds_database(backup)?;
    let io = |path: &Path, e: std::io::Error| RestoreError::Io { path: path.to_owned(), reason: e.to_string() };
    let name = database.file_name().map(|n| n.to_string_lossy().into_owned()).unwrap_or_else(|| "kds.sqlite".into());
    let incoming = database.with_file_name(format!(".{name}.restoring"));
    std::fs::copy(backup, &incoming).map_err(|e| io(&incoming, e))?;
    std::fs::File::open(&incoming).and_then(|f| f.sync_all()).map_err(|e| io(&incoming, e))?;
    let aside = database.with_file_name(format!("{name}.replaced-{stamp}"));
    let mut replaced = None;
    for suffix in ["", "-wal", "-shm"] {
        let from = PathBuf::from(format!("{}{suffix}", database.display()));
        if from.exists() {
            let to = PathBuf::from(format!("{}{suffix}", aside.display()));
            std::fs::rename(&from, &to).map_err(|e| io(&from, e))?;
            if suffix.is_empty() {
                replaced = Some(to);
            }
        }
    }
    std::fs::rename(&incoming, database).map_err(|e| io(database, e))?;
    if let Ok(dir) = std::fs::File::open(data_dir) {
        let _ = dir.sync_all();
    }
    Ok(Restored { database: database.to_owned(), replaced })
}
