//! The simulated cluster in-process for integration tests: [`Sim`] starts `SimServer` on a
//! free loopback port in its own tokio runtime and writes its kubeconfig into a temp dir;
//! [`Kubectl`] runs the real kubectl against it; [`Child`] is a child process that is killed
//! when dropped; [`poll`] waits for a condition with a bounded deadline.

use kdeck::sim::faults::FaultSpec;
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

/// A running simulated cluster and a kubeconfig that reaches it.
pub struct Sim {
    pub server: SimServer,
    pub dir: tempfile::TempDir,
    pub kubeconfig: PathBuf,
    runtime: Option<tokio::runtime::Runtime>,
}

impl Sim {
    /// Starts a simulated cluster with these options (the listen address is always
    /// 127.0.0.1:0). Safe to call from sync tests and from inside a tokio runtime.
    pub fn start(mut options: SimOptions) -> Sim {
        options.listen = std::net::SocketAddr::from(([127, 0, 0, 1], 0));
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("sim")
            .enable_all()
            .build()
            .expect("a tokio runtime for the simulated cluster");
        // block_on from a plain thread, so callers may already be inside a runtime.
        let server = std::thread::scope(|s| {
            s.spawn(|| runtime.block_on(SimServer::start(options)))
                .join()
                .expect("the simulated cluster started without panicking")
        })
        .expect("the simulated cluster starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).expect("kubeconfig");
        Sim {
            server,
            dir,
            kubeconfig,
            runtime: Some(runtime),
        }
    }

    /// The demo scenario, twenty times faster than real time so rollouts settle quickly.
    pub fn demo() -> Sim {
        Sim::start(SimOptions {
            scenario: Scenario::Demo,
            time_scale: 20.0,
            ..SimOptions::default()
        })
    }

    /// The demo scenario with faults.
    pub fn demo_with(faults: &[&str]) -> Sim {
        Sim::start(SimOptions {
            scenario: Scenario::Demo,
            time_scale: 20.0,
            faults: faults
                .iter()
                .map(|f| f.parse::<FaultSpec>().expect("fault spec"))
                .collect(),
            ..SimOptions::default()
        })
    }

    /// The scale scenario with `services` InferenceServices (3 pods each).
    pub fn scale(services: usize) -> Sim {
        Sim::start(SimOptions {
            scenario: Scenario::Scale,
            services,
            time_scale: 20.0,
            ..SimOptions::default()
        })
    }

    /// The real kubectl with this cluster's kubeconfig.
    pub fn kubectl(&self) -> Kubectl {
        Kubectl {
            kubeconfig: self.kubeconfig.clone(),
            home: self.dir.path().to_path_buf(),
        }
    }

    /// A kube client built from the sim's kubeconfig through kube's own config loader.
    pub async fn client(&self) -> kube::Client {
        kdeck::sources::tls::ensure_crypto_provider();
        let kubeconfig = self.server.kubeconfig().expect("kubeconfig parses");
        let config = kube::Config::from_custom_kubeconfig(
            kubeconfig,
            &kube::config::KubeConfigOptions::default(),
        )
        .await
        .expect("kube config from the sim's kubeconfig");
        kube::Client::try_from(config).expect("kube client")
    }

    /// `GET /kdeck-sim/v1/stats` through a kube client (object counts and handling time).
    pub async fn stats(&self, client: &kube::Client) -> serde_json::Value {
        let req = http::Request::get("/kdeck-sim/v1/stats")
            .body(Vec::new())
            .expect("request");
        client
            .request::<serde_json::Value>(req)
            .await
            .expect("stats")
    }
}

impl Sim {
    /// Runs `f` on the sim's runtime (from a plain thread, so callers may be inside one).
    pub fn block_on<F: std::future::Future + Send>(&self, f: F) -> F::Output
    where
        F::Output: Send,
    {
        let runtime = self.runtime.as_ref().expect("running");
        std::thread::scope(|s| s.spawn(|| runtime.block_on(f)).join().expect("no panic"))
    }

    /// [`Sim::stats`] for tests without a runtime of their own.
    pub fn stats_blocking(&self) -> serde_json::Value {
        let runtime = self.runtime.as_ref().expect("running");
        std::thread::scope(|s| {
            s.spawn(|| {
                runtime.block_on(async {
                    let client = self.client().await;
                    self.stats(&client).await
                })
            })
            .join()
            .expect("stats")
        })
    }
}

impl Drop for Sim {
    fn drop(&mut self) {
        self.server.shutdown();
        if let Some(rt) = self.runtime.take() {
            // Allowed inside an async context, unlike dropping the runtime.
            rt.shutdown_background();
        }
    }
}

/// Whether kubectl is on PATH; `Err` says why not (see `require_kubectl!`).
pub fn kubectl_available() -> Result<(), String> {
    match Command::new("kubectl")
        .args(["version", "--client"])
        .stdin(Stdio::null())
        .output()
    {
        Ok(o) if o.status.success() => Ok(()),
        Ok(o) => Err(format!(
            "kubectl version --client failed: {}",
            String::from_utf8_lossy(&o.stderr)
        )),
        Err(e) => Err(format!("kubectl is not on PATH: {e}")),
    }
}

/// Fails the test under CI, or skips it saying why elsewhere, when kubectl is missing.
#[macro_export]
macro_rules! require_kubectl {
    () => {
        if let Err(why) = $crate::common::sim::kubectl_available() {
            $crate::common::missing_dependency(&why);
            return;
        }
    };
}

/// The real kubectl, with `--kubeconfig` and a private HOME (its discovery cache).
#[derive(Debug, Clone)]
pub struct Kubectl {
    pub kubeconfig: PathBuf,
    pub home: PathBuf,
}

impl Kubectl {
    pub fn command(&self, args: &[&str]) -> Command {
        let mut c = Command::new("kubectl");
        c.arg("--kubeconfig")
            .arg(&self.kubeconfig)
            .arg("--cache-dir")
            .arg(self.home.join("kube-cache"))
            .args(["--request-timeout", "20s"])
            .args(args)
            .env("HOME", &self.home)
            .env_remove("KUBECONFIG")
            .stdin(Stdio::null());
        c
    }

    /// Runs kubectl to the end.
    pub fn run(&self, args: &[&str]) -> Output {
        self.command(args).output().expect("kubectl runs")
    }

    /// Runs kubectl, asserting success; returns stdout.
    pub fn ok(&self, args: &[&str]) -> String {
        let out = self.run(args);
        assert!(
            out.status.success(),
            "kubectl {} failed ({}):\nstdout: {}\nstderr: {}",
            args.join(" "),
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        );
        String::from_utf8_lossy(&out.stdout).into_owned()
    }

    /// Starts kubectl as a child whose stdout lines can be read; killed on drop.
    pub fn spawn(&self, args: &[&str]) -> Child {
        Child::spawn(self.command(args))
    }
}

/// A child process whose stdout is read line by line; killed (and reaped) on drop.
pub struct Child {
    child: std::process::Child,
    lines: mpsc::Receiver<String>,
    pub seen: Vec<String>,
}

impl Child {
    pub fn spawn(mut command: Command) -> Child {
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("child starts");
        let (tx, lines) = mpsc::channel();
        let stdout = child.stdout.take().expect("stdout");
        let stderr = child.stderr.take().expect("stderr");
        let tx2 = tx.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if tx.send(line).is_err() {
                    return;
                }
            }
        });
        std::thread::spawn(move || {
            for line in BufReader::new(stderr).lines().map_while(Result::ok) {
                if tx2.send(format!("stderr: {line}")).is_err() {
                    return;
                }
            }
        });
        Child {
            child,
            lines,
            seen: Vec::new(),
        }
    }

    /// Reads lines until one satisfies `pred` or `timeout` passes; returns that line.
    pub fn wait_for(&mut self, timeout: Duration, pred: impl Fn(&str) -> bool) -> Option<String> {
        let deadline = Instant::now() + timeout;
        loop {
            let left = deadline.checked_duration_since(Instant::now())?;
            match self.lines.recv_timeout(left) {
                Ok(line) => {
                    self.seen.push(line.clone());
                    if pred(&line) {
                        return Some(line);
                    }
                }
                Err(_) => return None,
            }
        }
    }

    /// Everything read so far, for failure messages.
    pub fn transcript(&self) -> String {
        self.seen.join("\n")
    }
}

impl Drop for Child {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Polls `f` until it returns `Some` or `timeout` passes.
pub fn poll<T>(timeout: Duration, mut f: impl FnMut() -> Option<T>) -> Option<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f() {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// The repository's KServe-shaped InferenceService manifests (tests/fixtures/kserve/isvc).
pub fn kserve_isvc_fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/kserve/isvc")
}

/// Polls the future `f` makes until it returns `Some` or `timeout` passes.
pub async fn poll_async<T, F, Fut>(timeout: Duration, mut f: F) -> Option<T>
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = Option<T>>,
{
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = f().await {
            return Some(v);
        }
        if Instant::now() >= deadline {
            return None;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
