//! Watches: chunked JSON lines `{"type":"ADDED|MODIFIED|DELETED|BOOKMARK|ERROR","object":…}`
//! as the API server sends them. A watch starts from a resourceVersion (replaying the
//! history after it, or 410 Gone inside the stream when that is compacted away) or, without
//! one, with the current objects as ADDED. Bookmarks when asked, `timeoutSeconds`, and the
//! drop/410 faults. A slow client never blocks anyone: when it falls too far behind it gets
//! 410 and the stream ends, as with etcd compaction.

use super::label_selector::LabelSelector;
use super::select::{FieldSelector, labels};
use super::table;
use super::{Ctx, Query};
use crate::sim::error::ApiError;
use crate::sim::resources::Resource;
use crate::sim::store::{Change, Store, StoreEvent};
use axum::body::{Body, Bytes};
use serde_json::{Value, json};
use std::convert::Infallible;
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::broadcast::{self, error::RecvError};
use tokio::sync::mpsc;

struct Filter {
    namespace: Option<String>,
    labels: Option<LabelSelector>,
    fields: Option<FieldSelector>,
}

impl Filter {
    fn matches(&self, obj: &Value) -> bool {
        self.namespace
            .as_ref()
            .is_none_or(|ns| obj["metadata"]["namespace"].as_str() == Some(ns))
            && self.labels.as_ref().is_none_or(|s| s.matches(obj))
            && self.fields.as_ref().is_none_or(|f| f.matches(obj))
    }
}

fn line(kind: &str, object: &Value) -> Bytes {
    let mut out = serde_json::to_vec(&json!({"type": kind, "object": object})).unwrap_or_default();
    out.push(b'\n');
    Bytes::from(out)
}

fn gone(message: &str) -> Bytes {
    line("ERROR", &ApiError::gone(message).status())
}

/// What the client asked of the watch, read from the query.
struct Options {
    filter: Filter,
    as_table: bool,
    bookmarks: bool,
    timeout: Option<Duration>,
    /// The resourceVersion to resume after (none: start with the current objects).
    from: Option<u64>,
}

impl Options {
    fn parse(namespace: Option<String>, q: &Query, accept: &str) -> Result<Options, ApiError> {
        let filter = Filter {
            namespace,
            labels: q
                .get("labelSelector")
                .filter(|s| !s.is_empty())
                .map(|s| labels(s))
                .transpose()?,
            fields: q
                .get("fieldSelector")
                .filter(|s| !s.is_empty())
                .map(|s| FieldSelector::parse(s))
                .transpose()?,
        };
        Ok(Options {
            filter,
            as_table: table::wants_table(accept),
            bookmarks: q.get("allowWatchBookmarks").is_some_and(|v| v == "true"),
            timeout: q
                .get("timeoutSeconds")
                .and_then(|t| t.parse::<u64>().ok())
                .map(Duration::from_secs),
            from: q
                .get("resourceVersion")
                .filter(|v| !v.is_empty() && *v != "0")
                .and_then(|v| v.parse::<u64>().ok()),
        })
    }
}

/// Starts a watch and returns its streamed body.
pub fn watch(
    ctx: &Ctx,
    r: &'static Resource,
    namespace: Option<String>,
    q: &Query,
    accept: &str,
) -> Result<Body, ApiError> {
    let options = Options::parse(namespace, q, accept)?;
    let (tx, rx) = mpsc::channel::<Result<Bytes, Infallible>>(256);
    let (events, subscribed_at) = ctx.store.subscribe(r);
    let drops = ctx.faults.drops.subscribe();
    let gone_on_resume = options.from.is_some_and(|rv| ctx.faults.gone_on_resume(rv));
    let stream = Stream {
        r,
        options,
        store: ctx.store.clone(),
        tx,
    };
    tokio::spawn(async move {
        if gone_on_resume {
            let _ = stream
                .tx
                .send(Ok(gone(&format!(
                    "too old resource version: {} (fault injected)",
                    stream.options.from.unwrap_or(0)
                ))))
                .await;
            return;
        }
        let Some(seen) = stream.replay(subscribed_at).await else {
            return;
        };
        stream.follow(seen, events, drops).await;
    });
    Ok(Body::from_stream(
        tokio_stream::wrappers::ReceiverStream::new(rx),
    ))
}

/// One watch's stream: what it sends, to whom.
struct Stream {
    r: &'static Resource,
    options: Options,
    store: Store,
    tx: mpsc::Sender<Result<Bytes, Infallible>>,
}

impl Stream {
    fn encode(&self, kind: &str, obj: &Value) -> Bytes {
        if self.options.as_table {
            let rv = obj["metadata"]["resourceVersion"]
                .as_str()
                .unwrap_or("")
                .to_string();
            line(kind, &table::table(self.r, &[obj], &rv, None, false))
        } else {
            line(kind, &crate::sim::resources::served_as(self.r, obj))
        }
    }

    /// Sends what came before the subscription: the history after the resourceVersion asked
    /// for, or the current objects as ADDED. Returns the resourceVersion the client has seen
    /// up to (events at or below it are not sent again), or None when the stream has ended.
    async fn replay(&self, subscribed_at: u64) -> Option<u64> {
        let filter = &self.options.filter;
        match self.options.from {
            Some(rv) => match self.store.changes_since(self.r, rv) {
                Ok(history) => {
                    for e in history
                        .iter()
                        .filter(|e| e.rv <= subscribed_at && filter.matches(&e.object))
                    {
                        if self
                            .tx
                            .send(Ok(self.encode(e.change.word(), &e.object)))
                            .await
                            .is_err()
                        {
                            return None;
                        }
                    }
                    Some(subscribed_at.max(rv))
                }
                Err(e) => {
                    let _ = self.tx.send(Ok(line("ERROR", &e.status()))).await;
                    None
                }
            },
            None => {
                let (items, _) = self.store.list(self.r, filter.namespace.as_deref());
                for obj in items.iter().filter(|o| filter.matches(o)) {
                    if self.tx.send(Ok(self.encode("ADDED", obj))).await.is_err() {
                        return None;
                    }
                }
                Some(subscribed_at)
            }
        }
    }

    /// Sends the changes after `seen` as they happen, and bookmarks when asked, until the
    /// client leaves, the timeout passes, a drop fault fires or the stream ends in an ERROR.
    async fn follow(
        &self,
        mut seen: u64,
        mut events: broadcast::Receiver<Arc<StoreEvent>>,
        mut drops: tokio::sync::watch::Receiver<u64>,
    ) {
        let r = self.r;
        let mut bookmark = tokio::time::interval(Duration::from_secs(5));
        bookmark.tick().await;
        let timeout = self.options.timeout;
        let deadline = async {
            match timeout {
                Some(t) => tokio::time::sleep(t).await,
                None => std::future::pending().await,
            }
        };
        tokio::pin!(deadline);
        loop {
            let out = tokio::select! {
                _ = &mut deadline => return,
                _ = drops.changed() => return,
                _ = bookmark.tick(), if self.options.bookmarks => {
                    // The last version this watcher has passed, not the store's newest:
                    // changes still queued for it are newer than that, so a client that
                    // resumes from the bookmark gets them (the store's version would skip them).
                    let rv = seen.to_string();
                    line("BOOKMARK", &json!({"kind": r.kind, "apiVersion": r.api_version(), "metadata": {"resourceVersion": rv}}))
                }
                e = events.recv() => match e {
                    Ok(e) => {
                        if e.rv <= seen {
                            continue;
                        }
                        seen = e.rv;
                        if !self.options.filter.matches(&e.object) {
                            continue;
                        }
                        let kind = if e.change == Change::Deleted { "DELETED" } else { e.change.word() };
                        self.encode(kind, &e.object)
                    }
                    Err(RecvError::Lagged(_)) => gone("the watch fell too far behind; relist"),
                    Err(RecvError::Closed) => return,
                },
            };
            let ended = out.starts_with(b"{\"type\":\"ERROR\"");
            if self.tx.send(Ok(out)).await.is_err() || ended {
                return;
            }
        }
    }
}
