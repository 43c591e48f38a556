//! The live latency split of a transformer → predictor chain, per InferenceService, from the
//! scrapes of its transformer pods: KServe's `request_preprocess_seconds`,
//! `request_predict_seconds` (the transformer's call to the predictor) and
//! `request_postprocess_seconds` histograms (label `model_name`, all models summed), as p50
//! and p99 per stage over the latency window, and the transformer → predictor hop: the
//! transformer's predict p50 minus the predictor's own request p50 (the service's figures,
//! read from its predictor pods in the same round). Percentiles do not subtract exactly, so
//! the hop is an estimate; `kdeck probe --predictor` gives the exact mean split
//! (`chain`). A stage whose histogram a pod does not export is `None` (shown as –).
//! Per pod, the window is the newest scrape minus the oldest one still in the window; a
//! pod's first scrape counts since its start (`cumulative`). Pure: no I/O.

use super::extract::MissingMetrics;
use super::histogram::Buckets;
use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
use crate::domain::prom::Exposition;
use chrono::{DateTime, Utc};
use std::collections::{BTreeMap, HashMap, VecDeque};

pub const PREPROCESS_SECONDS: &str = "request_preprocess_seconds";
pub const PREDICT_SECONDS: &str = "request_predict_seconds";
pub const POSTPROCESS_SECONDS: &str = "request_postprocess_seconds";
/// The only families a transformer's page is parsed for.
pub const FAMILIES: &[&str] = &[PREPROCESS_SECONDS, PREDICT_SECONDS, POSTPROCESS_SECONDS];

/// One transformer pod's cumulative stage histograms (bounds in ms) at one scrape.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct StageBuckets {
    pub preprocess: Option<Buckets>,
    pub predict: Option<Buckets>,
    pub postprocess: Option<Buckets>,
}

impl StageBuckets {
    fn stages(&self) -> [&Option<Buckets>; 3] {
        [&self.preprocess, &self.predict, &self.postprocess]
    }

    /// What happened between `earlier` and `self`, and whether a counter went down (the
    /// server restarted: then `self` is all since the restart).
    fn since(&self, earlier: &StageBuckets) -> (StageBuckets, bool) {
        let mut reset = false;
        let mut delta = |now: &Option<Buckets>, before: &Option<Buckets>| match (now, before) {
            (Some(n), Some(b)) => {
                let (d, r) = n.since(b);
                reset |= r;
                Some(d)
            }
            (now, _) => now.clone(),
        };
        let out = StageBuckets {
            preprocess: delta(&self.preprocess, &earlier.preprocess),
            predict: delta(&self.predict, &earlier.predict),
            postprocess: delta(&self.postprocess, &earlier.postprocess),
        };
        (out, reset)
    }

    fn add(&self, other: &StageBuckets) -> StageBuckets {
        let sum = |a: &Option<Buckets>, b: &Option<Buckets>| match (a, b) {
            (Some(a), Some(b)) => Some(a.add(b)),
            (a, b) => a.clone().or_else(|| b.clone()),
        };
        StageBuckets {
            preprocess: sum(&self.preprocess, &other.preprocess),
            predict: sum(&self.predict, &other.predict),
            postprocess: sum(&self.postprocess, &other.postprocess),
        }
    }
}

/// Reads a transformer's `/metrics` text (parsing only [`FAMILIES`]); also returns the
/// parser's problems. `Err` when none of the three stages is there.
pub fn parse(text: &str) -> (Result<StageBuckets, MissingMetrics>, Vec<String>) {
    let exposition = Exposition::parse_only(text, FAMILIES);
    let stage = |name: &str| {
        let summed = exposition
            .histograms(name)
            .iter()
            .filter_map(|h| Buckets::from_cumulative(&h.buckets, h.count))
            .reduce(|a, b| a.add(&b));
        // Declared without series (no request yet) is zero requests, not a missing stage.
        summed
            .or_else(|| {
                exposition
                    .family(name)
                    .and_then(|_| Buckets::from_cumulative(&[], Some(0.0)))
            })
            .map(|b| b.scaled(1000.0))
    };
    let stages = StageBuckets {
        preprocess: stage(PREPROCESS_SECONDS),
        predict: stage(PREDICT_SECONDS),
        postprocess: stage(POSTPROCESS_SECONDS),
    };
    let reading = if stages.stages().iter().all(|s| s.is_none()) {
        Err(MissingMetrics::TransformerStages)
    } else {
        Ok(stages)
    };
    (reading, exposition.problems)
}

/// One transformer pod scraped this round.
#[derive(Debug, Clone)]
pub struct ChainPodRound {
    pub pod: ObjectKey,
    pub uid: String,
    /// The InferenceService it serves.
    pub service: ObjectKey,
    /// Its stages; `None` when it could not be read this round (the scrape words why in
    /// the round's problems).
    pub stages: Option<StageBuckets>,
}

/// p50 and p99 of one stage, ms; `None` when the stage is not exported or saw no request.
#[derive(Debug, Clone, Copy, Default, PartialEq, serde::Serialize)]
pub struct StageFigures {
    pub p50_ms: Option<f64>,
    pub p99_ms: Option<f64>,
}

impl StageFigures {
    fn of(buckets: &Option<Buckets>) -> StageFigures {
        let q = |p: f64| buckets.as_ref().and_then(|b| b.quantile(p));
        StageFigures {
            p50_ms: q(0.5),
            p99_ms: q(0.99),
        }
    }
}

/// The split of one service's chain.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChainFigures {
    pub preprocess: StageFigures,
    /// The transformer's predict: its call to the predictor (hop included).
    pub predict: StageFigures,
    pub postprocess: StageFigures,
    /// The transformer's predict p50 minus the predictor's own request p50 (never below
    /// zero); `None` without both.
    pub hop_p50_ms: Option<f64>,
    /// A transformer pod could not be read this round: the figures are the last known.
    pub stale: bool,
    /// From the pods' first scrapes: since their start, not over the window.
    pub cumulative: bool,
}

#[derive(Debug, Clone)]
struct PodHistory {
    uid: String,
    service: ObjectKey,
    /// Scrapes, oldest first: the oldest is the base of the window.
    scrapes: VecDeque<(DateTime<Utc>, StageBuckets)>,
}

/// Keeps the recent scrapes of every transformer pod.
#[derive(Debug, Clone)]
pub struct ChainTracker {
    window: chrono::Duration,
    pods: HashMap<ObjectKey, PodHistory>,
}

impl ChainTracker {
    pub fn new(window: std::time::Duration) -> ChainTracker {
        ChainTracker {
            window: chrono::Duration::from_std(window).unwrap_or(chrono::Duration::minutes(1)),
            pods: HashMap::new(),
        }
    }

    /// Takes one round of transformer scrapes taken at `at`, with the same round's
    /// `predictors` figures per service, and returns the split of every service with a
    /// transformer pod in the round.
    pub fn round(
        &mut self,
        at: DateTime<Utc>,
        pods: &[ChainPodRound],
        predictors: &[(ObjectKey, RevisionFigures)],
    ) -> Vec<(ObjectKey, ChainFigures)> {
        self.pods
            .retain(|key, _| pods.iter().any(|p| &p.pod == key));
        for p in pods {
            let Some(stages) = &p.stages else { continue };
            let history = self
                .pods
                .entry(p.pod.clone())
                .or_insert_with(|| PodHistory {
                    uid: p.uid.clone(),
                    service: p.service.clone(),
                    scrapes: VecDeque::new(),
                });
            if history.uid != p.uid {
                history.uid = p.uid.clone();
                history.scrapes.clear();
            }
            if let Some((_, last)) = history.scrapes.back()
                && stages.since(last).1
            {
                // Restarted: what came before is another process's.
                history.scrapes.clear();
                history.scrapes.push_back((at, StageBuckets::default()));
            }
            history.scrapes.push_back((at, stages.clone()));
            while history
                .scrapes
                .get(1)
                .is_some_and(|(t, _)| at - *t >= self.window)
            {
                history.scrapes.pop_front();
            }
        }
        let mut services: BTreeMap<ObjectKey, (StageBuckets, bool, bool)> = BTreeMap::new();
        for p in pods {
            let entry = services.entry(p.service.clone()).or_default();
            entry.1 |= p.stages.is_none();
            let Some(h) = self.pods.get(&p.pod) else {
                continue;
            };
            let (Some((_, oldest)), Some((_, newest))) = (h.scrapes.front(), h.scrapes.back())
            else {
                continue;
            };
            let delta = if h.scrapes.len() > 1 {
                newest.since(oldest).0
            } else {
                entry.2 = true;
                newest.clone()
            };
            entry.0 = entry.0.add(&delta);
        }
        services
            .into_iter()
            .map(|(service, (sum, stale, cumulative))| {
                let predict = StageFigures::of(&sum.predict);
                let predictor_p50 = predictors
                    .iter()
                    .find(|(k, _)| k == &service)
                    .and_then(|(_, f)| f.p50_ms);
                let figures = ChainFigures {
                    preprocess: StageFigures::of(&sum.preprocess),
                    predict,
                    postprocess: StageFigures::of(&sum.postprocess),
                    hop_p50_ms: predict
                        .p50_ms
                        .zip(predictor_p50)
                        .map(|(t, p)| (t - p).max(0.0)),
                    stale,
                    cumulative,
                };
                (service, figures)
            })
            .collect()
    }

    /// The services of the pods it keeps (for tests and diagnostics).
    pub fn services(&self) -> Vec<ObjectKey> {
        let mut out: Vec<ObjectKey> = self.pods.values().map(|h| h.service.clone()).collect();
        out.sort();
        out.dedup();
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A transformer page: every stage's `n` requests, `low` of them up to its first bound,
    /// the rest up to its second.
    fn page_split(low: u32, n: u32, stages: &[(&str, f64, f64)]) -> String {
        let mut out = String::new();
        for (name, low_s, high_s) in stages {
            out.push_str(&format!(
                "# TYPE {name} histogram\n\
                 {name}_bucket{{le=\"{low_s}\",model_name=\"m\"}} {low}.0\n\
                 {name}_bucket{{le=\"{high_s}\",model_name=\"m\"}} {n}.0\n\
                 {name}_bucket{{le=\"+Inf\",model_name=\"m\"}} {n}.0\n\
                 {name}_count{{model_name=\"m\"}} {n}.0\n\
                 {name}_sum{{model_name=\"m\"}} 1.0\n"
            ));
        }
        out
    }

    /// A transformer page: every stage's requests split evenly over its two bounds.
    fn page(n: u32, stages: &[(&str, f64, f64)]) -> String {
        page_split(n / 2, n, stages)
    }

    const ALL: [(&str, f64, f64); 3] = [
        (PREPROCESS_SECONDS, 0.002, 0.004),
        (PREDICT_SECONDS, 0.025, 0.05),
        (POSTPROCESS_SECONDS, 0.001, 0.002),
    ];

    fn t(sec: i64) -> DateTime<Utc> {
        DateTime::from_timestamp(1_700_000_000 + sec, 0).unwrap()
    }

    fn round(pod: &str, text: &str) -> ChainPodRound {
        ChainPodRound {
            pod: ObjectKey::new("ml", pod),
            uid: format!("u-{pod}"),
            service: ObjectKey::new("ml", "img"),
            stages: parse(text).0.ok(),
        }
    }

    fn predictor(p50: f64) -> Vec<(ObjectKey, RevisionFigures)> {
        vec![(
            ObjectKey::new("ml", "img"),
            RevisionFigures {
                p50_ms: Some(p50),
                ..RevisionFigures::default()
            },
        )]
    }

    #[test]
    fn the_split_is_per_stage_over_the_window_with_the_hop() {
        let mut tracker = ChainTracker::new(std::time::Duration::from_secs(60));
        let first = tracker.round(t(0), &[round("t1", &page(100, &ALL))], &predictor(20.0));
        let f = first[0].1;
        assert!(f.cumulative, "{f:?}");
        // Half of the requests up to the first bound: p50 at the first bound.
        assert!((f.preprocess.p50_ms.unwrap() - 2.0).abs() < 1e-9, "{f:?}");
        assert!((f.predict.p50_ms.unwrap() - 25.0).abs() < 1e-9, "{f:?}");
        assert!((f.predict.p99_ms.unwrap() - 49.5).abs() < 1e-9, "{f:?}");
        assert!((f.hop_p50_ms.unwrap() - 5.0).abs() < 1e-9, "{f:?}");
        // 100 more requests, all between the two bounds: the window holds those alone.
        let second = tracker.round(
            t(10),
            &[round("t1", &page_split(50, 200, &ALL))],
            &predictor(20.0),
        );
        let (service, f) = &second[0];
        assert_eq!(service, &ObjectKey::new("ml", "img"));
        assert!(!f.cumulative && !f.stale, "{f:?}");
        assert!((f.preprocess.p50_ms.unwrap() - 3.0).abs() < 1e-9, "{f:?}");
        assert!((f.predict.p50_ms.unwrap() - 37.5).abs() < 1e-9, "{f:?}");
        assert!((f.predict.p99_ms.unwrap() - 49.75).abs() < 1e-9, "{f:?}");
        assert!((f.postprocess.p50_ms.unwrap() - 1.5).abs() < 1e-9, "{f:?}");
        assert!((f.hop_p50_ms.unwrap() - 17.5).abs() < 1e-9, "{f:?}");
        // A predictor slower than the transformer's call reads as no hop, not a negative.
        let f = tracker.round(
            t(20),
            &[round("t1", &page_split(50, 200, &ALL))],
            &predictor(90.0),
        );
        assert_eq!(f[0].1.hop_p50_ms, Some(0.0));
    }

    #[test]
    fn missing_stages_and_predictors_are_gaps_and_bad_pages_never_panic() {
        let mut tracker = ChainTracker::new(std::time::Duration::from_secs(60));
        let only_predict = page(10, &ALL[1..2]);
        let f = tracker.round(t(0), &[round("t1", &only_predict)], &[]);
        let f = f[0].1;
        assert_eq!(f.preprocess, StageFigures::default());
        assert_eq!(f.postprocess, StageFigures::default());
        assert!(f.predict.p50_ms.is_some());
        assert_eq!(f.hop_p50_ms, None, "no predictor figures, no hop");
        // A page that is not a transformer's, or not Prometheus text at all.
        for text in [
            "up 1\n",
            "",
            "\u{0}garbage{{{\n",
            "request_predict_seconds_bucket{le=\"x\"} y\n",
        ] {
            let (reading, _) = parse(text);
            assert!(reading.is_err(), "{text:?}: {reading:?}");
        }
        // A pod that cannot be read marks its service stale, figures kept from the others.
        let failed = ChainPodRound {
            stages: None,
            ..round("t2", "")
        };
        let f = tracker.round(t(10), &[round("t1", &only_predict), failed], &[]);
        assert!(f[0].1.stale, "{f:?}");
        // A declared stage without series is zero requests: no percentile, no error.
        let declared = "# TYPE request_preprocess_seconds histogram\n";
        assert_eq!(
            parse(declared).0.map(|s| s.preprocess.map(|b| b.total())),
            Ok(Some(0.0))
        );
    }

    #[test]
    fn a_restart_counts_from_the_restart_and_gone_pods_are_forgotten() {
        let mut tracker = ChainTracker::new(std::time::Duration::from_secs(60));
        tracker.round(t(0), &[round("t1", &page(100, &ALL))], &[]);
        // The counters went down: the server restarted, and its 10 requests are the window.
        let f = tracker.round(t(10), &[round("t1", &page(10, &ALL))], &[]);
        assert!(
            f[0].1.predict.p50_ms.is_some() && !f[0].1.cumulative,
            "{f:?}"
        );
        assert_eq!(tracker.services(), [ObjectKey::new("ml", "img")]);
        assert!(tracker.round(t(20), &[], &[]).is_empty());
        assert!(tracker.services().is_empty());
    }

    #[test]
    fn old_scrapes_leave_the_window() {
        let mut tracker = ChainTracker::new(std::time::Duration::from_secs(60));
        tracker.round(t(0), &[round("t1", &page(100, &ALL))], &[]);
        // 100 requests in the first minute, none after: a window with nothing in it.
        tracker.round(t(30), &[round("t1", &page(200, &ALL))], &[]);
        tracker.round(t(90), &[round("t1", &page(200, &ALL))], &[]);
        let f = tracker.round(t(100), &[round("t1", &page(200, &ALL))], &[]);
        assert_eq!(f[0].1.predict.p50_ms, None, "{f:?}");
    }

    #[test]
    fn the_model_servers_own_page_gives_every_stage() {
        let text = include_str!("../../../tests/fixtures/metrics/kserve-model-server.txt");
        let (reading, problems) = parse(text);
        assert!(problems.is_empty(), "{problems:?}");
        let mut tracker = ChainTracker::new(std::time::Duration::from_secs(60));
        let pod = ChainPodRound {
            stages: reading.ok(),
            ..round("t1", "")
        };
        let f = tracker.round(t(0), &[pod], &predictor(10.0))[0].1;
        // 1,252 requests: the 626th preprocess is in (10, 25] ms, 316 of its 670 in.
        let close = |v: Option<f64>, want: f64| v.is_some_and(|v| (v - want).abs() < 0.01);
        assert!(
            close(f.preprocess.p50_ms, 10.0 + 15.0 * 316.0 / 670.0),
            "{f:?}"
        );
        assert!(
            close(f.predict.p50_ms, 10.0 + 15.0 * 138.0 / 413.0),
            "{f:?}"
        );
        assert!(close(f.postprocess.p50_ms, 2.5), "{f:?}");
        assert!(close(f.hop_p50_ms, 15.0 * 138.0 / 413.0), "{f:?}");
    }
}
