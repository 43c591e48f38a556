//! How figures read as words, on screen and in incident notes: latencies, rates and
//! percentages.

/// `0.8ms`, `123ms`, `1.24s`.
pub fn millis(ms: f64) -> String {
    if !ms.is_finite() {
        "–".to_string()
    } else if ms < 10.0 {
        format!("{ms:.1}ms")
    } else if ms < 1000.0 {
        format!("{ms:.0}ms")
    } else {
        format!("{:.2}s", ms / 1000.0)
    }
}

/// Requests per second: `0.25`, `12.3`, `1234`.
pub fn rate(rps: f64) -> String {
    if rps < 10.0 {
        format!("{rps:.2}")
    } else if rps < 100.0 {
        format!("{rps:.1}")
    } else {
        format!("{rps:.0}")
    }
}

/// A percentage without decimals, or with one below 10.
pub fn percent(pct: f64) -> String {
    if pct < 10.0 && pct.fract() != 0.0 {
        format!("{pct:.1}%")
    } else {
        format!("{pct:.0}%")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn figures_read_well() {
        assert_eq!(millis(0.84), "0.8ms");
        assert_eq!(millis(123.4), "123ms");
        assert_eq!(millis(1240.0), "1.24s");
        assert_eq!(millis(f64::NAN), "–");
        assert_eq!(rate(0.25), "0.25");
        assert_eq!(rate(12.34), "12.3");
        assert_eq!(rate(123.4), "123");
        assert_eq!(percent(45.0), "45%");
        assert_eq!(percent(2.5), "2.5%");
    }
}
