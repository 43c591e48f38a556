//! `kdeck probe --predictor` (the real binary) against a real transformer → predictor chain,
//! both run by PyPI kserve's Python model server: the transformer's preprocess sleeps 15 ms
//! and its postprocess 8 ms, the predictor's predict 40 ms. kdeck's split, read from the
//! servers' own request_*_seconds histograms around the probe, must be what those histograms
//! say about the probe's requests (the test reads them too, before and after), and each part
//! at least its known delay. How far above the delay a part lands depends on the machine's
//! load (asyncio oversleeps), so no upper margin on it is asserted.
//! Returns early, saying why, when `KDECK_KSERVE_VENV` has no kserve.
#![allow(clippy::unwrap_used)]

mod common;

use common::model_server::ModelServer;
use serde_json::Value;
use std::process::Command;

const PRE_MS: f64 = 15.0;
const PREDICT_MS: f64 = 40.0;
const POST_MS: f64 = 8.0;
/// kdeck and this test compute the same means from the same sums, in other orders.
const ROUNDING_MS: f64 = 0.001;

fn probe(args: &[&str]) -> (i32, Value) {
    // A state dir of its own: kdeck makes the dir it logs into private (0700), so the
    // shared temp dir would lose its sticky, world-writable mode.
    let sandbox = common::Sandbox::new();
    let out = Command::new(common::kdeck())
        .args(["probe", "-o", "json"])
        .args(args)
        .envs(sandbox.env())
        .output()
        .expect("run kdeck probe");
    let stdout = String::from_utf8_lossy(&out.stdout);
    let json = serde_json::from_str(&stdout).unwrap_or_else(|e| {
        panic!(
            "not JSON ({e}): {stdout}\nstderr: {}",
            String::from_utf8_lossy(&out.stderr)
        )
    });
    (out.status.code().unwrap_or(-1), json)
}

/// `(sum in seconds, count)` of histogram `name` for model `chain` in a `/metrics` text.
fn stage_total(metrics: &str, name: &str) -> (f64, f64) {
    let value = |suffix: &str| {
        let prefix = format!("{name}_{suffix}{{");
        metrics
            .lines()
            .filter(|l| l.starts_with(&prefix) && l.contains("model_name=\"chain\""))
            .filter_map(|l| l.rsplit(' ').next()?.parse::<f64>().ok())
            .sum::<f64>()
    };
    (value("sum"), value("count"))
}

/// The mean milliseconds per request of stage `name` between two scrapes, and how many
/// requests it covers.
fn mean_between(before: &str, after: &str, name: &str) -> (f64, f64) {
    let ((sum_0, n_0), (sum_1, n_1)) = (stage_total(before, name), stage_total(after, name));
    ((sum_1 - sum_0) * 1000.0 / (n_1 - n_0), n_1 - n_0)
}

/// kdeck's `field` is what the servers' histograms say (`want`), and at least `delay_ms`.
fn matches(json: &Value, field: &str, want: f64, delay_ms: f64) {
    let got = json["chain"][field].as_f64().unwrap_or(f64::NAN);
    assert!(
        (got - want).abs() <= ROUNDING_MS,
        "{field}: kdeck {got:.3} ms, the server's histogram {want:.3} ms: {json}"
    );
    assert!(
        got >= delay_ms,
        "{field}: {got:.3} ms, below the server's sleep of {delay_ms} ms: {json}"
    );
}

#[test]
fn the_split_of_a_real_chain_matches_its_known_delays() {
    let predict_ms = PREDICT_MS.to_string();
    let Some(predictor) = ModelServer::start("chain", &["--latency_ms", &predict_ms]) else {
        return;
    };
    let host = format!("127.0.0.1:{}", predictor.http_port);
    let delays = format!("{PRE_MS}:{POST_MS}");
    let transformer = ModelServer::start(
        "chain",
        &[
            "--transformer",
            &delays,
            "--predictor_host",
            &host,
            "--predictor_protocol",
            "v1",
        ],
    )
    .unwrap();
    // Traffic before the probe must not count in the split: some straight to the predictor,
    // and one through the transformer (its first call also sets up KServe's HTTP client to
    // the predictor, hundreds of ms once).
    let (code, direct) = probe(&[&predictor.url(), "--model", "chain", "--protocol", "v1"]);
    assert_eq!(code, 0, "{direct}");
    let warm = ["--model", "chain", "--protocol", "v1", "--count", "1"];
    let (code, through) = probe(&[&[transformer.url().as_str()], &warm[..]].concat());
    assert_eq!(code, 0, "{through}");

    let (transformer_before, predictor_before) = (transformer.metrics(), predictor.metrics());
    let (code, json) = probe(&[
        &transformer.url(),
        "--model",
        "chain",
        "--protocol",
        "v1",
        "--count",
        "20",
        "--predictor",
        &predictor.url(),
    ]);
    assert_eq!(code, 0, "{json}");
    assert_eq!(json["ok"], 20, "{json}");
    assert_eq!(json["chain"]["requests"], 20.0, "{json}");
    let (transformer_after, predictor_after) = (transformer.metrics(), predictor.metrics());
    let transformer_mean = |name| mean_between(&transformer_before, &transformer_after, name);
    let (pre, requests) = transformer_mean("request_preprocess_seconds");
    assert_eq!(requests, 20.0, "the probe's requests, and only them");
    let (predictor_predict, requests) = mean_between(
        &predictor_before,
        &predictor_after,
        "request_predict_seconds",
    );
    assert_eq!(requests, 20.0, "the probe's requests, and only them");
    matches(&json, "preprocess_ms", pre, PRE_MS);
    matches(&json, "predictor_predict_ms", predictor_predict, PREDICT_MS);
    let (post, _) = transformer_mean("request_postprocess_seconds");
    matches(&json, "postprocess_ms", post, POST_MS);
    // The hop is KServe's own HTTP client to the predictor: the transformer's predict less
    // the predictor's, and the three parts fit inside what the client measured.
    let (transformer_predict, _) = transformer_mean("request_predict_seconds");
    matches(
        &json,
        "transformer_predict_ms",
        transformer_predict,
        PREDICT_MS,
    );
    let hop = json["chain"]["hop_ms"].as_f64().unwrap();
    let want_hop = transformer_predict - predictor_predict;
    assert!(
        hop >= 0.0 && (hop - want_hop).abs() <= 2.0 * ROUNDING_MS,
        "hop {hop} ms, the histograms say {want_hop:.3} ms: {json}"
    );
    let parts = ["preprocess_ms", "transformer_predict_ms", "postprocess_ms"]
        .map(|f| json["chain"][f].as_f64().unwrap())
        .iter()
        .sum::<f64>();
    assert!(parts <= json["mean_ms"].as_f64().unwrap(), "{json}");
    let end_to_end = json["p50_ms"].as_f64().unwrap();
    eprintln!(
        "known pre {PRE_MS} / predict {PREDICT_MS} / post {POST_MS} ms; kdeck: pre {:.2}, \
         predictor {:.2}, post {:.2}, hop {hop:.2}, transformer predict {:.2}, e2e p50 \
         {end_to_end:.2} ms",
        json["chain"]["preprocess_ms"].as_f64().unwrap(),
        json["chain"]["predictor_predict_ms"].as_f64().unwrap(),
        json["chain"]["postprocess_ms"].as_f64().unwrap(),
        json["chain"]["transformer_predict_ms"].as_f64().unwrap(),
    );
}

#[test]
fn a_predictor_without_metrics_is_said_not_hidden() {
    let Some(transformer) = ModelServer::start("solo", &["--latency_ms", "1"]) else {
        return;
    };
    let nothing = format!("http://127.0.0.1:{}", common::model_server::free_port());
    let (code, json) = probe(&[
        &transformer.url(),
        "--model",
        "solo",
        "--protocol",
        "v1",
        "--count",
        "2",
        "--predictor",
        &nothing,
    ]);
    // The probe itself succeeded; the split could not be made and says why.
    assert_eq!(code, 0, "{json}");
    assert!(json["chain"].is_null(), "{json}");
    let why = json["chain_error"].as_str().unwrap();
    assert!(why.contains(&nothing) && why.contains("/metrics"), "{json}");
}
