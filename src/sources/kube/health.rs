//! Tells the console what the connection's requests actually do. Every request's outcome
//! lands in the connection's `HealthTracker` (the deadline layer); this source sends the
//! header's word whenever it changes. When no request has ended for a while (watches, logs
//! and scrapes prove nothing), it asks one small question — a one-item list of InferenceServices — so a
//! hung API server shows as unresponsive within one deadline. A probe that succeeds also
//! tells the watchers' shared back-off that the server is back.

use super::events::ClusterMsg;
use crate::domain::api_health::ApiHealth;
use crate::sources::sink::Sink;
use kube::api::{Api, DynamicObject, ListParams};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// How often the word is checked.
const CHECK_EVERY: Duration = Duration::from_secs(1);
/// After this long without any request ending, a small list is sent to find out (about
/// 0.2 requests a second while idle; pod-proxy scrapes, logs and watches do not count).
const QUIET_FOR: chrono::TimeDelta = chrono::TimeDelta::seconds(5);

/// Reports the health of `connection` until `cancel`.
pub async fn run(
    connection: super::connect::Connection,
    epoch: u64,
    tx: Sink<ClusterMsg>,
    cancel: CancellationToken,
    backoff: std::sync::Arc<super::backoff::SharedBackoff>,
) {
    let mut sent = ApiHealth::Connected;
    let mut probe: Option<tokio::task::JoinHandle<()>> = None;
    loop {
        tokio::select! {
            _ = cancel.cancelled() => break,
            _ = tokio::time::sleep(CHECK_EVERY) => {}
        }
        let (health, last) = match connection.health.lock() {
            Ok(h) => (h.state().clone(), h.last_outcome()),
            Err(p) => {
                let h = p.into_inner();
                (h.state().clone(), h.last_outcome())
            }
        };
        if health != sent {
            sent = health.clone();
            if !tx.send(ClusterMsg::Health { epoch, health }).await {
                break;
            }
        }
        let quiet = last.is_none_or(|at| chrono::Utc::now() - at > QUIET_FOR);
        if quiet && probe.as_ref().is_none_or(|p| p.is_finished()) {
            let (client, backoff) = (connection.client.clone(), backoff.clone());
            probe = Some(tokio::spawn(async move {
                // The server answers lists again: the watchers waiting out their back-off
                // retry now instead of up to 30 s later.
                if ask(client).await {
                    backoff.succeeded();
                }
            }));
        }
    }
    if let Some(p) = probe {
        p.abort();
    }
}

/// One small request (its outcome is recorded by the deadline layer); whether it succeeded.
async fn ask(client: kube::Client) -> bool {
    let api: Api<DynamicObject> = Api::all_with(client, &super::actions::isvc_resource());
    api.list(&ListParams::default().limit(1)).await.is_ok()
}
