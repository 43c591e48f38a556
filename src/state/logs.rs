//! The logs view's state: which pods and containers are streamed, a bounded ring of lines
//! merged in arrival order, follow/pause, filter and search. Memory is bounded by the ring
//! (and the filtered index over it), whatever the pods write.

use crate::domain::key::ObjectKey;
use crate::domain::logline::{Level, SafeText};
use chrono::{DateTime, Utc};
use regex::Regex;
use std::collections::{BTreeMap, VecDeque};
use std::sync::Arc;

/// What the logs view follows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum LogTarget {
    Service(ObjectKey),
    Pod(ObjectKey),
}

/// Which containers to stream.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ContainerChoice {
    /// `kserve-container` of the predictor (and explainer) pods: the model server.
    Model,
    QueueProxy,
    StorageInitializer,
    /// `kserve-container` of the transformer pods.
    Transformer,
    Agent,
    All,
}

impl ContainerChoice {
    pub const CYCLE: [ContainerChoice; 6] = [
        ContainerChoice::Model,
        ContainerChoice::QueueProxy,
        ContainerChoice::StorageInitializer,
        ContainerChoice::Transformer,
        ContainerChoice::Agent,
        ContainerChoice::All,
    ];

    pub fn label(self) -> &'static str {
        match self {
            ContainerChoice::Model => "kserve-container",
            ContainerChoice::QueueProxy => "queue-proxy",
            ContainerChoice::StorageInitializer => "storage-initializer",
            ContainerChoice::Transformer => "transformer",
            ContainerChoice::Agent => "agent",
            ContainerChoice::All => "all containers",
        }
    }

    pub fn next(self) -> ContainerChoice {
        let i = Self::CYCLE.iter().position(|c| *c == self).unwrap_or(0);
        Self::CYCLE[(i + 1) % Self::CYCLE.len()]
    }

    /// Parses a `-c` value: a container name, `transformer`, or `all`.
    pub fn parse(text: &str) -> Option<ContainerChoice> {
        Self::CYCLE
            .iter()
            .copied()
            .find(|c| c.label() == text || (text == "all" && *c == ContainerChoice::All))
    }
}

/// How far back to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Since {
    FiveMinutes,
    FifteenMinutes,
    OneHour,
    All,
}

impl Since {
    pub fn seconds(self) -> Option<i64> {
        match self {
            Since::FiveMinutes => Some(300),
            Since::FifteenMinutes => Some(900),
            Since::OneHour => Some(3600),
            Since::All => None,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Since::FiveMinutes => "5m",
            Since::FifteenMinutes => "15m",
            Since::OneHour => "1h",
            Since::All => "all",
        }
    }

    pub fn next(self) -> Since {
        match self {
            Since::FiveMinutes => Since::FifteenMinutes,
            Since::FifteenMinutes => Since::OneHour,
            Since::OneHour => Since::All,
            Since::All => Since::FiveMinutes,
        }
    }
}

/// One line in the ring.
#[derive(Debug, Clone, PartialEq)]
pub struct LogLine {
    pub seq: u64,
    pub pod: Arc<str>,
    pub container: Arc<str>,
    /// Short tag shown before the line (`r2·x7k2p`), coloured by revision.
    pub tag: Arc<str>,
    /// Whether the pod serves the canary (newest, not yet rolled out) revision.
    pub canary: bool,
    pub ts: Option<DateTime<Utc>>,
    pub text: SafeText,
    pub level: Level,
    /// A marker kdeck wrote itself (pod joined, pod went away), not a container line.
    pub marker: bool,
}

impl LogLine {
    /// The short revision of the line's pod (`r2` of the tag `r2·x7k2p`).
    pub fn revision(&self) -> &str {
        revision_of_tag(&self.tag)
    }
}

/// The short revision a stream tag starts with (`r2` of `r2·x7k2p/queue-proxy`).
pub fn revision_of_tag(tag: &str) -> &str {
    tag.split('·').next().unwrap_or(tag)
}

/// Steps `current` through `values` and back to none: None → first → … → last → None.
pub fn cycle(current: Option<&str>, values: &[String]) -> Option<String> {
    match current.and_then(|c| values.iter().position(|v| v == c)) {
        None => values.first().cloned(),
        Some(i) => values.get(i + 1).cloned(),
    }
}

/// One (pod, container) stream.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StreamInfo {
    pub tag: Arc<str>,
    pub canary: bool,
    pub ended: Option<String>,
}

/// A compiled pattern with the text the user typed.
#[derive(Debug, Clone)]
pub struct Pattern {
    pub text: String,
    pub regex: Regex,
}

/// The logs view.
#[derive(Debug, Clone)]
pub struct LogView {
    pub target: LogTarget,
    pub container: ContainerChoice,
    pub previous: bool,
    pub since: Since,
    pub tail: i64,
    /// Identifies the current set of streams; lines from older ones are dropped.
    pub session: u64,
    pub streams: BTreeMap<(ObjectKey, String), StreamInfo>,
    pub lines: VecDeque<LogLine>,
    pub capacity: usize,
    next_seq: u64,
    /// Seqs of lines passing the filter, oldest first.
    pub visible: VecDeque<u64>,
    pub follow: bool,
    /// When not following: the seq of the first line on screen.
    pub anchor: u64,
    pub new_while_paused: usize,
    pub wrap: bool,
    pub timestamps: bool,
    pub filter: Option<Pattern>,
    pub search: Option<Pattern>,
    /// Only lines of this short revision (`r2`), or all.
    pub only_revision: Option<String>,
    /// Only lines of this pod (its name), or all.
    pub only_pod: Option<String>,
    /// Lines dropped from the front of the ring so far.
    pub evicted: u64,
}

impl LogView {
    pub fn new(target: LogTarget, capacity: usize, session: u64) -> LogView {
        LogView {
            target,
            container: ContainerChoice::Model,
            previous: false,
            since: Since::All,
            tail: 200,
            session,
            streams: BTreeMap::new(),
            lines: VecDeque::new(),
            capacity: capacity.max(100),
            next_seq: 0,
            visible: VecDeque::new(),
            follow: true,
            anchor: 0,
            new_while_paused: 0,
            wrap: false,
            timestamps: false,
            filter: None,
            search: None,
            only_revision: None,
            only_pod: None,
            evicted: 0,
        }
    }

    fn passes(&self, line: &LogLine) -> bool {
        self.only_revision
            .as_deref()
            .is_none_or(|r| line.revision() == r)
            && self.only_pod.as_deref().is_none_or(|p| *line.pod == *p)
            && self
                .filter
                .as_ref()
                .is_none_or(|f| line.marker || f.regex.is_match(&line.text.text))
    }

    /// The short revisions of the streams, sorted (what the revision filter cycles through).
    pub fn revisions(&self) -> Vec<String> {
        let mut out: Vec<String> = self
            .streams
            .values()
            .map(|s| revision_of_tag(&s.tag).to_string())
            .collect();
        out.sort();
        out.dedup();
        out
    }

    /// The pods of the streams, sorted (what the pod filter cycles through).
    pub fn pods(&self) -> Vec<String> {
        let mut out: Vec<String> = self.streams.keys().map(|(p, _)| p.name.clone()).collect();
        out.sort();
        out.dedup();
        out
    }

    /// Appends lines, evicting the oldest beyond capacity.
    pub fn push(&mut self, lines: impl IntoIterator<Item = LogLine>) {
        for mut line in lines {
            line.seq = self.next_seq;
            self.next_seq += 1;
            if self.passes(&line) {
                self.visible.push_back(line.seq);
                if !self.follow {
                    self.new_while_paused += 1;
                }
            }
            self.lines.push_back(line);
        }
        while self.lines.len() > self.capacity {
            if let Some(old) = self.lines.pop_front() {
                self.evicted += 1;
                while self.visible.front().is_some_and(|s| *s <= old.seq) {
                    self.visible.pop_front();
                }
            }
        }
        if let Some(first) = self.lines.front()
            && self.anchor < first.seq
        {
            self.anchor = first.seq;
        }
    }

    /// The line with sequence number `seq`, if still in the ring.
    pub fn line(&self, seq: u64) -> Option<&LogLine> {
        let first = self.lines.front()?.seq;
        self.lines
            .get(usize::try_from(seq.checked_sub(first)?).ok()?)
    }

    /// Rebuilds the filtered index after the filter changed.
    pub fn refilter(&mut self) {
        let visible: VecDeque<u64> = self
            .lines
            .iter()
            .filter(|l| self.passes(l))
            .map(|l| l.seq)
            .collect();
        self.visible = visible;
    }

    /// Index into `visible` of the first line on screen for a window of `height` lines.
    pub fn first_visible(&self, height: usize) -> usize {
        if self.follow {
            return self.visible.len().saturating_sub(height);
        }
        self.visible
            .partition_point(|s| *s < self.anchor)
            .min(self.visible.len().saturating_sub(1))
    }

    /// Scrolls by `delta` lines; scrolling up pauses following, reaching the bottom resumes.
    pub fn scroll(&mut self, delta: isize, height: usize) {
        let top = self.first_visible(height) as isize;
        let max_top = self.visible.len().saturating_sub(height) as isize;
        let target = (top + delta).clamp(0, max_top.max(0));
        if delta > 0 && target >= max_top {
            self.resume();
            return;
        }
        if self.follow {
            self.follow = false;
            self.new_while_paused = 0;
        }
        self.anchor = self.visible.get(target as usize).copied().unwrap_or(0);
    }

    /// Follows again from the bottom.
    pub fn resume(&mut self) {
        self.follow = true;
        self.new_while_paused = 0;
    }

    /// Stops following, keeping the current bottom window in place.
    pub fn pause(&mut self, height: usize) {
        if self.follow {
            let top = self.first_visible(height);
            self.anchor = self.visible.get(top).copied().unwrap_or(0);
            self.follow = false;
            self.new_while_paused = 0;
        }
    }

    /// Moves the window to the next (or previous) line matching the search, from the top of
    /// the window; returns whether one was found.
    pub fn jump_to_match(&mut self, forward: bool, height: usize) -> bool {
        let Some(search) = &self.search else {
            return false;
        };
        let top = self.first_visible(height);
        let hit = |i: &usize| {
            self.visible
                .get(*i)
                .and_then(|s| self.line(*s))
                .is_some_and(|l| search.regex.is_match(&l.text.text))
        };
        let found = if forward {
            (top + 1..self.visible.len()).find(hit)
        } else {
            (0..top).rev().find(hit)
        };
        match found {
            Some(i) => {
                self.follow = false;
                self.anchor = self.visible[i];
                true
            }
            None => false,
        }
    }

    /// The whole buffer as plain text (for saving), with pod and container prefixes.
    pub fn to_text(&self) -> String {
        let mut out = String::new();
        for l in &self.lines {
            if let Some(ts) = l.ts {
                out.push_str(&ts.to_rfc3339_opts(chrono::SecondsFormat::Millis, true));
                out.push(' ');
            }
            out.push_str(&format!("{} {} {}\n", l.pod, l.container, l.text.text));
        }
        out
    }
}

/// A search or filter pattern that is not a regular expression; the message names the
/// pattern and the regex crate's own explanation (its last line, which says what is wrong).
#[derive(Debug, Clone, thiserror::Error)]
#[error("not a valid regular expression /{text}/: {}", what_is_wrong(.source))]
pub struct PatternError {
    pub text: String,
    #[source]
    pub source: regex::Error,
}

fn what_is_wrong(err: &regex::Error) -> String {
    let detail = err.to_string();
    detail
        .lines()
        .last()
        .unwrap_or("invalid pattern")
        .trim()
        .to_string()
}

/// Compiles a user pattern; the error says what is wrong with it.
pub fn compile(text: &str) -> Result<Pattern, PatternError> {
    regex::RegexBuilder::new(text)
        .case_insensitive(text.chars().all(|c| !c.is_uppercase()))
        .size_limit(1 << 20)
        .build()
        .map(|regex| Pattern {
            text: text.to_string(),
            regex,
        })
        .map_err(|source| PatternError {
            text: text.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::logline::sanitize;

    fn line(text: &str) -> LogLine {
        LogLine {
            seq: 0,
            pod: Arc::from("p"),
            container: Arc::from("c"),
            tag: Arc::from("r1"),
            canary: false,
            ts: None,
            text: sanitize(text.as_bytes()),
            level: Level::Info,
            marker: false,
        }
    }

    #[test]
    fn the_ring_is_bounded_and_the_index_follows() {
        let mut v = LogView::new(LogTarget::Pod(ObjectKey::new("a", "b")), 100, 1);
        v.push((0..250).map(|i| line(&format!("line {i}"))));
        assert_eq!(v.lines.len(), 100);
        assert_eq!(v.visible.len(), 100);
        assert_eq!(v.evicted, 150);
        assert_eq!(v.lines.front().unwrap().text.text, "line 150");
        assert_eq!(v.line(249).unwrap().text.text, "line 249");
        assert!(v.line(10).is_none());
    }

    #[test]
    fn pausing_counts_new_lines_and_scrolling_to_the_bottom_resumes() {
        let mut v = LogView::new(LogTarget::Pod(ObjectKey::new("a", "b")), 1000, 1);
        v.push((0..50).map(|i| line(&format!("l{i}"))));
        v.scroll(-5, 10);
        assert!(!v.follow);
        let top = v.first_visible(10);
        v.push((0..7).map(|i| line(&format!("n{i}"))));
        assert_eq!(v.new_while_paused, 7);
        assert_eq!(
            v.first_visible(10),
            top,
            "the window must not move while paused"
        );
        v.scroll(1000, 10);
        assert!(v.follow);
        assert_eq!(v.new_while_paused, 0);
    }

    #[test]
    fn revision_and_pod_filters_keep_only_their_lines() {
        let mut v = LogView::new(LogTarget::Pod(ObjectKey::new("a", "b")), 1000, 1);
        let tagged = |text: &str, tag: &str, pod: &str| LogLine {
            tag: Arc::from(tag),
            pod: Arc::from(pod),
            ..line(text)
        };
        v.push([
            tagged("stable", "r1·x1", "p-x1"),
            tagged("canary", "r2·y2", "p-y2"),
            tagged("canary too", "r2·z3", "p-z3"),
        ]);
        for (pod, tag) in [("p-x1", "r1·x1"), ("p-y2", "r2·y2"), ("p-z3", "r2·z3")] {
            v.streams.insert(
                (ObjectKey::new("a", pod), "c".to_string()),
                StreamInfo {
                    tag: Arc::from(tag),
                    canary: false,
                    ended: None,
                },
            );
        }
        assert_eq!(v.revisions(), vec!["r1", "r2"]);
        v.only_revision = cycle(None, &v.revisions());
        v.only_revision = cycle(v.only_revision.as_deref(), &v.revisions());
        assert_eq!(v.only_revision.as_deref(), Some("r2"));
        v.refilter();
        assert_eq!(v.visible.len(), 2);
        v.only_pod = Some("p-z3".to_string());
        v.refilter();
        assert_eq!(v.visible.len(), 1);
        assert_eq!(v.line(v.visible[0]).unwrap().text.text, "canary too");
        assert_eq!(cycle(Some("r2"), &v.revisions()), None, "back to all");
    }

    #[test]
    fn filter_and_search() {
        let mut v = LogView::new(LogTarget::Pod(ObjectKey::new("a", "b")), 1000, 1);
        v.push(["INFO ok", "ERROR boom", "INFO ok", "ERROR bang"].map(line));
        v.filter = Some(compile("error").unwrap());
        v.refilter();
        assert_eq!(v.visible.len(), 2);
        v.filter = None;
        v.refilter();
        v.search = Some(compile("b(oom|ang)").unwrap());
        v.follow = false;
        v.anchor = 0;
        assert!(v.jump_to_match(true, 1));
        assert_eq!(v.line(v.anchor).unwrap().text.text, "ERROR boom");
        assert!(v.jump_to_match(true, 1));
        assert_eq!(v.line(v.anchor).unwrap().text.text, "ERROR bang");
        assert!(!v.jump_to_match(true, 1));
    }

    #[test]
    fn a_bad_pattern_says_which_and_what_is_wrong_in_one_line() {
        let err = compile("a(b").unwrap_err();
        assert_eq!(err.text, "a(b");
        assert_eq!(
            err.to_string(),
            "not a valid regular expression /a(b/: error: unclosed group"
        );
        let err = compile("x{99999999}").unwrap_err();
        assert!(
            matches!(
                err.source,
                regex::Error::Syntax(_) | regex::Error::CompiledTooBig(_)
            ),
            "{err:?}"
        );
        assert!(!err.to_string().contains('\n'), "{err}");
    }
}
