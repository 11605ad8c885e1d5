//! Files and folders that hold customers' data belong to this computer's
//! kds user alone: the data dir (the database, its logs, its nightly
//! backups) and any backup copy written elsewhere.
//!
//! It owns how such a folder is created (owner-only, `0700`, every level it
//! creates) and how a finished copy is made owner-only (`0600`). It never
//! changes a folder that already exists (a kitchen may share one on
//! purpose; `config` warns about it) and never decides where anything goes.
//! Elsewhere than Unix both are plain creation.

use std::io;
use std::path::Path;

/// Creates `dir` and any missing parents, each owner-only. An existing
/// folder is left as it is.
pub fn create_dir(dir: &Path) -> io::Result<()> {
    let mut builder = std::fs::DirBuilder::new();
    builder.recursive(true);
    #[cfg(unix)]
    std::os::unix::fs::DirBuilderExt::mode(&mut builder, 0o700);
    builder.create(dir)
}

/// Makes the file at `path` readable and writable by its owner only.
pub fn restrict_file(path: &Path) -> io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(0o600))?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).unwrap().permissions().mode() & 0o777
    }

    #[test]
    fn every_folder_it_creates_is_the_owners_alone_and_an_existing_one_is_left() {
        let root = tempfile::tempdir().unwrap();
        let shared = root.path().join("shared");
        std::fs::create_dir(&shared).unwrap();
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o755)).unwrap();
        let deep = shared.join("kds").join("logs");
        create_dir(&deep).unwrap();
        assert_eq!(mode(&shared.join("kds")), 0o700, "a created parent holds the database: owner only, whatever the umask");
        assert_eq!(mode(&deep), 0o700, "the folder itself too");
        assert_eq!(mode(&shared), 0o755, "a folder that existed is not changed");
        create_dir(&deep).unwrap();
    }

    #[test]
    fn a_restricted_file_is_the_owners_alone() {
        let root = tempfile::tempdir().unwrap();
        let file = root.path().join("copy.sqlite");
        std::fs::write(&file, b"x").unwrap();
        std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
        restrict_file(&file).unwrap();
        assert_eq!(mode(&file), 0o600);
    }
}
