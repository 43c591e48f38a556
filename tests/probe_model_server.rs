//! `kdeck probe` (the real binary) against a real KServe model server (V2 REST, V1 REST,
//! V2 gRPC) and against faults: server down, slow, failing, unknown model, non-JSON body.
//! When `KDECK_KSERVE_VENV` has no kserve the model-server tests fail under CI and return
//! early, saying why, elsewhere.
#![allow(clippy::unwrap_used)]

mod common;

use common::fake_http::FakeHttp;
use common::model_server::{ModelServer, free_port, only_model};
use kdeck::domain::key::ObjectKey;
use kdeck::domain::latency::{Endpoint, PodRound, Tracker, extract};
use serde_json::Value;
use std::process::Command;

/// Runs `kdeck probe ARGS -o json`: (exit code, parsed JSON, stderr).
fn probe(args: &[&str]) -> (i32, Value, String) {
    // A state dir of its own: kdeck makes the dir it logs into private (0700), so the
    // shared temp dir would lose its sticky, world-writable mode.
    let sandbox = common::Sandbox::new();
    let out = Command::new(common::kdeck())
        .arg("probe")
        .args(args)
        .args(["-o", "json"])
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
    (
        out.status.code().unwrap_or(-1),
        json,
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// prometheus_client's default histogram buckets, in ms, up to 1 s.
const BUCKET_EDGES_MS: [f64; 10] = [
    5.0, 10.0, 25.0, 50.0, 75.0, 100.0, 250.0, 500.0, 750.0, 1000.0,
];

/// A median the latency source computed from the server's histogram, against what holds
/// whatever the machine's load: every request the server timed slept `sleep_ms` first, so
/// the median is at least the lower edge of that sleep's bucket; and it took no longer than
/// the probe that sent it measured from outside, so the median is at most the upper edge of
/// the bucket holding the probes' slowest request. (How far above the sleep the requests
/// land depends on the load, so no fixed margin over it is asserted.)
fn assert_bracketed(server_p50: f64, sleep_ms: f64, probes: &[&Value]) {
    let lower = BUCKET_EDGES_MS
        .iter()
        .rev()
        .find(|edge| **edge < sleep_ms)
        .copied()
        .unwrap_or(0.0);
    let slowest = probes.iter().map(|p| f(p, "max_ms")).fold(0.0, f64::max);
    let upper = BUCKET_EDGES_MS
        .iter()
        .find(|edge| **edge >= slowest)
        .copied()
        .unwrap_or(f64::INFINITY);
    assert!(
        (lower..=upper).contains(&server_p50),
        "server p50 {server_p50} ms, want {lower}–{upper} ms (sleep {sleep_ms} ms, slowest \
         probe {slowest} ms): {probes:?}"
    );
}

fn assert_all_ok(json: &Value, count: u64, min_ms: f64) {
    assert_eq!(json["ok"], count, "{json}");
    assert_eq!(json["failed"], 0, "{json}");
    assert_eq!(json["errors"], serde_json::json!({}), "{json}");
    for key in ["p50_ms", "p90_ms", "p99_ms", "max_ms", "rps"] {
        assert!(f(json, key) > 0.0, "{key} in {json}");
    }
    assert!(
        f(json, "p50_ms") >= min_ms,
        "p50 below the server's sleep: {json}"
    );
    assert!(f(json, "p50_ms") <= f(json, "p99_ms") && f(json, "p99_ms") <= f(json, "max_ms"));
}

/// The server's predict histogram of `model` as a reading of the scraper (a page it cannot
/// read fails the test with the scraper's reason).
fn reading(server: &ModelServer, model: &str) -> PodRound {
    let text = only_model(&server.metrics(), model);
    let reading = extract::parse(Endpoint::ModelServer, &text).0;
    let reading = reading.unwrap_or_else(|e| panic!("the server's page of {model}: {e}"));
    PodRound {
        pod: ObjectKey::new("test", "model-server"),
        uid: "u".into(),
        service: ObjectKey::new("test", model),
        revision: None,
        started: None,
        reading: Some(reading),
    }
}

#[test]
fn probes_of_all_three_protocols_agree_with_the_servers_histogram() {
    let Some(server) = ModelServer::shared() else {
        return;
    };
    let mut tracker = Tracker::new(std::time::Duration::from_secs(600));
    let t0 = chrono::Utc::now();
    let before = reading(server, "iris");
    tracker.round(t0, &[before]);

    let (code, v2, err) = probe(&[
        &server.url(),
        "--model",
        "iris",
        "--count",
        "12",
        "--concurrency",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_all_ok(&v2, 12, 30.0);
    assert_eq!(v2["protocol"], "v2");
    let checks: Vec<&str> = v2["checks"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["name"].as_str().unwrap())
        .collect();
    assert_eq!(
        checks,
        [
            "server live",
            "server ready",
            "model ready",
            "model metadata"
        ]
    );

    let (code, v1, err) = probe(&[
        &server.url(),
        "--model",
        "iris",
        "--protocol",
        "v1",
        "--count",
        "6",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_all_ok(&v1, 6, 30.0);

    let (code, grpc, err) = probe(&[
        &server.grpc_target(),
        "--model",
        "iris",
        "--protocol",
        "grpc",
        "--count",
        "6",
    ]);
    assert_eq!(code, 0, "{err}");
    assert_all_ok(&grpc, 6, 30.0);

    // The scraper's window over the same requests: exactly the 24 predictions, and the
    // server's median falls in the same histogram bucket as the probe's.
    let f2 = tracker.round(
        t0 + chrono::Duration::seconds(10),
        &[reading(server, "iris")],
    );
    let (_, fig) = &f2.services[0];
    assert_eq!(fig.rps, Some(2.4), "24 requests over 10 s: {fig:?}");
    let server_p50 = fig.p50_ms.expect("a p50 from the histogram deltas");
    assert_bracketed(server_p50, 30.0, &[&v2, &v1, &grpc]);
    eprintln!(
        "figures: probe v2 p50 {:.1} ms p99 {:.1} ms; v1 p50 {:.1}; grpc p50 {:.1}; server histogram p50 {server_p50:.1} ms p99 {:.1} ms",
        f(&v2, "p50_ms"),
        f(&v2, "p99_ms"),
        f(&v1, "p50_ms"),
        f(&grpc, "p50_ms"),
        fig.p99_ms.unwrap_or(f64::NAN)
    );

    // An unknown model is a setup problem (exit 2) with the server's 404 in the message.
    let (code, nope, _) = probe(&[&server.url(), "--model", "nope", "--count", "2"]);
    assert_eq!(code, 2);
    let why = nope["setup_error"].as_str().unwrap();
    assert!(why.contains("404") && why.contains("nope"), "{why}");
    let (code, nope, _) = probe(&[
        &server.grpc_target(),
        "--model",
        "nope",
        "--protocol",
        "grpc",
    ]);
    assert_eq!(code, 2);
    assert!(
        nope["setup_error"].as_str().unwrap().contains("NOT_FOUND"),
        "{nope}"
    );
}

/// The Standard-mode predictor pod of `model`, as the console watches it.
fn pod_object(model: &str, port: u16) -> serde_json::Value {
    serde_json::json!({
        "metadata": {"name": format!("{model}-predictor-6c9d"), "namespace": "test", "uid": "u1",
                     "labels": {"serving.kserve.io/inferenceservice": model, "component": "predictor"},
                     "annotations": {"prometheus.kserve.io/port": port.to_string(), "prometheus.kserve.io/path": "/metrics"}},
        "spec": {"containers": [{"name": "kserve-container", "image": "kserve/custom"}]},
        "status": {"phase": "Running", "containerStatuses": [{"name": "kserve-container", "ready": true, "restartCount": 0, "image": "x", "imageID": "", "state": {"running": {}}}]}
    })
}

/// A stand-in for the API server: its pod-proxy path forwards to the real model server's
/// port (showing only model `model`'s series).
async fn fake_api(model: String) -> String {
    use axum::extract::Path;
    use axum::routing::get;
    let router = axum::Router::new().route(
        "/api/v1/namespaces/{ns}/pods/{target}/proxy/{*rest}",
        get(
            move |Path((_ns, target, rest)): Path<(String, String, String)>| async move {
                let port = target.rsplit(':').next().unwrap_or("80").to_string();
                let text = reqwest::get(format!("http://127.0.0.1:{port}/{rest}"))
                    .await
                    .unwrap()
                    .text()
                    .await
                    .unwrap();
                // The shared server serves several models; this pod serves one.
                only_model(&text, &model)
            },
        ),
    );
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

#[test]
fn the_latency_source_reads_a_real_model_server_through_the_pod_proxy() {
    let Some(server) = ModelServer::shared() else {
        return;
    };
    kdeck::sources::tls::ensure_crypto_provider();
    let rt = tokio::runtime::Runtime::new().unwrap();
    let url = rt.block_on(fake_api("sk".to_string()));
    let client = rt.block_on(async {
        kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap()
    });
    let targets = kdeck::domain::latency::targets::targets(&[pod_object("sk", server.http_port)]);
    let timeout = std::time::Duration::from_secs(3);
    let mut tracker = Tracker::new(std::time::Duration::from_secs(60));
    let round = |tracker: &mut Tracker| {
        rt.block_on(kdeck::sources::latency::scrape::round(
            &client, &targets, timeout, tracker,
        ))
    };
    let first = round(&mut tracker);
    assert!(
        first.problems.is_empty(),
        "a fresh server (no series yet) is not a problem: {:?}",
        first.problems
    );
    let (code, v2, err) = probe(&[
        &server.url(),
        "--model",
        "sk",
        "--count",
        "10",
        "--concurrency",
        "2",
    ]);
    assert_eq!(code, 0, "{err}");
    let m = round(&mut tracker);
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let (key, fig) = &m.services[0];
    assert_eq!((key.namespace.as_str(), key.name.as_str()), ("test", "sk"));
    assert!(!fig.stale);
    let p50 = fig.p50_ms.expect("p50 from the scraped deltas");
    assert_bracketed(p50, 60.0, &[&v2]);
    assert!(f(&v2, "p50_ms") >= 60.0, "below the server's sleep: {v2}");
    assert!(fig.rps.unwrap() > 0.0);
    eprintln!(
        "figures: source p50 {p50:.1} ms p90 {:.1} p99 {:.1} ({:.2} req/s); probe p50 {:.1} ms p99 {:.1} ms",
        fig.p90_ms.unwrap_or(f64::NAN),
        fig.p99_ms.unwrap_or(f64::NAN),
        fig.rps.unwrap_or(f64::NAN),
        f(&v2, "p50_ms"),
        f(&v2, "p99_ms")
    );
}

#[test]
fn failing_requests_are_counted_as_5xx_and_grpc_errors() {
    let Some(server) = ModelServer::shared() else {
        return;
    };
    let (code, v2, _) = probe(&[&server.url(), "--model", "flaky", "--count", "20"]);
    assert_eq!(code, 1, "{v2}");
    assert_eq!(v2["failed"], 5, "every 4th of 20: {v2}");
    assert_eq!(v2["ok"], 15);
    assert_eq!(v2["errors"]["http_5xx"], 5, "{v2}");
    assert_eq!(v2["http_statuses"]["500"], 5, "{v2}");
    let (code, grpc, _) = probe(&[
        &server.grpc_target(),
        "--model",
        "flaky",
        "--protocol",
        "grpc",
        "--count",
        "8",
    ]);
    assert_eq!(code, 1, "{grpc}");
    assert_eq!(grpc["failed"], 2, "{grpc}");
    let kinds: Vec<&String> = grpc["errors"].as_object().unwrap().keys().collect();
    assert!(kinds.iter().all(|k| k.starts_with("grpc_")), "{grpc}");
}

#[test]
fn a_slow_server_gives_timeouts() {
    let Some(server) = ModelServer::shared() else {
        return;
    };
    let (code, v2, _) = probe(&[
        &server.url(),
        "--model",
        "slow",
        "--count",
        "3",
        "--concurrency",
        "3",
        "--timeout",
        "100ms",
    ]);
    assert_eq!(code, 1, "{v2}");
    assert_eq!(v2["errors"]["timeout"], 3, "{v2}");
    assert!(v2["p50_ms"].is_null());
    let (code, grpc, _) = probe(&[
        &server.grpc_target(),
        "--model",
        "slow",
        "--protocol",
        "grpc",
        "--count",
        "2",
        "--timeout",
        "100ms",
    ]);
    assert_eq!(code, 1, "{grpc}");
    assert_eq!(grpc["errors"]["timeout"], 2, "{grpc}");
}

#[test]
fn a_server_that_is_down_is_connection_refused_exit_2() {
    let port = free_port();
    for (target, protocol) in [
        (format!("http://127.0.0.1:{port}"), "v2"),
        (format!("http://127.0.0.1:{port}"), "v1"),
        (format!("127.0.0.1:{port}"), "grpc"),
    ] {
        let (code, json, stderr) = probe(&[&target, "--model", "m", "--protocol", protocol]);
        assert_eq!(code, 2, "{protocol}: {json}");
        let why = json["setup_error"].as_str().unwrap();
        assert!(why.contains("connection refused"), "{protocol}: {why}");
        assert!(stderr.contains("connection refused"), "{stderr}");
    }
}

#[test]
fn a_non_json_answer_is_a_bad_body() {
    let server = FakeHttp::serve(Box::new(|method, path| match (method, path) {
        ("GET", "/v2/models/m") => (
            200,
            "application/json",
            r#"{"name":"m","inputs":[{"name":"x","datatype":"INT64","shape":[-1,2]}]}"#.into(),
        ),
        ("GET", _) => (
            200,
            "application/json",
            r#"{"ready":true,"live":true}"#.into(),
        ),
        ("POST", "/v2/models/m/infer") => {
            (200, "text/html", "<html>proxy error page</html>".into())
        }
        _ => (404, "text/plain", "no".into()),
    }));
    let (code, json, _) = probe(&[&server.url(), "--model", "m", "--count", "3"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["errors"]["bad_body"], 3, "{json}");
    let example = json["error_examples"]["bad_body"].as_str().unwrap();
    assert!(
        example.contains("not with JSON") && example.contains("proxy error page"),
        "{example}"
    );
}

#[test]
fn usage_problems_exit_2() {
    let out = Command::new(common::kdeck())
        .args(["probe", "localhost:1", "--model", "m"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&out.stderr).contains("http://"));
    let out = Command::new(common::kdeck())
        .args([
            "probe",
            "http://x",
            "--model",
            "m",
            "--payload",
            "/nonexistent/p.json",
        ])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let help = Command::new(common::kdeck())
        .args(["probe", "--help"])
        .output()
        .unwrap();
    let help = String::from_utf8_lossy(&help.stdout);
    assert!(
        help.contains("Exit codes") && help.contains("--concurrency"),
        "{help}"
    );
}

/// Another process takes the free port a model server was given before the server binds it
/// (Python needs seconds to get there, while parallel tests bind ports of their own): the
/// start tries again on fresh ports instead of failing the test.
#[test]
fn a_model_server_whose_port_was_taken_meanwhile_starts_on_other_ports() {
    let taken = std::net::TcpListener::bind("0.0.0.0:0").expect("a port to take");
    let port = taken.local_addr().unwrap().port();
    let Some(server) = ModelServer::start_on("m", &[], Some((port, free_port()))) else {
        return;
    };
    assert_ne!(server.http_port, port);
    assert_eq!(
        common::model_server::http_get(server.http_port, "/v2/health/ready").map(|(code, _)| code),
        Some(200)
    );
}
