//! Active probes of a model server, the pure half: what a probe measured (`stats`), the
//! kinds of failure (`ErrorKind`), and the inference payloads built from a model's metadata
//! (`payload`). The I/O lives in `sources::probe`.

pub mod payload;
pub mod stats;

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
}

impl Protocol {
    pub fn name(self) -> &'static str {
        match self {
            Protocol::V1 => "v1",
            Protocol::V2 => "v2",
            Protocol::Grpc => "grpc",
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
