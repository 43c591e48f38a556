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
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Events are sent after this long, or when this many have gathered, whichever comes first.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BATCH_MAX: usize = 1000;
/// How long a list may go without answering before it is given up and started again.
const LIST_STALL: Duration = Duration::from_secs(10);

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
    listed: Option<Arc<Notify>>,
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
    // anything missed while it was down. A list that stops answering is given up after
    // LIST_STALL and started again, so a hung request cannot freeze a view.
    let mut retry = QuickBackoff::default();
    let mut batch: Vec<WatchEvent> = Vec::new();
    let mut batch_due: Option<Instant> = None;
    let mut list_stall: Option<Instant> = Some(Instant::now() + LIST_STALL);
    loop {
        let next = tokio::select! {
            _ = cancel.cancelled() => return,
            _ = sleep_until(batch_due) => Next::BatchDue,
            _ = sleep_until(list_stall) => Next::Failed(
                format!("the API server has not answered the list of {} for {}s; listing again", spec.plural, LIST_STALL.as_secs()),
                false,
            ),
            item = stream.next() => match item {
                None => return,
                Some(Ok(event)) => Next::Event(Box::new(event)),
                Some(Err(err)) => {
                    let (error, forbidden) = super::errors::describe_watch(&err);
                    Next::Failed(error, forbidden)
                }
            },
        };
        match next {
            Next::BatchDue => {}
            Next::Event(event) => {
                retry.reset();
                let event = convert(spec, *event);
                list_stall = match event {
                    WatchEvent::RelistDone => {
                        if let Some(listed) = &listed {
                            listed.notify_one();
                        }
                        None
                    }
                    _ => list_stall.map(|_| Instant::now() + LIST_STALL),
                };
                batch.push(event);
                if batch_due.is_none() {
                    batch_due = Some(Instant::now() + BATCH_WINDOW);
                }
                if batch.len() < BATCH_MAX {
                    continue;
                }
            }
            Next::Failed(error, forbidden) => {
                tracing::warn!(kind = spec.plural, "{error}");
                if !flush(&tx, spec, epoch, &mut batch).await {
                    return;
                }
                batch_due = None;
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
                list_stall = Some(Instant::now() + LIST_STALL);
                continue;
            }
        }
        batch_due = None;
        if !flush(&tx, spec, epoch, &mut batch).await {
            return;
        }
    }
}

/// What the watch loop does next.
enum Next {
    BatchDue,
    Event(Box<watcher::Event<DynamicObject>>),
    Failed(String, bool),
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
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
