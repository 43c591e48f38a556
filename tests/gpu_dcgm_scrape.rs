//! The DCGM sources over real HTTP: the kube client reading exporters through a stand-in for
//! the API server's pod proxy (good exporters, a 503, a 403 and one that hangs), and the
//! Prometheus mode against a stand-in `/api/v1/query`.

use axum::http::{StatusCode, Uri};
use axum::response::{IntoResponse, Response};
use k8s_openapi::api::core::v1::Pod;
use kdeck::sources::gpu::dcgm_prometheus::{self, PrometheusSource};
use kdeck::sources::gpu::dcgm_scrape::{self, scrape_once};
use kdeck::sources::gpu::dcgm_targets::{DcgmScrapeConfig, discover};
use kdeck::sources::prometheus::http_client;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::sync::Arc;
use std::time::Duration;
use tokio_util::sync::CancellationToken;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gpu/dcgm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn status(code: u16, reason: &str, message: &str) -> Response {
    let body = serde_json::json!({
        "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
        "message": message, "reason": reason, "code": code,
    });
    (
        StatusCode::from_u16(code).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR),
        [("content-type", "application/json")],
        body.to_string(),
    )
        .into_response()
}

/// Answers `/api/v1/namespaces/NS/pods/NAME:PORT/proxy/metrics` like an API server would.
async fn api_server(uri: Uri) -> Response {
    let path = uri.path();
    let prefix = "/api/v1/namespaces/gpu-operator/pods/";
    let Some(rest) = path.strip_prefix(prefix) else {
        return status(
            404,
            "NotFound",
            "the server could not find the requested resource",
        );
    };
    match rest {
        "exporter-a:9400/proxy/metrics" => fixture("gpu-node-1.txt").into_response(),
        "exporter-b:9400/proxy/metrics" => fixture("gpu-node-2.txt").into_response(),
        // The kube client retries 503s with backoff; with the short timeout of these tests it
        // shows up as "did not answer".
        "exporter-down:9400/proxy/metrics" => status(
            503,
            "ServiceUnavailable",
            "error trying to reach service: dial tcp 10.0.2.9:9400: connect: connection refused",
        ),
        "exporter-broken:9400/proxy/metrics" => status(
            500,
            "InternalError",
            "an error on the server (\"unknown\") has prevented the request from succeeding",
        ),
        "exporter-forbidden:9400/proxy/metrics" => status(
            403,
            "Forbidden",
            "pods \"exporter-forbidden\" is forbidden: User \"dev\" cannot get resource \"pods/proxy\"",
        ),
        "exporter-hangs:9400/proxy/metrics" => {
            tokio::time::sleep(Duration::from_secs(3600)).await;
            "late".into_response()
        }
        _ => status(404, "NotFound", "pods not found"),
    }
}

async fn serve(app: axum::Router) -> SocketAddr {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
        .await
        .expect("bind a local port");
    let addr = listener.local_addr().expect("local address");
    tokio::spawn(async move {
        let _ = axum::serve(listener, app).await;
    });
    addr
}

fn kube_client(addr: SocketAddr) -> kube::Client {
    kdeck::sources::tls::ensure_crypto_provider();
    let url = format!("http://{addr}").parse().expect("a URL");
    kube::Client::try_from(kube::Config::new(url)).expect("a kube client")
}

fn exporter(name: &str, node: &str) -> Pod {
    serde_json::from_value(serde_json::json!({
        "metadata": {"namespace": "gpu-operator", "name": name,
                     "labels": {"app": "nvidia-dcgm-exporter"}},
        "spec": {"nodeName": node, "containers": []},
        "status": {"phase": "Running"},
    }))
    .expect("a pod")
}

fn config() -> DcgmScrapeConfig {
    DcgmScrapeConfig {
        timeout: Duration::from_secs(2),
        interval: Duration::from_millis(20),
        ..DcgmScrapeConfig::default()
    }
}

#[tokio::test]
async fn failing_exporters_are_errors_and_the_rest_is_kept() {
    let addr = serve(axum::Router::new().fallback(api_server)).await;
    let client = kube_client(addr);
    let pods = [
        exporter("exporter-a", "gpu-node-1"),
        exporter("exporter-b", "gpu-node-2"),
        exporter("exporter-down", "gpu-node-4"),
        exporter("exporter-broken", "gpu-node-7"),
        exporter("exporter-forbidden", "gpu-node-5"),
        exporter("exporter-hangs", "gpu-node-6"),
    ];
    let targets = discover(&pods, &config());
    assert_eq!(targets.len(), 6);
    let batch = scrape_once(&client, &targets, &config()).await;

    assert_eq!(batch.targets, 6);
    assert_eq!(
        batch.gpus.len(),
        4 + 3,
        "node 1's four GPUs and node 2's A100 with 2 MIG instances"
    );
    assert!(batch.warnings.is_empty(), "{:?}", batch.warnings);

    let error = |pod: &str| {
        batch
            .errors
            .iter()
            .find(|e| e.target == format!("gpu-operator/{pod}"))
            .map(|e| e.message.clone())
            .unwrap_or_else(|| panic!("no error for {pod}: {:?}", batch.errors))
    };
    assert_eq!(batch.errors.len(), 4);
    let down = error("exporter-down");
    assert!(
        down.contains("could not reach it") && down.contains("port 9400"),
        "{down}"
    );
    let broken = error("exporter-broken");
    assert!(
        broken.contains("answered 500") && broken.contains("port 9400"),
        "{broken}"
    );
    let forbidden = error("exporter-forbidden");
    assert!(
        forbidden.contains("403") && forbidden.contains("pods/proxy"),
        "{forbidden}"
    );
    let hangs = error("exporter-hangs");
    assert!(hangs.contains("did not answer within 2.0s"), "{hangs}");
}

#[tokio::test]
async fn no_exporters_is_a_warning_that_says_what_to_do() {
    let addr = serve(axum::Router::new().fallback(api_server)).await;
    let batch = scrape_once(&kube_client(addr), &[], &config()).await;
    assert!(batch.gpus.is_empty() && batch.errors.is_empty());
    assert!(batch.warnings[0].contains("no running DCGM exporter pods found"));
    assert!(batch.warnings[0].contains("app=nvidia-dcgm-exporter"));
}

#[tokio::test]
async fn the_loop_follows_the_pod_list_and_stops_when_cancelled() {
    let addr = serve(axum::Router::new().fallback(api_server)).await;
    let client = kube_client(addr);
    let pods = Arc::new(std::sync::Mutex::new(vec![Arc::new(exporter(
        "exporter-a",
        "gpu-node-1",
    ))]));
    let list = pods.clone();
    let (tx, mut rx) = tokio::sync::mpsc::channel(4);
    let cancel = CancellationToken::new();
    let task = tokio::spawn(dcgm_scrape::run(
        client,
        move || list.lock().map(|p| p.clone()).unwrap_or_default(),
        config(),
        cancel.clone(),
        tx,
    ));
    let first = within("a first batch", rx.recv())
        .await
        .expect("a first batch");
    assert_eq!((first.targets, first.gpus.len()), (1, 4));

    // A second exporter appears in the caller's list; a later round scrapes it too.
    pods.lock()
        .expect("lock")
        .push(Arc::new(exporter("exporter-b", "gpu-node-2")));
    let mut later = within("another batch", rx.recv())
        .await
        .expect("another batch");
    while later.targets < 2 {
        later = within("a batch with both exporters", rx.recv())
            .await
            .expect("another batch");
    }
    assert_eq!(later.gpus.len(), 7);

    cancel.cancel();
    within("the loop to end once cancelled", task)
        .await
        .expect("the loop ends cleanly");
}

#[tokio::test]
async fn the_loop_ends_when_the_receiver_is_dropped() {
    let addr = serve(axum::Router::new().fallback(api_server)).await;
    let (tx, rx) = tokio::sync::mpsc::channel(1);
    drop(rx);
    let cancel = CancellationToken::new();
    // Never cancelled: the loop must see that nobody listens and end by itself.
    within(
        "the loop to end without a receiver",
        dcgm_scrape::run(
            kube_client(addr),
            || vec![Arc::new(exporter("exporter-a", "gpu-node-1"))],
            config(),
            cancel.clone(),
            tx,
        ),
    )
    .await;
    assert!(!cancel.is_cancelled());
}

/// `fut`'s output, or a test failure naming `what` after 10 s.
async fn within<T>(what: &str, fut: impl std::future::Future<Output = T>) -> T {
    match tokio::time::timeout(Duration::from_secs(10), fut).await {
        Ok(out) => out,
        Err(_) => panic!("no {what} within 10 s"),
    }
}

async fn prometheus(uri: Uri) -> Response {
    if uri.path() != "/api/v1/query" {
        return (StatusCode::NOT_FOUND, "404 page not found").into_response();
    }
    let query = uri.query().unwrap_or("");
    if !query.contains("DCGM_FI_DEV_GPU_UTIL") {
        let body = r#"{"status":"error","errorType":"bad_data","error":"unexpected query"}"#;
        return (StatusCode::BAD_REQUEST, body).into_response();
    }
    (
        [("content-type", "application/json")],
        fixture("prometheus-query.json"),
    )
        .into_response()
}

#[tokio::test]
async fn prometheus_mode_gives_the_same_records() {
    let addr = serve(axum::Router::new().fallback(prometheus)).await;
    let client = http_client(Duration::from_secs(5)).expect("an HTTP client");
    let source = PrometheusSource::new(format!("http://{addr}/"));
    let batch = dcgm_prometheus::query_once(&client, &source).await;
    assert!(batch.errors.is_empty(), "{:?}", batch.errors);
    assert_eq!(batch.gpus.len(), 8);
    assert!(
        batch
            .gpus
            .iter()
            .any(|g| g.model_name.as_deref() == Some("Tesla T4"))
    );
}

#[tokio::test]
async fn prometheus_errors_are_worded() {
    let addr = serve(axum::Router::new().fallback(prometheus)).await;
    let client = http_client(Duration::from_secs(5)).expect("an HTTP client");

    // A URL with a path in front of the API: the server answers 404 in plain text.
    let wrong_path = PrometheusSource::new(format!("http://{addr}/prometheus"));
    let batch = dcgm_prometheus::query_once(&client, &wrong_path).await;
    assert!(
        batch.errors[0].message.contains("HTTP 404"),
        "{:?}",
        batch.errors
    );

    // Nobody listens: a closed port.
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
        l.local_addr().expect("addr")
    };
    let unreachable = PrometheusSource::new(format!("http://{closed}"));
    let batch = dcgm_prometheus::query_once(&client, &unreachable).await;
    assert!(
        batch.errors[0].message.contains("cannot reach Prometheus"),
        "{:?}",
        batch.errors
    );
}
