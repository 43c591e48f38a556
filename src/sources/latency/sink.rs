//! Where the latency source sends what it finds: its own event type through a caller-given
//! sink, so the source knows nothing of the app's messages (the app adapts the sink to its
//! inbox, as it does for the GPU sampler's reports).

use crate::domain::latency::Measurements;
use std::future::Future;

/// What the latency source reports.
#[derive(Debug, Clone)]
pub enum LatencyEvent {
    /// One round of figures.
    Round(Measurements),
    /// The source cannot measure at all (e.g. no HTTP client for Prometheus) and has ended;
    /// worded for the user.
    Failed(String),
}

/// Where events go. `deliver` resolves to false once the receiver is gone, which ends the
/// source. It may wait while the receiver is full (back-pressure, not loss).
pub trait LatencySink: Send + 'static {
    fn deliver(&mut self, event: LatencyEvent) -> impl Future<Output = bool> + Send;
}

impl LatencySink for tokio::sync::mpsc::Sender<LatencyEvent> {
    async fn deliver(&mut self, event: LatencyEvent) -> bool {
        self.send(event).await.is_ok()
    }
}
