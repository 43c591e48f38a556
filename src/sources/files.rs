//! Files kdeck writes for the user (saved logs, incident snapshots) in its state directory.

/// Writes `content` to `name` in the state directory; returns the full path or a message
/// saying why it could not be written.
pub async fn save_in_state_dir(name: &str, content: &str) -> Result<String, String> {
    let dir = crate::config::paths::state_dir()
        .ok_or("no state directory to save into (set KDECK_STATE_DIR)")?;
    tokio::fs::create_dir_all(&dir)
        .await
        .map_err(|e| format!("cannot create {}: {e}", dir.display()))?;
    let path = dir.join(name);
    tokio::fs::write(&path, content)
        .await
        .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
    Ok(path.display().to_string())
}

/// Writes `content` to `path`, readable and writable by the owner only (it may hold a
/// credential), creating parent directories.
pub fn write_private(path: &std::path::Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    #[cfg(unix)]
    use std::os::unix::fs::OpenOptionsExt;
    if let Some(parent) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
        std::fs::create_dir_all(parent)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create(true).truncate(true);
    #[cfg(unix)]
    options.mode(0o600);
    options.open(path)?.write_all(content)
}
