//! Benchmark, not a test (ignored by default): the client overhead of
//! `kdeck probe --protocol openai` per streamed request and per token, beside a Python
//! `requests` streaming loop and one curl process, all sequential, against the same servers:
//! a Rust stub that streams its tokens at once (so the figures are the clients' own), and
//! KServe's model server (kserve 0.14.1) with no added delays. Each client runs with 1 and
//! with 256 tokens per request: per request = the time with 1 token, per token = the
//! difference / 255. kdeck's CPU time (its process, from /proc/self/stat's children times)
//! is printed too. Figures are printed, never asserted.
//!
//! Run: `KDECK_KSERVE_OPENAI_VENV=.venv-openai cargo test --test probe_openai_bench -- --ignored --nocapture`
//! (set `KDECK_BIN` to measure another kdeck binary, e.g. a release build).
#![allow(clippy::unwrap_used)]

mod common;

use common::openai_server::OpenAiServer;
use std::process::Command;

const FEW: u32 = 1;
const MANY: u32 = 256;

fn kdeck_bin() -> String {
    std::env::var("KDECK_BIN").unwrap_or_else(|_| common::kdeck().to_string())
}

/// Mean ms per request of one client at `tokens` per request, and CPU ms per request when
/// known.
type Row = (f64, Option<f64>);

fn body(tokens: u32) -> String {
    serde_json::json!({
        "model": "llm",
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": tokens,
        "stream": true,
    })
    .to_string()
}

/// The CPU time (user + system, ms) of this process's waited-for children so far.
fn children_cpu_ms() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    let after_name = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = after_name.split_whitespace().collect();
    // Fields 16 and 17 of the whole line (cutime, cstime) are 13 and 14 after the name.
    let ticks: f64 = fields.get(13)?.parse::<f64>().ok()? + fields.get(14)?.parse::<f64>().ok()?;
    let hz: f64 = Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0);
    Some(ticks * 1000.0 / hz)
}

fn kdeck(url: &str, n: usize, tokens: u32) -> Row {
    let cpu_before = children_cpu_ms();
    let out = Command::new(kdeck_bin())
        .args(["probe", url, "--model", "llm", "--protocol", "openai"])
        .args([
            "--count",
            &n.to_string(),
            "--max-tokens",
            &tokens.to_string(),
        ])
        .args(["-o", "json"])
        .output()
        .unwrap();
    let cpu = match (cpu_before, children_cpu_ms()) {
        (Some(a), Some(b)) => Some((b - a) / n as f64),
        _ => None,
    };
    let v: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["ok"], n, "{v}");
    (v["mean_ms"].as_f64().unwrap(), cpu)
}

fn python_loop(url: &str, n: usize, tokens: u32, python: &std::path::Path) -> Row {
    let script = format!(
        "import json,time,requests\ns=requests.Session()\nu='{url}/openai/v1/chat/completions'\n\
         b=json.loads('{}')\nout=[]\nfor _ in range({n}):\n    t=time.perf_counter()\n    \
         with s.post(u,json=b,stream=True) as r:\n        for line in r.iter_lines():\n            \
         if line.startswith(b'data: '):\n                d=line[6:]\n                \
         if d==b'[DONE]': break\n                json.loads(d)\n    \
         out.append((time.perf_counter()-t)*1000)\nprint(json.dumps(out))",
        body(tokens)
    );
    let cpu_before = children_cpu_ms();
    let out = Command::new(python).args(["-c", &script]).output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let cpu = match (cpu_before, children_cpu_ms()) {
        (Some(a), Some(b)) => Some((b - a) / n as f64),
        _ => None,
    };
    let ms: Vec<f64> = serde_json::from_slice(&out.stdout).unwrap();
    (ms.iter().sum::<f64>() / ms.len() as f64, cpu)
}

fn curl_loop(url: &str, n: usize, tokens: u32) -> Option<Row> {
    // curl config files take double-quoted strings with backslash escapes.
    let body = body(tokens).replace('"', "\\\"");
    let mut config = String::new();
    for i in 0..n {
        if i > 0 {
            config.push_str("next\n");
        }
        config.push_str(&format!(
            "url = \"{url}/openai/v1/chat/completions\"\ndata = \"{body}\"\n\
             header = \"Content-Type: application/json\"\nno-buffer\nsilent\n\
             output = \"/dev/null\"\nwrite-out = \"%{{http_code}} %{{time_total}}\\n\"\n"
        ));
    }
    let file = tempfile::NamedTempFile::new().unwrap();
    std::fs::write(file.path(), config).unwrap();
    let cpu_before = children_cpu_ms();
    let out = Command::new("curl")
        .arg("-K")
        .arg(file.path())
        .output()
        .ok()?;
    let cpu = match (cpu_before, children_cpu_ms()) {
        (Some(a), Some(b)) => Some((b - a) / n as f64),
        _ => None,
    };
    let ms: Vec<f64> = String::from_utf8_lossy(&out.stdout)
        .lines()
        .filter_map(|l| l.strip_prefix("200 "))
        .filter_map(|l| l.trim().parse::<f64>().ok())
        .map(|s| s * 1000.0)
        .collect();
    (ms.len() == n).then(|| (ms.iter().sum::<f64>() / n as f64, cpu))
}

/// A stand-in OpenAI server in Rust (axum) that streams `max_tokens` chat chunks at once,
/// each its own body frame, then `data: [DONE]`.
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
    let models = || async {
        axum::Json(
            serde_json::json!({"object": "list", "data": [{"id": "llm", "object": "model"}]}),
        )
    };
    let chat = |body: axum::body::Bytes| async move {
        let request: serde_json::Value = serde_json::from_slice(&body).unwrap_or_default();
        let n = request["max_tokens"].as_u64().unwrap_or(16);
        let chunk = |i: u64| {
            let c = serde_json::json!({"id": "x", "object": "chat.completion.chunk", "model": "llm",
                "choices": [{"index": 0, "delta": {"content": format!(" tok{i}")}, "finish_reason": null}]});
            Ok::<_, std::convert::Infallible>(axum::body::Bytes::from(format!("data: {c}\n\n")))
        };
        let events = futures::stream::iter((0..n).map(chunk).chain(std::iter::once(Ok(
            axum::body::Bytes::from_static(b"data: [DONE]\n\n"),
        ))));
        axum::response::Response::builder()
            .header("content-type", "text/event-stream")
            .body(axum::body::Body::from_stream(events))
            .unwrap()
    };
    let router = axum::Router::new()
        .route("/openai/v1/models", get(models))
        .route("/openai/v1/chat/completions", post(chat));
    // Like uvicorn (asyncio), send each event at once (no Nagle).
    use axum::serve::ListenerExt;
    let listener = listener.tap_io(|tcp| {
        let _ = tcp.set_nodelay(true);
    });
    rt.spawn(async move { axum::serve(listener, router).await });
    (rt, port)
}

fn table(title: &str, url: &str, n: usize, python: Option<&std::path::Path>) {
    // Warm up the server and the connection paths.
    let _ = kdeck(url, 5, 8);
    let fmt_cpu = |c: Option<f64>| c.map(|c| format!("{c:.3}")).unwrap_or_else(|| "-".into());
    println!("\n{title}: {n} sequential streamed chats at {FEW} and {MANY} tokens");
    println!(
        "{:<30} {:>14} {:>14} {:>15} {:>13} {:>15}",
        "client", "ms/request", "ms/req@256", "µs/token", "CPU ms/req", "CPU µs/token"
    );
    let mut rows: Vec<(&str, Option<(Row, Row)>)> = vec![(
        "kdeck probe --protocol openai",
        Some((kdeck(url, n, FEW), kdeck(url, n, MANY))),
    )];
    if let Some(python) = python {
        rows.push((
            "python requests stream loop",
            Some((
                python_loop(url, n, FEW, python),
                python_loop(url, n, MANY, python),
            )),
        ));
    }
    let curl = curl_loop(url, n, FEW).zip(curl_loop(url, n, MANY));
    rows.push(("curl, one process, keep-alive", curl));
    for (name, row) in rows {
        match row {
            Some(((few, few_cpu), (many, many_cpu))) => {
                let per_token = (many - few) / f64::from(MANY - FEW) * 1000.0;
                let cpu_per_token = few_cpu
                    .zip(many_cpu)
                    .map(|(a, b)| (b - a) / f64::from(MANY - FEW) * 1000.0);
                println!(
                    "{name:<30} {few:>14.3} {many:>14.3} {per_token:>15.2} {:>13} {:>15}",
                    fmt_cpu(few_cpu),
                    fmt_cpu(cpu_per_token)
                );
            }
            None => println!("{name:<30} (not available here)"),
        }
    }
}

#[test]
#[ignore = "a benchmark: run with --ignored --nocapture"]
fn openai_probe_overhead_per_request_and_per_token() {
    let python = common::openai_server::python();
    let (_rt, port) = stub_server();
    let stub = format!("http://127.0.0.1:{port}");
    table(
        "Rust stub server (streams at once)",
        &stub,
        200,
        python.as_deref(),
    );
    if let Some(server) = OpenAiServer::start(&["--ttft_ms", "0", "--itl_ms", "0"]) {
        table(
            "KServe 0.14.1 model server (no added delays)",
            &server.url(),
            20,
            python.as_deref(),
        );
    }
}
