//! Shared helpers for integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
pub mod fake_http;
pub mod fake_sse;
pub mod model_server;
pub mod openai_server;
pub mod pty;
pub mod sim;

use std::path::PathBuf;

/// The kdeck binary cargo built for these tests.
pub fn kdeck() -> &'static str {
    env!("CARGO_BIN_EXE_kdeck")
}

/// A private config and state directory so tests never read the developer's files.
pub struct Sandbox {
    pub dir: tempfile::TempDir,
}

impl Sandbox {
    pub fn new() -> Sandbox {
        Sandbox {
            dir: tempfile::tempdir().expect("temp dir"),
        }
    }

    pub fn config_dir(&self) -> PathBuf {
        self.dir.path().join("config")
    }

    pub fn state_dir(&self) -> PathBuf {
        self.dir.path().join("state")
    }

    /// Environment for a kdeck run inside the sandbox (no kubeconfig unless given).
    pub fn env(&self) -> Vec<(String, String)> {
        vec![
            (
                "KDECK_CONFIG_DIR".into(),
                self.config_dir().display().to_string(),
            ),
            (
                "KDECK_STATE_DIR".into(),
                self.state_dir().display().to_string(),
            ),
            ("HOME".into(), self.dir.path().display().to_string()),
            (
                "KUBECONFIG".into(),
                self.dir.path().join("no-kubeconfig").display().to_string(),
            ),
        ]
    }
}

/// `pairs` as borrowed pairs for `PtySession::spawn`.
pub fn env_refs(pairs: &[(String, String)]) -> Vec<(&str, &str)> {
    pairs
        .iter()
        .map(|(k, v)| (k.as_str(), v.as_str()))
        .collect()
}
