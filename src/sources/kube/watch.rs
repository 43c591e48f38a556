//! One watcher per kind: list (page by page), then watch from the list's resourceVersion;
//! a watch that breaks or ends is resumed from the last resourceVersion seen (events and
//! bookmarks), and only 410 Gone leads to a relist. Failures wait on the connection's
//! shared back-off (`backoff.rs`), except a refusal (403): permissions do not come back
//! because another kind's watch got through, so a refused watcher keeps its own schedule
//! and is not woken by the others' recovery (otherwise it asks again at every event the
//! other watchers receive). Objects are parsed into compact rows here, off the UI
//! task, and sent in batches; errors become stale markers (cleared once the watch delivers
//! again: an event, a bookmark, or a completed relist), never panics.

use super::backoff::SharedBackoff;
use super::events::ClusterMsg;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{self, KindSpec};
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::WatchEvent;
use crate::sources::sink::Sink;
use futures::StreamExt;
use kube::api::{ApiResource, DynamicObject, ListParams, WatchEvent as KubeEvent, WatchParams};
use serde_json::Value;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;
use tokio::time::Instant;
use tokio_util::sync::CancellationToken;

/// Events are sent after this long, or when this many have gathered, whichever comes first.
const BATCH_WINDOW: Duration = Duration::from_millis(50);
const BATCH_MAX: usize = 1000;
/// Objects per list page.
const PAGE: u32 = 500;
/// How long the API server may hold one watch open (it ends it then; kdeck resumes).
const WATCH_SECONDS: u32 = 290;

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

fn upsert(spec: &KindSpec, obj: &Value) -> WatchEvent {
    WatchEvent::Upsert(kind::parse(spec.kind, obj))
}

fn delete(obj: &Value) -> WatchEvent {
    let field = |name: &str| {
        obj.pointer(&format!("/metadata/{name}"))
            .and_then(Value::as_str)
            .unwrap_or("")
    };
    WatchEvent::Delete(ObjectKey::new(field("namespace"), field("name")))
}

/// The object's resourceVersion, if it has one.
fn resource_version(obj: &Value) -> Option<String> {
    obj.pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .map(str::to_string)
}

/// One watcher: what it sends to and where it reads from.
struct Watcher {
    client: kube::Client,
    /// Builds the kind's list and watch requests (in the namespace, or all).
    request: kube::core::Request,
    spec: &'static KindSpec,
    epoch: u64,
    tx: Sink<ClusterMsg>,
    cancel: CancellationToken,
}

/// Why a list or watch stopped.
enum Stop {
    /// Cancelled, or the console is gone.
    Quit,
    /// The server ended the watch (its timeout): resume from the last resourceVersion.
    Ended,
    /// The server said 410 Gone: the resourceVersion is too old; relist.
    Gone,
    /// A failure: (message, forbidden). The watch resumes from where it was, after a pause.
    Failed(String, bool),
}

/// Watches one kind until cancelled, sending batches tagged with `epoch`.
#[allow(clippy::too_many_arguments)]
pub async fn run(
    client: kube::Client,
    spec: &'static KindSpec,
    namespace: NamespaceScope,
    epoch: u64,
    tx: Sink<ClusterMsg>,
    cancel: CancellationToken,
    listed: Option<Arc<Notify>>,
    backoff: Arc<SharedBackoff>,
) {
    let resource = api_resource(spec);
    let in_namespace = match (&namespace, spec.namespaced) {
        (NamespaceScope::One(ns), true) => Some(ns.as_str()),
        _ => None,
    };
    let w = Watcher {
        client,
        request: kube::core::Request::new(<DynamicObject as kube::Resource>::url_path(
            &resource,
            in_namespace,
        )),
        spec,
        epoch,
        tx,
        cancel,
    };
    // The resourceVersion to resume from; none means a (re)list is due.
    let mut resume: Option<String> = None;
    // A failure was reported and the watch has not delivered since.
    let mut stale = false;
    // Refusals (403) in a row: this watcher's own retry schedule.
    let mut refused: u32 = 0;
    loop {
        let stop = match resume.clone() {
            None => match w.relist().await {
                Ok(rv) => {
                    backoff.succeeded();
                    stale = false;
                    refused = 0;
                    if let Some(listed) = &listed {
                        listed.notify_one();
                    }
                    resume = Some(rv);
                    continue;
                }
                Err(stop) => stop,
            },
            Some(rv) => w.watch_from(rv, &mut resume, &mut stale, &backoff).await,
        };
        match stop {
            Stop::Quit => return,
            Stop::Ended => refused = 0,
            Stop::Gone => {
                refused = 0;
                resume = None;
            }
            Stop::Failed(error, forbidden) => {
                tracing::warn!(kind = w.spec.plural, "{error}");
                stale = true;
                let msg = ClusterMsg::WatchError {
                    epoch,
                    kind: spec.kind,
                    error,
                    forbidden,
                };
                if !w.tx.send(msg).await {
                    return;
                }
                if forbidden {
                    let wait = super::backoff::delay(refused, rand::random::<f64>());
                    refused = refused.saturating_add(1);
                    tokio::select! {
                        _ = w.cancel.cancelled() => return,
                        _ = tokio::time::sleep(wait) => {}
                    }
                    continue;
                }
                let wait = backoff.failed();
                tokio::select! {
                    _ = w.cancel.cancelled() => return,
                    _ = backoff.pause(wait) => {}
                }
            }
        }
    }
}

impl Watcher {
    /// Lists every object (page by page) as one relist; returns the list's resourceVersion.
    async fn relist(&self) -> Result<String, Stop> {
        let mut batch = vec![WatchEvent::RelistStart];
        let mut token: Option<String> = None;
        loop {
            let mut params = ListParams::default().limit(PAGE);
            if let Some(t) = &token {
                params = params.continue_token(t);
            }
            let mut request = self
                .request
                .list(&params)
                .map_err(|e| Stop::Failed(format!("cannot build the list request: {e}"), false))?;
            request.extensions_mut().insert("list");
            // The page's text is one block (returned whole when freed); its objects are
            // parsed one at a time (page.rs), never all held as JSON at once.
            let page = tokio::select! {
                _ = self.cancel.cancelled() => return Err(Stop::Quit),
                text = self.client.request_text(request) => text.and_then(|text| {
                    super::page::decode(self.spec, &text).map_err(kube::Error::SerdeError)
                }),
            };
            let page = match page {
                Ok(page) => page,
                Err(kube::Error::Api(status)) if status.code == 410 => return Err(Stop::Gone),
                Err(e) => {
                    let forbidden = super::errors::is_forbidden(&e);
                    let what = format!("list failed: {}", super::errors::describe(&e));
                    return Err(Stop::Failed(what, forbidden));
                }
            };
            batch.extend(page.items);
            token = page.continue_.filter(|t| !t.is_empty());
            if token.is_none() {
                batch.push(WatchEvent::RelistDone);
                if !flush(&self.tx, self.spec, self.epoch, &mut batch).await {
                    return Err(Stop::Quit);
                }
                return Ok(page.resource_version.unwrap_or_default());
            }
            if !flush(&self.tx, self.spec, self.epoch, &mut batch).await {
                return Err(Stop::Quit);
            }
        }
    }

    /// Watches from `rv`, keeping `resume` at the last resourceVersion seen. Returns when the
    /// watch fails, is gone, or is cancelled; a watch the server ends is resumed here.
    async fn watch_from(
        &self,
        rv: String,
        resume: &mut Option<String>,
        stale: &mut bool,
        backoff: &SharedBackoff,
    ) -> Stop {
        let params = WatchParams::default().timeout(WATCH_SECONDS);
        let mut request = match self.request.watch(&params, &rv) {
            Ok(request) => request,
            Err(e) => return Stop::Failed(format!("cannot build the watch request: {e}"), false),
        };
        request.extensions_mut().insert("watch");
        let opened = tokio::select! {
            _ = self.cancel.cancelled() => return Stop::Quit,
            opened = self.client.request_events::<Value>(request) => opened,
        };
        let mut stream = match opened {
            Ok(stream) => stream.boxed(),
            Err(kube::Error::Api(status)) if status.code == 410 => return Stop::Gone,
            Err(e) => {
                let forbidden = super::errors::is_forbidden(&e);
                let what = format!("watch failed to start: {}", super::errors::describe(&e));
                return Stop::Failed(what, forbidden);
            }
        };
        let mut batch: Vec<WatchEvent> = Vec::new();
        let mut batch_due: Option<Instant> = None;
        loop {
            let item = tokio::select! {
                _ = self.cancel.cancelled() => return Stop::Quit,
                _ = sleep_until(batch_due) => None,
                item = stream.next() => Some(item),
            };
            let stop = match item {
                None => None,
                Some(None) => Some(Stop::Ended),
                Some(Some(Ok(event))) => {
                    let delivered = match event {
                        KubeEvent::Added(o) | KubeEvent::Modified(o) => {
                            *resume = resource_version(&o).or(resume.take());
                            batch.push(upsert(self.spec, &o));
                            true
                        }
                        KubeEvent::Deleted(o) => {
                            *resume = resource_version(&o).or(resume.take());
                            batch.push(delete(&o));
                            true
                        }
                        KubeEvent::Bookmark(b) => {
                            *resume = Some(b.metadata.resource_version);
                            if *stale {
                                batch.push(WatchEvent::Live);
                            }
                            true
                        }
                        KubeEvent::Error(status) if status.code == 410 => {
                            return self.end(&mut batch, Stop::Gone).await;
                        }
                        KubeEvent::Error(status) => {
                            let what = format!(
                                "watch error from the API server ({}): {}",
                                status.code, status.message
                            );
                            let forbidden = status.code == 403;
                            return self.end(&mut batch, Stop::Failed(what, forbidden)).await;
                        }
                    };
                    if delivered {
                        *stale = false;
                        backoff.succeeded();
                    }
                    if batch_due.is_none() {
                        batch_due = Some(Instant::now() + BATCH_WINDOW);
                    }
                    if batch.len() < BATCH_MAX {
                        continue;
                    }
                    None
                }
                Some(Some(Err(e))) => {
                    let forbidden = super::errors::is_forbidden(&e);
                    let what = format!("watch broke: {}", super::errors::describe(&e));
                    Some(Stop::Failed(what, forbidden))
                }
            };
            match stop {
                Some(stop) => return self.end(&mut batch, stop).await,
                None => {
                    batch_due = None;
                    if !flush(&self.tx, self.spec, self.epoch, &mut batch).await {
                        return Stop::Quit;
                    }
                }
            }
        }
    }

    /// Sends what was gathered, then stops with `stop`.
    async fn end(&self, batch: &mut Vec<WatchEvent>, stop: Stop) -> Stop {
        if !flush(&self.tx, self.spec, self.epoch, batch).await {
            return Stop::Quit;
        }
        stop
    }
}

/// Sleeps until `at`, or forever without one.
async fn sleep_until(at: Option<Instant>) {
    match at {
        Some(at) => tokio::time::sleep_until(at).await,
        None => std::future::pending().await,
    }
}

async fn flush(
    tx: &Sink<ClusterMsg>,
    spec: &KindSpec,
    epoch: u64,
    batch: &mut Vec<WatchEvent>,
) -> bool {
    if batch.is_empty() {
        return true;
    }
    let events = std::mem::take(batch);
    tx.send(ClusterMsg::Watch {
        epoch,
        kind: spec.kind,
        events,
    })
    .await
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn an_objects_version_and_key_are_read_from_its_json() {
        let object = serde_json::json!(
            {"metadata": {"name": "p1", "namespace": "ml", "resourceVersion": "41"}}
        );
        assert_eq!(resource_version(&object).as_deref(), Some("41"));
        assert_eq!(
            delete(&object),
            WatchEvent::Delete(ObjectKey::new("ml", "p1"))
        );
        assert_eq!(resource_version(&serde_json::json!({})), None);
    }
}
