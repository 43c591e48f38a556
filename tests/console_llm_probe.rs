//! The console's probe of an LLM service, against the simulated demo: the request the
//! console builds for `i` (an OpenAI probe through the API server's pod proxy to a ready vLLM
//! pod on port 8000, route /v1) run by the project's probe source, as the runner runs it.
//! The canary's first token comes after its build's ~0.9 s TTFT; the stable member's fast.
//! And the probe key itself: the real binary in a pseudo-terminal on the demo's canary.
#![allow(clippy::unwrap_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, console, line_with};
use common::sim::Sim;
use kdeck::domain::probe::Protocol;
use kdeck::sources::probe::{ProbeSpec, run_via_api};
use std::time::Duration;

const MODEL: &str = "meta-llama/Llama-3.1-8B-Instruct";

fn spec(pod: &str) -> ProbeSpec {
    ProbeSpec {
        target: format!("/api/v1/namespaces/llm/pods/{pod}:8000/proxy/v1"),
        model: MODEL.into(),
        protocol: Protocol::Openai,
        count: 4,
        concurrency: 2,
        timeout: Duration::from_secs(10),
        payload: None,
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_llm_probe_streams_through_the_pod_proxy_and_times_the_canary_slow() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let canary = common::llm::ready_vllm_pod(&client, "llama-chat-canary").await;
    let stable = common::llm::ready_vllm_pod(&client, "llama-chat-stable").await;
    let spec_canary = spec(&canary);
    let slow = run_via_api(&client, &spec_canary).await.summary(
        Protocol::Openai,
        &spec_canary.target,
        MODEL,
        2,
    );
    assert_eq!(slow.setup_error, None, "{slow:?}");
    assert_eq!((slow.ok, slow.failed), (4, 0), "{slow:?}");
    assert!(slow.checks.iter().all(|c| c.ok), "{:?}", slow.checks);
    let slow_ttft = slow.stream.ttft_p50_ms.unwrap();
    assert!(slow_ttft >= 900.0 * 0.8, "canary TTFT p50 {slow_ttft} ms");
    assert!(slow.stream.itl_p50_ms.is_some() && slow.stream.output_tokens_per_s.is_some());
    assert!(slow.stream.ttft_p99_ms.unwrap() >= slow_ttft);
    let line = slow.one_line();
    for part in ["TTFT p50", " p99 ", "ITL p50", "tok/s"] {
        assert!(line.contains(part), "{line}");
    }
    let spec_stable = spec(&stable);
    let fast = run_via_api(&client, &spec_stable).await.summary(
        Protocol::Openai,
        &spec_stable.target,
        MODEL,
        2,
    );
    assert_eq!((fast.ok, fast.failed), (4, 0), "{fast:?}");
    assert!(
        fast.stream.ttft_p50_ms.unwrap() < slow_ttft,
        "stable {fast:?} vs canary {slow_ttft}"
    );
    // A model the pod does not serve: a setup error that says what it serves.
    let wrong = ProbeSpec {
        model: "no-such-model".into(),
        ..spec(&stable)
    };
    let report = run_via_api(&client, &wrong).await;
    let why = report.setup_error.unwrap();
    assert!(
        why.contains("no-such-model") && why.contains(MODEL),
        "{why}"
    );
}

#[test]
fn probe_key_on_the_llm_canary_shows_its_slow_first_token() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    s.send("/llama-chat-canary\r");
    assert!(
        s.wait_for(WAIT, |t| line_with(t, "llama-chat-canary [LLM]")
            .is_some_and(|l| l.contains("2/2"))),
        "filter did not apply, or the pods are not known:\n{}",
        s.screen()
    );
    s.send("i");
    let notice = "probe meta-llama/Llama-3.1-8B-Instruct (openai): 20/20 ok, TTFT p50 ";
    assert!(
        s.wait_for(Duration::from_secs(30), |t| line_with(t, notice)
            .is_some_and(|l| l.contains(" ms p99 "))),
        "no successful LLM probe:\n{}",
        s.screen()
    );
    let screen = s.screen();
    let line = line_with(&screen, notice).unwrap();
    let ttft: f64 = line[line.find(notice).unwrap() + notice.len()..]
        .split_whitespace()
        .next()
        .unwrap()
        .parse()
        .unwrap();
    assert!(ttft >= 900.0 * 0.8, "canary TTFT p50 {ttft} ms: {line}");
    s.send("q");
    s.wait_exit(WAIT);
}
