//! Deadlines for every API request and credential plugin run, and the record of what the
//! requests actually do. One tower layer on the kube client bounds each request until its
//! answer starts (list, get, SelfSubjectAccessReview, dry run, patch, events, logs start,
//! pod-proxy scrapes) and feeds the outcome into the connection's `HealthTracker`;
//! `within` bounds a whole call (answer body included). The timeouts come from
//! `[api] request_timeout` and `[api] exec_timeout` in config.toml.

use crate::domain::api_health::{HealthTracker, RequestOutcome};
use futures::future::BoxFuture;
use std::sync::{Arc, Mutex, RwLock};
use std::task::{Context, Poll};
use std::time::{Duration, Instant};

pub use crate::domain::api_health::ApiTimeouts;

static TIMEOUTS: RwLock<Option<ApiTimeouts>> = RwLock::new(None);

/// Sets the process's timeouts (from the config, once at start).
pub fn configure(timeouts: ApiTimeouts) {
    match TIMEOUTS.write() {
        Ok(mut slot) => *slot = Some(timeouts),
        Err(poisoned) => *poisoned.into_inner() = Some(timeouts),
    }
}

/// The process's timeouts.
pub fn timeouts() -> ApiTimeouts {
    match TIMEOUTS.read() {
        Ok(slot) => slot.unwrap_or_default(),
        Err(poisoned) => poisoned.into_inner().unwrap_or_default(),
    }
}

/// Seconds for messages ("2 s", "1.5 s").
pub fn seconds(d: Duration) -> String {
    let s = d.as_secs_f64();
    if s.fract() == 0.0 {
        format!("{s:.0} s")
    } else {
        format!("{s:.1} s")
    }
}

/// A request or call that ran into its deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TimedOut {
    /// What was asked ("list inferenceservices", "patch inferenceservice ml/a").
    pub what: String,
    pub after: Duration,
}

impl std::fmt::Display for TimedOut {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "timed out: {} got no answer from the API server within {}; the server may be \
             overloaded or hung (try `kubectl get --raw /readyz`), or raise [api] \
             request_timeout in config.toml",
            self.what,
            seconds(self.after)
        )
    }
}

impl std::error::Error for TimedOut {}

/// Whether a kube error is a request that ran into its deadline.
pub fn timed_out(err: &kube::Error) -> Option<&TimedOut> {
    match err {
        kube::Error::Service(e) => e.downcast_ref::<TimedOut>(),
        _ => None,
    }
}

/// Runs `call` under the request deadline; `what` names it in the error.
pub async fn within<T>(
    what: &str,
    call: impl std::future::Future<Output = T>,
) -> Result<T, TimedOut> {
    within_for(timeouts().request, what, call).await
}

/// Runs `call` under a deadline of `after`.
pub async fn within_for<T>(
    after: Duration,
    what: &str,
    call: impl std::future::Future<Output = T>,
) -> Result<T, TimedOut> {
    tokio::time::timeout(after, call)
        .await
        .map_err(|_| TimedOut {
            what: what.to_string(),
            after,
        })
}

/// The health of one connection's requests, shared by the layer and the console.
pub type SharedHealth = Arc<Mutex<HealthTracker>>;

/// A new health record for a connection with these timeouts.
pub fn new_health(timeouts: &ApiTimeouts) -> SharedHealth {
    Arc::new(Mutex::new(HealthTracker::new(timeouts.slow_after())))
}

fn record(health: &SharedHealth, outcome: RequestOutcome) {
    let now = chrono::Utc::now();
    match health.lock() {
        Ok(mut h) => h.record(outcome, now),
        Err(poisoned) => poisoned.into_inner().record(outcome, now),
    }
}

/// The layer that bounds each request and records its outcome.
#[derive(Clone)]
pub struct DeadlineLayer {
    pub timeout: Duration,
    pub health: SharedHealth,
}

impl<S> tower::Layer<S> for DeadlineLayer {
    type Service = DeadlineService<S>;

    fn layer(&self, inner: S) -> Self::Service {
        DeadlineService {
            inner,
            timeout: self.timeout,
            health: self.health.clone(),
        }
    }
}

/// See `DeadlineLayer`.
#[derive(Clone)]
pub struct DeadlineService<S> {
    inner: S,
    timeout: Duration,
    health: SharedHealth,
}

/// "list inferenceservices" from a request line, for messages.
fn describe_request<B>(req: &http::Request<B>) -> String {
    let path = req.uri().path();
    let watch = req.uri().query().is_some_and(|q| q.contains("watch=true"));
    let verb = match (req.method().as_str(), watch) {
        (_, true) => "watch",
        ("GET", _) => "GET",
        (m, _) => m,
    };
    format!("{verb} {path}")
}

impl<S, B> tower::Service<http::Request<B>> for DeadlineService<S>
where
    S: tower::Service<http::Request<B>>,
    S::Error: Into<tower::BoxError>,
    S::Future: Send + 'static,
    S::Response: Send + 'static,
{
    type Response = S::Response;
    type Error = tower::BoxError;
    type Future = BoxFuture<'static, Result<S::Response, tower::BoxError>>;

    fn poll_ready(&mut self, cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        self.inner.poll_ready(cx).map_err(Into::into)
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        let what = describe_request(&req);
        // A watch, a log stream or a pod-proxy scrape answering says little about the API
        // server itself (a watch opens even while lists hang): only their failures count.
        let path = req.uri().path();
        let side_channel =
            what.starts_with("watch ") || path.contains("/proxy") || path.ends_with("/log");
        let call = self.inner.call(req);
        let timeout = self.timeout;
        let health = self.health.clone();
        Box::pin(async move {
            let started = Instant::now();
            match tokio::time::timeout(timeout, call).await {
                Ok(Ok(answer)) => {
                    if !side_channel {
                        let latency = started.elapsed();
                        record(&health, RequestOutcome::Answered { latency });
                    }
                    Ok(answer)
                }
                Ok(Err(e)) => {
                    let e: tower::BoxError = e.into();
                    record(
                        &health,
                        RequestOutcome::Failed {
                            error: e.to_string(),
                        },
                    );
                    Err(e)
                }
                Err(_) => {
                    tracing::warn!("{what}: no answer within {}", seconds(timeout));
                    record(&health, RequestOutcome::TimedOut);
                    Err(Box::new(TimedOut {
                        what,
                        after: timeout,
                    }) as tower::BoxError)
                }
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn within_names_what_timed_out_and_what_to_do() {
        let after = Duration::from_millis(20);
        let call = std::future::pending::<()>();
        let err = within_for(after, "list inferenceservices", call)
            .await
            .unwrap_err();
        let text = err.to_string();
        assert!(text.contains("list inferenceservices"), "{text}");
        assert!(text.contains("request_timeout"), "{text}");
    }
}
