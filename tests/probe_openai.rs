//! `kdeck probe --protocol openai` (the real binary) against KServe's own model server
//! serving the OpenAI data plane with a generative model of known delays (first token after
//! 80 ms, then one every 20 ms), and against a small streaming fake for what a real server
//! rarely does on cue: vLLM's /v1 prefix, a stream cut mid-way, malformed and error events,
//! a stream that stalls past the deadline. The real-server tests return early, saying why,
//! when `KDECK_KSERVE_OPENAI_VENV` has no kserve 0.14.1 (and fail under CI=true).
#![allow(clippy::unwrap_used)]

mod common;

use common::fake_sse::{FakeSse, Reply};
use common::openai_server::OpenAiServer;
use serde_json::Value;
use std::process::Command;
use std::sync::OnceLock;
use std::time::Duration;

const TTFT_MS: f64 = 80.0;
const ITL_MS: f64 = 20.0;

/// One server for the whole test binary: KServe's prefix, the known delays, and the usage
/// at the end of chat streams.
fn server() -> Option<&'static OpenAiServer> {
    static SERVER: OnceLock<Option<OpenAiServer>> = OnceLock::new();
    SERVER
        .get_or_init(|| {
            OpenAiServer::start(&["--ttft_ms", "80", "--itl_ms", "20", "--stream_usage"])
        })
        .as_ref()
}

/// Runs `kdeck probe ARGS`: (exit code, stdout, stderr).
fn kdeck_probe(args: &[&str]) -> (i32, String, String) {
    // A state dir of its own: kdeck makes the dir it logs into private (0700), so the
    // shared temp dir would lose its sticky, world-writable mode.
    let sandbox = common::Sandbox::new();
    let out = Command::new(common::kdeck())
        .arg("probe")
        .args(args)
        .envs(sandbox.env())
        .output()
        .expect("run kdeck probe");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

/// Runs `kdeck probe URL --model llm --protocol openai ARGS -o json`.
fn probe(url: &str, args: &[&str]) -> (i32, Value, String) {
    let mut all = vec![url, "--model", "llm", "--protocol", "openai", "-o", "json"];
    all.extend_from_slice(args);
    let (code, stdout, stderr) = kdeck_probe(&all);
    let json = serde_json::from_str(&stdout)
        .unwrap_or_else(|e| panic!("not JSON ({e}): {stdout}\nstderr: {stderr}"));
    (code, json, stderr)
}

fn f(v: &Value, key: &str) -> f64 {
    v[key]
        .as_f64()
        .unwrap_or_else(|| panic!("{key} missing in {v}"))
}

/// The figures against the server's delays: TTFT never below the server's delay (a clock
/// started late, e.g. at the response headers, would be) and below the end-to-end time (a
/// clock stopped at the last token would not be); how far above the delay it lands is the
/// machine's load (4 requests at once wait on one Python event loop: 25 ms more on a busy
/// 2-core machine), so no fixed margin over it is asserted. The decode rate within 10 % of
/// 1000 / ITL: the server sends each token when its schedule says (first + k × ITL), so the
/// tokens over the decode time hold to it under load too (48–50.5 tok/s at a load of 14 on
/// 2 cores). The median gap does not: a late server catches up in bursts (ITL p50 5.7–16 ms
/// on that machine, 20.1 idle), so of the ITL only its order is asserted.
fn assert_matches_the_delays(json: &Value) {
    let (ttft, itl, rate) = (
        f(json, "ttft_p50_ms"),
        f(json, "itl_p50_ms"),
        f(json, "output_tokens_per_s"),
    );
    eprintln!(
        "known: TTFT {TTFT_MS} ms, ITL {ITL_MS} ms, {} tok/s; kdeck: TTFT p50 {ttft:.2} p90 {:.2} \
         p99 {:.2} ms, ITL p50 {itl:.2} p90 {:.2} p99 {:.2} ms, {rate:.2} tok/s, e2e p50 {:.2} ms",
        1000.0 / ITL_MS,
        f(json, "ttft_p90_ms"),
        f(json, "ttft_p99_ms"),
        f(json, "itl_p90_ms"),
        f(json, "itl_p99_ms"),
        f(json, "p50_ms"),
    );
    assert!(
        ttft >= TTFT_MS && ttft < f(json, "p50_ms"),
        "TTFT {ttft}: {json}"
    );
    assert!(itl > 0.0, "ITL {itl}: {json}");
    let expected = 1000.0 / ITL_MS;
    assert!(
        (rate - expected).abs() <= expected * 0.1,
        "rate {rate}: {json}"
    );
    assert!(f(json, "ttft_p50_ms") <= f(json, "ttft_p99_ms"));
    assert!(f(json, "itl_p50_ms") <= f(json, "itl_p99_ms"));
}

#[test]
fn streamed_chat_figures_match_the_servers_delays() {
    let Some(server) = server() else { return };
    let (code, json, stderr) = probe(&server.url(), &["--count", "10", "--max-tokens", "16"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(
        (json["ok"].as_u64(), json["failed"].as_u64()),
        (Some(10), Some(0))
    );
    assert_eq!(json["protocol"], "openai");
    // The route prefix was found under KServe's /openai/v1.
    let detail = json["checks"][0]["detail"].as_str().unwrap();
    assert!(detail.contains("/openai/v1/models"), "{detail}");
    assert_matches_the_delays(&json);
    // 16 tokens (the usage says so too) per request; end to end is at least the last token.
    assert_eq!(json["output_tokens_total"], 160, "{json}");
    assert!(f(&json, "p50_ms") >= TTFT_MS + 15.0 * ITL_MS, "{json}");
}

#[test]
fn streamed_completions_under_concurrency_match_too() {
    let Some(server) = server() else { return };
    let args = [
        "--completion",
        "--prompt",
        "count",
        // 16 tokens, as in the chat test: a first token late by δ (4 requests on one Python
        // event loop) shortens the decode span by δ, since the later tokens keep to their
        // schedule; over 15 gaps (300 ms) the rate stays within 10 % up to δ = 27 ms, over 7
        // gaps (8 tokens) only up to 13 ms (55.6 tok/s was seen on a loaded machine).
        "--max-tokens",
        "16",
        "--count",
        "8",
        "--concurrency",
        "4",
    ];
    let (code, json, stderr) = probe(&server.url(), &args);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(
        (json["ok"].as_u64(), json["concurrency"].as_u64()),
        (Some(8), Some(4))
    );
    assert_matches_the_delays(&json);
    // Completion chunks carry no usage here: the tokens are counted from the stream.
    assert_eq!(json["output_tokens_total"], 128, "{json}");
}

#[test]
fn unstreamed_answers_are_timed_end_to_end_with_the_usage() {
    let Some(server) = server() else { return };
    let args = ["--no-stream", "--max-tokens", "4", "--count", "3"];
    let (code, json, stderr) = probe(&server.url(), &args);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["ok"], 3, "{json}");
    assert!(
        json["ttft_p50_ms"].is_null() && json["itl_p50_ms"].is_null(),
        "{json}"
    );
    assert_eq!(json["output_tokens_total"], 12, "{json}");
    assert!(f(&json, "p50_ms") >= TTFT_MS + 3.0 * ITL_MS, "{json}");
}

#[test]
fn a_model_the_server_does_not_list_is_a_setup_error() {
    let Some(server) = server() else { return };
    let url = server.url();
    let (code, stdout, stderr) = kdeck_probe(&[&url, "--model", "gpt-x", "--protocol", "openai"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("`gpt-x` is not served") && stderr.contains("llm"),
        "{stderr}"
    );
}

// --- a streaming fake, for the faults -------------------------------------------------

fn chunk(content: &str) -> String {
    format!(
        "data: {}\n\n",
        serde_json::json!({"choices": [{"index": 0, "delta": {"content": content}}]})
    )
}

fn ms(v: u64) -> Duration {
    Duration::from_millis(v)
}

/// A vLLM-like server (`/v1`, KServe's `/openai/v1` is 404) whose chat stream is `stream()`.
fn fake_vllm(stream: impl Fn() -> Reply + Send + Sync + 'static) -> FakeSse {
    FakeSse::serve(Box::new(move |method, path| match (method, path) {
        ("GET", "/v1/models") => Reply::Whole(
            200,
            "application/json",
            r#"{"object":"list","data":[{"id":"llm","object":"model"}]}"#.into(),
        ),
        ("POST", "/v1/chat/completions") => stream(),
        _ => Reply::Whole(404, "application/json", r#"{"detail":"Not Found"}"#.into()),
    }))
}

#[test]
fn vllm_route_prefix_is_found_and_the_usage_counts_tokens() {
    let fake = fake_vllm(|| Reply::Stream {
        parts: vec![
            (ms(0), chunk("")),
            (ms(30), chunk("a")),
            (ms(10), chunk("b")),
            (ms(10), chunk("c")),
            // The server merged tokens into events: its usage says 7.
            (
                ms(0),
                "data: {\"choices\":[],\"usage\":{\"completion_tokens\":7}}\n\n".into(),
            ),
            (ms(0), "data: [DONE]\n\n".into()),
        ],
        cut: false,
    });
    let (code, json, stderr) = probe(&fake.url(), &["--count", "2"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    let detail = json["checks"][0]["detail"].as_str().unwrap();
    assert!(
        detail.ends_with("/v1/models: llm") && !detail.contains("openai"),
        "{detail}"
    );
    assert_eq!(json["output_tokens_total"], 14, "{json}");
    assert!(f(&json, "ttft_p50_ms") >= 30.0, "{json}");
    // A URL that names the API root is taken as it is.
    let (code, json, stderr) = probe(&format!("{}/v1/", fake.url()), &["--count", "1"]);
    assert_eq!(code, 0, "{json}\n{stderr}");
    assert_eq!(json["checks"].as_array().unwrap().len(), 1, "{json}");
}

#[test]
fn a_server_that_is_down_or_not_openai_is_a_setup_error() {
    let port = common::model_server::free_port();
    let url = format!("http://127.0.0.1:{port}");
    let (code, stdout, stderr) = kdeck_probe(&[&url, "--model", "llm", "--protocol", "openai"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(stderr.contains("cannot reach the model server"), "{stderr}");
    // Something answers, but no OpenAI model list under either prefix.
    let other = FakeSse::serve(Box::new(|_, _| {
        Reply::Whole(404, "text/plain", "no such page".into())
    }));
    let (code, stdout, stderr) =
        kdeck_probe(&[&other.url(), "--model", "llm", "--protocol", "openai"]);
    assert_eq!(code, 2, "{stdout}\n{stderr}");
    assert!(
        stderr.contains("no OpenAI-compatible API") && stderr.contains("/openai/v1/models"),
        "{stderr}"
    );
}

#[test]
fn a_stream_cut_mid_way_is_an_error_of_its_own_kind() {
    // The connection closes after two tokens, inside the chunked body.
    let cut = fake_vllm(|| Reply::Stream {
        parts: vec![(ms(0), chunk("a")), (ms(5), chunk("b"))],
        cut: true,
    });
    let (code, json, _) = probe(&cut.url(), &["--count", "2"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["errors"],
        serde_json::json!({"stream_cut": 2}),
        "{json}"
    );
    let example = json["error_examples"]["stream_cut"].as_str().unwrap();
    assert!(example.contains("after 2 token(s)"), "{example}");
    // The body ends properly but without `data: [DONE]` (and mid-event): cut too.
    let short = fake_vllm(|| Reply::Stream {
        parts: vec![(ms(0), chunk("a")), (ms(0), "data: {\"choi".into())],
        cut: false,
    });
    let (code, json, _) = probe(&short.url(), &["--count", "1"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["errors"],
        serde_json::json!({"stream_cut": 1}),
        "{json}"
    );
    let example = json["error_examples"]["stream_cut"].as_str().unwrap();
    assert!(example.contains("middle of an event"), "{example}");
}

#[test]
fn malformed_and_error_events_are_counted_and_printed_inert() {
    // Not JSON, with escape sequences a terminal would obey.
    let hostile = fake_vllm(|| Reply::Stream {
        parts: vec![
            (ms(0), chunk("a")),
            (ms(0), "data: \u{1b}]0;pwned\u{7}\u{1b}[2J{oops\n\n".into()),
        ],
        cut: false,
    });
    let url = hostile.url();
    let (code, json, _) = probe(&url, &["--count", "2"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(
        json["errors"],
        serde_json::json!({"bad_event": 2}),
        "{json}"
    );
    let (code, table, stderr) = kdeck_probe(&[&url, "--model", "llm", "--protocol", "openai"]);
    assert_eq!(code, 1, "{table}\n{stderr}");
    assert!(table.contains("bad_event"), "{table}");
    assert!(
        !table.contains('\u{1b}') && !table.contains('\u{7}'),
        "{table:?}"
    );
    // JSON without `choices`, an error event, and an answer that does not stream at all.
    for (reply, kind) in [
        ("data: {\"id\":\"x\"}\n\n", "bad_event"),
        (
            "data: {\"error\":{\"message\":\"KV cache exhausted\"}}\n\n",
            "stream_error",
        ),
    ] {
        let fake = fake_vllm(move || Reply::Stream {
            parts: vec![(ms(0), reply.to_string())],
            cut: false,
        });
        let (code, json, _) = probe(&fake.url(), &["--count", "1"]);
        assert_eq!(code, 1, "{json}");
        assert_eq!(json["errors"][kind], 1, "{json}");
    }
    let json_only = fake_vllm(|| Reply::Whole(200, "application/json", r#"{"choices":[]}"#.into()));
    let (_, json, _) = probe(&json_only.url(), &["--count", "1"]);
    let example = json["error_examples"]["bad_event"].as_str().unwrap();
    assert!(example.contains("--no-stream"), "{example}");
}

#[test]
fn a_stream_that_stalls_meets_its_deadline() {
    let stalled = fake_vllm(|| Reply::Stream {
        parts: vec![(ms(0), chunk("a")), (ms(5000), chunk("b"))],
        cut: false,
    });
    let (code, json, _) = probe(&stalled.url(), &["--count", "1", "--timeout", "300ms"]);
    assert_eq!(code, 1, "{json}");
    assert_eq!(json["errors"], serde_json::json!({"timeout": 1}), "{json}");
}
