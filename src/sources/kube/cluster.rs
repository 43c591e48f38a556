//! The cluster connection of one epoch: connect (retrying while the API server is
//! unreachable), discover whether KServe is installed, then run one watcher per kind until
//! cancelled by a context or namespace switch.

use super::connect::{Connection, KubeconfigSource, connect};
use super::events::ClusterMsg;
use super::watch;
use crate::config::Config;
use crate::domain::dcgm::DcgmBatch;
use crate::domain::kind::{KINDS, Kind};
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::Kserve;
use crate::sources::sink::Sink;
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
            let alpha = client
                .list_api_group_resources("serving.kserve.io/v1alpha1")
                .await;
            let serves = |name: &str| {
                alpha
                    .as_ref()
                    .is_ok_and(|l| l.resources.iter().any(|r| r.name == name))
            };
            Kserve::Present {
                llm: serves("llminferenceservices"),
                trained: serves("trainedmodels"),
            }
        }
        Ok(_) => Kserve::Missing,
        Err(kube::Error::Api(status)) if status.code == 404 => Kserve::Missing,
        // Unknown (e.g. discovery forbidden): try the watchers anyway.
        Err(_) => Kserve::Present {
            llm: false,
            trained: false,
        },
    }
}

/// Starts the caller's own sources of a connection (the latency scraper) once it is made;
/// their tasks end with the epoch.
pub type OnConnected = Box<dyn FnOnce(kube::Client) -> Vec<tokio::task::JoinHandle<()>> + Send>;

/// Where one connection's sources report.
pub struct ClusterSinks {
    /// The connection, discovery, health and the watchers.
    pub cluster: Sink<ClusterMsg>,
    /// Each round of the cluster's DCGM exporters (or Prometheus).
    pub gpu: Sink<DcgmBatch>,
    /// Problems for the status bar.
    pub notices: Sink<(NoticeLevel, String)>,
    pub on_connected: OnConnected,
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
    sinks: ClusterSinks,
    cancel: CancellationToken,
    shared: Arc<Mutex<Option<Connection>>>,
) {
    let ClusterSinks {
        cluster: tx,
        gpu,
        notices,
        on_connected,
    } = sinks;
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
                if !tx.send(msg).await || !err.configured {
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
    if !tx.send(connected).await {
        return;
    }
    let kserve = discover(&connection.client).await;
    let _ = tx
        .send(ClusterMsg::Discovered {
            epoch,
            kserve: kserve.clone(),
        })
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
            (Kserve::Present { llm, .. }, Kind::LlmInferenceService) => *llm,
            (Kserve::Present { trained, .. }, Kind::TrainedModel) => *trained,
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
    tasks.extend(on_connected(connection.client.clone()));
    tasks.push(tokio::spawn(gpu_source(
        settings,
        connection.client.clone(),
        gpu,
        notices,
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
    tx: Sink<DcgmBatch>,
    notices: Sink<(NoticeLevel, String)>,
    cancel: CancellationToken,
) {
    use crate::sources::gpu::{dcgm_loop, dcgm_prometheus, dcgm_targets::DcgmScrapeConfig};
    if let Some(url) = settings.prometheus_url.clone() {
        let http = match crate::sources::prometheus::http_client(std::time::Duration::from_secs(10))
        {
            Ok(c) => c,
            Err(e) => {
                let _ = notices.send((NoticeLevel::Error, e.to_string())).await;
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
            if !tx.send(batch).await {
                return;
            }
        }
        return;
    }
    let (config, _warnings) = DcgmScrapeConfig::with_selectors(&settings.dcgm_selectors);
    dcgm_loop::run(client, settings.dcgm_selectors.clone(), config, cancel, tx).await;
}
