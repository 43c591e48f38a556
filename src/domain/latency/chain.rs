//! The latency split of a transformer → predictor chain from the KServe model servers' own
//! histograms (kserve/metrics.py: `request_preprocess_seconds`, `request_predict_seconds`,
//! `request_postprocess_seconds`, label `model_name`). A transformer's predict time is its
//! call to the predictor, so the hop (network, queue-proxy, (de)serialisation) is the
//! transformer's predict time minus the predictor's own predict time. Means come from the
//! histograms' `_sum`/`_count` between two scrapes, so they cover exactly the requests in
//! between and are exact (bucket edges would blur a few milliseconds). Pure: no I/O.

use crate::domain::prom::Exposition;

/// The `_sum` (seconds) and `_count` of one stage's histogram, summed over the model(s).
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTotal {
    pub sum_s: f64,
    pub count: f64,
}

impl StageTotal {
    /// Mean milliseconds per request between `before` and `self`; `None` without requests
    /// (or when the counters went back: the server restarted in between).
    fn mean_ms_since(&self, before: &StageTotal) -> Option<f64> {
        let n = self.count - before.count;
        let sum = self.sum_s - before.sum_s;
        (n >= 1.0 && sum >= 0.0).then(|| sum * 1000.0 / n)
    }
}

/// One model server's stage totals at one scrape.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct StageTotals {
    pub preprocess: StageTotal,
    pub predict: StageTotal,
    pub postprocess: StageTotal,
}

impl StageTotals {
    /// Reads the three histograms of `model` (every model when `None`) from a `/metrics`
    /// text.
    pub fn read(metrics: &str, model: Option<&str>) -> StageTotals {
        let exposition = Exposition::parse(metrics);
        let total = |name: &str| {
            exposition
                .histograms(name)
                .iter()
                .filter(|h| model.is_none_or(|m| h.label("model_name") == Some(m)))
                .fold(StageTotal::default(), |acc, h| StageTotal {
                    sum_s: acc.sum_s + h.sum.unwrap_or(0.0),
                    count: acc.count + h.count.unwrap_or(0.0),
                })
        };
        StageTotals {
            preprocess: total("request_preprocess_seconds"),
            predict: total("request_predict_seconds"),
            postprocess: total("request_postprocess_seconds"),
        }
    }
}

/// Mean milliseconds per request in each part of the chain.
#[derive(Debug, Clone, Copy, PartialEq, serde::Serialize)]
pub struct ChainSplit {
    /// Requests the transformer predicted between the two scrapes.
    pub requests: f64,
    pub preprocess_ms: f64,
    /// The transformer's predict: the hop plus the predictor's predict.
    pub transformer_predict_ms: f64,
    /// The predictor's own predict time (`None` when the predictor's metrics were not read
    /// or saw no request).
    pub predictor_predict_ms: Option<f64>,
    /// Transformer → predictor and back, outside the predictor's predict.
    pub hop_ms: Option<f64>,
    pub postprocess_ms: f64,
}

/// Scrapes of a transformer and of its predictor before and after some traffic.
#[derive(Debug, Clone, Copy, Default, PartialEq)]
pub struct ChainScrapes {
    pub transformer_before: StageTotals,
    pub transformer_after: StageTotals,
    pub predictor_before: Option<StageTotals>,
    pub predictor_after: Option<StageTotals>,
}

impl ChainScrapes {
    /// The split over the requests between the scrapes; `None` when the transformer
    /// predicted nothing in between.
    pub fn split(&self) -> Option<ChainSplit> {
        let (b, a) = (&self.transformer_before, &self.transformer_after);
        let transformer_predict_ms = a.predict.mean_ms_since(&b.predict)?;
        let predictor_predict_ms = match (&self.predictor_before, &self.predictor_after) {
            (Some(pb), Some(pa)) => pa.predict.mean_ms_since(&pb.predict),
            _ => None,
        };
        Some(ChainSplit {
            requests: a.predict.count - b.predict.count,
            preprocess_ms: a.preprocess.mean_ms_since(&b.preprocess).unwrap_or(0.0),
            transformer_predict_ms,
            predictor_predict_ms,
            hop_ms: predictor_predict_ms.map(|p| (transformer_predict_ms - p).max(0.0)),
            postprocess_ms: a.postprocess.mean_ms_since(&b.postprocess).unwrap_or(0.0),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A model server's `/metrics` with the three histograms of `model` (one bucket each).
    fn metrics(model: &str, n: u32, pre_s: f64, predict_s: f64, post_s: f64) -> String {
        let mut out = String::new();
        for (name, sum) in [
            ("request_preprocess_seconds", pre_s),
            ("request_predict_seconds", predict_s),
            ("request_postprocess_seconds", post_s),
        ] {
            out.push_str(&format!(
                "# TYPE {name} histogram\n\
                 {name}_bucket{{le=\"+Inf\",model_name=\"{model}\"}} {n}.0\n\
                 {name}_count{{model_name=\"{model}\"}} {n}.0\n\
                 {name}_sum{{model_name=\"{model}\"}} {sum}\n"
            ));
        }
        out
    }

    #[test]
    fn the_split_covers_only_the_requests_between_the_scrapes() {
        // 10 earlier requests were slow; the 20 since took 15 ms pre, 52 ms predict (of
        // which the predictor's own 40 ms), 8 ms post.
        let scrapes = ChainScrapes {
            transformer_before: StageTotals::read(&metrics("m", 10, 1.0, 5.0, 1.0), None),
            transformer_after: StageTotals::read(
                &metrics("m", 30, 1.0 + 0.3, 5.0 + 1.04, 1.0 + 0.16),
                Some("m"),
            ),
            predictor_before: Some(StageTotals::read(&metrics("m", 10, 0.0, 4.0, 0.0), None)),
            predictor_after: Some(StageTotals::read(&metrics("m", 30, 0.0, 4.8, 0.0), None)),
        };
        let s = scrapes.split().unwrap();
        assert_eq!(s.requests, 20.0);
        assert!((s.preprocess_ms - 15.0).abs() < 1e-6, "{s:?}");
        assert!((s.transformer_predict_ms - 52.0).abs() < 1e-6, "{s:?}");
        assert!(
            (s.predictor_predict_ms.unwrap() - 40.0).abs() < 1e-6,
            "{s:?}"
        );
        assert!((s.hop_ms.unwrap() - 12.0).abs() < 1e-6, "{s:?}");
        assert!((s.postprocess_ms - 8.0).abs() < 1e-6, "{s:?}");
    }

    #[test]
    fn no_traffic_or_no_predictor_leaves_gaps_not_zeros() {
        let same = StageTotals::read(&metrics("m", 5, 0.1, 0.2, 0.1), None);
        let idle = ChainScrapes {
            transformer_before: same,
            transformer_after: same,
            ..ChainScrapes::default()
        };
        assert_eq!(idle.split(), None);
        let alone = ChainScrapes {
            transformer_before: StageTotals::default(),
            transformer_after: same,
            ..ChainScrapes::default()
        };
        let s = alone.split().unwrap();
        assert_eq!((s.predictor_predict_ms, s.hop_ms), (None, None));
        // Another model's series are not this model's.
        assert_eq!(
            StageTotals::read(&metrics("other", 5, 0.1, 0.2, 0.1), Some("m")),
            StageTotals::default()
        );
    }
}
