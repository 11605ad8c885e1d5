//! The data dir's lock: at most one running kds per data dir, and a way for
//! `kds restore` to know that none is running.
//!
//! A running kds holds an exclusive advisory lock (`flock`) on `kds.lock` in
//! its data dir for as long as it runs. The operating system drops the lock
//! when the process ends in any way, `kill -9` and power loss included, so a
//! stale lock never blocks a restore. The file holds the holder's process id,
//! for the message only; the lock, not the file's existence, is what counts.
//!
//! What it never does: open the database.

use std::fs::File;
use std::io::{Read, Seek, Write};
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file in the data dir.
pub const LOCK_FILE: &str = "kds.lock";

/// Why the lock could not be taken.
#[derive(Debug, thiserror::Error)]
pub enum InstanceError {
    #[error("kds is running on this data dir ({holder}); stop it first")]
    Running { holder: String },
    #[error("cannot use the lock file {path}: {reason}")]
    Io { path: PathBuf, reason: String },
}

/// The held lock; dropping it releases the lock.
#[derive(Debug)]
pub struct InstanceLock {
    _file: File,
}

impl InstanceLock {
    /// Takes the data dir's lock, or answers who holds it.
    pub fn acquire(data_dir: &Path) -> Result<InstanceLock, InstanceError> {
        let path = data_dir.join(LOCK_FILE);
        let io = |e: std::io::Error| InstanceError::Io { path: path.clone(), reason: e.to_string() };
        let mut file = std::fs::OpenOptions::new().read(true).write(true).create(true).truncate(false).open(&path).map_err(io)?;
        // SAFETY: flock on a file descriptor we own; it has no memory effects.
        if unsafe { libc::flock(file.as_raw_fd(), libc::LOCK_EX | libc::LOCK_NB) } != 0 {
            let error = std::io::Error::last_os_error();
            if error.raw_os_error() == Some(libc::EWOULDBLOCK) {
                let mut pid = String::new();
                let _ = file.read_to_string(&mut pid);
                let holder = match pid.trim() {
                    "" => "another process holds its lock".to_string(),
                    pid => format!("process {pid}"),
                };
                return Err(InstanceError::Running { holder });
            }
            return Err(io(error));
        }
        file.set_len(0).map_err(io)?;
        file.rewind().map_err(io)?;
        write!(file, "{}", std::process::id()).map_err(io)?;
        Ok(InstanceLock { _file: file })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_second_holder_is_refused_until_the_first_lets_go() {
        let dir = tempfile::tempdir().unwrap();
        let first = InstanceLock::acquire(dir.path()).expect("a free data dir can be locked");
        let second = InstanceLock::acquire(dir.path()).unwrap_err();
        assert!(second.to_string().contains(&std::process::id().to_string()), "the refusal names the holder: {second}");
        drop(first);
        InstanceLock::acquire(dir.path()).expect("once released, the lock can be taken again");
    }
}
