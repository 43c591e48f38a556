//! Where test fixtures shared with the project live (`../shared` beside the repository, or
//! `KDECK_SHARED_DIR`). Used by tests only.

use std::path::PathBuf;

/// The shared fixtures directory.
pub fn shared_dir() -> PathBuf {
    std::env::var_os("KDECK_SHARED_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared"))
}
