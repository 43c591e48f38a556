//! Files kdeck writes for the user (saved logs, incident snapshots, the audit log, its own
//! log, kubeconfigs): all private, 0600 in 0700 directories, also when the file was already
//! there with wider permissions (a token must never be world-readable on a shared bastion).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};

/// A file kdeck could not write for the user.
#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("no state directory to write into (set KDECK_STATE_DIR)")]
    NoStateDir,
    #[error("cannot create {}: {source}", path.display())]
    CreateDir {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot open {}: {source}", path.display())]
    Open {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: {source}", path.display())]
    Write {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot write {}: the writing task ended ({reason})", path.display())]
    Interrupted { path: PathBuf, reason: String },
}

/// Writes `content` to `path` (private) off the async runtime's threads.
pub async fn write_private_async(path: PathBuf, content: Vec<u8>) -> Result<(), FileError> {
    let target = path.clone();
    match tokio::task::spawn_blocking(move || write_private(&target, &content)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(source)) => Err(FileError::Write { path, source }),
        Err(e) => Err(FileError::Interrupted {
            path,
            reason: e.to_string(),
        }),
    }
}

/// Writes `content` to `name` in the state directory; returns the full path.
pub async fn save_in_state_dir(name: &str, content: &str) -> Result<String, FileError> {
    let dir = crate::config::paths::state_dir().ok_or(FileError::NoStateDir)?;
    let path = dir.join(name);
    write_private_async(path.clone(), content.as_bytes().to_vec()).await?;
    Ok(path.display().to_string())
}

/// Creates `dir` (and its parents) and makes it private (0700). Directories above it that
/// already exist keep their permissions, and so does a shared directory with the sticky bit
/// (`KDECK_STATE_DIR=/tmp`): made 0700 it would lock every other user out of it, and the
/// files kdeck puts there are private (0600) anyway.
pub fn private_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
        const STICKY: u32 = 0o1000;
        std::fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(dir)?;
        if std::fs::metadata(dir)?.permissions().mode() & STICKY != 0 {
            return Ok(());
        }
        std::fs::set_permissions(dir, std::fs::Permissions::from_mode(0o700))
    }
    #[cfg(not(unix))]
    std::fs::create_dir_all(dir)
}

/// Opens `path` for writing (appending or truncating), created 0600 and made 0600 if it
/// existed with other permissions; its directory is created private.
pub fn open_private(path: &Path, append: bool) -> std::io::Result<File> {
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        if parent.exists() {
            // A directory the user chose (e.g. for --kubeconfig-out) keeps its permissions.
        } else {
            private_dir(parent)?;
        }
    }
    let mut options = OpenOptions::new();
    options.create(true);
    if append {
        options.append(true);
    } else {
        options.write(true).truncate(true);
    }
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    Ok(file)
}

/// Writes `content` to `path`, readable and writable by the owner only (it may hold a
/// credential), creating parent directories private.
pub fn write_private(path: &Path, content: &[u8]) -> std::io::Result<()> {
    open_private(path, false)?.write_all(content)
}

#[cfg(all(test, unix))]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn mode(path: &Path) -> u32 {
        std::fs::metadata(path).expect("stat").permissions().mode() & 0o777
    }

    #[test]
    fn files_are_private_also_when_they_existed_wider() {
        let dir = tempfile::tempdir().expect("temp dir");
        let existing = dir.path().join("kubeconfig");
        std::fs::write(&existing, "old").expect("write");
        std::fs::set_permissions(&existing, std::fs::Permissions::from_mode(0o644)).expect("chmod");
        write_private(&existing, b"token").expect("write private");
        assert_eq!(mode(&existing), 0o600);
        let nested = dir.path().join("state/kdeck/audit.log");
        open_private(&nested, true).expect("open");
        assert_eq!(mode(&nested), 0o600);
        assert_eq!(mode(&dir.path().join("state/kdeck")), 0o700);
    }

    #[test]
    fn a_shared_sticky_directory_keeps_its_mode_and_an_own_one_is_made_private() {
        let dir = tempfile::tempdir().expect("temp dir");
        let shared = dir.path().join("tmp");
        std::fs::create_dir(&shared).expect("mkdir");
        std::fs::set_permissions(&shared, std::fs::Permissions::from_mode(0o1777)).expect("chmod");
        open_private(&shared.join("kdeck.log"), true).expect("open");
        private_dir(&shared).expect("private dir");
        let full = |p: &Path| std::fs::metadata(p).expect("stat").permissions().mode() & 0o7777;
        assert_eq!(full(&shared), 0o1777);
        assert_eq!(mode(&shared.join("kdeck.log")), 0o600);
        let own = dir.path().join("state");
        std::fs::create_dir(&own).expect("mkdir");
        std::fs::set_permissions(&own, std::fs::Permissions::from_mode(0o755)).expect("chmod");
        private_dir(&own).expect("private dir");
        assert_eq!(mode(&own), 0o700);
    }
}
