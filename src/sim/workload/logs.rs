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

/// The log of one container instance, and of the one before it.
#[derive(Debug)]
pub struct ContainerLog {
    pub lines: VecDeque<LogLine>,
    pub previous: Option<Vec<LogLine>>,
    pub tx: broadcast::Sender<LogLine>,
}

impl Default for ContainerLog {
    fn default() -> Self {
        let (tx, _) = broadcast::channel(4096);
        ContainerLog {
            lines: VecDeque::new(),
            previous: None,
            tx,
        }
    }
}

impl ContainerLog {
    pub fn push(&mut self, ts: DateTime<Utc>, text: String) {
        let line = LogLine { ts, text };
        self.lines.push_back(line.clone());
        if self.lines.len() > RING {
            self.lines.pop_front();
        }
        let _ = self.tx.send(line);
    }

    /// The container restarted: its lines become the previous instance's.
    pub fn restart(&mut self) {
        self.previous = Some(self.lines.drain(..).collect());
    }
}
