//! Container logs in the simulation: a bounded ring per container (what `kubectl logs`
//! reads), a broadcast for followers (made when the first one arrives: a channel per
//! container of thousands of pods would cost gigabytes), and the previous instance's lines
//! after a restart.

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

/// Lines a follower may fall behind by before it skips ahead.
pub const FOLLOW_BUFFER: usize = 4096;

/// The log of one container instance, and of the one before it.
#[derive(Debug, Default)]
pub struct ContainerLog {
    pub lines: VecDeque<LogLine>,
    pub previous: Option<Vec<LogLine>>,
    /// Only while someone follows.
    tx: Option<broadcast::Sender<LogLine>>,
}

impl ContainerLog {
    pub fn push(&mut self, ts: DateTime<Utc>, text: String) {
        let line = LogLine { ts, text };
        self.lines.push_back(line.clone());
        if self.lines.len() > RING {
            self.lines.pop_front();
        }
        if let Some(tx) = &self.tx {
            if tx.receiver_count() == 0 {
                self.tx = None;
            } else {
                let _ = tx.send(line);
            }
        }
    }

    /// Follows the lines pushed from now on.
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
