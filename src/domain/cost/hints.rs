//! Scaling hints from a service's recent GPU utilisation, replicas and p99 latency:
//! over-scaled (utilisation under 20% for 10 minutes while replicas > minReplicas) and
//! under-scaled (utilisation over 90% with a rising p99). Pure: the app fills the inputs from
//! its state. Newer-family hints are in `upgrade`.

use chrono::{DateTime, Duration, Utc};

/// What a hint is about.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HintKind {
    OverScaled,
    UnderScaled,
    CheaperFamily,
}

/// A suggestion for the user, with what its estimate assumes.
#[derive(Debug, Clone, PartialEq)]
pub struct Hint {
    pub kind: HintKind,
    pub message: String,
    pub assumptions: Option<String>,
}

/// A service's recent history.
#[derive(Debug, Clone, PartialEq)]
pub struct ScalingInput {
    pub now: DateTime<Utc>,
    /// Mean GPU utilisation of the service's GPUs, % (oldest first or any order).
    pub gpu_util: Vec<(DateTime<Utc>, f64)>,
    /// p99 request latency, seconds.
    pub p99_seconds: Vec<(DateTime<Utc>, f64)>,
    pub replicas: u32,
    pub min_replicas: u32,
    pub max_replicas: Option<u32>,
    /// The service's $/hour when known, to say what an idle replica costs.
    pub usd_per_hour: Option<f64>,
}

/// Where the hints start.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HintThresholds {
    pub over_util_pct: f64,
    pub over_window: Duration,
    pub under_util_pct: f64,
    pub under_window: Duration,
    /// How much p99 must rise over the window to count as rising (0.10 = 10%).
    pub p99_rise: f64,
}

impl Default for HintThresholds {
    fn default() -> Self {
        HintThresholds {
            over_util_pct: 20.0,
            over_window: Duration::minutes(10),
            under_util_pct: 90.0,
            under_window: Duration::minutes(5),
            p99_rise: 0.10,
        }
    }
}

/// The scaling hints that apply now (none when the data does not cover the window).
pub fn scaling_hints(input: &ScalingInput, t: &HintThresholds) -> Vec<Hint> {
    let mut hints = Vec::new();
    if let Some(hint) = over_scaled(input, t) {
        hints.push(hint);
    }
    if let Some(hint) = under_scaled(input, t) {
        hints.push(hint);
    }
    hints
}

fn over_scaled(input: &ScalingInput, t: &HintThresholds) -> Option<Hint> {
    if input.replicas <= input.min_replicas {
        return None;
    }
    let window = covering(&input.gpu_util, input.now, t.over_window)?;
    if window.iter().any(|(_, u)| *u >= t.over_util_pct) {
        return None;
    }
    let mean = window.iter().map(|(_, u)| u).sum::<f64>() / window.len() as f64;
    let per_replica = input
        .usd_per_hour
        .map(|usd| {
            format!(
                "; each replica costs about ${:.2}/h (list-price estimate)",
                usd / f64::from(input.replicas)
            )
        })
        .unwrap_or_default();
    Some(Hint {
        kind: HintKind::OverScaled,
        message: format!(
            "Over-scaled: GPU utilisation stayed under {:.0}% (mean {mean:.0}%) for the last {} \
             min with {} replicas (minReplicas {}). Lower minReplicas, or check why the \
             autoscaler keeps them{per_replica}.",
            t.over_util_pct,
            t.over_window.num_minutes(),
            input.replicas,
            input.min_replicas
        ),
        assumptions: None,
    })
}

fn under_scaled(input: &ScalingInput, t: &HintThresholds) -> Option<Hint> {
    let util = covering(&input.gpu_util, input.now, t.under_window)?;
    let mean = util.iter().map(|(_, u)| u).sum::<f64>() / util.len() as f64;
    if mean <= t.under_util_pct {
        return None;
    }
    let p99 = covering(&input.p99_seconds, input.now, t.under_window)?;
    let (start, end) = fitted_ends(&p99)?;
    if start <= 0.0 || (end - start) / start < t.p99_rise {
        return None;
    }
    let advice = match input.max_replicas {
        Some(max) if input.replicas >= max => {
            format!("It is at maxReplicas ({max}): raise maxReplicas or add GPU nodes.")
        }
        Some(max) => format!(
            "It runs {} of at most {max} replicas: check the autoscaler's target \
             (scaleMetric/scaleTarget) reacts to this load.",
            input.replicas
        ),
        None => format!(
            "It runs {} replicas: allow more (maxReplicas) or add GPU nodes.",
            input.replicas
        ),
    };
    Some(Hint {
        kind: HintKind::UnderScaled,
        message: format!(
            "Under-scaled: GPU utilisation averaged {mean:.0}% over the last {} min while p99 \
             rose {:.0}% ({:.0} ms → {:.0} ms). {advice}",
            t.under_window.num_minutes(),
            (end - start) / start * 100.0,
            start * 1000.0,
            end * 1000.0
        ),
        assumptions: None,
    })
}

/// The samples within `window` before `now`, if they cover (nearly) all of it: the first one
/// must be no later than a tenth of the window after its start.
fn covering(
    series: &[(DateTime<Utc>, f64)],
    now: DateTime<Utc>,
    window: Duration,
) -> Option<Vec<(DateTime<Utc>, f64)>> {
    let start = now - window;
    let mut inside: Vec<(DateTime<Utc>, f64)> = series
        .iter()
        .copied()
        .filter(|(at, v)| *at >= start && *at <= now && v.is_finite())
        .collect();
    inside.sort_by_key(|(at, _)| *at);
    let first = inside.first()?.0;
    let last = inside.last()?.0;
    let slack = window / 10;
    (inside.len() >= 2 && first <= start + slack && last >= now - slack).then_some(inside)
}

/// The least-squares line through the points, evaluated at the first and last time.
fn fitted_ends(points: &[(DateTime<Utc>, f64)]) -> Option<(f64, f64)> {
    let t0 = points.first()?.0;
    let xs: Vec<f64> = points
        .iter()
        .map(|(at, _)| (*at - t0).num_milliseconds() as f64 / 1000.0)
        .collect();
    let n = points.len() as f64;
    let mean_x = xs.iter().sum::<f64>() / n;
    let mean_y = points.iter().map(|(_, y)| y).sum::<f64>() / n;
    let sxx: f64 = xs.iter().map(|x| (x - mean_x).powi(2)).sum();
    if sxx <= 0.0 {
        return None;
    }
    let sxy: f64 = xs
        .iter()
        .zip(points)
        .map(|(x, (_, y))| (x - mean_x) * (y - mean_y))
        .sum();
    let slope = sxy / sxx;
    let at = |x: f64| mean_y + slope * (x - mean_x);
    Some((at(xs[0]), at(*xs.last()?)))
}
