//! Building a kube client exactly as kubectl resolves kubeconfig: `KUBECONFIG` with several
//! files, the current or a named context, exec credential plugins, client certificates,
//! tokens, proxy-url, and insecure-skip-tls-verify only when the kubeconfig says so (all
//! handled by kube's config loader).

use kube::config::{KubeConfigOptions, Kubeconfig};
use std::path::PathBuf;
use std::time::Duration;

/// Where the kubeconfig comes from.
#[derive(Debug, Clone)]
pub enum KubeconfigSource {
    /// `$KUBECONFIG` (several files merged), else `~/.kube/config`.
    Default,
    File(PathBuf),
    /// Held in memory (the embedded demo cluster).
    Inline(Box<Kubeconfig>),
}

/// A working client and what the header shows about it.
#[derive(Clone)]
pub struct Connection {
    pub client: kube::Client,
    pub context: Option<String>,
    pub contexts: Vec<String>,
    pub server: String,
    pub default_namespace: String,
    /// Who acts, for audit records: the kubeconfig user of the context and the local user.
    pub user: String,
    /// What this connection's requests actually do (for the header).
    pub health: super::deadline::SharedHealth,
}

/// Why connecting failed, worded for the user.
#[derive(Debug, Clone)]
pub struct ConnectError {
    /// False when there is no usable kubeconfig at all (kdeck then runs without a cluster).
    pub configured: bool,
    pub message: String,
    /// The API server or the credential plugin did not answer within its deadline.
    pub timed_out: bool,
}

fn not_configured(message: String) -> ConnectError {
    ConnectError {
        configured: false,
        message,
        timed_out: false,
    }
}

/// Reads the kubeconfig from `source`.
pub fn read_kubeconfig(source: &KubeconfigSource) -> Result<Kubeconfig, ConnectError> {
    match source {
        KubeconfigSource::Inline(k) => Ok((**k).clone()),
        KubeconfigSource::File(path) => Kubeconfig::read_from(path).map_err(|e| {
            not_configured(format!("cannot read kubeconfig {}: {e}", path.display()))
        }),
        KubeconfigSource::Default => Kubeconfig::read().map_err(|e| {
            not_configured(format!(
                "no usable kubeconfig ($KUBECONFIG or ~/.kube/config): {e}. Use --kubeconfig PATH, or try kdeck --demo"
            ))
        }),
    }
}

/// Connects to the cluster of `context` (or the current context) and checks that the API
/// server answers.
pub async fn connect(
    source: &KubeconfigSource,
    context: Option<&str>,
) -> Result<Connection, ConnectError> {
    crate::sources::tls::ensure_crypto_provider();
    let kubeconfig = read_kubeconfig(source)?;
    let contexts: Vec<String> = kubeconfig.contexts.iter().map(|c| c.name.clone()).collect();
    let kube_user = |name: &str| {
        kubeconfig
            .contexts
            .iter()
            .find(|c| c.name == name)
            .and_then(|c| c.context.as_ref())
            .and_then(|c| c.user.clone())
            .unwrap_or_else(|| "unknown".to_string())
    };
    let chosen = context
        .map(str::to_string)
        .or_else(|| kubeconfig.current_context.clone());
    let Some(chosen) = chosen else {
        return Err(not_configured(format!(
            "the kubeconfig has no current context; pick one with --context or :ctx ({} available)",
            contexts.len()
        )));
    };
    if !contexts.contains(&chosen) {
        return Err(not_configured(format!(
            "context '{chosen}' is not in the kubeconfig (available: {})",
            contexts.join(", ")
        )));
    }
    let user = format!("{} ({})", kube_user(&chosen), local_user());
    let plugin = exec_plugin(&kubeconfig, &chosen);
    let options = KubeConfigOptions {
        context: Some(chosen.clone()),
        cluster: None,
        user: None,
    };
    let mut config = kube::Config::from_custom_kubeconfig(kubeconfig, &options)
        .await
        .map_err(|e| ConnectError {
            configured: true,
            message: format!("cannot use context '{chosen}': {e}"),
            timed_out: false,
        })?;
    let timeouts = super::deadline::timeouts();
    config.connect_timeout = Some(Duration::from_secs(10).min(timeouts.request));
    config.read_timeout = Some(Duration::from_secs(300));
    let server = config.cluster_url.to_string();
    let default_namespace = config.default_namespace.clone();
    let health = super::deadline::new_health(&timeouts);
    let client = build_client(config, &chosen, plugin, &timeouts, health.clone()).await?;
    let version = super::deadline::within("GET /version", client.apiserver_version())
        .await
        .map_err(|e| ConnectError {
            configured: true,
            message: format!("{server}: {e}; retrying"),
            timed_out: true,
        })?
        .map_err(|e| ConnectError {
            configured: true,
            message: format!("{server}: {}; retrying", super::errors::describe(&e)),
            timed_out: super::deadline::timed_out(&e).is_some(),
        })?;
    Ok(Connection {
        client,
        context: Some(chosen),
        contexts,
        server: format!("{server} (Kubernetes {}.{})", version.major, version.minor),
        default_namespace,
        user,
        health,
    })
}

/// The exec credential plugin the context's user runs, if any.
fn exec_plugin(kubeconfig: &Kubeconfig, context: &str) -> Option<String> {
    let user = kubeconfig
        .contexts
        .iter()
        .find(|c| c.name == context)
        .and_then(|c| c.context.as_ref())
        .and_then(|c| c.user.clone())?;
    kubeconfig
        .auth_infos
        .iter()
        .find(|a| a.name == user)
        .and_then(|a| a.auth_info.as_ref())
        .and_then(|a| a.exec.as_ref())
        .and_then(|e| e.command.clone())
}

/// Builds the client with the deadline layer. Building runs the exec credential plugin (kube
/// runs it synchronously), so it runs on a blocking thread under the plugin deadline: a
/// plugin that hangs costs that long, never forever.
async fn build_client(
    config: kube::Config,
    context: &str,
    plugin: Option<String>,
    timeouts: &super::deadline::ApiTimeouts,
    health: super::deadline::SharedHealth,
) -> Result<kube::Client, ConnectError> {
    let layer = super::deadline::DeadlineLayer {
        timeout: timeouts.request,
        health,
    };
    let build = tokio::task::spawn_blocking(move || {
        kube::client::ClientBuilder::try_from(config).map(|b| b.with_layer(&layer).build())
    });
    let failed = |message: String| ConnectError {
        configured: true,
        message,
        timed_out: false,
    };
    match tokio::time::timeout(timeouts.exec_plugin, build).await {
        Ok(Ok(Ok(client))) => Ok(client),
        Ok(Ok(Err(e))) => Err(failed(format!(
            "cannot build a client for '{context}': {}",
            super::errors::describe(&e)
        ))),
        Ok(Err(e)) => Err(failed(format!(
            "cannot build a client for '{context}': {e}"
        ))),
        Err(_) => Err(ConnectError {
            timed_out: true,
            ..failed(match plugin {
                Some(command) => format!(
                    "the credential plugin '{command}' of context '{context}' did not finish within {}; \
                 kdeck stopped waiting. Run it by hand to see whether it waits for a login or \
                 a network, or raise [api] exec_timeout in config.toml",
                    super::deadline::seconds(timeouts.exec_plugin)
                ),
                None => format!(
                    "building the client for '{context}' did not finish within {}",
                    super::deadline::seconds(timeouts.exec_plugin)
                ),
            })
        }),
    }
}

/// `user@host` of the person running kdeck, for audit records.
pub fn local_user() -> String {
    let user = std::env::var("USER")
        .or_else(|_| std::env::var("LOGNAME"))
        .unwrap_or_else(|_| "unknown".to_string());
    let host = std::fs::read_to_string("/etc/hostname")
        .map(|h| h.trim().to_string())
        .unwrap_or_default();
    if host.is_empty() {
        user
    } else {
        format!("{user}@{host}")
    }
}
