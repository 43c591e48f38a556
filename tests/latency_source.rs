//! The passive latency source against a fake Kubernetes API server (axum, over real HTTP
//! with the real kube client): the console's targets (chosen from pod objects) read through
//! the pod proxy path — a Knative pod's queue-proxy, a Standard-mode pod's model server with
//! a malformed family, a pod whose proxy fails — and the Prometheus mode against a fake
//! Prometheus.
#![allow(clippy::unwrap_used)]

mod common;

use axum::Router;
use axum::extract::{Path, Query, State};
use axum::response::IntoResponse;
use axum::routing::get;
use kdeck::domain::latency::Tracker;
use kdeck::domain::latency::targets::{Target, targets};
use kdeck::sources::latency::{LatencyConfig, prometheus, scrape};
use serde_json::json;
use std::collections::HashMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

#[derive(Default)]
struct Fake {
    scrapes: AtomicU64,
}

fn pod(name: &str, isvc: &str, revision: Option<&str>, containers: &[&str]) -> serde_json::Value {
    let mut labels = json!({"serving.kserve.io/inferenceservice": isvc, "component": "predictor"});
    if let Some(r) = revision {
        labels["serving.knative.dev/revision"] = json!(r);
    }
    json!({
        "metadata": {"name": name, "namespace": "ml", "uid": format!("uid-{name}"), "labels": labels},
        "spec": {"containers": containers.iter().map(|c| json!({"name": c, "image": "x"})).collect::<Vec<_>>()},
        "status": {"phase": "Running", "containerStatuses": containers.iter().map(|c| json!({"name": c, "ready": true, "restartCount": 0, "image": "x", "imageID": "", "state": {"running": {}}})).collect::<Vec<_>>()}
    })
}

/// The pods of the fake cluster, as the console would have them from its watch.
fn pod_objects() -> Vec<serde_json::Value> {
    vec![
        pod(
            "a-predictor-00001-deployment-x",
            "a",
            Some("a-predictor-00001"),
            &["kserve-container", "queue-proxy"],
        ),
        pod("b-predictor-5d8f", "b", None, &["kserve-container"]),
        pod("c-predictor-77aa", "c", None, &["kserve-container"]),
    ]
}

fn the_targets() -> Vec<Target> {
    targets(&pod_objects())
}

/// Cumulative counters grow by 100 requests per scrape.
fn queue_proxy(n: u64) -> String {
    let (ok, bad) = (90 * n, 10 * n);
    format!(
        "# TYPE revision_app_request_count counter\n\
         revision_app_request_count{{response_code=\"200\",response_code_class=\"2xx\"}} {ok}\n\
         revision_app_request_count{{response_code=\"500\",response_code_class=\"5xx\"}} {bad}\n\
         # TYPE revision_app_request_latencies histogram\n\
         revision_app_request_latencies_bucket{{response_code=\"200\",le=\"50\"}} {}\n\
         revision_app_request_latencies_bucket{{response_code=\"200\",le=\"100\"}} {ok}\n\
         revision_app_request_latencies_bucket{{response_code=\"200\",le=\"+Inf\"}} {ok}\n\
         revision_app_request_latencies_count{{response_code=\"200\"}} {ok}\n\
         revision_app_request_latencies_sum{{response_code=\"200\"}} {}\n",
        ok / 2,
        ok * 50
    )
}

fn model_server(n: u64) -> String {
    format!(
        "# HELP request_predict_seconds predict request latency\n\
         # TYPE request_predict_seconds histogram\n\
         request_predict_seconds_bucket{{le=\"0.01\",model_name=\"b\"}} {}\n\
         request_predict_seconds_bucket{{le=\"0.1\",model_name=\"b\"}} {}\n\
         request_predict_seconds_bucket{{le=\"+Inf\",model_name=\"b\"}} {}\n\
         request_predict_seconds_count{{model_name=\"b\"}} {}\n\
         request_predict_seconds_sum{{model_name=\"b\"}} 1.0\n\
         request_predict_seconds_bucket{{le=\"1.0\",model_name=\"b\" 5\n",
        10 * n,
        20 * n,
        20 * n,
        20 * n
    )
}

async fn proxy(
    State(fake): State<Arc<Fake>>,
    Path((_ns, target, rest)): Path<(String, String, String)>,
) -> axum::response::Response {
    let n = fake.scrapes.fetch_add(1, Ordering::SeqCst) / 3 + 1;
    match (target.as_str(), rest.as_str()) {
        ("a-predictor-00001-deployment-x:9091", "metrics") => queue_proxy(n).into_response(),
        ("b-predictor-5d8f:8080", "metrics") => model_server(n).into_response(),
        _ => (
            http::StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({"kind": "Status", "apiVersion": "v1", "status": "Failure", "code": 500,
                              "message": "error trying to reach service: dial tcp 10.0.0.9:8080: connect: connection refused"})),
        )
            .into_response(),
    }
}

async fn serve(router: Router) -> String {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    tokio::spawn(async move { axum::serve(listener, router).await });
    format!("http://{addr}")
}

fn settings() -> LatencyConfig {
    LatencyConfig {
        interval: Duration::from_secs(5),
        timeout: Duration::from_secs(3),
        window: Duration::from_secs(60),
        prometheus_url: None,
    }
}

#[tokio::test]
async fn pods_are_scraped_through_the_pod_proxy_and_summed_per_service() {
    kdeck::sources::tls::ensure_crypto_provider();
    let fake = Arc::new(Fake::default());
    let router = Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{target}/proxy/{*rest}",
            get(proxy),
        )
        .with_state(fake.clone());
    let url = serve(router).await;
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let mut tracker = Tracker::new(Duration::from_secs(60));
    let timeout = settings().timeout;
    // The rounds' times are given, 10 s apart, rather than slept for.
    let t0 = chrono::Utc::now();
    let first = scrape::round_at(&client, &the_targets(), timeout, &mut tracker, t0).await;
    assert_eq!(first.services.len(), 3, "{:?}", first.services);
    assert!(
        first
            .services
            .iter()
            .all(|(_, f)| f.p50_ms.is_none() || f.cumulative),
        "one scrape is no window: its figures are the counts since pod start, marked so"
    );
    let t1 = t0 + chrono::Duration::seconds(10);
    let m = scrape::round_at(&client, &the_targets(), timeout, &mut tracker, t1).await;
    let svc = |name: &str| {
        m.services
            .iter()
            .find(|(k, _)| k.name == name)
            .map(|(_, f)| f.clone())
            .unwrap()
    };
    // Knative pod: queue-proxy, 100 more requests of which 10 are 5xx; the 2xx latencies
    // are half ≤ 50 ms, half 50–100 ms, so the median is 50 ms.
    let a = svc("a");
    assert!(!a.stale);
    assert_eq!(a.error_ratio, Some(0.1));
    assert!((a.p50_ms.unwrap() - 50.0).abs() < 1e-9, "{a:?}");
    // 100 requests in the 10 s between the rounds.
    assert!((a.rps.unwrap() - 10.0).abs() < 1e-9, "{a:?}");
    let rev = m
        .revisions
        .iter()
        .find(|(k, r, _)| k.name == "a" && r == "a-predictor-00001");
    assert!(rev.is_some(), "{:?}", m.revisions);
    // Standard-mode pod: model server in seconds → ms, no response codes so no error ratio.
    let b = svc("b");
    assert!(!b.stale);
    assert_eq!(b.error_ratio, None);
    assert!((b.p50_ms.unwrap() - 10.0).abs() < 1e-9, "{b:?}");
    assert!(
        m.problems
            .iter()
            .any(|p| p.contains("b-predictor-5d8f") && p.contains("not valid Prometheus text")),
        "{:?}",
        m.problems
    );
    // The pod whose proxy fails: stale, and the problem says what happened.
    let c = svc("c");
    assert!(c.stale);
    assert_eq!(c.p50_ms, None);
    assert!(
        m.problems.iter().any(|p| p.contains("c-predictor-77aa")
            && p.contains("500")
            && p.contains("connection refused")),
        "{:?}",
        m.problems
    );
}

#[tokio::test]
async fn no_targets_is_an_empty_round_without_requests() {
    kdeck::sources::tls::ensure_crypto_provider();
    let fake = Arc::new(Fake::default());
    let router = Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{target}/proxy/{*rest}",
            get(proxy),
        )
        .with_state(fake.clone());
    let url = serve(router).await;
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let m = scrape::round(
        &client,
        &[],
        settings().timeout,
        &mut Tracker::new(Duration::from_secs(60)),
    )
    .await;
    assert!(m.services.is_empty() && m.problems.is_empty(), "{m:?}");
    assert_eq!(fake.scrapes.load(Ordering::SeqCst), 0);
}

#[tokio::test]
async fn prometheus_mode_asks_histogram_quantile_and_rates() {
    let asked = Arc::new(std::sync::Mutex::new(Vec::<String>::new()));
    let seen = asked.clone();
    let router = Router::new().route(
        "/api/v1/query",
        get(move |Query(q): Query<HashMap<String, String>>| {
            let seen = seen.clone();
            async move {
                let query = q.get("query").cloned().unwrap_or_default();
                seen.lock().unwrap().push(query.clone());
                let result = if query.starts_with("histogram_quantile(0.99, sum by (le, namespace_name, service_name, revision_name)") {
                    json!([{"metric": {"namespace_name": "ml", "service_name": "a-predictor", "revision_name": "a-predictor-00002"}, "value": [1, "1200"]}])
                } else if query.contains("revision_app_request_count") {
                    json!([{"metric": {"namespace_name": "ml", "service_name": "a-predictor", "revision_name": "a-predictor-00002", "response_code_class": "5xx"}, "value": [1, "2"]},
                           {"metric": {"namespace_name": "ml", "service_name": "a-predictor", "revision_name": "a-predictor-00002", "response_code_class": "2xx"}, "value": [1, "18"]}])
                } else {
                    json!([])
                };
                axum::Json(json!({"status": "success", "data": {"resultType": "vector", "result": result}}))
            }
        }),
    );
    let url = serve(router).await;
    kdeck::sources::tls::ensure_crypto_provider();
    let http = reqwest::Client::new();
    let m = prometheus::round(&http, &url, Duration::from_secs(3)).await;
    assert!(m.problems.is_empty(), "{:?}", m.problems);
    let (_, rev, f) = &m.revisions[0];
    assert_eq!(rev, "a-predictor-00002");
    assert_eq!(f.p99_ms, Some(1200.0));
    assert_eq!(f.rps, Some(20.0));
    assert_eq!(f.error_ratio, Some(0.1));
    assert_eq!(m.services[0].0.name, "a");
    assert!(
        asked
            .lock()
            .unwrap()
            .iter()
            .any(|q| q.contains("rate(revision_app_request_latencies_bucket[1m])"))
    );
    // Prometheus down: one problem per distinct error, worded.
    let down = prometheus::round(
        &http,
        &format!("http://127.0.0.1:{}", common::model_server::free_port()),
        Duration::from_secs(2),
    )
    .await;
    assert!(down.services.is_empty());
    assert!(
        down.problems
            .iter()
            .any(|p| p.contains("cannot reach Prometheus")),
        "{:?}",
        down.problems
    );
}

#[tokio::test]
async fn the_source_sends_a_round_per_interval_until_cancelled() {
    kdeck::sources::tls::ensure_crypto_provider();
    let fake = Arc::new(Fake::default());
    let router = Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{target}/proxy/{*rest}",
            get(proxy),
        )
        .with_state(fake.clone());
    let url = serve(router).await;
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let (tx, mut rx) = tokio::sync::mpsc::channel(8);
    let cancel = tokio_util::sync::CancellationToken::new();
    let config = LatencyConfig {
        interval: Duration::from_millis(100),
        ..settings()
    };
    let (_targets_tx, targets_rx) =
        tokio::sync::watch::channel(kdeck::domain::latency::TargetSet::from(the_targets()));
    let task = tokio::spawn(kdeck::sources::latency::run(
        client,
        config,
        targets_rx,
        cancel.clone(),
        tx,
    ));
    for round in 0..2 {
        let msg = tokio::time::timeout(Duration::from_secs(5), rx.recv())
            .await
            .unwrap()
            .unwrap();
        let kdeck::sources::latency::LatencyEvent::Round(m) = msg else {
            panic!("not a round: {msg:?}")
        };
        assert_eq!(m.services.len(), 3, "round {round}: {:?}", m.problems);
        if round == 1 {
            assert!(
                m.services.iter().any(|(_, f)| f.p50_ms.is_some()),
                "{:?}",
                m.services
            );
        }
    }
    cancel.cancel();
    tokio::time::timeout(Duration::from_secs(5), task)
        .await
        .unwrap()
        .unwrap();
}

/// Counts the scrapes the fake serves at once, holding each a moment so that overlapping
/// requests overlap at the server.
#[derive(Default)]
struct Overlap {
    now: AtomicU64,
    most: AtomicU64,
    served: AtomicU64,
}

#[tokio::test]
async fn a_round_keeps_few_scrapes_in_flight_and_reads_every_pod() {
    kdeck::sources::tls::ensure_crypto_provider();
    let overlap = Arc::new(Overlap::default());
    let router = Router::new()
        .route(
            "/api/v1/namespaces/{ns}/pods/{target}/proxy/{*rest}",
            get(|State(o): State<Arc<Overlap>>| async move {
                let now = o.now.fetch_add(1, Ordering::SeqCst) + 1;
                o.most.fetch_max(now, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(20)).await;
                o.now.fetch_sub(1, Ordering::SeqCst);
                o.served.fetch_add(1, Ordering::SeqCst);
                model_server(1)
            }),
        )
        .with_state(overlap.clone());
    let url = serve(router).await;
    let client = kube::Client::try_from(kube::Config::new(url.parse().unwrap())).unwrap();
    let pods: Vec<serde_json::Value> = (0..40)
        .map(|i| {
            pod(
                &format!("s{i}-predictor-1"),
                &format!("s{i}"),
                None,
                &["kserve-container"],
            )
        })
        .collect();
    let m = scrape::round(
        &client,
        &targets(&pods),
        settings().timeout,
        &mut Tracker::new(Duration::from_secs(60)),
    )
    .await;
    assert_eq!(overlap.served.load(Ordering::SeqCst), 40);
    assert_eq!(m.services.len(), 40, "{:?}", m.problems);
    let most = overlap.most.load(Ordering::SeqCst);
    assert!(
        most <= scrape::MAX_IN_FLIGHT as u64 && most > 1,
        "{most} scrapes at once"
    );
}
