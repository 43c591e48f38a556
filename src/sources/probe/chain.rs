//! A probe of a transformer → predictor chain: reads the transformer's and the predictor's
//! `/metrics` (KServe model server) before and after the timed requests, so the split in
//! `domain::latency::chain` covers exactly the probe's requests.

use super::{Ask, ProbeSpec, run_asking};
use crate::domain::latency::chain::{ChainScrapes, ChainSplit, StageTotals};
use crate::domain::probe::ProbeReport;

/// Where to read the chain's metrics: the transformer's and the predictor's base URLs
/// (`/metrics` is appended).
#[derive(Debug, Clone, PartialEq)]
pub struct ChainTarget {
    pub transformer: String,
    pub predictor: String,
}

/// Why a chain probe gives no split, worded for the user (`kdeck probe --predictor` prints it
/// after the table; `-o json` gives it as `chain_error`).
#[derive(Debug, thiserror::Error)]
pub enum ChainError {
    #[error("cannot set up an HTTP client: {0}")]
    Client(#[source] reqwest::Error),
    /// A server's `/metrics` could not be fetched (the cause's chain, e.g. a refused
    /// connection, is in the message: reqwest's own says only that sending failed).
    #[error(
        "cannot read {url} ({}); is it a KServe model server with metrics on that port?",
        super::rest::chain(.source)
    )]
    Unreadable { url: String, source: reqwest::Error },
    /// A server's `/metrics` answered with an error status.
    #[error(
        "cannot read {url} (HTTP {status}); is it a KServe model server with metrics on that port?"
    )]
    Status {
        url: String,
        status: reqwest::StatusCode,
    },
    #[error(
        "the transformer's request_predict_seconds of model {model} did not move: no request \
         reached its predict step"
    )]
    NoPredict { model: String },
}

/// The probe's report and the chain's split (or why there is none).
pub struct ChainReport {
    pub report: ProbeReport,
    pub split: Result<ChainSplit, ChainError>,
}

/// One server's stage totals, or why they could not be read.
type Totals = Result<StageTotals, ChainError>;

/// Runs the probe against the transformer, reading both servers' metrics around it.
pub async fn run(spec: &ProbeSpec, ask: &Ask, chain: &ChainTarget) -> ChainReport {
    let client = match client(spec) {
        Ok(c) => c,
        Err(e) => {
            return ChainReport {
                report: run_asking(spec, ask).await,
                split: Err(e),
            };
        }
    };
    let model = spec.model.as_str();
    let before = (
        totals(&client, &chain.transformer, model).await,
        totals(&client, &chain.predictor, model).await,
    );
    let report = run_asking(spec, ask).await;
    let after = (
        totals(&client, &chain.transformer, model).await,
        totals(&client, &chain.predictor, model).await,
    );
    let split = split(model, before, after);
    ChainReport { report, split }
}

/// The split between the scrapes (transformer's, predictor's) before and after the probe:
/// the transformer's must both be read; a predictor that could not be read is reported once
/// the transformer shows the requests went through.
fn split(
    model: &str,
    before: (Totals, Totals),
    after: (Totals, Totals),
) -> Result<ChainSplit, ChainError> {
    let ((transformer_before, predictor_before), (transformer_after, predictor_after)) =
        (before, after);
    let (transformer_before, transformer_after) = (transformer_before?, transformer_after?);
    let (predictor_before, predictor_after, predictor_error) =
        match (predictor_before, predictor_after) {
            (Ok(b), Ok(a)) => (Some(b), Some(a), None),
            (Err(e), a) => (None, a.ok(), Some(e)),
            (Ok(b), Err(e)) => (Some(b), None, Some(e)),
        };
    let scrapes = ChainScrapes {
        transformer_before,
        transformer_after,
        predictor_before,
        predictor_after,
    };
    match (scrapes.split(), predictor_error) {
        (None, _) => Err(ChainError::NoPredict {
            model: model.to_string(),
        }),
        (Some(_), Some(e)) => Err(e),
        (Some(split), None) => Ok(split),
    }
}

fn client(spec: &ProbeSpec) -> Result<reqwest::Client, ChainError> {
    crate::sources::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(spec.timeout)
        .connect_timeout(spec.timeout)
        .build()
        .map_err(ChainError::Client)
}

/// One server's stage totals for `model`.
async fn totals(client: &reqwest::Client, base: &str, model: &str) -> Totals {
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    let response = match client.get(&url).send().await {
        Ok(r) => r,
        Err(source) => return Err(ChainError::Unreadable { url, source }),
    };
    let status = response.status();
    if !status.is_success() {
        return Err(ChainError::Status { url, status });
    }
    match response.text().await {
        Ok(text) => Ok(StageTotals::read(&text, Some(model))),
        Err(source) => Err(ChainError::Unreadable { url, source }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::latency::chain::StageTotal;

    #[test]
    fn chain_errors_read_as_the_users_message() {
        let status = ChainError::Status {
            url: "http://p/metrics".into(),
            status: reqwest::StatusCode::NOT_FOUND,
        };
        assert_eq!(
            status.to_string(),
            "cannot read http://p/metrics (HTTP 404 Not Found); is it a KServe model server \
             with metrics on that port?"
        );
        let still = ChainError::NoPredict {
            model: "img".into(),
        };
        assert_eq!(
            still.to_string(),
            "the transformer's request_predict_seconds of model img did not move: no request \
             reached its predict step"
        );
    }

    #[tokio::test]
    async fn a_refused_metrics_read_says_so() {
        crate::sources::tls::ensure_crypto_provider();
        let port = {
            let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
            listener.local_addr().unwrap().port()
        };
        let base = format!("http://127.0.0.1:{port}");
        let e = totals(&reqwest::Client::new(), &base, "img")
            .await
            .unwrap_err()
            .to_string();
        assert!(
            e.starts_with(&format!("cannot read {base}/metrics (")) && e.contains("refused"),
            "{e}"
        );
        assert!(e.ends_with("is it a KServe model server with metrics on that port?"));
    }

    #[test]
    fn an_unread_transformer_is_the_error_and_an_unread_predictor_follows_a_moved_split() {
        let totals = |requests: f64| {
            let predict = StageTotal {
                sum_s: requests * 0.01,
                count: requests,
            };
            Ok(StageTotals {
                predict,
                ..StageTotals::default()
            })
        };
        let gone = || {
            Err(ChainError::Status {
                url: "http://p/metrics".into(),
                status: reqwest::StatusCode::SERVICE_UNAVAILABLE,
            })
        };
        let r = split("img", (gone(), totals(0.0)), (totals(5.0), totals(5.0)));
        assert!(matches!(r, Err(ChainError::Status { .. })), "{r:?}");
        let r = split(
            "img",
            (totals(5.0), totals(0.0)),
            (totals(5.0), totals(5.0)),
        );
        assert!(matches!(r, Err(ChainError::NoPredict { .. })), "{r:?}");
        let r = split("img", (totals(0.0), gone()), (totals(5.0), totals(5.0)));
        assert!(matches!(r, Err(ChainError::Status { .. })), "{r:?}");
        let r = split(
            "img",
            (totals(0.0), totals(0.0)),
            (totals(5.0), totals(5.0)),
        );
        assert!(r.is_ok(), "{r:?}");
    }
}
