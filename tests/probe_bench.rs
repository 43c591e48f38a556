//! Benchmark, not a test (ignored by default): the client overhead of `kdeck probe` against
//! plain loops of the same requests with other clients — Python `requests` with a kept-alive
//! session, and one curl process reusing its connection — all sequential, against the real
//! KServe model server with no added latency, so the differences are the clients'.
//!
//! Run: `KDECK_KSERVE_VENV=.venv cargo test --test probe_bench -- --ignored --nocapture`
//! (set `KDECK_BIN` to measure another kdeck binary, e.g. a release build).

#![allow(clippy::unwrap_used)]

mod common;

use common::model_server::ModelServer;
use std::process::Command;
use std::time::Instant;

const N: usize = 400;
const BODY: &str =
    r#"{"inputs":[{"name":"input-0","shape":[1,4],"datatype":"FP32","data":[0.0,0.0,0.0,0.0]}]}"#;

fn kdeck_bin() -> String {
    std::env::var("KDECK_BIN").unwrap_or_else(|_| common::kdeck().to_string())
}

/// (mean ms, p50 ms, p99 ms, wall s) of a sorted list of per-request ms and a wall time.
fn stats(mut ms: Vec<f64>, wall: f64) -> (f64, f64, f64, f64) {
    ms.sort_by(|a, b| a.total_cmp(b));
    let q = |p: f64| ms[((ms.len() - 1) as f64 * p).round() as usize];
    (
        ms.iter().sum::<f64>() / ms.len() as f64,
        q(0.5),
        q(0.99),
        wall,
    )
}

fn kdeck(server: &ModelServer, protocol: &str) -> (f64, f64, f64, f64) {
    let target = if protocol == "grpc" {
        server.grpc_target()
    } else {
        server.url()
    };
    let t = Instant::now();
    let out = Command::new(kdeck_bin())
        .args([
            "probe",
            &target,
            "--model",
            &server.model,
            "--protocol",
            protocol,
            "--count",
            &N.to_string(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], N, "{v}");
    (
        v["mean_ms"].as_f64().unwrap(),
        v["p50_ms"].as_f64().unwrap(),
        v["p99_ms"].as_f64().unwrap(),
        wall,
    )
}

fn python_requests(server: &ModelServer, python: &std::path::Path) -> (f64, f64, f64, f64) {
    python_requests_at(
        &format!("{}/v2/models/{}/infer", server.url(), server.model),
        python,
    )
}

fn python_requests_at(url: &str, python: &std::path::Path) -> (f64, f64, f64, f64) {
    let script = format!(
        "import json,time,requests\ns=requests.Session()\nu='{url}'\nb=json.loads('{BODY}')\nout=[]\nfor _ in range({N}):\n    t=time.perf_counter(); r=s.post(u,json=b); r.json(); out.append((time.perf_counter()-t)*1000)\nprint(json.dumps(out))"
    );
    let t = Instant::now();
    let out = Command::new(python).args(["-c", &script]).output().unwrap();
    let wall = t.elapsed().as_secs_f64();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    stats(serde_json::from_slice(&out.stdout).unwrap(), wall)
}

fn curl(server: &ModelServer) -> Option<(f64, f64, f64, f64)> {
    curl_at(&format!(
        "{}/v2/models/{}/infer",
        server.url(),
        server.model
    ))
}

fn curl_at(url: &str) -> Option<(f64, f64, f64, f64)> {
    // curl config files take double-quoted strings with backslash escapes.
    let body = BODY.replace('"', "\\\"");
    let mut config = String::new();
    for i in 0..N {
        if i > 0 {
            config.push_str("next\n");
        }
        config.push_str(&format!(
            "url = \"{url}\"\ndata = \"{body}\"\nheader = \"Content-Type: application/json\"\nsilent\noutput = \"/dev/null\"\nwrite-out = \"%{{http_code}} %{{time_total}}\\n\"\n"
        ));
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), config).unwrap();
    let t = Instant::now();
    let out = Command::new("curl")
        .arg("-K")
        .arg(file.path())
        .output()
        .ok()?;
    let wall = t.elapsed().as_secs_f64();
    // Only answers with status 200 count: a request curl got wrong must not look fast.
    let ms: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("200 "))
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .map(|s| s * 1000.0)
        .collect();
    (ms.len() == N).then(|| stats(ms, wall))
}

/// A stand-in V2 server in Rust (axum) whose answers take microseconds, so what a client
/// measures against it is the client's own overhead plus loopback. It reads each request
/// body (hyper closes a kept-alive connection whose body was left unread).
fn stub_server() -> (tokio::runtime::Runtime, u16) {
    use axum::routing::{get, post};
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let listener = rt
        .block_on(tokio::net::TcpListener::bind("127.0.0.1:0"))
        .unwrap();
    let port = listener.local_addr().unwrap().port();
    let meta = serde_json::json!({"name": "stub", "inputs": [{"name": "input-0", "datatype": "FP32", "shape": [-1, 4]}]});
    let router = axum::Router::new()
        .route("/v2/health/live", get(|| async { axum::Json(serde_json::json!({"live": true})) }))
        .route("/v2/health/ready", get(|| async { axum::Json(serde_json::json!({"ready": true})) }))
        .route("/v2/models/stub/ready", get(|| async { axum::Json(serde_json::json!({"ready": true})) }))
        .route("/v2/models/stub", get(move || { let m = meta.clone(); async move { axum::Json(m) } }))
        .route(
            "/v2/models/stub/infer",
            post(|_body: axum::body::Bytes| async { axum::Json(serde_json::json!({"model_name": "stub", "id": "1", "outputs": [{"name": "output-0", "shape": [1], "datatype": "FP32", "data": [1.0]}]})) }),
        );
    rt.spawn(async move { axum::serve(listener, router).await });
    (rt, port)
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn probe_client_overhead_against_a_stub_server() {
    let (_rt, port) = stub_server();
    let server = StubTarget { port };
    let url = format!("http://127.0.0.1:{port}");
    let t = Instant::now();
    let out = Command::new(kdeck_bin())
        .args([
            "probe",
            &url,
            "--model",
            "stub",
            "--count",
            &N.to_string(),
            "-o",
            "json",
        ])
        .output()
        .unwrap();
    let wall = t.elapsed().as_secs_f64();
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], N, "{v}");
    println!("\n{N} sequential inferences against a Rust stub server (answers in microseconds):");
    println!(
        "{:<32} {:>10} {:>9} {:>9} {:>12}",
        "client", "mean ms", "p50 ms", "p99 ms", "process s"
    );
    let (mean, p50, p99) = (
        v["mean_ms"].as_f64().unwrap(),
        v["p50_ms"].as_f64().unwrap(),
        v["p99_ms"].as_f64().unwrap(),
    );
    println!(
        "{:<32} {mean:>10.3} {p50:>9.3} {p99:>9.3} {wall:>12.2}",
        "kdeck probe v2 REST"
    );
    match curl_at(&server.infer_url()) {
        Some((mean, p50, p99, wall)) => println!(
            "{:<32} {mean:>10.3} {p50:>9.3} {p99:>9.3} {wall:>12.2}",
            "curl, one process, keep-alive"
        ),
        None => println!(
            "{:<32} (not available here)",
            "curl, one process, keep-alive"
        ),
    }
    if let Some(python) = common::model_server::python() {
        let (mean, p50, p99, wall) = python_requests_at(&server.infer_url(), &python);
        println!(
            "{:<32} {mean:>10.3} {p50:>9.3} {p99:>9.3} {wall:>12.2}",
            "python requests.Session loop"
        );
    }
}

struct StubTarget {
    port: u16,
}

impl StubTarget {
    fn infer_url(&self) -> String {
        format!("http://127.0.0.1:{}/v2/models/stub/infer", self.port)
    }
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn probe_client_overhead_against_plain_loops() {
    let Some(python) = common::model_server::python() else {
        return;
    };
    let Some(server) = ModelServer::start("bench", &[]) else {
        return;
    };
    // Warm the server up (first requests compile paths in Python).
    let _ = kdeck(&server, "v2");
    let rows = [
        ("kdeck probe v2 REST", Some(kdeck(&server, "v2"))),
        (
            "python requests.Session loop",
            Some(python_requests(&server, &python)),
        ),
        ("curl, one process, keep-alive", curl(&server)),
        ("kdeck probe v1 REST", Some(kdeck(&server, "v1"))),
        ("kdeck probe v2 gRPC", Some(kdeck(&server, "grpc"))),
    ];
    println!("\n{N} sequential inferences against the KServe model server (no added latency):");
    println!(
        "{:<32} {:>10} {:>9} {:>9} {:>12}",
        "client", "mean ms", "p50 ms", "p99 ms", "process s"
    );
    for (name, row) in rows {
        match row {
            Some((mean, p50, p99, wall)) => {
                println!("{name:<32} {mean:>10.3} {p50:>9.3} {p99:>9.3} {wall:>12.2}")
            }
            None => println!("{name:<32} (not available here)"),
        }
    }
}
