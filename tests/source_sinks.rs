//! Sources emit their own event types through a sink (DESIGN.md §3, "Layers the compiler can
//! see"): a source runs and is tested with a plain channel of its events, no app, no `Msg`.
#![allow(clippy::unwrap_used)]

mod common;

use common::sim::Sim;
use kdeck::domain::kind::{KINDS, Kind};
use kdeck::domain::scope::NamespaceScope;
use kdeck::domain::watch::WatchEvent;
use kdeck::sources::kube::backoff::SharedBackoff;
use kdeck::sources::kube::events::{ClusterMsg, LogMsg};
use kdeck::sources::kube::logs::LogStreamSpec;
use kdeck::sources::sink::Sink;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

const DEADLINE: Duration = Duration::from_secs(20);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_watcher_lists_the_services_into_a_channel_of_its_own_events() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let (tx, mut rx) = tokio::sync::mpsc::channel::<ClusterMsg>(16);
    let cancel = CancellationToken::new();
    let spec = KINDS
        .iter()
        .find(|k| k.kind == Kind::InferenceService)
        .unwrap();
    tokio::spawn(kdeck::sources::kube::watch::run(
        client,
        spec,
        NamespaceScope::All,
        7,
        Sink::channel(tx),
        cancel.clone(),
        None,
        Arc::new(SharedBackoff::default()),
    ));
    let mut services = 0;
    let listed = tokio::time::timeout(DEADLINE, async {
        while let Some(msg) = rx.recv().await {
            let ClusterMsg::Watch {
                epoch: 7,
                kind: Kind::InferenceService,
                events,
            } = msg
            else {
                panic!("unexpected {msg:?}");
            };
            for event in events {
                match event {
                    WatchEvent::Upsert(_) => services += 1,
                    WatchEvent::RelistDone => return true,
                    _ => {}
                }
            }
        }
        false
    })
    .await;
    cancel.cancel();
    assert_eq!(listed, Ok(true), "the first list did not complete");
    assert_eq!(services, 13, "the demo's InferenceServices");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_log_stream_sends_its_lines_into_a_channel_of_its_own_events() {
    let sim = Sim::demo();
    let client = sim.client().await;
    let pods: kube::Api<k8s_openapi::api::core::v1::Pod> =
        kube::Api::namespaced(client.clone(), "ml-prod");
    let pod = common::sim::poll_async(DEADLINE, || {
        let pods = pods.clone();
        async move {
            let list = pods.list(&Default::default()).await.ok()?;
            list.items.into_iter().find_map(|p| {
                let running = p.status.as_ref()?.phase.as_deref() == Some("Running");
                running.then(|| p.metadata.name.clone()).flatten()
            })
        }
    })
    .await
    .expect("a running pod in ml-prod");
    let (tx, mut rx) = tokio::sync::mpsc::channel::<LogMsg>(16);
    let spec = LogStreamSpec {
        session: 3,
        pod: kdeck::domain::key::ObjectKey::new("ml-prod", &pod),
        container: "kserve-container".to_string(),
        previous: false,
        since_seconds: None,
        tail_lines: Some(5),
        follow: false,
    };
    tokio::spawn(kdeck::sources::kube::logs::follow(
        client,
        spec,
        Sink::channel(tx),
        CancellationToken::new(),
    ));
    // Without follow the stream ends at the end of the log: the source returns and drops its
    // sink, which closes the channel.
    let mut lines = 0;
    let closed = tokio::time::timeout(DEADLINE, async {
        while let Some(msg) = rx.recv().await {
            match msg {
                LogMsg::Lines(batch) if batch.session == 3 => lines += batch.lines.len(),
                other => panic!("unexpected {other:?}"),
            }
        }
    })
    .await;
    assert!(closed.is_ok(), "the stream without follow did not end");
    assert!(lines > 0, "no lines from {pod}");
}
