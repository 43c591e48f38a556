//! The transformer → predictor split end to end: the real binary in a pseudo-terminal
//! against the simulated demo cluster, whose `image-classifier` transformer pod serves
//! KServe's stage histograms through the pod proxy (its predict being the predictor's
//! latency plus a hop). The detail shows p50 / p99 per stage and the hop, read from the
//! transformer's and the predictor's pods.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, console, line_with};

/// The figure after `label` on `line` ("2.8ms" → 2.8), if it is a number of ms.
fn ms_after(line: &str, label: &str) -> Option<f64> {
    let rest = &line[line.find(label)? + label.len()..];
    let figure = rest.split_whitespace().next()?;
    figure.strip_suffix("ms")?.parse().ok()
}

#[test]
fn the_detail_of_a_transformer_service_shows_the_split_from_its_pods() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    s.send("/image-classifier\r");
    assert!(
        s.wait_for(WAIT, |t| !t.contains("fraud-detector")
            && line_with(t, "image-classifier").is_some()),
        "filter did not apply:\n{}",
        s.screen()
    );
    s.send("\r");
    let split = |t: &str| {
        let head = line_with(t, "transformer chain (p50 / p99)")?;
        let stages = line_with(t, "pre-process")?;
        Some((
            ms_after(head, "hop to predictor p50")?,
            ms_after(stages, "pre-process")?,
            ms_after(stages, "predict")?,
            ms_after(stages, "post-process")?,
        ))
    };
    assert!(
        s.wait_for(WAIT, |t| split(t).is_some()),
        "no split with figures in the detail:\n{}",
        s.screen()
    );
    let screen = s.screen();
    let (hop, pre, predict, post) = split(&screen).unwrap();
    // The sim's transformer: pre/post-process a few ms, its predict the predictor's
    // ~22 ms median plus a 3 ms hop. Percentiles come from histogram buckets: with the few
    // requests of the first scrapes the median can land anywhere in its bucket (62 ms once,
    // in the 50–100 ms bucket), so predict is bounded by that bucket's top.
    assert!(pre > 0.0 && pre < 10.0, "pre-process {pre}:\n{screen}");
    assert!(post > 0.0 && post < 10.0, "post-process {post}:\n{screen}");
    assert!(
        predict > 15.0 && predict <= 100.0,
        "predict {predict}:\n{screen}"
    );
    assert!(hop < predict, "hop {hop}:\n{screen}");
    s.send("q");
    s.wait_exit(WAIT);
}

/// `kdeck status -o json` carries the split for services with a transformer (one scrape:
/// since the pods started), and no `chain` for the others.
#[test]
fn status_json_carries_the_chain_of_transformer_services() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let kubeconfig = cluster.kubeconfig_arg();
    let args = [
        "--kubeconfig",
        kubeconfig.as_str(),
        "status",
        "-n",
        "ml-prod",
        "-o",
        "json",
    ];
    let chain_of = |items: &serde_json::Value| {
        items
            .as_array()
            .and_then(|a| a.iter().find(|i| i["name"] == "image-classifier"))
            .map(|i| i["chain"].clone())
    };
    let mut last = serde_json::Value::Null;
    // Until the transformer pod has served requests its stages have no figures.
    let measured = common::cluster::wait_until(WAIT, || {
        let (out, _) = common::headless::run_kdeck(&sandbox, &args, WAIT);
        last = serde_json::from_slice(&out.stdout).unwrap_or_default();
        chain_of(&last).is_some_and(|c| c["hop_p50_ms"].is_number())
    });
    assert!(measured, "{last:#}");
    let chain = chain_of(&last).unwrap();
    for field in [
        "preprocess_p50_ms",
        "preprocess_p99_ms",
        "predict_p50_ms",
        "predict_p99_ms",
        "postprocess_p50_ms",
        "postprocess_p99_ms",
    ] {
        assert!(chain[field].is_number(), "{field}: {chain}");
    }
    assert!(
        chain["predict_p50_ms"].as_f64() > chain["preprocess_p50_ms"].as_f64(),
        "{chain}"
    );
    let iris = last
        .as_array()
        .and_then(|a| a.iter().find(|i| i["name"] == "sklearn-iris"))
        .cloned()
        .unwrap_or_default();
    assert!(iris.get("chain").is_none(), "{iris}");
}
