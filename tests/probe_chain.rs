//! `kdeck probe --predictor` (the real binary) against a real transformer → predictor chain,
//! both run by PyPI kserve's Python model server: the transformer's preprocess sleeps 15 ms
//! and its postprocess 8 ms, the predictor's predict 40 ms. kdeck's split, read from the
//! servers' own request_*_seconds histograms around the probe, must match those delays
//! within a few ms, and the hop (transformer predict − predictor predict) must be small.
//! Returns early, saying why, when `KDECK_KSERVE_VENV` has no kserve.
#![allow(clippy::unwrap_used)]

mod common;

use common::model_server::ModelServer;
use serde_json::Value;
use std::process::Command;

const PRE_MS: f64 = 15.0;
const PREDICT_MS: f64 = 40.0;
const POST_MS: f64 = 8.0;
/// asyncio.sleep oversleeps by a little; the timers of the histograms add a little more.
const TOLERANCE_MS: f64 = 4.0;

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

fn near(json: &Value, field: &str, want: f64) {
    let got = json["chain"][field].as_f64().unwrap_or(f64::NAN);
    assert!(
        (got - want).abs() <= TOLERANCE_MS,
        "{field}: {got:.2} ms, want {want} ± {TOLERANCE_MS} ms: {json}"
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
    near(&json, "preprocess_ms", PRE_MS);
    near(&json, "predictor_predict_ms", PREDICT_MS);
    near(&json, "postprocess_ms", POST_MS);
    // The hop is KServe's own HTTP client to the predictor: some milliseconds of Python
    // on a busy machine, and the three parts fit inside what the client measured.
    let hop = json["chain"]["hop_ms"].as_f64().unwrap();
    assert!((0.0..50.0).contains(&hop), "hop {hop} ms: {json}");
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
