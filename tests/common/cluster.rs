//! A simulated KServe cluster for integration tests: `kdeck::sim::SimServer` on a free
//! loopback port, on its own tokio runtime that lives as long as the value, with its
//! kubeconfig written to a private temporary directory.

use kdeck::sim::faults::FaultSpec;
use kdeck::sim::scenario::Scenario;
use kdeck::sim::{SimOptions, SimServer};
use std::path::PathBuf;

pub struct TestCluster {
    pub server: SimServer,
    pub kubeconfig: PathBuf,
    runtime: tokio::runtime::Runtime,
    _dir: tempfile::TempDir,
}

impl TestCluster {
    /// Starts `options` (the listen address is always a free loopback port).
    pub fn start(options: SimOptions) -> TestCluster {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .enable_all()
            .build()
            .expect("a runtime for the simulated cluster");
        let server = runtime
            .block_on(SimServer::start(SimOptions {
                listen: "127.0.0.1:0".parse().unwrap(),
                ..options
            }))
            .expect("the simulated cluster starts");
        let dir = tempfile::tempdir().expect("temp dir");
        let kubeconfig = dir.path().join("kubeconfig");
        server.write_kubeconfig(&kubeconfig).expect("kubeconfig");
        TestCluster {
            server,
            kubeconfig,
            runtime,
            _dir: dir,
        }
    }

    /// The demo scenario, its delays ten times faster than real time.
    pub fn demo() -> TestCluster {
        TestCluster::start(SimOptions {
            scenario: Scenario::Demo,
            time_scale: 10.0,
            ..SimOptions::default()
        })
    }

    pub fn fault(&self, spec: &str) {
        let fault: FaultSpec = spec.parse().expect("a fault spec");
        self.server.faults.add(fault);
    }

    pub fn clear_faults(&self) {
        self.server.faults.clear();
    }

    /// A kube client for the cluster, as kdeck builds one.
    pub fn client(&self) -> kube::Client {
        let kubeconfig = self.server.kubeconfig().expect("kubeconfig");
        self.block_on(async move {
            kdeck::sources::tls::ensure_crypto_provider();
            let config = kube::Config::from_custom_kubeconfig(
                kubeconfig,
                &kube::config::KubeConfigOptions::default(),
            )
            .await
            .expect("config");
            kube::Client::try_from(config).expect("client")
        })
    }

    pub fn block_on<F: std::future::Future>(&self, f: F) -> F::Output {
        self.runtime.block_on(f)
    }

    /// `--kubeconfig PATH` for the kdeck binary.
    pub fn kubeconfig_arg(&self) -> String {
        format!("--kubeconfig {}", self.kubeconfig.display())
    }
}
