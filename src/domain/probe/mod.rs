//! Active probes of a model server, the pure half: what a probe measured (`stats`, and
//! `timing` for streamed generations), the kinds of failure (`ErrorKind`), the inference
//! payloads built from a model's metadata (`payload`), the OpenAI-compatible API (`openai`)
//! and the server-sent events it streams (`sse`). The I/O lives in `sources::probe`.

pub mod openai;
pub mod payload;
pub mod sse;
pub mod stats;
pub mod timing;

pub use stats::{ProbeReport, Summary};

/// The protocol a probe speaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, clap::ValueEnum, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Protocol {
    /// KServe V1 REST: `POST /v1/models/NAME:predict`.
    V1,
    /// Open Inference Protocol (V2) REST: `POST /v2/models/NAME/infer`.
    V2,
    /// Open Inference Protocol over gRPC (`inference.GRPCInferenceService`).
    Grpc,
    /// The OpenAI-compatible API of generative servers (KServe: `/openai/v1`, vLLM: `/v1`),
    /// streamed: time to first token, inter-token latency, decode rate.
    Openai,
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V1 => "v1",
            Protocol::V2 => "v2",
            Protocol::Grpc => "grpc",
            Protocol::Openai => "openai",
        }
    }
}

/// Why one request failed.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum ErrorKind {
    /// Nothing listens on the port.
    ConnectRefused,
    /// Connecting failed otherwise (DNS, unreachable, TLS).
    ConnectFailed,
    /// No answer within the timeout.
    Timeout,
    /// HTTP 4xx (the code is kept).
    Http4xx(u16),
    /// HTTP 5xx.
    Http5xx(u16),
    /// The answer is not the JSON (or protobuf) the protocol promises.
    BadBody,
    /// A gRPC status other than OK, by its canonical name (`unavailable`, `not_found` …).
    Grpc(String),
    /// A streamed answer ended before its end (`data: [DONE]`): the connection closed or
    /// broke mid-way.
    StreamCut,
    /// A streamed event is not what the protocol promises (not JSON, no `choices`, not
    /// server-sent events at all).
    BadEvent,
    /// The server reported an error inside the stream.
    StreamError,
    /// Anything else on the wire.
    Transport,
}

impl ErrorKind {
    /// A stable key for JSON output: `connect_refused`, `timeout`, `http_5xx`, `grpc_not_found` …
    pub fn key(&self) -> String {
        match self {
            ErrorKind::ConnectRefused => "connect_refused".into(),
            ErrorKind::ConnectFailed => "connect_failed".into(),
            ErrorKind::Timeout => "timeout".into(),
            ErrorKind::Http4xx(_) => "http_4xx".into(),
            ErrorKind::Http5xx(_) => "http_5xx".into(),
            ErrorKind::BadBody => "bad_body".into(),
            ErrorKind::Grpc(code) => format!("grpc_{code}"),
            ErrorKind::StreamCut => "stream_cut".into(),
            ErrorKind::BadEvent => "bad_event".into(),
            ErrorKind::StreamError => "stream_error".into(),
            ErrorKind::Transport => "transport".into(),
        }
    }
}

/// One failed request: its kind and a message for the user.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeError {
    pub kind: ErrorKind,
    pub message: String,
}

impl ProbeError {
    pub fn new(kind: ErrorKind, message: impl Into<String>) -> ProbeError {
        ProbeError {
            kind,
            message: message.into(),
        }
    }
}

impl std::fmt::Display for ProbeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// Text from a model server made inert for one line of the terminal: the one sanitiser
/// ([`crate::domain::inert`]) drops escape sequences and shows control and bidi characters
/// visibly (`^G`, `<U+202E>`).
pub fn inert(text: &str) -> String {
    crate::domain::inert::sanitize(text.as_bytes()).text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn server_text_is_made_inert() {
        let hostile = "bad\x1b]0;title\x07 \x1b[2Jmodel\u{202E}gnp.exe\r\n";
        let safe = inert(hostile);
        assert!(
            !safe.contains('\x1b') && !safe.contains('\u{202E}'),
            "{safe:?}"
        );
        assert!(!safe.chars().any(|c| c.is_control()), "{safe:?}");
        assert!(
            safe.starts_with("bad") && safe.contains("model<U+202E>gnp.exe"),
            "{safe:?}"
        );
    }
}
