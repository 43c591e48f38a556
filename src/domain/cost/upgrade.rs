//! "A newer instance family would be cheaper per request": compares the cost per unit of work
//! on the current instance with the cheapest comparable instance of a newer family, given a
//! speed-up ratio, and says what the estimate assumes.
//!
//! The one ratio shipped is the source post's measurement: the same job took 311.25 s on
//! g4dn.2xlarge (T4) and 197.31 s on g5.xlarge (A10G), a 1.58× speed-up, which made g5 about
//! 15% cheaper per job despite its higher hourly price.

use super::hints::{Hint, HintKind};
use super::table::{PriceTable, family_of};
use super::unit::{cost_per_1k_requests, saving};

/// A measured speed-up from one family to a newer one.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FamilyUpgrade {
    pub from_family: &'static str,
    pub to_family: &'static str,
    pub from_gpu: &'static str,
    pub to_gpu: &'static str,
    /// How many times faster the same work runs on `to_family`.
    pub speedup: f64,
    /// Where the ratio comes from.
    pub basis: &'static str,
}

/// The source post's g4dn → g5 measurement.
pub const SOURCE_POST_G4DN_TO_G5: FamilyUpgrade = FamilyUpgrade {
    from_family: "g4dn",
    to_family: "g5",
    from_gpu: "T4",
    to_gpu: "A10G",
    speedup: 311.25 / 197.31,
    basis: "the source post's one training job: 311.25 s on g4dn.2xlarge, 197.31 s on g5.xlarge",
};

/// The speed-ups kdeck ships.
pub const KNOWN_UPGRADES: &[FamilyUpgrade] = &[SOURCE_POST_G4DN_TO_G5];

/// A hint when a newer family is cheaper per unit of work for `instance`. The candidate is the
/// cheapest priced instance of the newer family with at least as many GPUs and as much GPU
/// memory. `requests_per_second` adds $ per 1k requests to the message when known.
pub fn cheaper_family_hint(
    instance: &str,
    table: &PriceTable,
    upgrades: &[FamilyUpgrade],
    requests_per_second: Option<f64>,
) -> Option<Hint> {
    let current = table.get(instance)?;
    let current_price = current.usd_per_hour?;
    let upgrade = upgrades
        .iter()
        .find(|u| u.from_family == family_of(instance))?;
    let candidate = table
        .iter()
        .filter(|s| family_of(&s.instance) == upgrade.to_family)
        .filter(|s| s.gpus.unwrap_or(0) >= current.gpus.unwrap_or(u32::MAX))
        .filter(|s| s.gpu_memory_gb.unwrap_or(0) >= current.gpu_memory_gb.unwrap_or(0))
        .filter_map(|s| s.usd_per_hour.map(|p| (s, p)))
        .min_by(|a, b| a.1.total_cmp(&b.1))?;
    let (candidate, candidate_price) = candidate;
    // Cost of the same work: the newer instance finishes it `speedup` times sooner.
    let effective = candidate_price / upgrade.speedup;
    let cheaper = saving(current_price, effective)?;
    if cheaper <= 0.0 {
        return None;
    }
    let per_1k = match (
        cost_per_1k_requests(current_price, requests_per_second),
        cost_per_1k_requests(effective, requests_per_second),
    ) {
        (Some(now), Some(then)) => format!(" (${now:.4} → ${then:.4} per 1k requests)"),
        _ => String::new(),
    };
    Some(Hint {
        kind: HintKind::CheaperFamily,
        message: format!(
            "A newer family would be cheaper per request: {instance} → {} is about {:.0}% \
             cheaper per unit of work{per_1k}, although it costs ${candidate_price:.3}/h \
             instead of ${current_price:.3}/h (list-price estimates).",
            candidate.instance,
            cheaper * 100.0
        ),
        assumptions: Some(format!(
            "Assumes your model runs {:.2}× faster on {} than on {}, the speed-up of {}; \
             measure your own model before switching. Host vCPUs and memory of the two sizes \
             may differ.",
            upgrade.speedup, upgrade.to_gpu, upgrade.from_gpu, upgrade.basis
        )),
    })
}
