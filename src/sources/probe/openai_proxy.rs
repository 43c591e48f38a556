//! One timed OpenAI request through the Kubernetes API server's pod proxy (how the console
//! reaches a vLLM pod from a bastion): sends the body with the kubeconfig's credentials, then
//! reads the server-sent events as the proxy passes them on, timed like a direct request.

use super::stream::{Piece, read_events};
use crate::domain::probe::openai::Api;
use crate::domain::probe::timing::StreamTiming;
use crate::domain::probe::{ErrorKind, ProbeError};
use futures::StreamExt;
use http_body_util::BodyExt;
use serde_json::Value;
use std::time::Instant;

/// Sends one streamed request to `path` (`/api/v1/namespaces/NS/pods/POD:PORT/proxy/…`) and
/// times its tokens.
pub async fn one(
    client: &kube::Client,
    path: &str,
    body: &Value,
    api: Api,
) -> Result<StreamTiming, ProbeError> {
    let bytes = serde_json::to_vec(body).map_err(|e| {
        ProbeError::new(ErrorKind::Transport, format!("cannot encode the body: {e}"))
    })?;
    let request = http::Request::builder()
        .method(http::Method::POST)
        .uri(path)
        .header(http::header::CONTENT_TYPE, "application/json")
        .header(http::header::ACCEPT, "text/event-stream")
        .body(kube::client::Body::from(bytes))
        .map_err(|e| {
            ProbeError::new(
                ErrorKind::Transport,
                format!("{path}: cannot build the request ({e})"),
            )
        })?;
    let sent_at = Instant::now();
    let response = client.send(request).await.map_err(|e| {
        ProbeError::new(
            ErrorKind::ConnectFailed,
            format!("{path}: the API server could not be reached ({e})"),
        )
    })?;
    let status = response.status();
    if !status.is_success() {
        let text = response
            .into_body()
            .collect_bytes()
            .await
            .map(|b| String::from_utf8_lossy(&b).to_string())
            .unwrap_or_default();
        return Err(super::rest::http_failure(path, status, &text));
    }
    let kind = response
        .headers()
        .get(http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_ascii_lowercase);
    if let Some(kind) = kind
        && !kind.starts_with("text/event-stream")
    {
        return Err(ProbeError::new(
            ErrorKind::BadEvent,
            format!("{path} answered {kind}, not a stream of events"),
        ));
    }
    let pieces = response
        .into_body()
        .into_data_stream()
        .map(|piece| piece.map_err(|e| Piece::Cut(e.to_string())));
    read_events(path, pieces, api, sent_at).await
}
