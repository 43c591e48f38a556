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
        kube::Error::Service(e) => match auth_error_in(e.as_ref()) {
            Some(auth) => describe_auth(auth),
            None => format!("cannot reach the API server: {}", root_cause(e.as_ref())),
        },
        kube::Error::Auth(e) => describe_auth(e),
        kube::Error::SerdeError(e) => format!("unexpected response from the API server: {e}"),
        other => other.to_string(),
    }
}

/// An authentication error anywhere in an error chain (the client's middleware wraps it).
fn auth_error_in<'a>(
    err: &'a (dyn std::error::Error + 'static),
) -> Option<&'a kube::client::AuthError> {
    let mut current = Some(err);
    while let Some(e) = current {
        if let Some(auth) = e.downcast_ref::<kube::client::AuthError>() {
            return Some(auth);
        }
        if let Some(kube::Error::Auth(auth)) = e.downcast_ref::<kube::Error>() {
            return Some(auth);
        }
        current = e.source();
    }
    None
}

/// An authentication failure without the secrets kube-rs's own message can hold: an exec
/// credential plugin's output may be a token, so like kubectl only the plugin and its exit
/// status are named.
pub fn describe_auth(err: &kube::client::AuthError) -> String {
    use kube::client::AuthError as A;
    let what = match err {
        A::AuthExecRun { cmd, out } => format!(
            "the exec credential plugin {} failed ({}); its output is not shown, it may hold a credential",
            exec_program(cmd),
            out.status
        ),
        A::AuthExecParse(_) => {
            "the exec credential plugin's output is not a valid ExecCredential (not shown: it may hold a credential)"
                .to_string()
        }
        A::AuthExecStart(e) => format!("the exec credential plugin could not be started: {e}"),
        other => other.to_string(),
    };
    format!("authentication failed: {what} (check the credentials of this context)")
}

/// The program of a command as kube-rs prints it (Rust's `Command` debug form, which may
/// start with `cd "DIR" &&`, `env -i`, `-u NAME` and `NAME="VALUE"` settings).
fn exec_program(cmd: &str) -> String {
    let mut tokens: Vec<String> = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    for c in cmd.chars() {
        match c {
            '"' => quoted = !quoted,
            c if c.is_whitespace() && !quoted => {
                if !current.is_empty() {
                    tokens.push(std::mem::take(&mut current));
                }
            }
            c => current.push(c),
        }
    }
    if !current.is_empty() {
        tokens.push(current);
    }
    let mut iter = tokens.into_iter();
    while let Some(token) = iter.next() {
        match token.as_str() {
            "cd" | "-u" => {
                iter.next();
            }
            "&&" | "env" | "-i" => {}
            t if t.split_once('=').is_some_and(|(name, _)| {
                !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
            }) => {}
            program => return format!("'{program}'"),
        }
    }
    "(unnamed)".to_string()
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_failed_exec_plugin_is_named_with_its_status_never_its_output() {
        use std::os::unix::process::ExitStatusExt;
        let err = kube::client::AuthError::AuthExecRun {
            cmd: r#"cd "/tmp" && TOKEN_HINT="x" "/opt/bin/get-token" "--cluster" "prod""#
                .to_string(),
            out: Box::new(std::process::Output {
                status: std::process::ExitStatus::from_raw(256),
                stdout: b"sk-live-SECRET-token".to_vec(),
                stderr: b"also SECRET".to_vec(),
            }),
        };
        // kube-rs's own message carries the output.
        assert!(err.to_string().contains("SECRET"));
        let text = describe(&kube::Error::Auth(err));
        assert!(!text.contains("SECRET"), "{text}");
        assert!(text.contains("'/opt/bin/get-token'"), "{text}");
        assert!(text.contains("exit status: 1"), "{text}");
        let wrapped = kube::Error::Service(Box::new(kube::Error::Auth(
            kube::client::AuthError::AuthExecRun {
                cmd: r#""plugin""#.to_string(),
                out: Box::new(std::process::Output {
                    status: std::process::ExitStatus::from_raw(512),
                    stdout: b"SECRET".to_vec(),
                    stderr: Vec::new(),
                }),
            },
        )));
        let text = describe(&wrapped);
        assert!(
            !text.contains("SECRET") && text.contains("'plugin'"),
            "{text}"
        );
    }
}
