//! Container logs in the simulation: a bounded ring per container (what `kubectl logs`
//! reads), a broadcast for followers, and the previous instance's lines after a restart.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use tokio::sync::broadcast;

/// Lines kept per container.
pub const RING: usize = 2_000;

/// One log line with kubelet's timestamp.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogLine {
    pub ts: DateTime<Utc>,
    pub text: String,
}

/// The log of one container instance, and of the one before it. The channel for followers
/// is made on the first follow: thousands of pods nobody follows cost no channel buffers.
#[derive(Debug, Default)]
pub struct ContainerLog {
    pub lines: VecDeque<LogLine>,
    pub previous: Option<Vec<LogLine>>,
    tx: Option<broadcast::Sender<LogLine>>,
}

/// Lines a follower may fall behind before it misses some.
const FOLLOW_BUFFER: usize = 4096;

impl ContainerLog {
    pub fn push(&mut self, ts: DateTime<Utc>, text: String) {
        let line = LogLine { ts, text };
        if let Some(tx) = &self.tx {
            let _ = tx.send(line.clone());
        }
        self.lines.push_back(line);
        if self.lines.len() > RING {
            self.lines.pop_front();
        }
    }

    /// Follows the new lines of this container.
    pub fn subscribe(&mut self) -> broadcast::Receiver<LogLine> {
        self.tx
            .get_or_insert_with(|| broadcast::channel(FOLLOW_BUFFER).0)
            .subscribe()
    }

    /// The container restarted: its lines become the previous instance's.
    pub fn restart(&mut self) {
        self.previous = Some(self.lines.drain(..).collect());
    }
}
