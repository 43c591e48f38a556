//! Log streams against the simulated cluster, part two (part one: tests/logs_sim.rs): a cut
//! stream resumes with nothing lost or doubled, the previous container and the container choice,
//! and a stream that cannot reconnect for a while catches up exactly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/logs_sim.rs"]
mod support;

use kdeck::app::update::logs;
use kdeck::sim::faults::FaultSpec;
use kdeck::state::logs::ContainerChoice;
use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_cut_stream_resumes_with_nothing_lost_or_doubled() {
    let server = sim(1.0).await;
    let client = client_of(&server).await;
    // A container nothing else writes to any more: the completed storage-initializer.
    let pod = first_pod(&server, "xgb-churn-predictor-00001");
    let (mut rx, cancel) = follow(&server, client, &pod, "storage-initializer", false);
    let (head, _) = collect(&mut rx, Duration::from_secs(5), |l| !l.is_empty()).await;
    assert!(!head.is_empty(), "the storage-initializer's log is empty");
    server
        .faults
        .add(FaultSpec::DropLogs(Duration::from_millis(300)));
    // A writer at a steady rate while the sim cuts the stream every 300 ms; every 25th line
    // is followed by a burst of three identical lines sharing one timestamp.
    const N: usize = 1500;
    let expected: Vec<String> = (0..N)
        .flat_map(|i| {
            let burst = if i % 25 == 0 { 3 } else { 0 };
            std::iter::once(format!("seq {i:05}"))
                .chain(std::iter::repeat_n(format!("burst {i:05}"), burst))
        })
        .collect();
    let workload = server.workload.clone();
    let writer_pod = pod.clone();
    let writer = tokio::spawn(async move {
        for i in 0..N {
            workload.log(
                NS,
                &writer_pod,
                "storage-initializer",
                format!("seq {i:05}"),
            );
            if i % 25 == 0 {
                let text = format!("burst {i:05}");
                workload.log_burst(NS, &writer_pod, "storage-initializer", vec![text; 3]);
            }
            if i % 100 == 0 {
                tokio::time::sleep(Duration::from_millis(30)).await;
            }
            tokio::time::sleep(Duration::from_micros(1500)).await;
        }
    });
    let last = format!("seq {:05}", N - 1);
    let (lines, notices) = collect(&mut rx, Duration::from_secs(15), |l| l.contains(&last)).await;
    writer.await.unwrap();
    // Anything late (a double) would arrive right after.
    let (late, _) = collect(&mut rx, Duration::from_millis(800), |_| false).await;
    cancel.cancel();
    let got: Vec<String> = lines
        .iter()
        .chain(&late)
        .filter(|t| t.starts_with("seq ") || t.starts_with("burst "))
        .cloned()
        .collect();
    if got != expected {
        let mut balance: std::collections::BTreeMap<&String, i64> = Default::default();
        for e in &expected {
            *balance.entry(e).or_default() += 1;
        }
        for g in &got {
            *balance.entry(g).or_default() -= 1;
        }
        let missing: Vec<_> = balance.iter().filter(|(_, n)| **n > 0).take(10).collect();
        let doubled: Vec<_> = balance.iter().filter(|(_, n)| **n < 0).take(10).collect();
        panic!(
            "{} lines instead of {}; missing {missing:?}, doubled {doubled:?}; notices {notices:?}",
            got.len(),
            expected.len()
        );
    }
    // The stream really was cut, several times: each reconnect is a new log request.
    let stats: serde_json::Value = {
        let req = http::Request::get("/kdeck-sim/v1/stats")
            .body(Vec::new())
            .unwrap();
        serde_json::from_str(&client_of(&server).await.request_text(req).await.unwrap()).unwrap()
    };
    let log_requests = stats["requests"]["log"]["requests"].as_u64().unwrap_or(0);
    assert!(
        log_requests >= 4,
        "only {log_requests} log requests: the stream was not cut ({stats})"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn previous_container_and_container_choice() {
    let server = sim(20.0).await;
    let client = client_of(&server).await;
    let pod = running_pod(&server, "sklearn-iris-predictor-00001").await;
    // A restart: what the container wrote so far becomes the previous instance's log.
    server
        .workload
        .log(NS, &pod, "kserve-container", "before the crash: 7f3a");
    server.workload.restart(NS, &pod, "kserve-container");
    server
        .workload
        .log(NS, &pod, "kserve-container", "after the restart: 9c1e");
    let (mut rx, _c1) = follow(&server, client.clone(), &pod, "kserve-container", true);
    let (previous, notices) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t.contains("7f3a"))
    })
    .await;
    assert!(
        previous
            .iter()
            .any(|t| t.contains("before the crash: 7f3a")),
        "{previous:?} {notices:?}"
    );
    assert!(
        !previous.iter().any(|t| t.contains("9c1e")),
        "the current instance in the previous log"
    );
    let (mut rx, _c2) = follow(&server, client.clone(), &pod, "kserve-container", false);
    let (current, _) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t.contains("9c1e"))
    })
    .await;
    assert!(
        current
            .iter()
            .any(|t| t.contains("after the restart: 9c1e")),
        "{current:?}"
    );
    assert!(
        !current.iter().any(|t| t.contains("7f3a")),
        "the previous instance in the current log"
    );

    // Container choice: each container's own lines, none of the others'.
    let qp_pod = running_pod(&server, "fraud-detector-predictor-00001").await;
    let mut texts = Vec::new();
    for container in ["kserve-container", "queue-proxy", "storage-initializer"] {
        let (mut rx, cancel) = follow(&server, client.clone(), &qp_pod, container, false);
        let (lines, notices) = collect(&mut rx, Duration::from_secs(3), |l| l.len() >= 3).await;
        cancel.cancel();
        assert!(!lines.is_empty(), "{container}: no lines ({notices:?})");
        texts.push((container, lines));
    }
    let is_qp = |t: &str| t.contains("\"logger\":\"queueproxy\"");
    let is_init = |t: &str| {
        t.to_lowercase().contains("download") || t.contains("storage") || t.contains("initializer")
    };
    let (_, model) = &texts[0];
    let (_, qp) = &texts[1];
    let (_, init) = &texts[2];
    assert!(qp.iter().all(|t| is_qp(t)), "queue-proxy: {qp:?}");
    assert!(
        !model.iter().any(|t| is_qp(t)),
        "kserve-container has queue-proxy lines: {model:?}"
    );
    assert!(
        !init.iter().any(|t| is_qp(t)),
        "storage-initializer has queue-proxy lines"
    );
    assert!(
        init.iter().any(|t| is_init(t)),
        "storage-initializer: {init:?}"
    );
    assert!(model != init, "the same lines for two containers");

    // The console's container choice: queue-proxy streams of every pod of the service.
    let mut console = Console::start(&server);
    open_fraud_detector(&mut console).await;
    let effects = logs::action(
        &mut console.state,
        kdeck::domain::action::Action::NextContainer,
    );
    assert_eq!(
        console.state.logs.as_ref().unwrap().container,
        ContainerChoice::QueueProxy
    );
    console.apply(effects);
    assert!(
        console
            .until(Duration::from_secs(10), |s| s
                .logs
                .as_ref()
                .is_some_and(|v| v.lines.iter().any(|l| !l.marker)))
            .await
    );
    let view = console.state.logs.as_ref().unwrap();
    assert!(view.streams.keys().all(|(_, c)| c == "queue-proxy"));
    assert!(
        view.lines
            .iter()
            .filter(|l| !l.marker)
            .all(|l| &*l.container == "queue-proxy" && is_qp(&l.text.text))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_stream_that_cannot_reconnect_for_a_while_catches_up_exactly() {
    let server = sim(1.0).await;
    let client = client_of(&server).await;
    let pod = first_pod(&server, "xgb-churn-predictor-00001");
    let (mut rx, cancel) = follow(&server, client, &pod, "storage-initializer", false);
    let (head, _) = collect(&mut rx, Duration::from_secs(5), |l| !l.is_empty()).await;
    assert!(!head.is_empty());
    let write = |range: std::ops::Range<usize>| {
        for i in range {
            server
                .workload
                .log(NS, &pod, "storage-initializer", format!("seq {i:05}"));
        }
    };
    write(0..100);
    let (first, _) = collect(&mut rx, Duration::from_secs(5), |l| {
        l.iter().any(|t| t == "seq 00099")
    })
    .await;
    // The API server fails every log request, then the open stream is cut: the source
    // retries (and says so) while lines keep coming.
    server.faults.add("error500=log".parse().unwrap());
    server.faults.drop_logs();
    tokio::time::sleep(Duration::from_millis(200)).await;
    write(100..400);
    // Until the source says it is reconnecting (a failed retry: 250 ms after the cut on an
    // idle machine, later on a loaded one), with a deadline.
    let (mut during, mut notices) = (Vec::new(), Vec::<String>::new());
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !notices.iter().any(|n| n.starts_with("reconnecting"))
        && tokio::time::Instant::now() < deadline
    {
        let (lines, said) = collect(&mut rx, Duration::from_millis(100), |_| false).await;
        during.extend(lines);
        notices.extend(said);
    }
    assert!(
        notices.iter().any(|n| n.starts_with("reconnecting")),
        "no reconnecting notice: {notices:?}"
    );
    server.faults.clear();
    write(400..500);
    let (after, _) = collect(&mut rx, Duration::from_secs(10), |l| {
        l.iter().any(|t| t == "seq 00499")
    })
    .await;
    let (late, _) = collect(&mut rx, Duration::from_millis(500), |_| false).await;
    cancel.cancel();
    let got: Vec<&String> = first
        .iter()
        .chain(&during)
        .chain(&after)
        .chain(&late)
        .filter(|t| t.starts_with("seq "))
        .collect();
    let expected: Vec<String> = (0..500).map(|i| format!("seq {i:05}")).collect();
    assert_eq!(
        got.len(),
        expected.len(),
        "lost or doubled: {:?}…",
        &got[..got.len().min(5)]
    );
    assert!(
        got.iter().zip(&expected).all(|(g, e)| *g == e),
        "out of order"
    );
    assert!(
        !during.iter().any(|t| t.starts_with("seq ")),
        "lines arrived while every log request failed"
    );
}
