//! `kdeck probe URL --model NAME`: health checks and timed inferences against one model
//! server (V2 REST, V1 REST or V2 gRPC), printed as a table or JSON, with an exit code for
//! scripts (0 all requests succeeded, 1 some failed, 2 usage or setup problems).

use super::out::{self, errln};
use crate::domain::probe::{Protocol, Summary};
use crate::sources::probe::{self, ProbeSpec};
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
    grpc_<status>), 2 for usage problems and when the probe could not start (server down, \
    unknown model, no usable metadata).\n\
    Examples:\n  kdeck probe http://localhost:8080 --model iris\n  \
    kdeck probe localhost:8081 --model iris --protocol grpc --count 200 --concurrency 8 -o json"
)]
pub struct ProbeArgs {
    /// The model server: a base URL (http://host:port) for v1/v2, HOST:PORT for grpc.
    pub url: String,
    /// The model's name on the server (KServe: usually the InferenceService name).
    #[arg(long, value_name = "NAME")]
    pub model: String,
    /// v2: Open Inference Protocol REST; v1: KServe V1 REST; grpc: Open Inference Protocol gRPC.
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
    /// Per-request timeout, e.g. 500ms, 5s.
    #[arg(long, default_value = "5s", value_parser = parse_duration)]
    pub timeout: Duration,
    /// Output format.
    #[arg(short = 'o', long = "output", value_enum, default_value = "table")]
    pub output: ProbeOutput,
}

fn parse_duration(text: &str) -> Result<Duration, String> {
    let d = humantime::parse_duration(text)
        .map_err(|e| format!("`{text}` is not a duration ({e}); write e.g. 500ms or 5s"))?;
    if d.is_zero() {
        return Err("the timeout must be more than zero".into());
    }
    Ok(d)
}

impl ProbeArgs {
    /// The probe the arguments describe; `Err` is a usage problem for the user.
    pub fn spec(&self) -> Result<ProbeSpec, String> {
        let payload = match &self.payload {
            None => None,
            Some(path) => {
                let text = std::fs::read_to_string(path)
                    .map_err(|e| format!("cannot read the payload file {}: {e}", path.display()))?;
                Some(
                    serde_json::from_str(&text).map_err(|e| {
                        format!("the payload file {} is not JSON: {e}", path.display())
                    })?,
                )
            }
        };
        let rest = matches!(self.protocol, Protocol::V1 | Protocol::V2);
        if rest && !(self.url.starts_with("http://") || self.url.starts_with("https://")) {
            return Err(format!(
                "`{}` is not an http(s) URL; give e.g. http://{}",
                self.url, self.url
            ));
        }
        if self.protocol == Protocol::Grpc && self.url.starts_with("https://") {
            return Err(format!(
                "`{}`: gRPC over TLS is not supported by kdeck probe; probe the plaintext gRPC \
                 port (HOST:PORT, e.g. through kubectl port-forward) or the REST endpoint \
                 with --protocol v2",
                self.url
            ));
        }
        Ok(ProbeSpec {
            target: self.url.clone(),
            model: self.model.clone(),
            protocol: self.protocol,
            count: self.count as usize,
            concurrency: self.concurrency as usize,
            timeout: self.timeout,
            payload,
        })
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
    let report = probe::run(&spec).await;
    let summary = report.summary(spec.protocol, &spec.target, &spec.model, spec.concurrency);
    match args.output {
        ProbeOutput::Json => match serde_json::to_string_pretty(&summary) {
            Ok(text) => {
                out::json(&text);
            }
            Err(e) => errln!("kdeck probe: cannot write JSON: {e}"),
        },
        ProbeOutput::Table => {
            out::line(table(&summary).trim_end_matches('\n'));
        }
    }
    if let Some(e) = &summary.setup_error {
        errln!("kdeck probe: {e}");
    }
    ExitCode::from(exit_code(&summary))
}

/// 0 all requests succeeded, 1 some failed, 2 the probe could not start.
pub fn exit_code(s: &Summary) -> u8 {
    if s.setup_error.is_some() {
        2
    } else if s.failed > 0 {
        1
    } else {
        0
    }
}

/// The table output.
pub fn table(s: &Summary) -> String {
    use std::fmt::Write;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{} model {} ({})",
        s.target,
        s.model,
        s.protocol.name()
    );
    for c in &s.checks {
        let mark = if c.ok { "ok  " } else { "FAIL" };
        let _ = writeln!(
            out,
            "  {mark} {:<15} {:>8.1} ms  {}",
            c.name, c.ms, c.detail
        );
    }
    if s.setup_error.is_some() {
        return out;
    }
    let ms = |v: Option<f64>| v.map(|v| format!("{v:.2}")).unwrap_or_else(|| "-".into());
    let _ = writeln!(
        out,
        "requests {}  ok {}  failed {}  concurrency {}  {:.2}s  {:.1} req/s",
        s.requests, s.ok, s.failed, s.concurrency, s.elapsed_s, s.rps
    );
    let _ = writeln!(
        out,
        "{:>10} {:>10} {:>10} {:>10} {:>10}",
        "p50 ms", "p90 ms", "p99 ms", "max ms", "min ms"
    );
    let _ = writeln!(
        out,
        "{:>10} {:>10} {:>10} {:>10} {:>10}",
        ms(s.p50_ms),
        ms(s.p90_ms),
        ms(s.p99_ms),
        ms(s.max_ms),
        ms(s.min_ms)
    );
    for (kind, n) in &s.errors {
        let example = s.error_examples.get(kind).map(String::as_str).unwrap_or("");
        let _ = writeln!(out, "  error {kind:<16} {n:>6}  e.g. {example}");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::probe::ProbeReport;

    #[test]
    fn exit_codes_follow_the_outcome() {
        let ok = ProbeReport {
            latencies: vec![Duration::from_millis(3)],
            elapsed: Duration::from_millis(3),
            ..ProbeReport::default()
        };
        let s = ok.summary(Protocol::V2, "http://x", "m", 1);
        assert_eq!(exit_code(&s), 0);
        assert!(table(&s).contains("p50 ms"));
        let down = ProbeReport {
            setup_error: Some("connection refused".into()),
            ..ProbeReport::default()
        };
        assert_eq!(
            exit_code(&down.summary(Protocol::V2, "http://x", "m", 1)),
            2
        );
        let mut some = ok.clone();
        some.errors.push(crate::domain::probe::ProbeError::new(
            crate::domain::probe::ErrorKind::Timeout,
            "t",
        ));
        let s = some.summary(Protocol::V2, "http://x", "m", 1);
        assert_eq!(exit_code(&s), 1);
        assert!(table(&s).contains("timeout"));
    }

    #[test]
    fn rest_urls_must_be_http() {
        let args = ProbeArgs {
            url: "localhost:8080".into(),
            model: "m".into(),
            protocol: Protocol::V2,
            count: 1,
            concurrency: 1,
            payload: None,
            timeout: Duration::from_secs(1),
            output: ProbeOutput::Json,
        };
        assert!(args.spec().unwrap_err().contains("http://localhost:8080"));
        let grpc = ProbeArgs {
            protocol: Protocol::Grpc,
            ..args
        };
        assert!(grpc.spec().is_ok());
        let tls = ProbeArgs {
            url: "https://m.example.com".into(),
            ..grpc
        };
        assert!(tls.spec().unwrap_err().contains("TLS"));
    }
}
