//! Cost arithmetic (the source post's worked example), service $/hour from node shares,
//! price overrides, and the scaling and newer-family hints.

use chrono::{DateTime, Duration, TimeZone, Utc};
use kdeck::domain::cost::{
    CostEstimate, HintKind, HintThresholds, KNOWN_UPGRADES, NodeFacts, PodCost, PodUsage,
    PriceBasis, PriceTable, ScalingInput, cheaper_family_hint, cost_per_1k_requests, cost_per_job,
    saving, scaling_hints, service_cost,
};
use std::collections::HashMap;

fn table() -> PriceTable {
    let (table, warnings) = PriceTable::shipped();
    assert!(warnings.is_empty(), "{warnings:?}");
    table
}

fn close(a: f64, b: f64, tolerance: f64) -> bool {
    (a - b).abs() <= tolerance
}

#[test]
fn worked_example_g5_is_cheaper_per_job() {
    let t = table();
    let price = |i: &str| t.get(i).and_then(|s| s.usd_per_hour).expect("a price");
    let g4 = cost_per_job(
        price("g4dn.2xlarge"),
        std::time::Duration::from_secs_f64(311.25),
    );
    let g5 = cost_per_job(
        price("g5.xlarge"),
        std::time::Duration::from_secs_f64(197.31),
    );
    assert!(close(g4, 0.065, 0.0005), "g4dn.2xlarge job ${g4}");
    assert!(close(g5, 0.055, 0.0005), "g5.xlarge job ${g5}");
    let cheaper = saving(g4, g5).expect("a saving");
    assert!((0.15..=0.20).contains(&cheaper), "g5 is {cheaper} cheaper");
}

#[test]
fn per_1k_requests_from_the_rate() {
    // g5.xlarge at 10 req/s: 1.006 / 36000 × 1000.
    let c = cost_per_1k_requests(1.006, Some(10.0)).expect("a rate");
    assert!(close(c, 0.027944, 1e-6), "{c}");
    assert_eq!(cost_per_1k_requests(1.006, Some(0.0)), None);
}

fn nodes() -> HashMap<String, NodeFacts> {
    let node = |name: &str, instance: Option<&str>, gpus: Option<f64>, cpu: Option<u64>| {
        (
            name.to_string(),
            NodeFacts {
                name: name.into(),
                instance_type: instance.map(str::to_string),
                gpus,
                cpu_millis: cpu,
            },
        )
    };
    HashMap::from([
        node("gpu-a", Some("g5.12xlarge"), Some(4.0), Some(47_810)),
        node("gpu-b", Some("g4dn.xlarge"), None, Some(3_920)),
        node("cpu-a", Some("t3.xlarge"), None, Some(3_920)),
        node("mystery", None, None, Some(4_000)),
        node("new", Some("p5.48xlarge"), Some(8.0), Some(191_450)),
    ])
}

fn pod(name: &str, node: Option<&str>, gpus: f64, cpu: Option<u64>) -> PodUsage {
    PodUsage {
        name: name.into(),
        node: node.map(str::to_string),
        gpus_requested: gpus,
        cpu_request_millis: cpu,
    }
}

#[test]
fn gpu_pods_pay_their_share_of_the_node() {
    let pods = [
        pod("llm-0", Some("gpu-a"), 1.0, Some(4_000)),
        pod("llm-1", Some("gpu-a"), 2.0, Some(4_000)),
        // Node GPUs unknown: the table's count (1) is used.
        pod("llm-2", Some("gpu-b"), 1.0, Some(1_000)),
        pod("llm-3", None, 1.0, Some(1_000)),
    ];
    let (total, per_pod) = service_cost(&pods, &nodes(), &table());
    let want = 5.672 * 0.25 + 5.672 * 0.5 + 0.526;
    match total {
        CostEstimate::Known { usd_per_hour } => assert!(close(usd_per_hour, want, 1e-9)),
        other => panic!("expected a known cost, got {other:?}"),
    }
    assert!(matches!(per_pod[1].1, PodCost::Known { share, .. } if close(share, 0.5, 1e-12)));
    assert_eq!(per_pod[3].1, PodCost::Unscheduled);
    assert!(total.describe().contains("list-price estimate"));
}

#[test]
fn unknown_prices_make_the_cost_unknown_not_zero() {
    // t3.xlarge is in neither the GPU nor the CPU table; p5.48xlarge has specs but no
    // shipped price; the mystery node has no instance-type label; one pod has no CPU request.
    let pods = [
        pod("transformer", Some("cpu-a"), 0.0, Some(500)),
        pod("llm", Some("new"), 8.0, Some(1_000)),
        pod("odd", Some("mystery"), 0.0, Some(500)),
        pod("no-request", Some("gpu-a"), 0.0, None),
    ];
    let (total, _) = service_cost(&pods, &nodes(), &table());
    let CostEstimate::Unknown { reasons } = &total else {
        panic!("expected unknown, got {total:?}");
    };
    assert_eq!(reasons.len(), 4);
    assert!(
        reasons[0].contains("no price for instance type t3.xlarge")
            && reasons[0].contains("[prices]")
    );
    assert!(reasons[1].contains("p5.48xlarge"));
    assert!(reasons[2].contains("node.kubernetes.io/instance-type"));
    assert!(reasons[3].contains("no CPU request"));
    assert_eq!(total.describe(), "unknown");
    assert_eq!(total.usd_per_hour(), None);

    // With one pod known, the total is a lower bound.
    let mixed = [
        pod("a", Some("gpu-b"), 1.0, None),
        pod("b", Some("cpu-a"), 0.0, Some(500)),
    ];
    let (total, _) = service_cost(&mixed, &nodes(), &table());
    assert!(
        matches!(total, CostEstimate::Partial { at_least, ref reasons } if close(at_least, 0.526, 1e-12) && reasons.len() == 1)
    );
    assert!(total.describe().starts_with("≥ $0.53/h"));
}

#[test]
fn overrides_patch_prices_and_add_cpu_nodes() {
    let mut t = table();
    let warnings = t.apply_overrides([("g5.xlarge", 0.9), ("t3.xlarge", 0.192)]);
    assert!(warnings.is_empty());
    let g5 = t.get("g5.xlarge").expect("g5");
    assert_eq!(
        (g5.usd_per_hour, g5.price_basis),
        (Some(0.9), Some(PriceBasis::UserConfig))
    );
    assert_eq!(g5.gpus, Some(1), "specs are kept");

    // A CPU pod on t3.xlarge now has a cost: 500m of 3920m.
    let (total, _) = service_cost(&[pod("t", Some("cpu-a"), 0.0, Some(500))], &nodes(), &t);
    assert!(close(
        total.usd_per_hour().expect("known"),
        0.192 * 500.0 / 3920.0,
        1e-12
    ));
}

#[test]
fn malformed_overrides_are_warnings() {
    let mut t = table();
    let raw: toml::Table = toml::from_str(
        r#"
        "g4dn.xlarge" = 0.5
        "p5.48xlarge" = 55
        "g5.2xlarge" = "cheap"
        "g6.xlarge" = -1.0
        "g5.4xlarge" = nan
        "#,
    )
    .expect("valid TOML");
    let warnings = t.apply_toml_overrides(&raw);
    assert_eq!(warnings.len(), 3, "{warnings:?}");
    assert!(
        warnings
            .iter()
            .any(|w| w.contains("g5.2xlarge") && w.contains("string"))
    );
    assert!(warnings.iter().any(|w| w.contains("g6.xlarge")));
    assert!(warnings.iter().any(|w| w.contains("g5.4xlarge")));
    assert_eq!(t.get("g4dn.xlarge").and_then(|s| s.usd_per_hour), Some(0.5));
    assert_eq!(
        t.get("p5.48xlarge").and_then(|s| s.usd_per_hour),
        Some(55.0)
    );
    // Rejected entries leave the shipped price.
    assert_eq!(
        t.get("g5.2xlarge").and_then(|s| s.usd_per_hour),
        Some(1.212)
    );
    assert_eq!(t.get("g6.xlarge").and_then(|s| s.usd_per_hour), None);
}

fn t0() -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
        .single()
        .expect("a time")
}

fn series(minutes: i64, every_s: i64, f: impl Fn(i64) -> f64) -> Vec<(DateTime<Utc>, f64)> {
    (0..=minutes * 60 / every_s)
        .map(|i| (t0() + Duration::seconds(i * every_s), f(i)))
        .collect()
}

fn input(util: Vec<(DateTime<Utc>, f64)>, p99: Vec<(DateTime<Utc>, f64)>) -> ScalingInput {
    ScalingInput {
        now: t0() + Duration::minutes(12),
        gpu_util: util,
        p99_seconds: p99,
        replicas: 4,
        min_replicas: 1,
        max_replicas: Some(4),
        usd_per_hour: Some(4.024),
    }
}

#[test]
fn over_scaled_needs_ten_quiet_minutes_above_min_replicas() {
    let quiet = input(series(12, 15, |i| 5.0 + (i % 3) as f64), Vec::new());
    let hints = scaling_hints(&quiet, &HintThresholds::default());
    assert_eq!(hints.len(), 1);
    assert_eq!(hints[0].kind, HintKind::OverScaled);
    assert!(
        hints[0].message.contains("4 replicas (minReplicas 1)"),
        "{}",
        hints[0].message
    );
    assert!(hints[0].message.contains("$1.01/h"), "{}", hints[0].message);

    // At minReplicas: nothing to scale down.
    let at_min = ScalingInput {
        replicas: 1,
        ..quiet.clone()
    };
    assert!(scaling_hints(&at_min, &HintThresholds::default()).is_empty());

    // One busy minute inside the window.
    let busy = input(
        series(12, 15, |i| if i == 30 { 55.0 } else { 5.0 }),
        Vec::new(),
    );
    assert!(scaling_hints(&busy, &HintThresholds::default()).is_empty());

    // Only 6 minutes of data: not enough to say.
    let mut short = quiet.clone();
    short
        .gpu_util
        .retain(|(at, _)| *at >= t0() + Duration::minutes(6));
    assert!(scaling_hints(&short, &HintThresholds::default()).is_empty());
}

#[test]
fn under_scaled_needs_high_utilisation_and_a_rising_p99() {
    let hot = series(12, 15, |_| 96.0);
    let rising = series(12, 15, |i| 0.200 + 0.002 * i as f64);
    let hints = scaling_hints(&input(hot.clone(), rising), &HintThresholds::default());
    assert_eq!(hints.len(), 1);
    assert_eq!(hints[0].kind, HintKind::UnderScaled);
    assert!(
        hints[0].message.contains("maxReplicas (4)"),
        "{}",
        hints[0].message
    );

    let flat = series(12, 15, |i| 0.200 + if i % 2 == 0 { 0.001 } else { 0.0 });
    assert!(scaling_hints(&input(hot, flat), &HintThresholds::default()).is_empty());

    let cool = series(12, 15, |_| 70.0);
    let rising = series(12, 15, |i| 0.200 + 0.002 * i as f64);
    assert!(scaling_hints(&input(cool, rising), &HintThresholds::default()).is_empty());
}

#[test]
fn g4dn_to_g5_hint_matches_the_source_post() {
    let t = table();
    let hint = cheaper_family_hint("g4dn.2xlarge", &t, KNOWN_UPGRADES, Some(20.0))
        .expect("g5.xlarge is cheaper per unit of work");
    assert_eq!(hint.kind, HintKind::CheaperFamily);
    assert!(
        hint.message.contains("g4dn.2xlarge → g5.xlarge"),
        "{}",
        hint.message
    );
    assert!(
        hint.message.contains("about 15% cheaper"),
        "{}",
        hint.message
    );
    assert!(hint.message.contains("per 1k requests"), "{}", hint.message);
    let assumptions = hint.assumptions.expect("assumptions");
    assert!(
        assumptions.contains("1.58× faster on A10G than on T4"),
        "{assumptions}"
    );
    assert!(assumptions.contains("measure your own model"));

    // g4dn.xlarge is cheap enough that the speed-up does not pay for g5.
    assert!(cheaper_family_hint("g4dn.xlarge", &t, KNOWN_UPGRADES, None).is_none());
    // No measured speed-up for other families.
    assert!(cheaper_family_hint("p3.2xlarge", &t, KNOWN_UPGRADES, None).is_none());
    // Unknown instance.
    assert!(cheaper_family_hint("m5.xlarge", &t, KNOWN_UPGRADES, None).is_none());
}
