//! Container logs in the simulation: a bounded ring per container (what `kubectl logs`
//! reads; at most [`RING`] lines, and at most a share of [`BUDGET_BYTES`] when thousands of
//! pods serve traffic, so a long-running simulated cluster stays flat), a broadcast for followers (made when the first one arrives: a channel per
//! container of thousands of pods would cost gigabytes), and the previous instance's lines
//! after a restart.

use chrono::{DateTime, Utc};
use std::collections::VecDeque;
use tokio::sync::broadcast;

/// Lines kept per container.
pub const RING: usize = 2_000;

/// Memory all containers' access logs may take together, spread over the pods: a demo's few
/// pods keep full rings, a cluster of thousands keeps the last few KB per container.
pub const BUDGET_BYTES: usize = 16 << 20;
/// The least a container keeps however many pods there are.
pub const MIN_BYTES_PER_CONTAINER: usize = 2 << 10;
/// What a line costs beyond its text: the `String`, the timestamp and the ring slot.
const LINE_OVERHEAD: usize = 48;

/// The bytes each container's ring may hold in a cluster of `pods` pods.
pub fn bytes_per_container(pods: usize) -> usize {
    (BUDGET_BYTES / pods.max(1)).max(MIN_BYTES_PER_CONTAINER)
}

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
    /// What `lines` costs, in the units of [`bytes_per_container`].
    bytes: usize,
    /// Only while someone follows.
    tx: Option<broadcast::Sender<LogLine>>,
}

impl ContainerLog {
    pub fn push(&mut self, ts: DateTime<Utc>, text: String) {
        self.push_within(ts, text, usize::MAX);
    }

    /// Appends a line, dropping the oldest beyond [`RING`] lines or `max_bytes`.
    pub fn push_within(&mut self, ts: DateTime<Utc>, text: String, max_bytes: usize) {
        self.bytes += text.len() + LINE_OVERHEAD;
        let line = LogLine { ts, text };
        self.lines.push_back(line.clone());
        while self.lines.len() > 1 && (self.lines.len() > RING || self.bytes > max_bytes) {
            if let Some(old) = self.lines.pop_front() {
                self.bytes -= old.text.len() + LINE_OVERHEAD;
            }
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
        self.bytes = 0;
    }

    /// What the ring holds now, in the units of [`bytes_per_container`].
    pub fn bytes(&self) -> usize {
        self.bytes
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_ring_keeps_the_newest_lines_within_its_bytes() {
        let mut log = ContainerLog::default();
        let now = Utc::now();
        for n in 0..1000 {
            log.push_within(now, format!("line {n:04} {}", "x".repeat(90)), 4096);
        }
        assert!(log.bytes() <= 4096, "{}", log.bytes());
        assert!(
            log.lines.len() > 10 && log.lines.len() < 40,
            "{}",
            log.lines.len()
        );
        assert!(
            log.lines
                .back()
                .is_some_and(|l| l.text.starts_with("line 0999"))
        );
        for n in 0..3000 {
            log.push(now, format!("{n}"));
        }
        assert_eq!(log.lines.len(), RING);
    }

    #[test]
    fn many_pods_share_the_budget_few_keep_full_rings() {
        assert!(bytes_per_container(20) > RING * 200);
        assert_eq!(bytes_per_container(30_000), MIN_BYTES_PER_CONTAINER);
        assert!(bytes_per_container(6_000) * 6_000 <= BUDGET_BYTES);
    }
}
