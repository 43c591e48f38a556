//! Why the simulated cluster cannot start, serve again, or hand out its kubeconfig: the
//! errors `kdeck sim`, `--demo` and the tests see, each saying what failed and what to do.

use std::net::SocketAddr;
use std::path::PathBuf;

/// A simulated cluster that could not be set up.
#[derive(Debug, thiserror::Error)]
pub enum SimSetupError {
    #[error(
        "cannot listen on {addr}: {source} (is another process on that port? pick another with --listen)"
    )]
    Listen {
        addr: SocketAddr,
        #[source]
        source: std::io::Error,
    },
    #[error("cannot read the listening address: {0}")]
    LocalAddress(#[source] std::io::Error),
    #[error("cannot make the simulated cluster's TLS certificates: {0}")]
    Certificate(#[from] rcgen::Error),
    #[error("cannot set up the simulated cluster's TLS: {0}")]
    Tls(#[from] rustls::Error),
    #[error("the simulated cluster's kubeconfig does not parse: {0}")]
    Kubeconfig(#[from] kube::config::KubeconfigError),
    #[error("cannot write the kubeconfig to {}: {source} (is the directory there and writable?)", path.display())]
    WriteKubeconfig {
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
}

#[cfg(test)]
mod tests {
    use crate::sim::{SimOptions, SimServer};

    #[tokio::test]
    async fn a_port_in_use_is_a_listen_error_that_says_what_to_do() {
        let taken = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = taken.local_addr().unwrap();
        let options = SimOptions {
            listen: addr,
            ..SimOptions::default()
        };
        let Err(error) = SimServer::start(options).await else {
            panic!("the sim started on a port that is in use");
        };
        assert!(
            matches!(error, super::SimSetupError::Listen { addr: a, .. } if a == addr),
            "{error:?}"
        );
        let message = error.to_string();
        assert!(message.contains(&addr.to_string()), "{message}");
        assert!(message.contains("--listen"), "{message}");
    }
}
