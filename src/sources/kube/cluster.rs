//! The cluster connection of one epoch: connect (retrying while the API server is
//! unreachable), discover whether KServe is installed, then run one watcher per kind until
//! cancelled by a context or namespace switch.

use super::connect::{Connection, KubeconfigSource, connect};
use super::watch;
use crate::app::inbox::Outbox;
use crate::app::msg::{ClusterMsg, Msg};
use crate::config::Config;
use crate::domain::kind::{KINDS, Kind};
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::Kserve;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How long to wait before trying to connect again.
const RECONNECT_DELAY: Duration = Duration::from_secs(3);

/// Finds out which KServe kinds the cluster serves.
pub async fn discover(client: &kube::Client) -> Kserve {
    match client
        .list_api_group_resources("serving.kserve.io/v1beta1")
        .await
    {
        Ok(list) if list.resources.iter().any(|r| r.name == "inferenceservices") => {
            let llm = client
                .list_api_group_resources("serving.kserve.io/v1alpha1")
                .await
                .map(|l| l.resources.iter().any(|r| r.name == "llminferenceservices"))
                .unwrap_or(false);
            Kserve::Present { llm }
        }
        Ok(_) => Kserve::Missing,
        Err(kube::Error::Api(status)) if status.code == 404 => Kserve::Missing,
        // Unknown (e.g. discovery forbidden): try the watchers anyway.
        Err(_) => Kserve::Present { llm: false },
    }
}

/// How long the other watchers wait for the services list before starting anyway.
const SERVICES_FIRST: std::time::Duration = std::time::Duration::from_secs(3);

/// Runs one connection epoch until `cancel`. The client, once made, is stored in `shared`
/// so other effects (logs, scrapes, actions) can use it.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    settings: Arc<Config>,
    source: KubeconfigSource,
    context: Option<String>,
    namespace: NamespaceScope,
    epoch: u64,
    tx: Outbox,
    cancel: CancellationToken,
    shared: Arc<Mutex<Option<Connection>>>,
    latency_targets: tokio::sync::watch::Receiver<crate::domain::latency::TargetSet>,
) {
    let connection = loop {
        let attempt = tokio::select! {
            _ = cancel.cancelled() => return,
            result = connect(&source, context.as_deref()) => result,
        };
        match attempt {
            Ok(connection) => break connection,
            Err(err) => {
                // The message is already free of secrets (errors::describe_auth).
                tracing::warn!("cannot connect: {}", err.message);
                let msg = ClusterMsg::ConnectFailed {
                    epoch,
                    error: err.message,
                    configured: err.configured,
                };
                if tx.send(Msg::Cluster(msg)).await.is_err() || !err.configured {
                    return;
                }
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(RECONNECT_DELAY) => {}
                }
            }
        }
    };
    if let Ok(mut slot) = shared.lock() {
        *slot = Some(connection.clone());
    }
    let connected = ClusterMsg::Connected {
        epoch,
        context: connection.context.clone(),
        contexts: connection.contexts.clone(),
        server: connection.server.clone(),
        default_namespace: connection.default_namespace.clone(),
        user: connection.user.clone(),
    };
    if tx.send(Msg::Cluster(connected)).await.is_err() {
        return;
    }
    let kserve = discover(&connection.client).await;
    let _ = tx
        .send(Msg::Cluster(ClusterMsg::Discovered {
            epoch,
            kserve: kserve.clone(),
        }))
        .await;
    let backoff = Arc::new(super::backoff::SharedBackoff::default());
    let mut tasks = vec![tokio::spawn(super::health::run(
        connection.clone(),
        epoch,
        tx.clone(),
        cancel.clone(),
        backoff.clone(),
    ))];
    // The services list first: the other kinds start once the services are listed (or after
    // SERVICES_FIRST), so on a big cluster the pods' pages don't compete with the list the
    // user is waiting for.
    let services_listed = Arc::new(tokio::sync::Notify::new());
    for spec in KINDS {
        let wanted = match (&kserve, spec.kind) {
            (Kserve::Missing, _) if spec.kserve => false,
            (Kserve::Present { llm }, Kind::LlmInferenceService) => *llm,
            _ => true,
        };
        if !wanted {
            continue;
        }
        let first = spec.kind == Kind::InferenceService;
        let services_listed = services_listed.clone();
        let watch = watch::run(
            connection.client.clone(),
            spec,
            namespace.clone(),
            epoch,
            tx.clone(),
            cancel.clone(),
            first.then(|| services_listed.clone()),
            backoff.clone(),
        );
        let services_watched = matches!(kserve, Kserve::Present { .. });
        tasks.push(tokio::spawn(async move {
            if !first && services_watched {
                let _ = tokio::time::timeout(SERVICES_FIRST, services_listed.notified()).await;
                // Wake the next kind waiting, too.
                services_listed.notify_one();
            }
            watch.await
        }));
    }
    tasks.push(tokio::spawn(crate::sources::latency::run(
        connection.client.clone(),
        crate::sources::latency::LatencyConfig::from_settings(&settings),
        latency_targets,
        cancel.clone(),
        tx.clone(),
    )));
    tasks.push(tokio::spawn(gpu_source(
        settings,
        connection.client.clone(),
        tx.clone(),
        cancel.clone(),
    )));
    cancel.cancelled().await;
    for task in tasks {
        task.abort();
    }
}

/// The cluster-GPU source of this connection: the DCGM exporters through the pod proxy, or a
/// Prometheus server when one is configured.
async fn gpu_source(
    settings: Arc<Config>,
    client: kube::Client,
    tx: Outbox,
    cancel: CancellationToken,
) {
    use crate::sources::gpu::{dcgm_loop, dcgm_prometheus, dcgm_targets::DcgmScrapeConfig};
    if let Some(url) = settings.prometheus_url.clone() {
        let http = match dcgm_prometheus::http_client(std::time::Duration::from_secs(10)) {
            Ok(c) => c,
            Err(e) => {
                let _ = tx
                    .send(Msg::Notice(crate::domain::notice::NoticeLevel::Error, e))
                    .await;
                return;
            }
        };
        let (batches, mut rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(dcgm_prometheus::run(
            http,
            dcgm_prometheus::PrometheusSource::new(url),
            cancel.clone(),
            batches,
        ));
        while let Some(batch) = rx.recv().await {
            if tx
                .send(Msg::Gpu(crate::app::msg::GpuMsg::Cluster(batch)))
                .await
                .is_err()
            {
                return;
            }
        }
        return;
    }
    let (config, _warnings) = DcgmScrapeConfig::with_selectors(&settings.dcgm_selectors);
    dcgm_loop::run(client, settings.dcgm_selectors.clone(), config, cancel, tx).await;
}
