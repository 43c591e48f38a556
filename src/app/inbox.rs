//! The one bounded inbox every source writes to (through the sinks made here, which wrap each
//! source's own events into a `Msg`), and the small tasks that feed it from the terminal, the
//! clock and process signals.

use super::msg::{LogMsg, Msg, TermSignal};
use crate::sources::sink::Sink;
use crossterm::event::{Event, EventStream};
use futures::StreamExt;
use tokio::sync::mpsc;
use tokio_util::sync::CancellationToken;

/// Capacity of the inbox. Sources batch (log lines, watch events), so this bounds memory
/// without stalling anyone in practice; a full inbox makes sources wait (backpressure).
pub const INBOX_CAPACITY: usize = 1024;

/// The sending side, cloned into every source.
pub type Outbox = mpsc::Sender<Msg>;

/// Creates the inbox.
pub fn channel() -> (Outbox, mpsc::Receiver<Msg>) {
    mpsc::channel(INBOX_CAPACITY)
}

/// A source's sink into the inbox: each event is wrapped by `wrap` (e.g. `Msg::Cluster`).
pub fn sink<E: Send + 'static>(tx: &Outbox, wrap: fn(E) -> Msg) -> Sink<E> {
    let tx = tx.clone();
    Sink::new(move |event| {
        let tx = tx.clone();
        async move { tx.send(wrap(event)).await.is_ok() }
    })
}

/// The log streams report into the inbox as `Msg::Logs` (what `sources::kube::logs::follow`
/// is given when a caller hands it the inbox).
impl From<Outbox> for Sink<LogMsg> {
    fn from(tx: Outbox) -> Self {
        sink(&tx, Msg::Logs)
    }
}

/// Forwards terminal key, paste and resize events until cancelled or the terminal closes.
pub fn spawn_terminal_events(tx: Outbox, cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut events = EventStream::new();
        loop {
            let next = tokio::select! {
                _ = cancel.cancelled() => return,
                next = events.next() => next,
            };
            let msg = match next {
                Some(Ok(Event::Key(key))) => Msg::Key(key),
                Some(Ok(Event::Paste(text))) => Msg::Paste(text),
                Some(Ok(Event::Resize(width, height))) => Msg::Resize { width, height },
                Some(Ok(_)) => continue,
                // The terminal is gone (closed pty): end the session like a hangup.
                Some(Err(_)) | None => Msg::Signal(TermSignal::Hangup),
            };
            let closing = matches!(msg, Msg::Signal(_));
            if tx.send(msg).await.is_err() || closing {
                return;
            }
        }
    });
}

/// Sends `Msg::Tick` once a second.
pub fn spawn_ticker(tx: Outbox, cancel: CancellationToken) {
    tokio::spawn(async move {
        let mut interval = tokio::time::interval(std::time::Duration::from_secs(1));
        interval.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Skip);
        loop {
            tokio::select! {
                _ = cancel.cancelled() => return,
                _ = interval.tick() => {
                    if tx.send(Msg::Tick(chrono::Utc::now())).await.is_err() {
                        return;
                    }
                }
            }
        }
    });
}

/// Turns SIGTERM, SIGHUP, SIGINT, SIGQUIT and SIGTSTP into messages so the loop can restore the
/// terminal before leaving or stopping.
pub fn spawn_signals(tx: Outbox, cancel: CancellationToken) -> std::io::Result<()> {
    use tokio::signal::unix::{SignalKind, signal};
    let mut term = signal(SignalKind::terminate())?;
    let mut hup = signal(SignalKind::hangup())?;
    let mut int = signal(SignalKind::interrupt())?;
    // SIGQUIT would otherwise end the process with the terminal still raw.
    let mut quit = signal(SignalKind::quit())?;
    let mut tstp = signal(SignalKind::from_raw(signal_hook::consts::SIGTSTP))?;
    tokio::spawn(async move {
        loop {
            let msg = tokio::select! {
                _ = cancel.cancelled() => return,
                _ = term.recv() => Msg::Signal(TermSignal::Terminate),
                _ = int.recv() => Msg::Signal(TermSignal::Terminate),
                _ = quit.recv() => Msg::Signal(TermSignal::Terminate),
                _ = hup.recv() => Msg::Signal(TermSignal::Hangup),
                _ = tstp.recv() => Msg::Signal(TermSignal::Stop),
            };
            if tx.send(msg).await.is_err() {
                return;
            }
        }
    });
    Ok(())
}
