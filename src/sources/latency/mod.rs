//! The passive latency source of a connection: every `metrics.interval` it scrapes the
//! metrics of the pods the console asked for through the pod proxy (or asks Prometheus when
//! one is configured), and sends one round of figures until the connection is
//! cancelled. Rounds go out as [`LatencyEvent`]s through a [`LatencySink`].

pub mod cadence;
pub mod prometheus;
pub mod scrape;
pub mod sink;

use crate::domain::latency::TargetSet;
use crate::domain::latency::Tracker;
pub use sink::{LatencyEvent, LatencySink};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

/// The pause between the first round that reads pods and the second.
const WARM_UP: Duration = Duration::from_secs(1);

/// How often and where to measure.
#[derive(Debug, Clone)]
pub struct LatencyConfig {
    pub interval: Duration,
    /// Per pod (or per Prometheus query), per round.
    pub timeout: Duration,
    pub window: Duration,
    pub prometheus_url: Option<String>,
}

impl LatencyConfig {
    pub fn from_settings(settings: &crate::config::Config) -> LatencyConfig {
        LatencyConfig {
            interval: settings.metrics_interval,
            timeout: settings
                .metrics_interval
                .clamp(Duration::from_secs(1), Duration::from_secs(5)),
            window: crate::domain::latency::window::window_for(settings.metrics_interval),
            prometheus_url: settings.prometheus_url.clone(),
        }
    }
}

/// Measures every `config.interval` until `cancel` fires or the sink's receiver is gone. Without a
/// Prometheus URL it reads the pods in `targets`, the set the console keeps up to date
/// (`Effect::LatencyTargets`) from the pods it watches, each part at its cadence.
pub async fn run<S: LatencySink>(
    client: kube::Client,
    config: LatencyConfig,
    targets: tokio::sync::watch::Receiver<TargetSet>,
    cancel: CancellationToken,
    mut sink: S,
) {
    let http = match &config.prometheus_url {
        Some(_) => match crate::sources::prometheus::http_client(config.timeout) {
            Ok(c) => Some(c),
            Err(e) => {
                sink.deliver(LatencyEvent::Failed(e.to_string())).await;
                return;
            }
        },
        None => None,
    };
    let mut tracker = Tracker::new(config.window);
    let mut cadence = cadence::Cadence::default();
    let mut ticker = tokio::time::interval(config.interval);
    ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    let mut targets = targets;
    let mut rounds_read = 0u32;
    loop {
        // Until there is something to read, a new set of targets starts a round at once
        // (the first figures then come with the first rows, not one interval later); the
        // round after the first comes after a second, so that pods that just started (no
        // counts since their start yet) have figures soon too.
        let idle = config.prometheus_url.is_none() && targets.borrow().is_empty();
        let warm_up = rounds_read == 1 && config.interval > WARM_UP;
        tokio::select! {
            _ = cancel.cancelled() => return,
            _ = ticker.tick() => {}
            _ = tokio::time::sleep(WARM_UP), if warm_up => ticker.reset(),
            changed = targets.changed(), if idle => {
                if changed.is_err() {
                    return;
                }
                ticker.reset();
            }
        }
        if config.prometheus_url.is_some() || !targets.borrow().is_empty() {
            rounds_read += 1;
        }
        let work = async {
            match (&http, &config.prometheus_url) {
                (Some(http), Some(url)) => prometheus::round(http, url, config.timeout).await,
                _ => {
                    let now: TargetSet = targets.borrow().clone();
                    cadence
                        .round(&client, &now, config.timeout, &mut tracker)
                        .await
                }
            }
        };
        let measurements = tokio::select! {
            _ = cancel.cancelled() => return,
            m = work => m,
        };
        if !sink.deliver(LatencyEvent::Round(measurements)).await {
            return;
        }
    }
}
