//! The latency source's events as inbox messages: a round becomes `Msg::Metrics`, a source
//! that cannot measure becomes an error notice.

use super::inbox::Outbox;
use super::msg::Msg;
use crate::domain::notice::NoticeLevel;
use crate::sources::latency::{LatencyEvent, LatencySink};

impl From<LatencyEvent> for Msg {
    fn from(event: LatencyEvent) -> Msg {
        match event {
            LatencyEvent::Round(measurements) => Msg::Metrics(measurements),
            LatencyEvent::Failed(why) => Msg::Notice(NoticeLevel::Error, why),
        }
    }
}

/// The inbox takes the source's events directly (waiting while it is full).
impl LatencySink for Outbox {
    async fn deliver(&mut self, event: LatencyEvent) -> bool {
        self.send(Msg::from(event)).await.is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn rounds_become_metrics_and_a_failed_source_an_error_notice() {
        let (mut tx, mut rx) = crate::app::inbox::channel();
        assert!(tx.deliver(LatencyEvent::Round(Default::default())).await);
        assert!(tx.deliver(LatencyEvent::Failed("no client".into())).await);
        assert!(matches!(rx.recv().await, Some(Msg::Metrics(_))));
        assert!(matches!(
            rx.recv().await,
            Some(Msg::Notice(NoticeLevel::Error, why)) if why == "no client"
        ));
        drop(rx);
        assert!(!tx.deliver(LatencyEvent::Failed("gone".into())).await);
    }
}
