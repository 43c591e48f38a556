//! The simulated KServe cluster: a Kubernetes-API-compatible HTTP server with a KServe
//! controller simulation behind it (DESIGN.md §2). It powers `kdeck --demo` (in-process, on a
//! free loopback port, reached through the ordinary kube client), `kdeck sim` (headless, for
//! kubectl and other clients) and the tests.
//!
//! - `api`: the HTTP API (discovery, OpenAPI, CRUD, watch, pod log and proxy, SSAR, control)
//! - `store`: objects with resource versions, history for resuming watches, fan-out
//! - `controller`: KServe's reconciliation (Knative and Standard modes, revisions, traffic)
//! - `workload`: what runs inside the pods: traffic, latency, metrics, logs, GPU load
//! - `scenario`: what the cluster holds at start (`demo`, `scale`, `scale-quiet`, `empty`)
//! - `faults`: injected failures (dropped watches, 410, 409, 403, 500, latency, hangs)
//!
//! [`SimServer::start`] binds, fills the store, starts the controller and serves until
//! [`SimServer::shutdown`] (or drop), which closes every open connection at once, as a
//! killed API server would.

pub mod api;
pub mod clock;
pub mod controller;
pub mod error;
pub mod faults;
pub mod resources;
pub mod scenario;
pub mod setup_error;
pub mod store;
pub mod tls;
pub mod validate;
pub mod workload;

use api::{Ctx, Stats};
use clock::SimClock;
use faults::{FaultControl, FaultSpec};
use hyper_util::rt::{TokioExecutor, TokioIo};
use scenario::Scenario;
use setup_error::SimSetupError;
use std::convert::Infallible;
use std::net::SocketAddr;
use std::sync::Arc;
use store::Store;
use tokio_util::sync::CancellationToken;
use workload::Workload;

/// How to start a simulated cluster.
#[derive(Debug, Clone)]
pub struct SimOptions {
    pub listen: SocketAddr,
    pub scenario: Scenario,
    /// Services of the `scale` scenario.
    pub services: usize,
    /// Varies the traffic pattern between runs (0 is the default pattern).
    pub seed: u64,
    pub faults: Vec<FaultSpec>,
    /// Simulated seconds per wall second for every delay (reconcile passes, pod start-up).
    pub time_scale: f64,
}

impl Default for SimOptions {
    fn default() -> Self {
        SimOptions {
            listen: SocketAddr::from(([127, 0, 0, 1], 0)),
            scenario: Scenario::Demo,
            services: 2000,
            seed: 0,
            faults: Vec::new(),
            time_scale: 1.0,
        }
    }
}

/// A running simulated cluster.
pub struct SimServer {
    pub addr: SocketAddr,
    pub store: Store,
    pub faults: FaultControl,
    pub workload: Arc<Workload>,
    token: Arc<str>,
    ca_data: String,
    acceptor: tokio_rustls::TlsAcceptor,
    ctx: Ctx,
    cancel: CancellationToken,
    /// Ends the current listener and its connections (a child of `cancel`).
    serving: std::sync::Mutex<CancellationToken>,
}

/// The name used for the cluster, context and user in the kubeconfig the sim writes.
pub const CONTEXT: &str = "kdeck-sim";

impl SimServer {
    /// Binds `options.listen`, builds the scenario and starts serving.
    pub async fn start(options: SimOptions) -> Result<SimServer, SimSetupError> {
        let listener = tokio::net::TcpListener::bind(options.listen)
            .await
            .map_err(|source| SimSetupError::Listen {
                addr: options.listen,
                source,
            })?;
        let addr = listener.local_addr().map_err(SimSetupError::LocalAddress)?;
        let store = Store::default();
        let workload = Arc::new(Workload::default());
        let clock = SimClock::new(options.time_scale);
        let mut controller =
            scenario::build(options.scenario, options.services, &store, &workload, clock);
        controller.ctl.behaviour.seed = options.seed;
        let faults = FaultControl::new(options.faults);
        let token: Arc<str> = Arc::from(new_token().as_str());
        let tls = tls::generate()?;
        let ca_data = tls.ca_data();
        let cancel = CancellationToken::new();
        tokio::spawn(controller::trained::run(
            store.clone(),
            clock,
            cancel.clone(),
        ));
        tokio::spawn(controller::run(controller, cancel.clone()));
        tokio::spawn(drop_watches_periodically(faults.clone(), cancel.clone()));
        tokio::spawn(drop_logs_periodically(faults.clone(), cancel.clone()));
        let ctx = Ctx {
            store: store.clone(),
            faults: faults.clone(),
            workload: workload.clone(),
            token: token.clone(),
            stats: Arc::new(Stats::default()),
        };
        let serving = cancel.child_token();
        tokio::spawn(serve(
            listener,
            tls.acceptor.clone(),
            ctx.clone(),
            serving.clone(),
        ));
        Ok(SimServer {
            addr,
            store,
            faults,
            workload,
            token,
            ca_data,
            acceptor: tls.acceptor,
            ctx,
            cancel,
            serving: std::sync::Mutex::new(serving),
        })
    }

    /// `https://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("https://{}", self.addr)
    }

    /// The PEM of the CA that signed the server's certificate, base64-encoded.
    pub fn ca_data(&self) -> &str {
        &self.ca_data
    }

    /// The bearer token clients must send.
    pub fn token(&self) -> &str {
        &self.token
    }

    /// A kubeconfig (YAML) whose only context reaches this server.
    pub fn kubeconfig_yaml(&self) -> String {
        format!(
            "apiVersion: v1\nkind: Config\nclusters:\n- name: {CONTEXT}\n  cluster:\n    server: {url}\n    certificate-authority-data: {ca}\n\
             contexts:\n- name: {CONTEXT}\n  context:\n    cluster: {CONTEXT}\n    user: {CONTEXT}-user\n    namespace: default\n\
             current-context: {CONTEXT}\nusers:\n- name: {CONTEXT}-user\n  user:\n    token: {token}\n",
            url = self.url(),
            token = self.token,
            ca = self.ca_data,
        )
    }

    /// The same kubeconfig, parsed for the kube client.
    pub fn kubeconfig(&self) -> Result<kube::config::Kubeconfig, SimSetupError> {
        Ok(kube::config::Kubeconfig::from_yaml(
            &self.kubeconfig_yaml(),
        )?)
    }

    /// Writes the kubeconfig to `path` (readable by the owner only: it holds the token).
    pub fn write_kubeconfig(&self, path: &std::path::Path) -> Result<(), SimSetupError> {
        write_owner_only(path, self.kubeconfig_yaml().as_bytes()).map_err(|source| {
            SimSetupError::WriteKubeconfig {
                path: path.to_path_buf(),
                source,
            }
        })
    }

    /// Stops serving and closes every open connection (watches and log streams end).
    pub fn shutdown(&self) {
        self.cancel.cancel();
    }

    /// The API server goes down: the port is closed and every connection is cut, while the
    /// cluster (store, controller, workload) carries on, as when a real API server restarts.
    pub fn stop_serving(&self) {
        if let Ok(serving) = self.serving.lock() {
            serving.cancel();
        }
    }

    /// The API server comes back on the same address, with the same certificate and token.
    pub async fn resume_serving(&self) -> Result<(), SimSetupError> {
        let listener = tokio::net::TcpListener::bind(self.addr)
            .await
            .map_err(|source| SimSetupError::Listen {
                addr: self.addr,
                source,
            })?;
        let serving = self.cancel.child_token();
        if let Ok(mut current) = self.serving.lock() {
            current.cancel();
            *current = serving.clone();
        }
        tokio::spawn(serve(
            listener,
            self.acceptor.clone(),
            self.ctx.clone(),
            serving,
        ));
        Ok(())
    }
}

impl Drop for SimServer {
    fn drop(&mut self) {
        self.cancel.cancel();
    }
}

/// Writes `content` to `path`, created (or narrowed to) 0600: a kubeconfig holds the token.
/// A missing directory is created 0700; one that exists keeps its permissions.
fn write_owner_only(path: &std::path::Path, content: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    if let Some(dir) = path
        .parent()
        .filter(|d| !d.as_os_str().is_empty() && !d.exists())
    {
        let mut builder = std::fs::DirBuilder::new();
        builder.recursive(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::DirBuilderExt;
            builder.mode(0o700);
        }
        builder.create(dir)?;
    }
    let mut options = std::fs::OpenOptions::new();
    options.create(true).write(true).truncate(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path)?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        file.set_permissions(std::fs::Permissions::from_mode(0o600))?;
    }
    file.write_all(content)
}

/// A random bearer token for this run.
fn new_token() -> String {
    use rand::Rng;
    let mut rng = rand::rng();
    (0..32)
        .map(|_| char::from(b"abcdefghijklmnopqrstuvwxyz0123456789"[rng.random_range(0..36)]))
        .collect()
}

/// Accepts connections until cancelled; each connection completes a TLS handshake and is
/// served (HTTP/1.1 or h2, by ALPN) until it ends or the server stops.
async fn serve(
    listener: tokio::net::TcpListener,
    acceptor: tokio_rustls::TlsAcceptor,
    ctx: Ctx,
    cancel: CancellationToken,
) {
    loop {
        let accepted = tokio::select! {
            _ = cancel.cancelled() => return,
            accepted = listener.accept() => accepted,
        };
        let Ok((stream, _)) = accepted else {
            // Out of file descriptors and the like: try again shortly rather than spin.
            tokio::time::sleep(std::time::Duration::from_millis(20)).await;
            continue;
        };
        let _ = stream.set_nodelay(true);
        let ctx = ctx.clone();
        let cancel = cancel.clone();
        let acceptor = acceptor.clone();
        tokio::spawn(async move {
            let stream = tokio::select! {
                _ = cancel.cancelled() => return,
                handshake = acceptor.accept(stream) => match handshake {
                    Ok(s) => s,
                    Err(e) => {
                        tracing::debug!("sim: TLS handshake failed: {e}");
                        return;
                    }
                },
            };
            let service =
                hyper::service::service_fn(move |req: http::Request<hyper::body::Incoming>| {
                    let ctx = ctx.clone();
                    async move {
                        Ok::<_, Infallible>(api::handle(ctx, req.map(axum::body::Body::new)).await)
                    }
                });
            let builder = hyper_util::server::conn::auto::Builder::new(TokioExecutor::new());
            let connection = builder.serve_connection(TokioIo::new(stream), service);
            tokio::select! {
                _ = connection => {}
                _ = cancel.cancelled() => {}
            }
        });
    }
}

/// The `drop-watches=PERIOD` fault: ends every open watch each period.
async fn drop_watches_periodically(faults: FaultControl, cancel: CancellationToken) {
    loop {
        let period = faults
            .drop_period()
            .unwrap_or(std::time::Duration::from_millis(500));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        if faults.drop_period().is_some() {
            faults.drop_watches();
        }
    }
}

/// The `drop-logs=PERIOD` fault: ends every open followed log stream each period.
async fn drop_logs_periodically(faults: FaultControl, cancel: CancellationToken) {
    loop {
        let period = faults
            .log_drop_period()
            .unwrap_or(std::time::Duration::from_millis(500));
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = tokio::time::sleep(period) => {}
        }
        if faults.log_drop_period().is_some() {
            faults.drop_logs();
        }
    }
}
