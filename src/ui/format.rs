//! How numbers and states read on screen: latencies, rates, percentages, readiness.

use super::symbols::Symbols;
use crate::config::slot::Slot;
use crate::domain::isvc::Readiness;

// Figures read the same on screen and in incident notes: the words live in domain.
pub use crate::domain::units::{millis, percent, rate};

/// GPUs: `1`, `0.5`, or the dash when none.
pub fn gpus(n: f64, sym: &Symbols) -> String {
    if n <= 0.0 {
        sym.dash.to_string()
    } else if n.fract() == 0.0 {
        format!("{n:.0}")
    } else {
        format!("{n:.1}")
    }
}

/// The READY cell: a mark, the reason when not ready, and its style.
pub fn readiness(r: &Readiness, sym: &Symbols) -> (String, Slot) {
    let (mark, slot) = match r {
        Readiness::Ready => (sym.ok, Slot::StatusReady),
        Readiness::NotReady(_) => (sym.fail, Slot::StatusFailed),
        Readiness::Progressing(_) => (sym.pending, Slot::StatusProgressing),
        Readiness::Unknown => (sym.pending, Slot::StatusUnknown),
    };
    (format!("{mark} {}", r.word()), slot)
}

/// Colour for a p99 latency: fine under 250 ms, a warning under 1 s, bad above.
pub fn latency_slot(ms: f64) -> Slot {
    if ms < 250.0 {
        Slot::LatencyOk
    } else if ms < 1000.0 {
        Slot::LatencyWarn
    } else {
        Slot::LatencyBad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numbers_read_well() {
        assert_eq!(millis(0.84), "0.8ms");
        assert_eq!(millis(123.4), "123ms");
        assert_eq!(millis(1240.0), "1.24s");
        assert_eq!(rate(0.25), "0.25");
        assert_eq!(rate(123.4), "123");
        assert_eq!(percent(45.0), "45%");
        assert_eq!(percent(2.5), "2.5%");
        assert_eq!(gpus(0.0, &Symbols::ASCII), "-");
        assert_eq!(gpus(2.0, &Symbols::ASCII), "2");
    }
}
