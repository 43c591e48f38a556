//! `kdeck probe URL --model NAME`: health checks and timed inferences against one model
//! server (V2 REST, V1 REST or V2 gRPC; V1 explanations; OpenAI-compatible generations with
//! time to first token, inter-token latency and decode rate), printed as a table or JSON,
//! with an exit code for scripts (0 all requests succeeded, 1 some failed, 2 usage or setup
//! problems).

mod render;

pub use render::table;

use super::out::{self, errln};
use crate::domain::probe::Protocol;
use crate::domain::probe::openai::{Api, DEFAULT_MAX_TOKENS, DEFAULT_PROMPT, OpenAiAsk};
use crate::sources::probe::chain::ChainTarget;
use crate::sources::probe::{self, Ask, ProbeSpec};
use render::{chain_table, exit_code, json};
use std::path::PathBuf;
use std::process::ExitCode;
use std::time::Duration;

/// Output format of `kdeck probe`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, clap::ValueEnum)]
pub enum ProbeOutput {
    Table,
    Json,
}

#[derive(Debug, Clone, clap::Args)]
#[command(
    after_help = "Exit codes: 0 when every timed request succeeded, 1 when any failed \
    (errors are counted by kind: connect_refused, timeout, http_4xx, http_5xx, bad_body, \
    grpc_<status>, and for openai stream_cut, bad_event, stream_error), 2 for usage problems \
    and when the probe could not start (server down, unknown model, no usable metadata).\n\
    With --protocol openai the route prefix is found by asking /openai/v1/models (KServe) \
    then /v1/models (vLLM); the figures add time to first token (ttft_*), inter-token \
    latency (itl_*), the decode rate (output_tokens_per_s) and output_tokens_total; p50_ms \
    and the others stay end to end.\n\
    Examples:\n  kdeck probe http://localhost:8080 --model iris\n  \
    kdeck probe localhost:8081 --model iris --protocol grpc --count 200 --concurrency 8 -o json\n  \
    kdeck probe http://localhost:8080 --model llama --protocol openai --max-tokens 64 --concurrency 4\n  \
    kdeck probe http://localhost:8080 --model iris --protocol v1 --explain --payload row.json\n  \
    kdeck probe http://localhost:8080 --model img --protocol v1 --predictor http://localhost:8090"
)]
pub struct ProbeArgs {
    /// The model server: a base URL (http://host:port) for v1/v2, HOST:PORT for grpc.
    pub url: String,
    /// The model's name on the server (KServe: usually the InferenceService name).
    #[arg(long, value_name = "NAME")]
    pub model: String,
    /// v2: Open Inference Protocol REST; v1: KServe V1 REST; grpc: Open Inference Protocol
    /// gRPC; openai: the OpenAI-compatible API of generative servers (KServe, vLLM).
    #[arg(long, value_enum, default_value = "v2")]
    pub protocol: Protocol,
    /// Timed inference requests to send.
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub count: u32,
    /// Requests in flight at once.
    #[arg(long, default_value_t = 1, value_parser = clap::value_parser!(u32).range(1..=1024))]
    pub concurrency: u32,
    /// A JSON request body (V2 `{"inputs": …}` for v2 and grpc, V1 `{"instances": …}` for
    /// v1) instead of one built from the model's metadata.
    #[arg(long, value_name = "FILE")]
    pub payload: Option<PathBuf>,
    /// Per-request timeout (the whole answer, a stream to its end), e.g. 500ms, 5s; default
    /// 5s, 60s with --protocol openai.
    #[arg(long, value_parser = parse_duration)]
    pub timeout: Option<Duration>,
    /// v1: time `POST /v1/models/NAME:explain` (the model's explainer) instead of `:predict`.
    #[arg(long)]
    pub explain: bool,
    /// openai: call /completions with a prompt instead of /chat/completions.
    #[arg(long)]
    pub completion: bool,
    /// openai: the prompt (the chat's user message).
    #[arg(long, value_name = "TEXT")]
    pub prompt: Option<String>,
    /// openai: tokens to generate per request (default 16).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u32).range(1..=1_000_000))]
    pub max_tokens: Option<u32>,
    /// openai: ask for the whole answer at once (end-to-end time and tokens only).
    #[arg(long)]
    pub no_stream: bool,
    /// v1/v2 against a transformer (URL): its predictor's base URL. Both servers'
    /// `/metrics` are read around the timed requests and the latency split is printed as
    /// means per request (preprocess, the transformer → predictor hop, the predictor's
    /// predict, postprocess; `-o json`: `chain`, or `chain_error` when the metrics could not
    /// be read). To probe the predictor alone, give its URL as URL instead.
    #[arg(long, value_name = "URL")]
    pub predictor: Option<String>,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: ProbeOutput,
}

/// The timeout when none is given: generations take longer than inferences.
fn default_timeout(protocol: Protocol) -> Duration {
    match protocol {
        Protocol::Openai => Duration::from_secs(60),
        _ => Duration::from_secs(5),
    }
}

/// A usage problem with `kdeck probe`'s arguments, worded for the user (exit code 2).
#[derive(Debug, thiserror::Error)]
pub enum UsageError {
    #[error("`{text}` is not a duration ({source}); write e.g. 500ms or 5s")]
    NotADuration {
        text: String,
        source: humantime::DurationError,
    },
    #[error("the timeout must be more than zero")]
    ZeroTimeout,
    #[error("cannot read the payload file {}: {source}", .path.display())]
    PayloadUnreadable {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("the payload file {} is not JSON: {source}", .path.display())]
    PayloadNotJson {
        path: PathBuf,
        source: serde_json::Error,
    },
    #[error("`{url}` is not an http(s) URL; give e.g. http://{url}")]
    NotHttp { url: String },
    #[error(
        "`{url}`: gRPC over TLS is not supported by kdeck probe; probe the plaintext gRPC port \
         (HOST:PORT, e.g. through kubectl port-forward) or the REST endpoint with --protocol v2"
    )]
    GrpcOverTls { url: String },
    #[error("{flag} is for --protocol openai (this probe speaks {protocol})")]
    OpenaiOnly {
        flag: &'static str,
        protocol: &'static str,
    },
    #[error("--explain asks KServe's V1 `:explain`; add --protocol v1 (not {protocol})")]
    ExplainNeedsV1 { protocol: &'static str },
    #[error(
        "--predictor splits a REST transformer chain; use --protocol v1 or v2 (not {protocol})"
    )]
    PredictorNeedsRest { protocol: &'static str },
    #[error("--predictor `{url}` is not an http(s) URL; give e.g. http://{url}")]
    PredictorNotHttp { url: String },
    #[error(
        "--payload is for v1, v2 and grpc; an openai probe builds its request from --prompt \
         and --max-tokens"
    )]
    PayloadWithOpenai,
}

fn parse_duration(text: &str) -> Result<Duration, UsageError> {
    let d = humantime::parse_duration(text).map_err(|source| UsageError::NotADuration {
        text: text.to_string(),
        source,
    })?;
    if d.is_zero() {
        return Err(UsageError::ZeroTimeout);
    }
    Ok(d)
}

impl ProbeArgs {
    /// The probe the arguments describe; `Err` is a usage problem for the user.
    pub fn spec(&self) -> Result<ProbeSpec, UsageError> {
        self.check_flags()?;
        let payload = match &self.payload {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path).map_err(|source| {
                    UsageError::PayloadUnreadable {
                        path: path.clone(),
                        source,
                    }
                })?;
                let body =
                    serde_json::from_str(&text).map_err(|source| UsageError::PayloadNotJson {
                        path: path.clone(),
                        source,
                    })?;
                Some(body)
            }
        };
        let rest = matches!(
            self.protocol,
            Protocol::V1 | Protocol::V2 | Protocol::Openai
        );
        if rest && !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            let url = self.url.clone();
            return Err(UsageError::NotHttp { url });
        }
        if self.protocol == Protocol::Grpc && self.url.starts_with("https://") {
            let url = self.url.clone();
            return Err(UsageError::GrpcOverTls { url });
        }
        Ok(ProbeSpec {
            target: self.url.clone(),
            model: self.model.clone(),
            protocol: self.protocol,
            count: self.count as usize,
            concurrency: self.concurrency as usize,
            timeout: self.timeout.unwrap_or(default_timeout(self.protocol)),
            payload,
        })
    }

    /// What the timed requests ask.
    pub fn ask(&self) -> Ask {
        Ask {
            explain: self.explain,
            openai: OpenAiAsk {
                api: if self.completion {
                    Api::Completion
                } else {
                    Api::Chat
                },
                prompt: self
                    .prompt
                    .clone()
                    .unwrap_or_else(|| DEFAULT_PROMPT.to_string()),
                max_tokens: self.max_tokens.unwrap_or(DEFAULT_MAX_TOKENS),
                stream: !self.no_stream,
            },
        }
    }

    /// Flags that only mean something with one protocol are refused with the others.
    fn check_flags(&self) -> Result<(), UsageError> {
        let openai_only = [
            ("--completion", self.completion),
            ("--prompt", self.prompt.is_some()),
            ("--max-tokens", self.max_tokens.is_some()),
            ("--no-stream", self.no_stream),
        ];
        let protocol = self.protocol.name();
        if self.protocol != Protocol::Openai
            && let Some((flag, _)) = openai_only.iter().find(|(_, given)| *given)
        {
            let flag = *flag;
            return Err(UsageError::OpenaiOnly { flag, protocol });
        }
        if self.explain && self.protocol != Protocol::V1 {
            return Err(UsageError::ExplainNeedsV1 { protocol });
        }
        if let Some(url) = &self.predictor {
            if !matches!(self.protocol, Protocol::V1 | Protocol::V2) {
                return Err(UsageError::PredictorNeedsRest { protocol });
            }
            if !(url.starts_with("http://") || url.starts_with("https://")) {
                let url = url.clone();
                return Err(UsageError::PredictorNotHttp { url });
            }
        }
        if self.protocol == Protocol::Openai && self.payload.is_some() {
            return Err(UsageError::PayloadWithOpenai);
        }
        Ok(())
    }
}

/// Runs `kdeck probe`.
pub async fn run(args: &ProbeArgs) -> ExitCode {
    let spec = match args.spec() {
        Ok(s) => s,
        Err(e) => {
            errln!("kdeck probe: {e}");
            return ExitCode::from(2);
        }
    };
    let (report, split) = match &args.predictor {
        None => (probe::run_asking(&spec, &args.ask()).await, None),
        Some(predictor) => {
            let target = ChainTarget {
                transformer: spec.target.clone(),
                predictor: predictor.clone(),
            };
            let chain = probe::chain::run(&spec, &args.ask(), &target).await;
            (chain.report, Some(chain.split))
        }
    };
    let summary = report.summary(spec.protocol, &spec.target, &spec.model, spec.concurrency);
    match args.output {
        ProbeOutput::Json => match json(&summary, split.as_ref()) {
            Ok(text) => {
                out::json(&text);
            }
            Err(e) => errln!("kdeck probe: cannot write JSON: {e}"),
        },
        ProbeOutput::Table => {
            let mut text = table(&summary);
            if let Some(Ok(split)) = &split {
                text.push_str(&chain_table(split));
            }
            out::line(text.trim_end_matches('\n'));
        }
    }
    if let Some(e) = &summary.setup_error {
        errln!("kdeck probe: {e}");
    }
    if let Some(Err(e)) = &split {
        errln!("kdeck probe: no latency split: {e}");
    }
    ExitCode::from(exit_code(&summary))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rest_urls_must_be_http() {
        let args = ProbeArgs {
            url: "localhost:8080".into(),
            model: "m".into(),
            protocol: Protocol::V2,
            count: 1,
            concurrency: 1,
            payload: None,
            timeout: Some(Duration::from_secs(1)),
            explain: false,
            completion: false,
            prompt: None,
            max_tokens: None,
            no_stream: false,
            predictor: None,
            output: ProbeOutput::Json,
        };
        assert!(
            args.spec()
                .unwrap_err()
                .to_string()
                .contains("http://localhost:8080")
        );
        let grpc = ProbeArgs {
            protocol: Protocol::Grpc,
            ..args
        };
        assert!(grpc.spec().is_ok());
        let tls = ProbeArgs {
            url: "https://m.example.com".into(),
            ..grpc
        };
        assert!(tls.spec().unwrap_err().to_string().contains("TLS"));
    }

    fn openai_args() -> ProbeArgs {
        ProbeArgs {
            url: "http://localhost:8080".into(),
            model: "llm".into(),
            protocol: Protocol::Openai,
            count: 1,
            concurrency: 1,
            payload: None,
            timeout: None,
            explain: false,
            completion: false,
            prompt: None,
            max_tokens: None,
            no_stream: false,
            predictor: None,
            output: ProbeOutput::Table,
        }
    }

    #[test]
    fn openai_probes_stream_chat_with_a_longer_timeout_by_default() {
        let args = openai_args();
        let spec = args.spec().unwrap();
        assert_eq!(spec.timeout, Duration::from_secs(60));
        let ask = args.ask().openai;
        assert_eq!((ask.api, ask.stream), (Api::Chat, true));
        assert_eq!(ask.max_tokens, DEFAULT_MAX_TOKENS);
        let plain = ProbeArgs {
            completion: true,
            no_stream: true,
            max_tokens: Some(5),
            prompt: Some("hi".into()),
            ..openai_args()
        };
        let ask = plain.ask().openai;
        assert_eq!(
            (ask.api, ask.stream, ask.max_tokens),
            (Api::Completion, false, 5)
        );
        assert_eq!(ask.prompt, "hi");
        assert!(openai_args().spec().is_ok());
        let grpc_url = ProbeArgs {
            url: "localhost:8080".into(),
            ..openai_args()
        };
        assert!(grpc_url.spec().unwrap_err().to_string().contains("http://"));
    }

    #[test]
    fn flags_of_another_protocol_are_refused() {
        let v2_with_prompt = ProbeArgs {
            protocol: Protocol::V2,
            prompt: Some("hi".into()),
            ..openai_args()
        };
        let e = v2_with_prompt.spec().unwrap_err().to_string();
        assert!(e.contains("--prompt") && e.contains("openai"), "{e}");
        let explain_v2 = ProbeArgs {
            protocol: Protocol::V2,
            explain: true,
            ..openai_args()
        };
        assert!(
            explain_v2
                .spec()
                .unwrap_err()
                .to_string()
                .contains("--protocol v1")
        );
        let explain_v1 = ProbeArgs {
            protocol: Protocol::V1,
            explain: true,
            ..openai_args()
        };
        assert!(explain_v1.spec().is_ok() && explain_v1.ask().explain);
        let payload = ProbeArgs {
            payload: Some(PathBuf::from("x.json")),
            ..openai_args()
        };
        assert!(payload.spec().unwrap_err().to_string().contains("--prompt"));
        let chain_openai = ProbeArgs {
            predictor: Some("http://p:8080".into()),
            ..openai_args()
        };
        assert!(
            chain_openai
                .spec()
                .unwrap_err()
                .to_string()
                .contains("v1 or v2")
        );
        let chain_bare = ProbeArgs {
            protocol: Protocol::V1,
            predictor: Some("p:8080".into()),
            ..openai_args()
        };
        assert!(
            chain_bare
                .spec()
                .unwrap_err()
                .to_string()
                .contains("http://p:8080")
        );
        let chain = ProbeArgs {
            protocol: Protocol::V2,
            predictor: Some("http://p:8080".into()),
            ..openai_args()
        };
        assert!(chain.spec().is_ok());
    }

    #[test]
    fn usage_errors_read_as_the_users_message() {
        let bare = ProbeArgs {
            protocol: Protocol::V2,
            url: "localhost:8080".into(),
            ..openai_args()
        };
        assert_eq!(
            bare.spec().unwrap_err().to_string(),
            "`localhost:8080` is not an http(s) URL; give e.g. http://localhost:8080"
        );
        let tls = ProbeArgs {
            protocol: Protocol::Grpc,
            url: "https://m.example.com".into(),
            ..openai_args()
        };
        assert_eq!(
            tls.spec().unwrap_err().to_string(),
            "`https://m.example.com`: gRPC over TLS is not supported by kdeck probe; probe the \
             plaintext gRPC port (HOST:PORT, e.g. through kubectl port-forward) or the REST \
             endpoint with --protocol v2"
        );
        let grpc_prompt = ProbeArgs {
            protocol: Protocol::Grpc,
            max_tokens: Some(3),
            ..openai_args()
        };
        assert_eq!(
            grpc_prompt.spec().unwrap_err().to_string(),
            "--max-tokens is for --protocol openai (this probe speaks grpc)"
        );
        let explain = ProbeArgs {
            explain: true,
            ..openai_args()
        };
        assert_eq!(
            explain.spec().unwrap_err().to_string(),
            "--explain asks KServe's V1 `:explain`; add --protocol v1 (not openai)"
        );
        let payload = ProbeArgs {
            payload: Some(PathBuf::from("x.json")),
            ..openai_args()
        };
        assert_eq!(
            payload.spec().unwrap_err().to_string(),
            "--payload is for v1, v2 and grpc; an openai probe builds its request from --prompt \
             and --max-tokens"
        );
        assert_eq!(
            parse_duration("0s").unwrap_err().to_string(),
            "the timeout must be more than zero"
        );
        let e = parse_duration("5 parsecs").unwrap_err().to_string();
        assert!(
            e.starts_with("`5 parsecs` is not a duration (")
                && e.ends_with("); write e.g. 500ms or 5s"),
            "{e}"
        );
        let missing = ProbeArgs {
            protocol: Protocol::V2,
            payload: Some(PathBuf::from("tests/fixtures/no-such-payload.json")),
            ..openai_args()
        };
        let e = missing.spec().unwrap_err();
        assert!(
            e.to_string()
                .starts_with("cannot read the payload file tests/fixtures/no-such-payload.json: "),
            "{e}"
        );
        assert!(std::error::Error::source(&e).is_some());
    }
}
