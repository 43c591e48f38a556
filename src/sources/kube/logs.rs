//! Following one container's logs (`pods/log` with follow and timestamps), batched at the
//! source every 50 ms, sanitised off the UI task. A broken stream reconnects from the last
//! timestamp seen (`sinceTime`) and drops the lines it already delivered, so reconnects
//! neither lose nor duplicate lines.

use super::events::{LogBatch, LogMsg};
use crate::domain::k8s::parse_time;
use crate::domain::key::ObjectKey;
use crate::domain::logline::{Level, SafeText, level, sanitize};
use crate::sources::sink::Sink;
use chrono::{DateTime, Utc};
use futures::AsyncBufReadExt;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, LogParams};
use std::collections::HashMap;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// One log stream to start.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LogStreamSpec {
    pub session: u64,
    pub pod: ObjectKey,
    pub container: String,
    pub previous: bool,
    pub since_seconds: Option<i64>,
    pub tail_lines: Option<i64>,
    pub follow: bool,
}

const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BATCH_MAX: usize = 2000;

/// Splits the RFC 3339 timestamp kubelet puts before each line (`timestamps=true`).
pub fn split_timestamp(line: &[u8]) -> (Option<DateTime<Utc>>, &[u8]) {
    if let Some(space) = line.iter().position(|b| *b == b' ')
        && space >= 20
        && let Ok(text) = std::str::from_utf8(&line[..space])
        && let Some(ts) = parse_time(text)
    {
        return (Some(ts), &line[space + 1..]);
    }
    (None, line)
}

/// Remembers what was delivered at the newest timestamp so that a reconnect, which asks the
/// API for lines from before that timestamp, does not repeat them. Lines are counted, not
/// just remembered: containers do write the same text twice at one timestamp (the API's
/// timestamps are those of kubelet, and a burst of identical access lines shares one), and
/// each occurrence is a line of its own.
#[derive(Default)]
pub struct Dedupe {
    pub last: Option<DateTime<Utc>>,
    /// How many lines of each text (hashed) were delivered at `last`.
    at_last: HashMap<u64, u32>,
    /// While a new connection replays: the old `last`, and the lines at it still to skip.
    replay: Option<(DateTime<Utc>, HashMap<u64, u32>)>,
}

fn text_hash(text: &[u8]) -> u64 {
    use std::hash::{Hash, Hasher};
    let mut h = std::collections::hash_map::DefaultHasher::new();
    text.hash(&mut h);
    h.finish()
}

impl Dedupe {
    /// A new connection starts: everything it sends up to `last` was delivered already
    /// (the lines at `last` itself as often as they were delivered).
    pub fn reconnect(&mut self) {
        self.replay = self.last.map(|last| (last, self.at_last.clone()));
    }

    /// Whether a line is new; records it if so.
    pub fn admit(&mut self, ts: Option<DateTime<Utc>>, text: &[u8]) -> bool {
        let Some(ts) = ts else {
            return true;
        };
        let hash = text_hash(text);
        if let Some((until, skip)) = &mut self.replay {
            if ts < *until {
                return false;
            }
            if ts == *until {
                if let Some(n) = skip.get_mut(&hash).filter(|n| **n > 0) {
                    *n -= 1;
                    return false;
                }
            } else {
                self.replay = None;
            }
        }
        match self.last {
            Some(last) if ts == last => *self.at_last.entry(hash).or_default() += 1,
            // Out of order within one connection: deliver it; a replay skips it by time.
            Some(last) if ts < last => {}
            _ => {
                self.last = Some(ts);
                self.at_last.clear();
                self.at_last.insert(hash, 1);
            }
        }
        true
    }
}

fn params(spec: &LogStreamSpec, resume_from: Option<DateTime<Utc>>) -> LogParams {
    let since_time = resume_from.and_then(|t| {
        // The API takes whole seconds; step back one so nothing at the boundary is lost.
        (t - chrono::Duration::seconds(1))
            .to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            .parse()
            .ok()
    });
    LogParams {
        container: Some(spec.container.clone()),
        follow: spec.follow,
        previous: spec.previous,
        since_seconds: if since_time.is_some() {
            None
        } else {
            spec.since_seconds
        },
        since_time,
        tail_lines: if resume_from.is_some() {
            None
        } else {
            spec.tail_lines
        },
        timestamps: true,
        limit_bytes: None,
        pretty: false,
    }
}

/// Follows one stream until cancelled, the pod goes away, or (without follow) the end,
/// sending batches and the stream's fate to `sink` (a [`Sink`], or anything the caller's
/// layer turns into one, such as the app's inbox).
pub async fn follow(
    client: kube::Client,
    spec: LogStreamSpec,
    sink: impl Into<Sink<LogMsg>>,
    cancel: CancellationToken,
) {
    let tx: Sink<LogMsg> = sink.into();
    let api: Api<Pod> = Api::namespaced(client, &spec.pod.namespace);
    let mut dedupe = Dedupe::default();
    let mut failures = 0u32;
    loop {
        dedupe.reconnect();
        let log_params = params(&spec, dedupe.last);
        let opened = tokio::select! {
            _ = cancel.cancelled() => return,
            r = api.log_stream(&spec.pod.name, &log_params) => r,
        };
        let reason = match opened {
            Ok(stream) => {
                failures = 0;
                match pump(stream, &spec, &mut dedupe, &tx, &cancel).await {
                    Pump::Cancelled => return,
                    Pump::Eof => None,
                    Pump::Broke(e) => Some(e),
                }
            }
            Err(e) => {
                let text = super::errors::describe(&e);
                if matches!(&e, kube::Error::Api(s) if s.code == 400 || s.code == 404) {
                    end(&tx, &spec, text).await;
                    return;
                }
                failures += 1;
                Some(text)
            }
        };
        if !spec.follow {
            if let Some(reason) = reason {
                end(&tx, &spec, reason).await;
            }
            return;
        }
        // Did the pod go away, or did the stream just break?
        match api.get_opt(&spec.pod.name).await {
            Ok(None) => {
                end(&tx, &spec, "pod went away".to_string()).await;
                return;
            }
            _ if failures > 0 || reason.is_some() => {
                let msg = LogMsg::Reconnecting {
                    session: spec.session,
                    pod: spec.pod.clone(),
                    container: spec.container.clone(),
                    error: format!("reconnecting: {}", reason.unwrap_or_default()),
                };
                if !tx.send(msg).await {
                    return;
                }
            }
            _ => {}
        }
        let delay = Duration::from_millis(250 * u64::from(failures.clamp(1, 8)));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(delay) => {}
        }
    }
}

enum Pump {
    Cancelled,
    Eof,
    Broke(String),
}

async fn pump(
    mut stream: impl futures::AsyncBufRead + Unpin,
    spec: &LogStreamSpec,
    dedupe: &mut Dedupe,
    tx: &Sink<LogMsg>,
    cancel: &CancellationToken,
) -> Pump {
    let mut batch: Vec<(Option<DateTime<Utc>>, SafeText, Level)> = Vec::new();
    let mut deadline: Option<Instant> = None;
    // Bytes of the line being read; kept across wake-ups, so an interrupted read loses nothing.
    let mut buf = Vec::new();
    loop {
        let read = tokio::select! {
            _ = cancel.cancelled() => return Pump::Cancelled,
            _ = async { match deadline { Some(d) => tokio::time::sleep_until(d).await, None => std::future::pending().await } } => None,
            r = stream.read_until(b'\n', &mut buf) => Some(r),
        };
        match read {
            None => {}
            Some(Ok(n)) => {
                let complete = buf.last() == Some(&b'\n');
                if n > 0 && complete || n == 0 && !buf.is_empty() {
                    let line = buf.strip_suffix(b"\n").unwrap_or(&buf);
                    let (ts, text) = split_timestamp(line);
                    if dedupe.admit(ts, text) {
                        let safe = sanitize(text);
                        let lvl = level(&safe.text);
                        batch.push((ts, safe, lvl));
                        deadline.get_or_insert_with(|| Instant::now() + BATCH_WINDOW);
                    }
                    buf.clear();
                }
                if n == 0 {
                    send(tx, spec, &mut batch).await;
                    return Pump::Eof;
                }
                if batch.len() < BATCH_MAX {
                    continue;
                }
            }
            Some(Err(e)) => {
                send(tx, spec, &mut batch).await;
                return Pump::Broke(e.to_string());
            }
        }
        deadline = None;
        if !send(tx, spec, &mut batch).await {
            return Pump::Cancelled;
        }
    }
}

async fn send(
    tx: &Sink<LogMsg>,
    spec: &LogStreamSpec,
    batch: &mut Vec<(Option<DateTime<Utc>>, SafeText, Level)>,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let lines = std::mem::take(batch);
    let msg = LogBatch {
        session: spec.session,
        pod: spec.pod.clone(),
        container: spec.container.clone(),
        lines,
    };
    tx.send(LogMsg::Lines(msg)).await
}

async fn end(tx: &Sink<LogMsg>, spec: &LogStreamSpec, reason: String) {
    let msg = LogMsg::Ended {
        session: spec.session,
        pod: spec.pod.clone(),
        container: spec.container.clone(),
        reason,
    };
    let _ = tx.send(msg).await;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_are_split_off() {
        let (ts, rest) = split_timestamp(b"2026-11-25T04:00:00.123456789Z hello world");
        assert!(ts.is_some());
        assert_eq!(rest, b"hello world");
        let (ts, rest) = split_timestamp(b"no timestamp here");
        assert!(ts.is_none());
        assert_eq!(rest, b"no timestamp here");
    }

    #[test]
    fn a_replay_from_the_last_second_is_dropped() {
        let t = |s: &str| parse_time(s);
        let mut d = Dedupe::default();
        assert!(d.admit(t("2026-01-01T00:00:01Z"), b"a"));
        assert!(d.admit(t("2026-01-01T00:00:02.5Z"), b"b"));
        assert!(d.admit(t("2026-01-01T00:00:02.5Z"), b"c"));
        // Reconnect from 00:00:01: the API replays a, b, c, then new lines.
        d.reconnect();
        assert!(!d.admit(t("2026-01-01T00:00:01Z"), b"a"));
        assert!(!d.admit(t("2026-01-01T00:00:02.5Z"), b"b"));
        assert!(!d.admit(t("2026-01-01T00:00:02.5Z"), b"c"));
        assert!(d.admit(t("2026-01-01T00:00:03Z"), b"d"));
        assert!(d.admit(None, b"untimed"));
    }

    #[test]
    fn identical_lines_at_one_timestamp_are_each_delivered_once() {
        let t = |s: &str| parse_time(s);
        let at = t("2026-01-01T00:00:05.25Z");
        let mut d = Dedupe::default();
        // One burst: the same access line three times at one timestamp, as kubelet stamps it.
        assert!(d.admit(at, b"POST /infer 200"));
        assert!(d.admit(at, b"POST /infer 200"));
        assert!(d.admit(at, b"POST /infer 200"));
        assert!(d.admit(at, b"other"));
        // The stream breaks; the replay repeats the four, and one more identical line was
        // written at the same timestamp before the break was noticed: only that one is new.
        d.reconnect();
        assert!(!d.admit(t("2026-01-01T00:00:04Z"), b"older"));
        assert!(!d.admit(at, b"POST /infer 200"));
        assert!(!d.admit(at, b"other"));
        assert!(!d.admit(at, b"POST /infer 200"));
        assert!(!d.admit(at, b"POST /infer 200"));
        assert!(d.admit(at, b"POST /infer 200"));
        assert!(d.admit(t("2026-01-01T00:00:06Z"), b"POST /infer 200"));
        assert!(d.admit(t("2026-01-01T00:00:06Z"), b"POST /infer 200"));
        // A second break right away: the five at 00:00:05.25 are behind `last` now.
        d.reconnect();
        assert!(!d.admit(at, b"POST /infer 200"));
        assert!(!d.admit(t("2026-01-01T00:00:06Z"), b"POST /infer 200"));
        assert!(!d.admit(t("2026-01-01T00:00:06Z"), b"POST /infer 200"));
        assert!(d.admit(t("2026-01-01T00:00:06Z"), b"POST /infer 200"));
    }
}
