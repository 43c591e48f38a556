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

/// The probe's report and the chain's split (or why there is none).
pub struct ChainReport {
    pub report: ProbeReport,
    pub split: Result<ChainSplit, String>,
}

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
    let split = match (before, after) {
        ((Ok(tb), pb), (Ok(ta), pa)) => {
            let predictor_error = pb.as_ref().err().or(pa.as_ref().err()).cloned();
            let scrapes = ChainScrapes {
                transformer_before: tb,
                transformer_after: ta,
                predictor_before: pb.ok(),
                predictor_after: pa.ok(),
            };
            match (scrapes.split(), predictor_error) {
                (None, _) => Err(format!(
                    "the transformer's request_predict_seconds of model {} did not move: \
                     no request reached its predict step",
                    spec.model
                )),
                (Some(_), Some(e)) => Err(e),
                (Some(split), None) => Ok(split),
            }
        }
        ((Err(e), _), _) | (_, (Err(e), _)) => Err(e),
    };
    ChainReport { report, split }
}

fn client(spec: &ProbeSpec) -> Result<reqwest::Client, String> {
    crate::sources::tls::ensure_crypto_provider();
    reqwest::Client::builder()
        .timeout(spec.timeout)
        .connect_timeout(spec.timeout)
        .build()
        .map_err(|e| format!("cannot set up an HTTP client: {e}"))
}

/// One server's stage totals for `model`.
async fn totals(client: &reqwest::Client, base: &str, model: &str) -> Result<StageTotals, String> {
    let url = format!("{}/metrics", base.trim_end_matches('/'));
    let failed = |e: &dyn std::fmt::Display| {
        format!("cannot read {url} ({e}); is it a KServe model server with metrics on that port?")
    };
    let response = client.get(&url).send().await.map_err(|e| failed(&e))?;
    if !response.status().is_success() {
        return Err(failed(&format!("HTTP {}", response.status())));
    }
    let text = response.text().await.map_err(|e| failed(&e))?;
    Ok(StageTotals::read(&text, Some(model)))
}
