//! Where a source sends what it finds: its own event type through a caller-given [`Sink`], so
//! a source knows nothing of the app's messages and builds and tests without the app. The
//! runner adapts each sink to its inbox (`app::inbox::sink`), as it does for the GPU
//! sampler's reports; a test can hand a source a plain channel ([`Sink::channel`]).

use futures::future::BoxFuture;
use std::future::Future;
use std::sync::Arc;

/// An async destination for events of type `E`. `send` resolves to false once the receiver is
/// gone, which ends the source; it may wait while the receiver is full (back-pressure, not
/// loss). Cloning shares the destination.
pub struct Sink<E> {
    deliver: Arc<dyn Fn(E) -> BoxFuture<'static, bool> + Send + Sync>,
}

impl<E> Clone for Sink<E> {
    fn clone(&self) -> Self {
        Sink {
            deliver: self.deliver.clone(),
        }
    }
}

impl<E> std::fmt::Debug for Sink<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Sink")
    }
}

impl<E: Send + 'static> Sink<E> {
    /// A sink that delivers each event with `deliver` (true while the receiver is there).
    pub fn new<F, Fut>(deliver: F) -> Sink<E>
    where
        F: Fn(E) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = bool> + Send + 'static,
    {
        Sink {
            deliver: Arc::new(move |event| Box::pin(deliver(event))),
        }
    }

    /// A sink into a bounded channel of the source's own events.
    pub fn channel(tx: tokio::sync::mpsc::Sender<E>) -> Sink<E> {
        Sink::new(move |event| {
            let tx = tx.clone();
            async move { tx.send(event).await.is_ok() }
        })
    }

    /// Sends one event; false once the receiver is gone.
    pub async fn send(&self, event: E) -> bool {
        (self.deliver)(event).await
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_channel_sink_delivers_until_the_receiver_is_gone() {
        let (tx, mut rx) = tokio::sync::mpsc::channel(2);
        let sink = Sink::channel(tx);
        assert!(sink.clone().send(1).await);
        assert_eq!(rx.recv().await, Some(1));
        drop(rx);
        assert!(!sink.send(2).await);
    }
}
