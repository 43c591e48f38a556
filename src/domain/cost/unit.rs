//! Cost per unit of work: per job of a given duration, and per 1,000 requests at a measured
//! rate. The source post's lesson: a faster, pricier instance can be cheaper per unit of
//! work, so the console shows $ per 1k requests next to $/hour, and for LLM services $ per
//! million generated tokens.

use std::time::Duration;

/// $ for running `duration` at `usd_per_hour`.
pub fn cost_per_job(usd_per_hour: f64, duration: Duration) -> f64 {
    usd_per_hour * duration.as_secs_f64() / 3600.0
}

/// $ per 1,000 requests: $/h ÷ (req/s × 3600) × 1000. `None` unless the rate is known and
/// above zero.
pub fn cost_per_1k_requests(usd_per_hour: f64, requests_per_second: Option<f64>) -> Option<f64> {
    let rate = requests_per_second.filter(|r| r.is_finite() && *r > 0.0)?;
    Some(usd_per_hour / (rate * 3600.0) * 1000.0)
}

/// $ per million generated tokens: $/h ÷ (tokens/s × 3600) × 1,000,000 (an LLM service's
/// unit of work). `None` unless the rate is known and above zero.
pub fn cost_per_million_tokens(usd_per_hour: f64, tokens_per_second: Option<f64>) -> Option<f64> {
    let rate = tokens_per_second.filter(|r| r.is_finite() && *r > 0.0)?;
    Some(usd_per_hour / (rate * 3600.0) * 1_000_000.0)
}

/// How much cheaper `new` is than `old`, as a fraction of `old` (negative: dearer).
pub fn saving(old: f64, new: f64) -> Option<f64> {
    (old > 0.0).then(|| (old - new) / old)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn per_1k_requests() {
        // $3.60/h at 1 req/s is $0.001 per request, $1 per 1,000.
        let c = cost_per_1k_requests(3.6, Some(1.0)).expect("a rate");
        assert!((c - 1.0).abs() < 1e-12);
        assert_eq!(cost_per_1k_requests(3.6, Some(0.0)), None);
        assert_eq!(cost_per_1k_requests(3.6, None), None);
        assert_eq!(cost_per_1k_requests(3.6, Some(f64::NAN)), None);
    }

    #[test]
    fn per_million_tokens() {
        // $36/h at 1,000 tokens/s: 3.6 M tokens an hour, $10 per million.
        let c = cost_per_million_tokens(36.0, Some(1000.0)).expect("a rate");
        assert!((c - 10.0).abs() < 1e-9, "{c}");
        assert_eq!(cost_per_million_tokens(36.0, Some(0.0)), None);
        assert_eq!(cost_per_million_tokens(36.0, None), None);
        assert_eq!(cost_per_million_tokens(36.0, Some(f64::INFINITY)), None);
    }
}
