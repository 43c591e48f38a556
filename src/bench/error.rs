//! Why a full benchmark run (`kdeck bench`, feature `bench`) stopped: a process that would
//! not start or answer, a count that does not match, a screen that never completed. Printed
//! as `kdeck bench: N services, SCENARIO: <message>`.

use crate::sources::kube::connect::ConnectError;
use std::time::Duration;

/// An error of portable-pty, which reports untyped (`anyhow`) errors.
pub type PtyFault = Box<dyn std::error::Error + Send + Sync>;

#[derive(Debug, thiserror::Error)]
pub enum BenchError {
    #[error("cannot create {}: {source}", path.display())]
    TempDir {
        path: std::path::PathBuf,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot start kdeck sim: {0}")]
    SimStart(#[source] std::io::Error),
    #[error("kdeck sim has no stdout")]
    SimNoOutput,
    #[error("kdeck sim did not say where it listens")]
    SimSilent,
    #[error("the sim's statistics are not JSON: {0}")]
    SimStats(#[source] serde_json::Error),
    #[error("cannot run kubectl (is it installed?): {0}")]
    KubectlMissing(#[source] std::io::Error),
    /// kubectl ran and failed; its stderr.
    #[error("kubectl failed: {0}")]
    KubectlFailed(String),
    #[error("kubectl printed {rows} rows, expected {expected}")]
    KubectlRows { rows: usize, expected: usize },
    /// Opening, starting or reading the pseudo-terminal kdeck runs in.
    #[error("cannot {doing}: {source}")]
    Pty {
        doing: &'static str,
        #[source]
        source: PtyFault,
    },
    #[error("kdeck has no pid")]
    NoPid,
    #[error(
        "the list of {total} services was not complete after {}s:\n{screen}",
        .waited.as_secs()
    )]
    ListIncomplete {
        total: usize,
        waited: Duration,
        screen: String,
    },
    #[error("cannot start an async runtime for the in-process list: {0}")]
    Runtime(#[source] std::io::Error),
    #[error("{}", .0.message)]
    Connect(ConnectError),
    #[error("{}", crate::sources::kube::errors::describe(.0))]
    List(#[source] kube::Error),
}

impl BenchError {
    /// A pseudo-terminal step failed (portable-pty's errors are `anyhow`).
    pub fn pty(doing: &'static str, source: impl Into<PtyFault>) -> BenchError {
        BenchError::Pty {
            doing,
            source: source.into(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bench_errors_say_what_stopped_the_run() {
        assert_eq!(
            BenchError::KubectlRows {
                rows: 1999,
                expected: 2000
            }
            .to_string(),
            "kubectl printed 1999 rows, expected 2000"
        );
        let missing =
            BenchError::KubectlMissing(std::io::Error::from(std::io::ErrorKind::NotFound));
        assert_eq!(
            missing.to_string(),
            "cannot run kubectl (is it installed?): entity not found"
        );
        assert_eq!(
            BenchError::ListIncomplete {
                total: 2000,
                waited: Duration::from_secs(120),
                screen: "loading…".into()
            }
            .to_string(),
            "the list of 2000 services was not complete after 120s:\nloading…"
        );
        assert_eq!(
            BenchError::pty("open a pty", std::io::Error::other("no ptys left")).to_string(),
            "cannot open a pty: no ptys left"
        );
        assert_eq!(
            BenchError::TempDir {
                path: "/tmp/kdeck-bench-1".into(),
                source: std::io::Error::from(std::io::ErrorKind::PermissionDenied),
            }
            .to_string(),
            "cannot create /tmp/kdeck-bench-1: permission denied"
        );
    }
}
