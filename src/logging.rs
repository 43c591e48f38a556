//! Logging with tracing to a file in the state directory, never to the terminal while the UI
//! runs. The level comes from `KDECK_LOG` (e.g. `debug`, `kdeck=trace`), default `info`. The
//! file is private (0600 in a 0700 directory) and rotates at [`MAX_LOG_BYTES`]: `kdeck.log`
//! becomes `kdeck.log.1` (the one old file kept), so an outage logged all night stays bounded.

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};
use std::sync::Mutex;
use tracing_subscriber::EnvFilter;

/// The size at which the log file rotates.
pub const MAX_LOG_BYTES: u64 = 10 * 1024 * 1024;

/// Why kdeck logs nothing this run (shown as a warning; the console still runs).
#[derive(Debug, thiserror::Error)]
pub enum LogError {
    #[error(transparent)]
    File(#[from] crate::sources::files::FileError),
    #[error("logging already set up: {0}")]
    AlreadySetUp(String),
}

/// Starts file logging. Returns the log path, or why there is none.
pub fn init() -> Result<PathBuf, LogError> {
    use crate::sources::files::FileError;
    let dir = crate::config::paths::state_dir().ok_or(FileError::NoStateDir)?;
    crate::sources::files::private_dir(&dir).map_err(|source| FileError::CreateDir {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join("kdeck.log");
    let file = RotatingLog::open(&path, MAX_LOG_BYTES).map_err(|source| FileError::Open {
        path: path.clone(),
        source,
    })?;
    let filter = EnvFilter::try_from_env("KDECK_LOG").unwrap_or_else(|_| EnvFilter::new("info"));
    // A blocking writer: log volume is small, and nothing is lost when a panic ends the
    // process right after logging it.
    tracing_subscriber::fmt()
        .with_env_filter(filter)
        .with_writer(Mutex::new(file))
        .with_ansi(false)
        .try_init()
        .map_err(|e| LogError::AlreadySetUp(e.to_string()))?;
    Ok(path)
}

/// An append-only log file that moves itself to `NAME.1` when it reaches its cap.
pub struct RotatingLog {
    path: PathBuf,
    file: File,
    size: u64,
    cap: u64,
}

impl RotatingLog {
    /// Opens (or creates) the log at `path`, private, rotating at `cap` bytes.
    pub fn open(path: &Path, cap: u64) -> io::Result<RotatingLog> {
        let file = crate::sources::files::open_private(path, true)?;
        let size = file.metadata()?.len();
        Ok(RotatingLog {
            path: path.to_path_buf(),
            file,
            size,
            cap,
        })
    }

    fn old_path(&self) -> PathBuf {
        let mut name = self.path.as_os_str().to_owned();
        name.push(".1");
        PathBuf::from(name)
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.file.flush()?;
        std::fs::rename(&self.path, self.old_path())?;
        self.file = crate::sources::files::open_private(&self.path, true)?;
        self.size = 0;
        Ok(())
    }
}

impl Write for RotatingLog {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        if self.size > 0 && self.size + buf.len() as u64 > self.cap {
            // If rotating fails (the directory became read-only) keep appending: a log that
            // grows is better than one that stops.
            let _ = self.rotate();
        }
        let n = self.file.write(buf)?;
        self.size += n as u64;
        Ok(n)
    }

    fn flush(&mut self) -> io::Result<()> {
        self.file.flush()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_log_rotates_at_its_cap_and_keeps_one_old_file() {
        let dir = tempfile::tempdir().expect("temp dir");
        let path = dir.path().join("kdeck.log");
        let mut log = RotatingLog::open(&path, 100).expect("open");
        for i in 0..50 {
            writeln!(log, "line {i:03} of the log").expect("write");
        }
        let current = std::fs::metadata(&path).expect("log").len();
        let old = std::fs::metadata(dir.path().join("kdeck.log.1"))
            .expect("rotated")
            .len();
        assert!(current <= 100 && old <= 100, "{current} {old}");
        assert!(!dir.path().join("kdeck.log.2").exists());
        let text = std::fs::read_to_string(&path).expect("read");
        assert!(text.ends_with("line 049 of the log\n"), "{text}");
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            let mode = std::fs::metadata(&path).expect("log").permissions().mode();
            assert_eq!(mode & 0o777, 0o600);
        }
    }
}
