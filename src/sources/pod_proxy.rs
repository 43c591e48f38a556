//! Reads an HTTP path of a pod through the Kubernetes API server's pod proxy subresource
//! (`/api/v1/namespaces/NS/pods/NAME:PORT/proxy/PATH`), so metrics can be scraped without a
//! port-forward or direct access to the pod network.

use thiserror::Error;

/// Why a proxied read failed, worded for the user.
#[derive(Debug, Error)]
pub enum ProxyError {
    #[error("could not build the proxy request for pod {namespace}/{pod}: {source}")]
    Request {
        namespace: String,
        pod: String,
        source: http::Error,
    },
    #[error(
        "reading {path} of pod {namespace}/{pod} port {port} through the API server failed: {source}"
    )]
    Api {
        namespace: String,
        pod: String,
        port: u16,
        path: String,
        source: kube::Error,
    },
}

/// The API path of `path` on `port` of pod `namespace/pod`.
pub fn proxy_path(namespace: &str, pod: &str, port: u16, path: &str) -> String {
    let path = path.trim_start_matches('/');
    format!("/api/v1/namespaces/{namespace}/pods/{pod}:{port}/proxy/{path}")
}

/// GETs `path` on `port` of the pod through the API server and returns the body as text.
pub async fn get_text(
    client: &kube::Client,
    namespace: &str,
    pod: &str,
    port: u16,
    path: &str,
) -> Result<String, ProxyError> {
    let uri = proxy_path(namespace, pod, port, path);
    let request =
        http::Request::get(uri)
            .body(Vec::new())
            .map_err(|source| ProxyError::Request {
                namespace: namespace.to_string(),
                pod: pod.to_string(),
                source,
            })?;
    client
        .request_text(request)
        .await
        .map_err(|source| ProxyError::Api {
            namespace: namespace.to_string(),
            pod: pod.to_string(),
            port,
            path: path.to_string(),
            source,
        })
}

#[cfg(test)]
mod tests {
    use super::proxy_path;

    #[test]
    fn proxy_path_has_the_port_and_a_single_slash() {
        assert_eq!(
            proxy_path("ml", "p-1", 8080, "/metrics"),
            "/api/v1/namespaces/ml/pods/p-1:8080/proxy/metrics"
        );
    }
}
