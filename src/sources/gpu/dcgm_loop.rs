//! The console's DCGM source: each round it lists the exporter pods (by the configured label
//! selectors, in every namespace), scrapes them through the pod proxy, and sends the round
//! to the caller's sink. Exporters that come and go are followed; a round that cannot list pods says
//! why in the batch.

use super::dcgm_scrape::scrape_once;
use super::dcgm_targets::{DcgmScrapeConfig, discover};
use crate::domain::dcgm::{DcgmBatch, TargetError};
use crate::sources::sink::Sink;
use k8s_openapi::api::core::v1::Pod;
use kube::api::{Api, ListParams};
use std::collections::BTreeMap;
use tokio_util::sync::CancellationToken;

/// Scrapes the exporters every `config.interval` until cancelled.
pub async fn run(
    client: kube::Client,
    selectors: Vec<String>,
    config: DcgmScrapeConfig,
    cancel: CancellationToken,
    tx: Sink<DcgmBatch>,
) {
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let api: Api<Pod> = Api::all(client.clone());
    loop {
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
        }
        let mut pods: BTreeMap<String, Pod> = BTreeMap::new();
        let mut list_errors = Vec::new();
        for selector in &selectors {
            match api.list(&ListParams::default().labels(selector)).await {
                Ok(list) => {
                    for pod in list.items {
                        let uid = pod.metadata.uid.clone().unwrap_or_default();
                        pods.insert(uid, pod);
                    }
                }
                Err(e) => list_errors.push(TargetError {
                    target: format!("pods with {selector}"),
                    message: format!(
                        "cannot list DCGM exporter pods: {} (cluster GPUs need `list pods` in the exporters' namespace, or use --prometheus)",
                        crate::sources::kube::errors::describe(&e)
                    ),
                }),
            }
        }
        let targets = discover(pods.values(), &config);
        let mut batch = tokio::select! {
            _ = cancel.cancelled() => return,
            batch = scrape_once(&client, &targets, &config) => batch,
        };
        batch.errors.extend(list_errors);
        if !tx.send(batch).await {
            return;
        }
    }
}
