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
