//! Shared helpers for integration tests.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

pub mod cluster;
pub mod fake_http;
pub mod fake_sse;
pub mod headless;
pub mod llm;
pub mod model_server;
pub mod openai_server;
pub mod pty;
pub mod sim;

use std::io::Write;
use std::path::PathBuf;

/// Whether this is a CI run (`CI` is `true` or `1`), where a missing dependency fails.
pub fn in_ci() -> bool {
    std::env::var("CI")
        .is_ok_and(|v| matches!(v.trim().to_ascii_lowercase().as_str(), "true" | "1"))
}

/// A test's real dependency (kubectl, the KServe venv) is missing. With `CI` set that fails
/// the test; on a developer machine the caller skips the test, and this says so loudly.
pub fn missing_dependency(why: &str) {
    if in_ci() {
        panic!(
            "{why}\nCI is set, so a missing test dependency fails the test: \
             .ci/run and tests/run.sh set up kubectl and the KServe venv"
        );
    }
    // Straight to stderr, past the test harness's capture, so a passing run shows it too.
    let _ = writeln!(
        std::io::stderr().lock(),
        "\n*** SKIPPED, NOTHING TESTED: {why}\n*** (with CI=true this test fails; \
         tests/run.sh sets up the KServe venv, .ci/run also installs kubectl)\n"
    );
}

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
