//! What a probe measured: the health checks, every request's latency or error, and the
//! summary (p50/p90/p99/max in ms, throughput, errors by kind, and for streamed generations
//! the figures of `timing`) printed as a table or JSON.

use super::timing::{StreamFigures, StreamTiming, figures};
use super::{ErrorKind, ProbeError, Protocol, inert};
use std::collections::BTreeMap;
use std::time::Duration;

/// One health or metadata check before the timed requests.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Check {
    pub name: String,
    pub ok: bool,
    pub detail: String,
    pub ms: f64,
}

/// Everything a probe saw.
#[derive(Debug, Clone, Default)]
pub struct ProbeReport {
    pub checks: Vec<Check>,
    /// Latencies of the successful timed requests.
    pub latencies: Vec<Duration>,
    pub errors: Vec<ProbeError>,
    /// Wall time of the timed requests, all together.
    pub elapsed: Duration,
    /// Why the timed requests could not start (server down, unknown model …), if so.
    pub setup_error: Option<String>,
    /// The token timing of the successful OpenAI requests (empty for other protocols).
    pub streams: Vec<StreamTiming>,
}

/// The figures of a probe, as printed.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Summary {
    pub protocol: Protocol,
    pub target: String,
    pub model: String,
    pub requests: usize,
    pub concurrency: usize,
    pub ok: usize,
    pub failed: usize,
    pub p50_ms: Option<f64>,
    pub p90_ms: Option<f64>,
    pub p99_ms: Option<f64>,
    pub max_ms: Option<f64>,
    pub min_ms: Option<f64>,
    pub mean_ms: Option<f64>,
    /// Successful requests per second of wall time.
    pub rps: f64,
    pub elapsed_s: f64,
    /// Failed requests by kind (`timeout`, `http_5xx`, `connect_refused` …).
    pub errors: BTreeMap<String, usize>,
    /// The first message of each kind, for the user.
    pub error_examples: BTreeMap<String, String>,
    /// HTTP status codes of failed requests, when there were any.
    pub http_statuses: BTreeMap<u16, usize>,
    pub checks: Vec<Check>,
    pub setup_error: Option<String>,
    /// Time to first token, inter-token latency and decode rate (OpenAI probes; `null`
    /// for the others).
    #[serde(flatten)]
    pub stream: StreamFigures,
}

/// The `q`-quantile of sorted samples, interpolating linearly between neighbours.
pub fn quantile(sorted_ms: &[f64], q: f64) -> Option<f64> {
    let last = sorted_ms.len().checked_sub(1)?;
    let pos = q.clamp(0.0, 1.0) * last as f64;
    let lo = pos.floor() as usize;
    let hi = pos.ceil() as usize;
    let frac = pos - lo as f64;
    Some(sorted_ms[lo] + (sorted_ms[hi] - sorted_ms[lo]) * frac)
}

impl ProbeReport {
    pub fn summary(
        &self,
        protocol: Protocol,
        target: &str,
        model: &str,
        concurrency: usize,
    ) -> Summary {
        let mut ms: Vec<f64> = self
            .latencies
            .iter()
            .map(|d| d.as_secs_f64() * 1000.0)
            .collect();
        ms.sort_by(|a, b| a.total_cmp(b));
        let mut errors = BTreeMap::new();
        let mut error_examples = BTreeMap::new();
        let mut http_statuses = BTreeMap::new();
        for e in &self.errors {
            *errors.entry(e.kind.key()).or_insert(0) += 1;
            error_examples
                .entry(e.kind.key())
                .or_insert_with(|| inert(&e.message));
            if let ErrorKind::Http4xx(code) | ErrorKind::Http5xx(code) = e.kind {
                *http_statuses.entry(code).or_insert(0) += 1;
            }
        }
        let secs = self.elapsed.as_secs_f64();
        Summary {
            protocol,
            target: target.to_string(),
            model: model.to_string(),
            requests: ms.len() + self.errors.len(),
            concurrency,
            ok: ms.len(),
            failed: self.errors.len(),
            p50_ms: quantile(&ms, 0.5),
            p90_ms: quantile(&ms, 0.9),
            p99_ms: quantile(&ms, 0.99),
            max_ms: ms.last().copied(),
            min_ms: ms.first().copied(),
            mean_ms: (!ms.is_empty()).then(|| ms.iter().sum::<f64>() / ms.len() as f64),
            rps: if secs > 0.0 {
                ms.len() as f64 / secs
            } else {
                0.0
            },
            elapsed_s: secs,
            errors,
            error_examples,
            http_statuses,
            // Messages carry the server's text: made inert here, for console and headless alike.
            checks: self
                .checks
                .iter()
                .map(|c| Check {
                    detail: inert(&c.detail),
                    ..c.clone()
                })
                .collect(),
            setup_error: self.setup_error.as_deref().map(inert),
            stream: figures(&self.streams),
        }
    }
}

impl Summary {
    /// One line for the console's status bar.
    pub fn one_line(&self) -> String {
        if let Some(e) = &self.setup_error {
            return format!("probe {} ({}): {e}", self.model, self.protocol.name());
        }
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into());
        if let Some(line) = self.stream_line() {
            return line;
        }
        let mut line = format!(
            "probe {} ({}): {}/{} ok, p50 {} ms, p99 {} ms, max {} ms, {:.1} req/s",
            self.model,
            self.protocol.name(),
            self.ok,
            self.requests,
            ms(self.p50_ms),
            ms(self.p99_ms),
            ms(self.max_ms),
            self.rps
        );
        line.push_str(&self.errors_suffix());
        line
    }

    /// `; errors: KIND N, …`, or nothing without errors.
    fn errors_suffix(&self) -> String {
        if self.errors.is_empty() {
            return String::new();
        }
        let kinds: Vec<String> = self
            .errors
            .iter()
            .map(|(k, n)| format!("{k} {n}"))
            .collect();
        format!("; errors: {}", kinds.join(", "))
    }

    /// The result in a few words, for a notice that says several probes at once:
    /// `18/20 ok, p50 7.0 ms, p99 30.1 ms; errors: HTTP 500 2` (token figures for a stream,
    /// the error alone when the probe could not start).
    pub fn brief(&self) -> String {
        if let Some(e) = &self.setup_error {
            return e.clone();
        }
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.1}")).unwrap_or_else(|| "—".into());
        let mut line = match self.stream.ttft_p50_ms {
            Some(ttft) => format!(
                "{}/{} ok, TTFT p50 {ttft:.0} ms, ITL p50 {} ms, {} tok/s",
                self.ok,
                self.requests,
                ms(self.stream.itl_p50_ms),
                ms(self.stream.output_tokens_per_s),
            ),
            None => format!(
                "{}/{} ok, p50 {} ms, p99 {} ms",
                self.ok,
                self.requests,
                ms(self.p50_ms),
                ms(self.p99_ms)
            ),
        };
        line.push_str(&self.errors_suffix());
        line
    }

    /// A streamed probe's line, its token figures first (TTFT p50/p99, ITL p50, tokens/s,
    /// then end-to-end latency), so a narrow status bar keeps what matters for an LLM; `None`
    /// when no token was timed.
    fn stream_line(&self) -> Option<String> {
        let ttft = self.stream.ttft_p50_ms?;
        let ms = |v: Option<f64>| v.map(|v| format!("{v:.0}")).unwrap_or_else(|| "—".into());
        let mut line = format!(
            "probe {} ({}): {}/{} ok, TTFT p50 {ttft:.0} ms p99 {} ms, ITL p50 {} ms, {} tok/s, e2e p50 {} ms p99 {} ms",
            self.model,
            self.protocol.name(),
            self.ok,
            self.requests,
            ms(self.stream.ttft_p99_ms),
            self.stream
                .itl_p50_ms
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "—".into()),
            self.stream
                .output_tokens_per_s
                .map(|v| format!("{v:.1}"))
                .unwrap_or_else(|| "—".into()),
            ms(self.p50_ms),
            ms(self.p99_ms),
        );
        line.push_str(&self.errors_suffix());
        Some(line)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_of_samples_interpolate() {
        let v: Vec<f64> = (1..=101).map(f64::from).collect();
        assert_eq!(quantile(&v, 0.5), Some(51.0));
        assert_eq!(quantile(&v, 0.99), Some(100.0));
        assert_eq!(quantile(&[3.0], 0.9), Some(3.0));
        assert_eq!(quantile(&[], 0.5), None);
        assert_eq!(quantile(&[1.0, 2.0], 0.5), Some(1.5));
    }

    #[test]
    fn summary_counts_errors_by_kind() {
        let report = ProbeReport {
            latencies: vec![Duration::from_millis(10), Duration::from_millis(30)],
            errors: vec![
                ProbeError::new(ErrorKind::Http5xx(503), "HTTP 503"),
                ProbeError::new(ErrorKind::Http5xx(500), "HTTP 500"),
                ProbeError::new(ErrorKind::Timeout, "timed out"),
            ],
            elapsed: Duration::from_secs(1),
            ..ProbeReport::default()
        };
        let s = report.summary(Protocol::V2, "http://x", "m", 2);
        assert_eq!((s.requests, s.ok, s.failed), (5, 2, 3));
        assert_eq!(s.errors["http_5xx"], 2);
        assert_eq!(s.errors["timeout"], 1);
        assert_eq!(s.http_statuses[&503], 1);
        assert_eq!(s.error_examples["http_5xx"], "HTTP 503");
        assert_eq!(s.p50_ms, Some(20.0));
        assert_eq!(s.max_ms, Some(30.0));
        assert_eq!(s.rps, 2.0);
        let json = serde_json::to_value(&s).unwrap();
        for k in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "rps", "errors"] {
            assert!(json.get(k).is_some(), "{k}");
        }
        assert!(s.one_line().contains("http_5xx 2"), "{}", s.one_line());
    }

    #[test]
    fn a_streamed_probe_leads_with_its_token_figures() {
        let report = ProbeReport {
            latencies: vec![Duration::from_millis(1500)],
            streams: vec![crate::domain::probe::timing::StreamTiming {
                token_times: vec![Duration::from_millis(900), Duration::from_millis(950)],
                end: Duration::from_millis(1500),
                usage_tokens: Some(2),
            }],
            elapsed: Duration::from_secs(2),
            ..ProbeReport::default()
        };
        let line = report.summary(Protocol::Openai, "/x", "m", 1).one_line();
        assert!(
            line.starts_with(
                "probe m (openai): 1/1 ok, TTFT p50 900 ms p99 900 ms, ITL p50 50.0 ms"
            ),
            "{line}"
        );
        assert!(
            line.contains("tok/s") && line.contains("e2e p50 1500 ms"),
            "{line}"
        );
    }
}
