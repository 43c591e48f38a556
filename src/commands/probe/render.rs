//! What `kdeck probe` prints: the table, the JSON (with the latency split when a
//! predictor was given) and the exit code for scripts.

use crate::domain::latency::chain::ChainSplit;
use crate::domain::probe::{Protocol, Summary};
use crate::sources::probe::chain::ChainError;

/// The JSON output: the summary, plus `chain` (the split, or `null` with `chain_error`)
/// when a predictor was given.
pub(super) fn json(
    summary: &Summary,
    split: Option<&Result<ChainSplit, ChainError>>,
) -> Result<String, serde_json::Error> {
    let mut value = serde_json::to_value(summary)?;
    if let (Some(split), Some(object)) = (split, value.as_object_mut()) {
        let (chain, error) = match split {
            Ok(s) => (serde_json::to_value(s)?, serde_json::Value::Null),
            Err(e) => (serde_json::Value::Null, e.to_string().into()),
        };
        object.insert("chain".into(), chain);
        object.insert("chain_error".into(), error);
    }
    serde_json::to_string_pretty(&value)
}

/// The latency split's lines under the table: mean milliseconds per request.
pub fn chain_table(s: &ChainSplit) -> String {
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    format!(
        "chain (mean ms over {:.0} requests, from the servers' metrics)\n\
         {:>12} {:>12} {:>12} {:>12} {:>12}\n\
         {:>12} {:>12} {:>12} {:>12} {:>12}\n",
        s.requests,
        "preprocess",
        "hop",
        "predictor",
        "postprocess",
        "transformer",
        ms(Some(s.preprocess_ms)),
        ms(s.hop_ms),
        ms(s.predictor_predict_ms),
        ms(Some(s.postprocess_ms)),
        ms(Some(
            s.preprocess_ms + s.transformer_predict_ms + s.postprocess_ms
        )),
    )
}

/// 0 all requests succeeded, 1 some failed, 2 the probe could not start.
pub fn exit_code(s: &Summary) -> u8 {
    if s.setup_error.is_some() {
        2
    } else if s.failed > 0 {
        1
    } else {
        0
    }
}

/// The table output.
pub fn table(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} model {} ({})",
        s.target,
        s.model,
        s.protocol.name()
    );
    for c in &s.checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(
            out,
            "  {mark} {:<15} {:>8.1} ms  {}",
            c.name, c.ms, c.detail
        );
    }
    if s.setup_error.is_some() {
        return out;
    }
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "requests {}  ok {}  failed {}  concurrency {}  {:.2}s  {:.1} req/s",
        s.requests, s.ok, s.failed, s.concurrency, s.elapsed_s, s.rps
    );
    let _ = writeln!(
        out,
        "{:>10} {:>10} {:>10} {:>10} {:>10}",
        "p50 ms", "p90 ms", "p99 ms", "max ms", "min ms"
    );
    let _ = writeln!(
        out,
        "{:>10} {:>10} {:>10} {:>10} {:>10}",
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p99_ms),
        ms(s.max_ms),
        ms(s.min_ms)
    );
    let f = &s.stream;
    if f.ttft_p50_ms.is_some() {
        let _ = writeln!(
            out,
            "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            "TTFT p50", "TTFT p99", "ITL p50", "ITL p99", "tok/s", "tokens"
        );
        let rate = f
            .output_tokens_per_s
            .map(|v| format!("{v:.1}"))
            .unwrap_or_else(|| "-".into());
        let _ = writeln!(
            out,
            "{:>10} {:>10} {:>10} {:>10} {:>10} {:>10}",
            ms(f.ttft_p50_ms),
            ms(f.ttft_p99_ms),
            ms(f.itl_p50_ms),
            ms(f.itl_p99_ms),
            rate,
            f.output_tokens_total
        );
    } else if s.protocol == Protocol::Openai && s.ok > 0 {
        let _ = writeln!(out, "output tokens {}", f.output_tokens_total);
    }
    for (kind, n) in &s.errors {
        let example = s.error_examples.get(kind).map(String::as_str).unwrap_or("");
        let _ = writeln!(out, "  error {kind:<16} {n:>6}  e.g. {example}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::probe::ProbeReport;
    use std::time::Duration;

    #[test]
    fn exit_codes_follow_the_outcome() {
        let ok = ProbeReport {
            latencies: vec![Duration::from_millis(3)],
            elapsed: Duration::from_millis(3),
            ..ProbeReport::default()
        };
        let s = ok.summary(Protocol::V2, "http://x", "m", 1);
        assert_eq!(exit_code(&s), 0);
        assert!(table(&s).contains("p50 ms"));
        let down = ProbeReport {
            setup_error: Some("connection refused".into()),
            ..ProbeReport::default()
        };
        assert_eq!(
            exit_code(&down.summary(Protocol::V2, "http://x", "m", 1)),
            2
        );
        let mut some = ok.clone();
        some.errors.push(crate::domain::probe::ProbeError::new(
            crate::domain::probe::ErrorKind::Timeout,
            "t",
        ));
        let s = some.summary(Protocol::V2, "http://x", "m", 1);
        assert_eq!(exit_code(&s), 1);
        assert!(table(&s).contains("timeout"));
    }

    #[test]
    fn the_chain_table_shows_each_part_and_the_whole() {
        let split = ChainSplit {
            requests: 20.0,
            preprocess_ms: 15.0,
            transformer_predict_ms: 46.0,
            predictor_predict_ms: Some(40.0),
            hop_ms: Some(6.0),
            postprocess_ms: 8.0,
        };
        let text = chain_table(&split);
        assert!(text.contains("20 requests"), "{text}");
        for figure in ["15.00", "6.00", "40.00", "8.00", "69.00"] {
            assert!(text.contains(figure), "{figure}: {text}");
        }
        let alone = chain_table(&ChainSplit {
            predictor_predict_ms: None,
            hop_ms: None,
            ..split
        });
        assert!(alone.contains(" - "), "{alone}");
    }

    #[test]
    fn the_table_shows_stream_figures() {
        use crate::domain::probe::timing::StreamTiming;
        let report = ProbeReport {
            latencies: vec![Duration::from_millis(165)],
            streams: vec![StreamTiming {
                token_times: [80, 100, 120].map(Duration::from_millis).to_vec(),
                end: Duration::from_millis(165),
                usage_tokens: None,
            }],
            elapsed: Duration::from_millis(165),
            ..ProbeReport::default()
        };
        let s = report.summary(Protocol::Openai, "http://x", "llm", 1);
        let text = table(&s);
        assert!(text.contains("TTFT p50"), "{text}");
        assert!(text.contains("80.00") && text.contains("20.00"), "{text}");
        assert!(text.contains("50.0"), "{text}");
    }
}
