//! LLM serving under the simulated API server's faults: a refused LLMInferenceService watch
//! shows the stale marker in the console (before, the LLM rows froze without a word) and
//! recovers; a refused watcher keeps its own retry schedule instead of asking again every
//! time another kind's watch gets through.
#![allow(clippy::unwrap_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, console};
use common::sim::Sim;
use kdeck::domain::kind::Kind;
use kdeck::domain::scope::NamespaceScope;
use kdeck::sources::kube::backoff::SharedBackoff;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

#[test]
fn a_refused_llm_watch_shows_stale_in_the_console_and_recovers() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    assert!(
        s.wait_for(WAIT, |t| t.contains("llama-chat-canary [LLM]")),
        "{}",
        s.screen()
    );
    cluster.fault("forbid-verb=watch:llminferenceservices");
    cluster.server.faults.drop_watches();
    assert!(
        s.wait_for(WAIT, |t| t.contains("stale since")
            && t.contains("llminferenceservices")),
        "the refused LLM watch left no mark:\n{}",
        s.screen()
    );
    // The rows stay, the place in the list is kept.
    assert!(s.screen().contains("llama-chat-canary [LLM]"));
    cluster.clear_faults();
    cluster.server.faults.drop_watches();
    assert!(
        s.wait_for(Duration::from_secs(45), |t| !t.contains("stale since")),
        "did not recover:\n{}",
        s.screen()
    );
    s.send("q");
}

/// List requests the sim has answered so far.
fn lists(sim: &Sim) -> u64 {
    sim.stats_blocking()["requests"]["list"]["requests"]
        .as_u64()
        .unwrap_or(0)
}

#[test]
fn a_refused_watcher_is_not_woken_by_the_others_recovering() {
    let sim = Sim::demo_with(&["forbid-namespace=llm"]);
    let client = sim.block_on(sim.client());
    let before = lists(&sim);
    let cancel = CancellationToken::new();
    let backoff = Arc::new(SharedBackoff::default());
    let (tx, mut rx) = tokio::sync::mpsc::channel(64);
    let watcher = kdeck::sources::kube::watch::run(
        client,
        Kind::LlmInferenceService.spec(),
        NamespaceScope::One("llm".to_string()),
        1,
        kdeck::sources::sink::Sink::channel(tx),
        cancel.clone(),
        None,
        backoff.clone(),
    );
    let refusals = sim.block_on(async {
        let task = tokio::spawn(watcher);
        // Another kind's watcher flapping: a failure, then through again, every 20 ms.
        let flapping = {
            let backoff = backoff.clone();
            let cancel = cancel.clone();
            tokio::spawn(async move {
                while !cancel.is_cancelled() {
                    let _ = backoff.failed();
                    backoff.succeeded();
                    tokio::time::sleep(Duration::from_millis(20)).await;
                }
            })
        };
        let mut refusals = 0;
        let until = tokio::time::Instant::now() + Duration::from_secs(3);
        while let Ok(Some(msg)) = tokio::time::timeout_at(until, rx.recv()).await {
            if let kdeck::sources::kube::events::ClusterMsg::WatchError {
                forbidden: true, ..
            } = msg
            {
                refusals += 1;
            }
        }
        cancel.cancel();
        let _ = task.await;
        let _ = flapping.await;
        refusals
    });
    let asked = lists(&sim) - before;
    assert!(refusals >= 2, "the refusal was not reported: {refusals}");
    // Its own schedule (250 ms doubling, with jitter) allows about five tries in 3 s; woken
    // at every recovery of the others it asked about a hundred times.
    assert!(asked <= 10, "{asked} list requests in 3 s while refused");
}
