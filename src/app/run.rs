//! The app loop: owns `State`, takes one message at a time from the inbox, applies `update`,
//! runs the effects, and draws only when something changed — at most ~30 frames a second.
//! The derived views (the rows' order, the latency targets) are settled once before each
//! frame, not after every message.

use super::effect::Effect;
use super::inbox::{self, Outbox};
use super::msg::Msg;
use super::runner::EffectRunner;
use super::update::{settle, unsettled, update, update_deferred};
use crate::state::State;
use crate::tui::Tui;
use std::time::{Duration, Instant};
use tokio::sync::mpsc::Receiver;
use tokio_util::sync::CancellationToken;

/// The shortest time between two frames (~30 frames a second).
pub const FRAME_INTERVAL: Duration = Duration::from_millis(33);

/// Messages handled before the loop checks whether to draw, so a burst is coalesced into one
/// frame without starving the screen.
const BATCH: usize = 256;

/// Draws one frame from the state (the views, with the theme they were given); the loop
/// calls it only when something changed.
pub type Draw = Box<dyn FnMut(&mut ratatui::Frame, &State) + Send>;

/// Everything the loop needs.
pub struct Launch {
    pub state: State,
    pub draw: Draw,
    pub runner: EffectRunner,
    pub tx: Outbox,
    pub rx: Receiver<Msg>,
    /// Effects to run before the first message (connecting to the cluster, …).
    pub initial: Vec<Effect>,
}

/// Runs the console until the user quits or a signal ends it. The terminal is restored on
/// every path out (the `Tui` guard, and the panic hook for panics).
pub async fn run(launch: Launch) -> color_eyre::Result<()> {
    let Launch {
        mut state,
        mut draw,
        mut runner,
        tx,
        mut rx,
        initial,
    } = launch;
    let cancel = CancellationToken::new();
    let mut tui = Tui::enter()?;
    inbox::spawn_terminal_events(tx.clone(), cancel.clone());
    inbox::spawn_ticker(tx.clone(), cancel.clone());
    inbox::spawn_signals(tx.clone(), cancel.clone())?;
    drop(tx);

    let size = tui.terminal.size()?;
    update(
        &mut state,
        Msg::Resize {
            width: size.width,
            height: size.height,
        },
    );
    for effect in initial {
        runner.run(effect);
    }

    let mut last_draw: Option<Instant> = None;
    let result = 'outer: loop {
        if state.dirty || unsettled(&state) {
            let due = last_draw
                .map(|t| t + FRAME_INTERVAL)
                .unwrap_or_else(Instant::now);
            if Instant::now() >= due {
                let effects = settle(&mut state);
                if run_effects(&mut state, &mut runner, &mut tui, effects)? {
                    break Ok(());
                }
                if state.dirty {
                    if let Err(err) = tui.terminal.draw(|frame| draw(frame, &state)) {
                        break Err(err.into());
                    }
                    state.dirty = false;
                    last_draw = Some(Instant::now());
                }
                continue;
            }
            tokio::select! {
                msg = rx.recv() => match msg {
                    Some(msg) => if handle(&mut state, &mut runner, &mut tui, msg)? { break 'outer Ok(()) },
                    None => break Ok(()),
                },
                _ = tokio::time::sleep_until(due.into()) => continue,
            }
        } else {
            match rx.recv().await {
                Some(msg) => {
                    if handle(&mut state, &mut runner, &mut tui, msg)? {
                        break Ok(());
                    }
                }
                None => break Ok(()),
            }
        }
        // Coalesce whatever else is already waiting into the same frame.
        for _ in 0..BATCH {
            match rx.try_recv() {
                Ok(msg) => {
                    if handle(&mut state, &mut runner, &mut tui, msg)? {
                        break 'outer Ok(());
                    }
                }
                Err(_) => break,
            }
        }
    };
    cancel.cancel();
    runner.shutdown();
    drop(tui);
    result
}

/// Applies one message (its derived views wait for the frame); returns true when the
/// console should quit.
fn handle(
    state: &mut State,
    runner: &mut EffectRunner,
    tui: &mut Tui,
    msg: Msg,
) -> color_eyre::Result<bool> {
    let effects = update_deferred(state, msg);
    run_effects(state, runner, tui, effects)
}

/// Runs effects and their follow-ups; returns true when the console should quit.
fn run_effects(
    state: &mut State,
    runner: &mut EffectRunner,
    tui: &mut Tui,
    mut queue: Vec<Effect>,
) -> color_eyre::Result<bool> {
    while !queue.is_empty() {
        let mut follow_ups = Vec::new();
        for effect in queue {
            match effect {
                Effect::Quit => return Ok(true),
                Effect::Suspend => {
                    tui.suspend()?;
                    follow_ups.extend(update(state, Msg::Resumed));
                }
                Effect::ClearScreen => {
                    tui.terminal.clear()?;
                    state.dirty = true;
                }
                other => runner.run(other),
            }
        }
        queue = follow_ups;
    }
    Ok(false)
}
