//! What the Kubernetes sources report, as their own event types: the connection and its
//! watchers ([`ClusterMsg`]) and the log streams ([`LogMsg`]). They go out through a
//! [`crate::sources::sink::Sink`]; the app wraps them into its messages.

use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::domain::logline::{Level, SafeText};
use crate::domain::watch::{Kserve, WatchEvent};

/// A batch of lines from one log stream, already sanitised at the source.
#[derive(Debug, Clone)]
pub struct LogBatch {
    pub session: u64,
    pub pod: ObjectKey,
    pub container: String,
    pub lines: Vec<(Option<chrono::DateTime<chrono::Utc>>, SafeText, Level)>,
}

/// What log streams report.
#[derive(Debug, Clone)]
pub enum LogMsg {
    Lines(LogBatch),
    /// A stream stopped for good (pod gone, container not found, previous missing).
    Ended {
        session: u64,
        pod: ObjectKey,
        container: String,
        reason: String,
    },
    /// A stream broke and is reconnecting (lines resume without duplicates).
    Reconnecting {
        session: u64,
        pod: ObjectKey,
        container: String,
        error: String,
    },
    /// The buffer was written to a file.
    Saved {
        path: String,
        lines: usize,
    },
    SaveFailed {
        error: String,
    },
}

/// What the cluster connection and its watchers report. `epoch` identifies the connection
/// (it changes with every context or namespace switch) so late messages from an old one are
/// ignored.
#[derive(Debug, Clone)]
pub enum ClusterMsg {
    /// What the connection's requests actually do now (sent when it changes).
    Health {
        epoch: u64,
        health: crate::domain::api_health::ApiHealth,
    },
    Connected {
        epoch: u64,
        context: Option<String>,
        contexts: Vec<String>,
        server: String,
        default_namespace: String,
        user: String,
    },
    /// No usable kubeconfig or context (`configured: false`), or the cluster is unreachable.
    ConnectFailed {
        epoch: u64,
        error: String,
        configured: bool,
    },
    Discovered {
        epoch: u64,
        kserve: Kserve,
    },
    Watch {
        epoch: u64,
        kind: Kind,
        events: Vec<WatchEvent>,
    },
    WatchError {
        epoch: u64,
        kind: Kind,
        error: String,
        forbidden: bool,
    },
}
