//! Request latency and errors of a model revision: a log-normal distribution set by its
//! median and p99, and an error ratio. Histogram buckets are filled with the expected share
//! of requests (deterministic), so percentiles computed from the scraped histograms come out
//! where the profile says.

/// How a revision behaves.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Profile {
    pub median_ms: f64,
    pub p99_ms: f64,
    pub error_ratio: f64,
}

impl Profile {
    pub const HEALTHY: Profile = Profile {
        median_ms: 22.0,
        p99_ms: 85.0,
        error_ratio: 0.001,
    };
    /// The demo's bad canary: slow tail and 5xx errors.
    pub const BAD: Profile = Profile {
        median_ms: 140.0,
        p99_ms: 1400.0,
        error_ratio: 0.08,
    };

    fn sigma(&self) -> f64 {
        ((self.p99_ms / self.median_ms).max(1.0001)).ln() / 2.326_347_874
    }

    /// The share of requests that take at most `ms`.
    pub fn cdf(&self, ms: f64) -> f64 {
        if ms <= 0.0 {
            return 0.0;
        }
        let z = (ms.ln() - self.median_ms.ln()) / self.sigma();
        0.5 * (1.0 + erf(z / std::f64::consts::SQRT_2))
    }

    /// The mean latency in milliseconds.
    pub fn mean_ms(&self) -> f64 {
        self.median_ms * (self.sigma().powi(2) / 2.0).exp()
    }
}

/// The error function (Abramowitz and Stegun 7.1.26, error below 1.5e-7).
pub fn erf(x: f64) -> f64 {
    let sign = if x < 0.0 { -1.0 } else { 1.0 };
    let x = x.abs();
    let t = 1.0 / (1.0 + 0.327_591_1 * x);
    let y = 1.0
        - (((((1.061_405_429 * t - 1.453_152_027) * t) + 1.421_413_741) * t - 0.284_496_736) * t
            + 0.254_829_592)
            * t
            * (-x * x).exp();
    sign * y
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn percentiles_land_where_the_profile_says() {
        let p = Profile::BAD;
        assert!((p.cdf(p.median_ms) - 0.5).abs() < 1e-6);
        assert!((p.cdf(p.p99_ms) - 0.99).abs() < 1e-4);
        assert!(p.mean_ms() > p.median_ms);
        assert!((erf(0.5) - 0.520_499_877_8).abs() < 1e-6);
    }
}
