//! One watcher per kind (kube-runtime's watcher: list, then watch, resume by
//! resourceVersion, relist after 410 Gone). Objects are parsed into compact rows here, off
//! the UI task, and sent in batches; errors become stale markers, never panics.

use crate::app::inbox::Outbox;
use crate::app::msg::{ClusterMsg, Msg};
use crate::domain::kind::{self, KindSpec};
use crate::state::cluster::WatchEvent;
use crate::state::session::NamespaceScope;
use crate::state::ui::ObjectKey;
use futures::StreamExt;
use kube::api::{Api, ApiResource, DynamicObject};
use kube::runtime::utils::{Backoff, WatchStreamExt};
use kube::runtime::watcher;
use std::time::Duration;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Events are sent after this long, or when this many have gathered, whichever comes first.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BATCH_MAX: usize = 1000;

/// Retries a broken watch quickly (250 ms doubling up to 1 s) so the console recovers within
/// about a second of the API server coming back; each retry is one cheap request.
#[derive(Debug, Clone)]
pub struct QuickBackoff {
    next: Duration,
}

impl Default for QuickBackoff {
    fn default() -> Self {
        QuickBackoff {
            next: Duration::from_millis(250),
        }
    }
}

impl Iterator for QuickBackoff {
    type Item = Duration;

    fn next(&mut self) -> Option<Duration> {
        let current = self.next;
        self.next = (current * 2).min(Duration::from_secs(1));
        Some(current)
    }
}

impl Backoff for QuickBackoff {
    fn reset(&mut self) {
        *self = QuickBackoff::default();
    }
}

/// The API resource of a kind.
pub fn api_resource(spec: &KindSpec) -> ApiResource {
    let api_version = if spec.group.is_empty() {
        spec.version.to_string()
    } else {
        format!("{}/{}", spec.group, spec.version)
    };
    ApiResource {
        group: spec.group.to_string(),
        version: spec.version.to_string(),
        api_version,
        kind: spec.api_kind.to_string(),
        plural: spec.plural.to_string(),
    }
}

fn convert(spec: &KindSpec, event: watcher::Event<DynamicObject>) -> WatchEvent {
    match event {
        watcher::Event::Init => WatchEvent::RelistStart,
        watcher::Event::InitDone => WatchEvent::RelistDone,
        watcher::Event::Apply(obj) | watcher::Event::InitApply(obj) => {
            let value = serde_json::to_value(&obj).unwrap_or(serde_json::Value::Null);
            WatchEvent::Upsert(kind::parse(spec.kind, &value))
        }
        watcher::Event::Delete(obj) => WatchEvent::Delete(ObjectKey::new(
            obj.metadata.namespace.as_deref().unwrap_or(""),
            obj.metadata.name.as_deref().unwrap_or(""),
        )),
    }
}

/// Watches one kind until cancelled, sending batches tagged with `epoch`.
pub async fn run(
    client: kube::Client,
    spec: &'static KindSpec,
    namespace: NamespaceScope,
    epoch: u64,
    tx: Outbox,
    cancel: CancellationToken,
) {
    let resource = api_resource(spec);
    let api: Api<DynamicObject> = match (&namespace, spec.namespaced) {
        (NamespaceScope::One(ns), true) => Api::namespaced_with(client, ns, &resource),
        _ => Api::all_with(client, &resource),
    };
    let config = watcher::Config::default().page_size(500);
    let start = || {
        watcher(api.clone(), config.clone())
            .backoff(QuickBackoff::default())
            .boxed()
    };
    let mut stream = start();
    // After an error the watch is started afresh (a relist): the relist's end is the proof
    // that it recovered, clears the stale marker even when nothing changes, and repairs
    // anything missed while it was down.
    let mut retry = QuickBackoff::default();
    let mut batch: Vec<WatchEvent> = Vec::new();
    let mut deadline: Option<Instant> = None;
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return,
            _ = async { if let Some(d) = deadline { tokio::time::sleep_until(d).await } else { std::future::pending().await } } => None,
            item = stream.next() => Some(item),
        };
        match next {
            // The batch window closed.
            None => {}
            Some(None) => return,
            Some(Some(Ok(event))) => {
                retry.reset();
                batch.push(convert(spec, event));
                if deadline.is_none() {
                    deadline = Some(Instant::now() + BATCH_WINDOW);
                }
                if batch.len() < BATCH_MAX {
                    continue;
                }
            }
            Some(Some(Err(err))) => {
                let (error, forbidden) = super::errors::describe_watch(&err);
                tracing::warn!(kind = spec.plural, "{error}");
                if !flush(&tx, spec, epoch, &mut batch).await {
                    return;
                }
                deadline = None;
                let msg = Msg::Cluster(ClusterMsg::WatchError {
                    epoch,
                    kind: spec.kind,
                    error,
                    forbidden,
                });
                if tx.send(msg).await.is_err() {
                    return;
                }
                let pause = retry.next().unwrap_or(Duration::from_secs(1));
                tokio::select! {
                    _ = cancel.cancelled() => return,
                    _ = tokio::time::sleep(pause) => {}
                }
                stream = start();
                continue;
            }
        }
        deadline = None;
        if !flush(&tx, spec, epoch, &mut batch).await {
            return;
        }
    }
}

async fn flush(tx: &Outbox, spec: &KindSpec, epoch: u64, batch: &mut Vec<WatchEvent>) -> bool {
    if batch.is_empty() {
        return true;
    }
    let events = std::mem::take(batch);
    tx.send(Msg::Cluster(ClusterMsg::Watch {
        epoch,
        kind: spec.kind,
        events,
    }))
    .await
    .is_ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quick_backoff_is_capped_at_a_second() {
        let mut b = QuickBackoff::default();
        let steps: Vec<u128> = (0..5)
            .filter_map(|_| b.next())
            .map(|d| d.as_millis())
            .collect();
        assert_eq!(steps, vec![250, 500, 1000, 1000, 1000]);
        b.reset();
        assert_eq!(b.next(), Some(Duration::from_millis(250)));
    }
}
