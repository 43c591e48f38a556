//! The passive latency source of a connection: every `metrics.interval` it lists the
//! InferenceService pods, scrapes each ready predictor pod's metrics through the pod proxy
//! (or asks Prometheus when one is configured), and sends one `Msg::Metrics` per round until
//! the connection is cancelled.

pub mod prometheus;
pub mod scrape;
pub mod targets;

use crate::app::inbox::Outbox;
use crate::app::msg::{Measurements, Msg};
use crate::domain::latency::Tracker;
use crate::domain::latency::window::DEFAULT_WINDOW;
use crate::domain::pod::ISVC_LABEL;
use crate::state::session::NamespaceScope;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often and where to measure.
#[derive(Debug, Clone)]
pub struct LatencyConfig {
    pub interval: Duration,
    /// Per pod (or per Prometheus query), per round.
    pub timeout: Duration,
    pub window: Duration,
    pub prometheus_url: Option<String>,
}

impl LatencyConfig {
    pub fn from_settings(settings: &crate::config::Config) -> LatencyConfig {
        LatencyConfig {
            interval: settings.metrics_interval,
            timeout: settings
                .metrics_interval
                .clamp(Duration::from_secs(1), Duration::from_secs(5)),
            window: DEFAULT_WINDOW.max(settings.metrics_interval * 2),
            prometheus_url: settings.prometheus_url.clone(),
        }
    }
}

/// Measures every `config.interval` until `cancel` fires or the inbox is closed.
pub async fn run(
    client: kube::Client,
    namespace: NamespaceScope,
    config: LatencyConfig,
    cancel: CancellationToken,
    tx: Outbox,
) {
    let http = match &config.prometheus_url {
        Some(_) => match crate::sources::gpu::dcgm_prometheus::http_client(config.timeout) {
            Ok(c) => Some(c),
            Err(e) => {
                let _ = tx
                    .send(Msg::Notice(crate::state::ui::NoticeLevel::Error, e))
                    .await;
                return;
            }
        },
        None => None,
    };
    let api: Api<Pod> = match &namespace {
        NamespaceScope::One(ns) => Api::namespaced(client.clone(), ns),
        NamespaceScope::All => Api::all(client.clone()),
    };
    let mut tracker = Tracker::new(config.window);
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let work = async {
            match (&http, &config.prometheus_url) {
                (Some(http), Some(url)) => prometheus::round(http, url, config.timeout).await,
                _ => pod_round(&client, &api, &config, &mut tracker).await,
            }
        };
        let measurements = tokio::select! {
            _ = cancel.cancelled() => return,
            m = work => m,
        };
        if tx.send(Msg::Metrics(measurements)).await.is_err() {
            return;
        }
    }
}

/// Lists the pods and scrapes them once.
pub async fn pod_round(
    client: &kube::Client,
    api: &Api<Pod>,
    config: &LatencyConfig,
    tracker: &mut Tracker,
) -> Measurements {
    let listed = api.list(&ListParams::default().labels(ISVC_LABEL)).await;
    let pods = match listed {
        Ok(list) => list.items,
        Err(e) => {
            // Nothing read this round: the update marks every service's figures stale.
            return Measurements {
                at: chrono::Utc::now(),
                problems: vec![format!(
                    "cannot list the InferenceService pods to read their latency: {} (needs \
                     `list pods`; or use --prometheus)",
                    crate::sources::kube::errors::describe(&e)
                )],
                ..Measurements::default()
            };
        }
    };
    let json: Vec<serde_json::Value> = pods
        .iter()
        .filter_map(|p| serde_json::to_value(p).ok())
        .collect();
    let targets = targets::targets(&json);
    scrape::round(client, &targets, config.timeout, tracker).await
}
