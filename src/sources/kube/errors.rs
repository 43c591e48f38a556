//! Kubernetes client errors in the user's words: what happened and what to do. Tokens and
//! kubeconfig contents never appear in these messages.

/// Whether the error is the API server saying 403 Forbidden.
pub fn is_forbidden(err: &kube::Error) -> bool {
    matches!(err, kube::Error::Api(status) if status.is_forbidden())
}

/// A one-line description of a client error for the status bar and stale markers.
pub fn describe(err: &kube::Error) -> String {
    match err {
        kube::Error::Api(status) => {
            let what = match status.code {
                401 => {
                    "not authorised (401): your credentials were refused; refresh them (log in again) and reconnect with :ctx"
                }
                403 => "forbidden (403)",
                404 => "not found (404)",
                409 => "conflict (409): the object changed meanwhile",
                410 => "gone (410): the watch is too old and is being relisted",
                429 => "throttled (429): the API server asks to slow down",
                500..=599 => "API server error",
                _ => "API error",
            };
            if status.message.is_empty() {
                what.to_string()
            } else {
                format!("{what}: {}", status.message)
            }
        }
        kube::Error::HyperError(e) => format!("connection problem: {}", root_cause(e)),
        kube::Error::Service(e) if e.is::<super::deadline::TimedOut>() => e.to_string(),
        kube::Error::Service(e) => {
            format!("cannot reach the API server: {}", root_cause(e.as_ref()))
        }
        kube::Error::Auth(e) => {
            format!("authentication failed: {e} (check the credentials of this context)")
        }
        kube::Error::SerdeError(e) => format!("unexpected response from the API server: {e}"),
        other => other.to_string(),
    }
}

/// The innermost cause of an error chain (the part that says "connection refused").
fn root_cause(err: &(dyn std::error::Error + 'static)) -> String {
    let mut current = err;
    while let Some(next) = current.source() {
        current = next;
    }
    current.to_string()
}

/// Describes a watcher error, and whether it was a 403.
pub fn describe_watch(err: &kube::runtime::watcher::Error) -> (String, bool) {
    use kube::runtime::watcher::Error as W;
    match err {
        W::InitialListFailed(e) => (format!("list failed: {}", describe(e)), is_forbidden(e)),
        W::WatchStartFailed(e) => (
            format!("watch failed to start: {}", describe(e)),
            is_forbidden(e),
        ),
        W::WatchFailed(e) => (format!("watch broke: {}", describe(e)), is_forbidden(e)),
        W::WatchError(status) => (
            format!(
                "watch error from the API server ({}): {}",
                status.code, status.message
            ),
            status.is_forbidden(),
        ),
        W::NoResourceVersion => (
            "the API server sent no resourceVersion; this resource cannot be watched".to_string(),
            false,
        ),
    }
}
