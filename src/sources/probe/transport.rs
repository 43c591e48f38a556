//! How a REST probe reaches the model server: straight to its URL (reqwest), or through the
//! Kubernetes API server's pod proxy with the kubeconfig's credentials (a bastion usually
//! reaches model servers only that way). Both classify failures the same way, and an HTTP
//! error from the model server keeps its status code through the proxy.

use super::rest::{answer, classify_status, stale_connection};
use crate::domain::probe::{ErrorKind, ProbeError};
use serde_json::Value;
use std::time::{Duration, Instant};

/// The way to the model server. `url`s given to it are full URLs for `Direct` and API paths
/// (`/api/v1/namespaces/NS/pods/POD:PORT/proxy/…`) for `ApiProxy`.
#[derive(Clone)]
pub enum Transport {
    Direct(reqwest::Client),
    ApiProxy {
        client: kube::Client,
        timeout: Duration,
    },
}

impl Transport {
    /// GETs `url` and reads the JSON answer.
    pub async fn get_json(&self, url: &str) -> Result<Value, ProbeError> {
        match self {
            Transport::Direct(client) => answer(url, client.get(url).send().await).await,
            Transport::ApiProxy { client, timeout } => {
                through_api(client, *timeout, http::Method::GET, url, Vec::new()).await
            }
        }
    }

    /// POSTs `body` as JSON to `url` and reads the JSON answer; also how long the (last)
    /// attempt took.
    pub async fn post_json(
        &self,
        url: &str,
        body: &Value,
    ) -> (Result<Value, ProbeError>, Duration) {
        let started = Instant::now();
        match self {
            Transport::Direct(client) => {
                let mut started = started;
                let mut sent = client.post(url).json(body).send().await;
                // uvicorn (the KServe model server) resets a kept-alive connection after it
                // answered 500; like curl, retry once on a fresh connection, timing the retry.
                if sent.as_ref().is_err_and(stale_connection) {
                    started = Instant::now();
                    sent = client.post(url).json(body).send().await;
                }
                let value = answer(url, sent).await;
                (value, started.elapsed())
            }
            Transport::ApiProxy { client, timeout } => {
                let value = match serde_json::to_vec(body) {
                    Ok(bytes) => {
                        through_api(client, *timeout, http::Method::POST, url, bytes).await
                    }
                    Err(e) => Err(ProbeError::new(
                        ErrorKind::Transport,
                        format!("cannot encode the body: {e}"),
                    )),
                };
                (value, started.elapsed())
            }
        }
    }
}

/// One request through the API server, its answer classified like a direct one.
async fn through_api(
    client: &kube::Client,
    timeout: Duration,
    method: http::Method,
    path: &str,
    body: Vec<u8>,
) -> Result<Value, ProbeError> {
    let request = http::Request::builder()
        .method(method)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .body(kube::client::Body::from(body))
        .map_err(|e| {
            ProbeError::new(
                ErrorKind::Transport,
                format!("{path}: cannot build the request ({e})"),
            )
        })?;
    let exchange = async {
        let response = client.send(request).await.map_err(|e| {
            ProbeError::new(
                ErrorKind::ConnectFailed,
                format!("{path}: the API server could not be reached ({e})"),
            )
        })?;
        let status = response.status();
        let bytes = response.into_body().collect_bytes().await.map_err(|e| {
            ProbeError::new(
                ErrorKind::BadBody,
                format!("{path}: the answer could not be read ({e})"),
            )
        })?;
        Ok::<_, ProbeError>((status, String::from_utf8_lossy(&bytes).to_string()))
    };
    let (status, text) = tokio::time::timeout(timeout, exchange)
        .await
        .map_err(|_| {
            ProbeError::new(
                ErrorKind::Timeout,
                format!("{path}: no answer through the API server within {timeout:?}"),
            )
        })??;
    classify_status(path, status, &text)
}
