//! The latency window: per pod, the deltas between consecutive scrapes over the last
//! minute (counter resets read as restarts, pods that appear wait for a second scrape, pods
//! that disappear are forgotten), summed per service and per revision into p50/p90/p99,
//! requests per second and the 5xx ratio. A service with a pod that could not be read this
//! round is marked stale.

use super::extract::Reading;
use super::histogram::Buckets;
use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, HashSet, VecDeque};

/// One pod scraped this round: who it serves, and what it said.
#[derive(Debug, Clone)]
pub struct PodRound {
    /// `namespace/name` of the pod (plus the uid, so a recreated pod starts afresh).
    pub pod: ObjectKey,
    pub uid: String,
    /// The InferenceService it serves.
    pub service: ObjectKey,
    /// Its Knative revision, if any.
    pub revision: Option<String>,
    /// When the pod was created, for the first scrape's rate since then.
    pub started: Option<DateTime<Utc>>,
    /// Its reading; `None` when it could not be read this round (the scrape words why in
    /// the round's problems).
    pub reading: Option<Reading>,
}

/// What changed between two scrapes of one pod.
#[derive(Debug, Clone)]
struct Delta {
    to: DateTime<Utc>,
    seconds: f64,
    latency_ms: Option<Buckets>,
    requests: Option<f64>,
    errors: Option<f64>,
}

#[derive(Debug, Clone)]
struct PodHistory {
    uid: String,
    started: Option<DateTime<Utc>>,
    last: (DateTime<Utc>, Reading),
    deltas: VecDeque<Delta>,
}

/// Summed deltas of a group of pods.
#[derive(Debug, Clone, Default)]
struct Sum {
    latency_ms: Option<Buckets>,
    rps: Option<f64>,
    requests: f64,
    errors: Option<f64>,
    fresh: bool,
    stale: bool,
    newest: Option<DateTime<Utc>>,
    /// Pods seen once so far: their cumulative counts, used only while no pod of the group
    /// has a window yet.
    first: Option<Box<Sum>>,
    /// The longest stretch of time any pod's deltas cover, in seconds.
    covered: f64,
}

impl Sum {
    /// The figures; `window` is in seconds. Figures from less than 90 % of the window (the
    /// first scrapes) are marked `partial`.
    fn figures(&self, at: DateTime<Utc>, window: f64) -> RevisionFigures {
        if !self.fresh
            && let Some(first) = self.first.as_deref()
        {
            return RevisionFigures {
                cumulative: true,
                stale: self.stale,
                ..first.figures(at, window)
            };
        }
        let q = |p: f64| self.latency_ms.as_ref().and_then(|b| b.quantile(p));
        RevisionFigures {
            p50_ms: q(0.5),
            p90_ms: q(0.9),
            p99_ms: q(0.99),
            rps: self.rps,
            error_ratio: self
                .errors
                .filter(|_| self.requests > 0.0)
                .map(|e| (e / self.requests).clamp(0.0, 1.0)),
            at: if self.stale { self.newest } else { Some(at) },
            stale: self.stale || !self.fresh,
            cumulative: false,
            partial: self.fresh && self.covered < window * 0.9,
        }
    }
}

/// Figures of one round.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RoundFigures {
    pub services: Vec<(ObjectKey, RevisionFigures)>,
    pub revisions: Vec<(ObjectKey, String, RevisionFigures)>,
    /// Pods whose counters went down since the last scrape (restarted), worded for the user.
    pub restarts: Vec<String>,
}

/// Keeps the recent deltas of every pod.
#[derive(Debug, Clone)]
pub struct Tracker {
    window: chrono::Duration,
    pods: HashMap<ObjectKey, PodHistory>,
    /// The vLLM figures of LLM services' pods (TTFT, tokens/s …), over the same window.
    pub llm: crate::domain::llm::window::LlmTracker,
    /// The transformer → predictor split of services with a transformer, same window.
    pub chain: super::chain_window::ChainTracker,
}

/// The default window: one minute, like the Prometheus mode's `rate(…[1m])`.
pub const DEFAULT_WINDOW: std::time::Duration = std::time::Duration::from_secs(60);

/// The window for a scrape interval: the default minute, or two intervals if longer.
pub fn window_for(interval: std::time::Duration) -> std::time::Duration {
    DEFAULT_WINDOW.max(interval * 2)
}

/// A window in words for headers: "1m", "90s".
pub fn window_label(window: std::time::Duration) -> String {
    let secs = window.as_secs();
    if secs.is_multiple_of(60) {
        format!("{}m", secs / 60)
    } else {
        format!("{secs}s")
    }
}

impl Tracker {
    pub fn new(window: std::time::Duration) -> Tracker {
        Tracker {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(1)),
            pods: HashMap::new(),
            llm: crate::domain::llm::window::LlmTracker::new(window),
            chain: super::chain_window::ChainTracker::new(window),
        }
    }

    /// Takes one round of scrapes taken at `at`, and returns the figures per service and
    /// revision for every service that has a pod in the round.
    pub fn round(&mut self, at: DateTime<Utc>, pods: &[PodRound]) -> RoundFigures {
        self.round_keeping(at, pods, &HashSet::new())
    }

    /// [`Tracker::round`], also keeping the history of the pods in `resting` (targets not
    /// read this round), so that their next read is a delta, not a first reading.
    pub fn round_keeping(
        &mut self,
        at: DateTime<Utc>,
        pods: &[PodRound],
        resting: &HashSet<ObjectKey>,
    ) -> RoundFigures {
        let mut out = RoundFigures::default();
        let window = self.window.num_milliseconds() as f64 / 1000.0;
        // Pods that are no longer targets are forgotten.
        let read: HashSet<&ObjectKey> = pods.iter().map(|p| &p.pod).collect();
        self.pods
            .retain(|key, _| read.contains(key) || resting.contains(key));
        for p in pods {
            let Some(reading) = &p.reading else { continue };
            let history = self.pods.get_mut(&p.pod).filter(|h| h.uid == p.uid);
            match history {
                None => {
                    self.pods.insert(
                        p.pod.clone(),
                        PodHistory {
                            uid: p.uid.clone(),
                            started: p.started,
                            last: (at, reading.clone()),
                            deltas: VecDeque::new(),
                        },
                    );
                }
                Some(h) => {
                    let (delta, reset) = delta(&h.last, at, reading);
                    if reset {
                        out.restarts.push(format!(
                            "pod {}/{}: its request counters went down, so its model server \
                             restarted; counting from the restart",
                            p.pod.namespace, p.pod.name
                        ));
                    }
                    h.deltas.push_back(delta);
                    h.last = (at, reading.clone());
                    while h.deltas.front().is_some_and(|d| at - d.to >= self.window) {
                        h.deltas.pop_front();
                    }
                }
            }
        }
        let mut services: BTreeMap<ObjectKey, Sum> = BTreeMap::new();
        let mut revisions: BTreeMap<(ObjectKey, String), Sum> = BTreeMap::new();
        for p in pods {
            let history = self.pods.get(&p.pod).filter(|h| h.uid == p.uid);
            let read = p.reading.is_some();
            let groups = std::iter::once(services.entry(p.service.clone()).or_default());
            let mut targets: Vec<&mut Sum> = groups.collect();
            if let Some(rev) = &p.revision {
                targets.push(
                    revisions
                        .entry((p.service.clone(), rev.clone()))
                        .or_default(),
                );
            }
            for sum in targets {
                add_pod(sum, history, read);
            }
        }
        out.services = services
            .into_iter()
            .map(|(k, s)| (k, s.figures(at, window)))
            .collect();
        out.revisions = revisions
            .into_iter()
            .map(|((k, r), s)| (k, r, s.figures(at, window)))
            .collect();
        out
    }
}

fn add_pod(sum: &mut Sum, history: Option<&PodHistory>, read: bool) {
    if !read {
        sum.stale = true;
    }
    let Some(h) = history else { return };
    if h.deltas.is_empty() {
        if read {
            add_first(sum.first.get_or_insert_default(), h);
        }
        return;
    }
    if read {
        sum.fresh = true;
    }
    sum.newest = sum.newest.max(Some(h.last.0));
    let seconds: f64 = h.deltas.iter().map(|d| d.seconds).sum();
    sum.covered = sum.covered.max(seconds);
    let requests: Option<f64> = h.deltas.iter().map(|d| d.requests).sum();
    if let Some(r) = requests {
        sum.requests += r;
        if seconds > 0.0 {
            sum.rps = Some(sum.rps.unwrap_or(0.0) + r / seconds);
        }
        let errors: Option<f64> = h.deltas.iter().map(|d| d.errors).sum();
        if let Some(e) = errors {
            sum.errors = Some(sum.errors.unwrap_or(0.0) + e);
        }
    }
    for d in &h.deltas {
        if let Some(l) = &d.latency_ms {
            sum.latency_ms = Some(match &sum.latency_ms {
                Some(acc) => acc.add(l),
                None => l.clone(),
            });
        }
    }
}

/// Adds a pod seen once: everything it counted since it started.
fn add_first(sum: &mut Sum, h: &PodHistory) {
    let (at, reading) = &h.last;
    sum.fresh = true;
    sum.newest = sum.newest.max(Some(*at));
    if let Some(r) = reading.requests {
        sum.requests += r;
        let seconds = h
            .started
            .map(|s| (*at - s).num_milliseconds() as f64 / 1000.0)
            .filter(|s| *s >= 1.0);
        if let Some(seconds) = seconds {
            sum.rps = Some(sum.rps.unwrap_or(0.0) + r / seconds);
        }
        if let Some(e) = reading.errors {
            sum.errors = Some(sum.errors.unwrap_or(0.0) + e);
        }
    }
    if let Some(l) = &reading.latency_ms {
        sum.latency_ms = Some(match &sum.latency_ms {
            Some(acc) => acc.add(l),
            None => l.clone(),
        });
    }
}

/// The delta between the last reading and this one; `true` when a counter went down.
fn delta(last: &(DateTime<Utc>, Reading), at: DateTime<Utc>, now: &Reading) -> (Delta, bool) {
    let (then, before) = last;
    let mut reset = false;
    let latency_ms = match (&now.latency_ms, &before.latency_ms) {
        (Some(n), Some(b)) => {
            let (d, r) = n.since(b);
            reset |= r;
            Some(d)
        }
        (Some(n), None) => Some(n.clone()),
        (None, _) => None,
    };
    let mut counter = |n: Option<f64>, b: Option<f64>| match (n, b) {
        (Some(n), Some(b)) if n < b => {
            reset = true;
            Some(n)
        }
        (Some(n), Some(b)) => Some(n - b),
        (Some(n), None) => Some(n),
        (None, _) => None,
    };
    let mut requests = counter(now.requests, before.requests);
    let errors = counter(now.errors, before.errors);
    if reset {
        // After a restart everything the pod reports happened since it started.
        requests = now.requests;
    }
    let errors = if reset { now.errors } else { errors };
    let latency_ms = if reset {
        now.latency_ms.clone()
    } else {
        latency_ms
    };
    (
        Delta {
            to: at,
            seconds: (at - *then).num_milliseconds().max(0) as f64 / 1000.0,
            latency_ms,
            requests,
            errors,
        },
        reset,
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    const INF: f64 = f64::INFINITY;

    fn t(sec: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_800_000_000 + sec, 0).unwrap()
    }

    fn reading(fast: f64, slow: f64, errors: f64) -> Reading {
        let total = fast + slow;
        Reading {
            latency_ms: Buckets::from_cumulative(
                &[(10.0, fast), (100.0, total), (INF, total)],
                None,
            ),
            requests: Some(total),
            errors: Some(errors),
        }
    }

    fn pod(name: &str, svc: &str, rev: Option<&str>, reading: Option<Reading>) -> PodRound {
        PodRound {
            pod: ObjectKey::new("ml", name),
            uid: format!("uid-{name}"),
            service: ObjectKey::new("ml", svc),
            revision: rev.map(str::to_string),
            started: Some(t(-100)),
            reading,
        }
    }

    #[test]
    fn the_first_scrape_gives_cumulative_figures_the_second_gives_the_window() {
        let mut tr = Tracker::new(DEFAULT_WINDOW);
        let f = tr.round(
            t(0),
            &[pod("a", "s", Some("s-1"), Some(reading(100.0, 0.0, 2.0)))],
        );
        // 100 requests since the pod started 100 s ago, all under 10 ms, 2 failed.
        let (_, s) = &f.services[0];
        assert!(s.cumulative, "{s:?}");
        assert_eq!(s.rps, Some(1.0));
        assert_eq!(s.error_ratio, Some(0.02));
        assert!((s.p50_ms.unwrap() - 5.0).abs() < 1e-9, "{:?}", s.p50_ms);
        assert!(f.revisions[0].2.cumulative);
        // 50 more requests, all slow (10..100 ms), 5 failed, in 5 s.
        let f = tr.round(
            t(5),
            &[pod("a", "s", Some("s-1"), Some(reading(100.0, 50.0, 7.0)))],
        );
        let (_, s) = &f.services[0];
        assert!(!s.stale);
        assert!(!s.cumulative);
        assert!(s.partial, "5 s of a 60 s window");
        assert_eq!(s.rps, Some(10.0));
        assert_eq!(s.error_ratio, Some(0.1));
        // All 50 are in the 10..100 bucket: the median interpolates to its middle.
        assert!((s.p50_ms.unwrap() - 55.0).abs() < 1e-9, "{:?}", s.p50_ms);
        assert_eq!(f.revisions.len(), 1);
        assert_eq!(f.revisions[0].1, "s-1");
    }

    #[test]
    fn a_restart_counts_from_zero_and_is_reported() {
        let mut tr = Tracker::new(DEFAULT_WINDOW);
        tr.round(
            t(0),
            &[pod("a", "s", None, Some(reading(1000.0, 0.0, 0.0)))],
        );
        let f = tr.round(t(5), &[pod("a", "s", None, Some(reading(0.0, 20.0, 0.0)))]);
        assert_eq!(f.restarts.len(), 1);
        let (_, s) = &f.services[0];
        assert_eq!(s.rps, Some(4.0), "20 requests since the restart in 5 s");
        assert!(
            s.p50_ms.unwrap() > 10.0,
            "the old fast requests are not counted"
        );
        assert!(
            f.revisions.is_empty(),
            "no revision label, no revision figures"
        );
    }

    #[test]
    fn pods_sum_per_service_and_an_unread_pod_marks_the_service_stale() {
        let mut tr = Tracker::new(DEFAULT_WINDOW);
        let round = |tr: &mut Tracker, sec: i64, n: f64, b_ok: bool| {
            tr.round(
                t(sec),
                &[
                    pod("a", "s", Some("s-1"), Some(reading(n, 0.0, 0.0))),
                    pod(
                        "b",
                        "s",
                        Some("s-2"),
                        if b_ok {
                            Some(reading(0.0, n, n / 10.0))
                        } else {
                            None
                        },
                    ),
                ],
            )
        };
        round(&mut tr, 0, 0.0, true);
        let f = round(&mut tr, 10, 100.0, true);
        let (_, s) = &f.services[0];
        assert_eq!(s.rps, Some(20.0));
        assert_eq!(s.error_ratio, Some(0.05));
        assert!(!s.stale);
        assert_eq!(f.revisions.len(), 2);
        let f = round(&mut tr, 20, 200.0, false);
        let (_, s) = &f.services[0];
        assert!(s.stale, "pod b was not read this round");
        let rev2 = f.revisions.iter().find(|r| r.1 == "s-2").unwrap();
        assert!(rev2.2.stale);
        assert_eq!(
            rev2.2.at,
            Some(t(10)),
            "stale figures carry the time of their data"
        );
        let rev1 = f.revisions.iter().find(|r| r.1 == "s-1").unwrap();
        assert!(!rev1.2.stale);
    }

    #[test]
    fn old_deltas_leave_the_window_and_gone_pods_are_forgotten() {
        let mut tr = Tracker::new(std::time::Duration::from_secs(10));
        tr.round(t(0), &[pod("a", "s", None, Some(reading(0.0, 0.0, 0.0)))]);
        tr.round(t(5), &[pod("a", "s", None, Some(reading(0.0, 100.0, 0.0)))]);
        tr.round(
            t(10),
            &[pod("a", "s", None, Some(reading(100.0, 100.0, 0.0)))],
        );
        let f = tr.round(
            t(15),
            &[pod("a", "s", None, Some(reading(200.0, 100.0, 0.0)))],
        );
        // Only the last two deltas (all fast) are inside 10 s.
        let p99 = f.services[0].1.p99_ms.unwrap();
        assert!(p99 <= 10.0, "{p99}");
        let f = tr.round(t(20), &[]);
        assert!(f.services.is_empty());
        assert!(tr.pods.is_empty());
    }

    #[test]
    fn no_traffic_is_zero_rps_and_no_percentiles() {
        let mut tr = Tracker::new(DEFAULT_WINDOW);
        tr.round(t(0), &[pod("a", "s", None, Some(reading(5.0, 5.0, 0.0)))]);
        let f = tr.round(t(5), &[pod("a", "s", None, Some(reading(5.0, 5.0, 0.0)))]);
        let s = &f.services[0].1;
        assert_eq!(s.rps, Some(0.0));
        assert_eq!(s.p50_ms, None);
        assert_eq!(s.error_ratio, None);
    }

    #[test]
    fn traffic_that_moved_away_reads_zero_within_one_window() {
        let mut tr = Tracker::new(DEFAULT_WINDOW);
        let mut served = 0.0;
        for sec in (0..=30).step_by(5) {
            served += 50.0;
            tr.round(
                t(sec),
                &[pod("a", "s", Some("s-2"), Some(reading(served, 0.0, 0.0)))],
            );
        }
        // From t(30) on the revision gets nothing; its counters stay put.
        let mut last = None;
        for sec in (35..=90).step_by(5) {
            let f = tr.round(
                t(sec),
                &[pod("a", "s", Some("s-2"), Some(reading(served, 0.0, 0.0)))],
            );
            last = f.revisions[0].2.rps;
        }
        assert_eq!(last, Some(0.0), "60 s after the traffic moved away");
        let f = tr.round(
            t(95),
            &[pod("a", "s", Some("s-2"), Some(reading(served, 0.0, 0.0)))],
        );
        assert!(!f.revisions[0].2.partial, "the window is full");
    }
}
