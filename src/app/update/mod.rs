//! `update(&mut State, Msg) -> Vec<Effect>`: the only place state changes. Pure: no I/O, no
//! clock (time arrives with the tick), so every rule here is tested by feeding messages.

mod cluster;
pub mod command;
mod detail;
mod favourites;
pub mod gpu;
mod group_rollout;
mod guard;
pub mod incident;
mod input;
#[cfg(test)]
mod keys_tests;
pub mod latency_targets;
mod lists;
pub mod logs;
mod metrics;
mod nav;
pub mod probe;
pub mod probe_llm;
mod redraw;
pub mod rollout;
mod services;
#[cfg(test)]
mod settle_tests;
#[cfg(test)]
mod sort_tests;
mod yaml;

use super::effect::Effect;
use super::msg::{Msg, TermSignal};
use crate::state::State;
use chrono::Duration;

/// How long a notice stays in the status bar.
const NOTICE_TTL: Duration = Duration::seconds(8);

pub use cluster::reconnect;

/// Applies one message to the state and returns the effects it asks for, with the derived
/// views brought up to date at once (what tests and the headless commands read). The
/// console's loop uses [`update_deferred`] and [`settle`] instead, so that a burst of
/// messages derives the rows and the latency targets once per frame, not once per message.
pub fn update(state: &mut State, msg: Msg) -> Vec<Effect> {
    let mut effects = update_deferred(state, msg);
    effects.extend(settle(state));
    effects
}

/// Applies one message and leaves the derived views to [`settle`]. A message that may read
/// the rows (a key, a paste, a resize …) settles them first, so it acts on what the user sees;
/// the frequent background messages (watch batches, log lines, metric rounds, GPU readings,
/// ticks) never read them and only mark what they change.
pub fn update_deferred(state: &mut State, msg: Msg) -> Vec<Effect> {
    let background = matches!(
        msg,
        Msg::Cluster(_) | Msg::Logs(_) | Msg::Metrics(_) | Msg::Gpu(_) | Msg::Tick(_)
    );
    let mut effects = if background {
        Vec::new()
    } else {
        settle(state)
    };
    // Which pods are read depends on the rows on screen, the open views and the pods: log
    // lines, metric rounds, GPU readings, ticks and watch batches of other objects than
    // those pods change none of them (rows that move are caught by `settle`).
    let (screen, pods) = match &msg {
        Msg::Logs(_) | Msg::Metrics(_) | Msg::Gpu(_) | Msg::Tick(_) => (false, false),
        Msg::Cluster(crate::app::msg::ClusterMsg::Watch { kind, events, .. }) => {
            let reaches = latency_targets::batch_reaches(state, *kind, events);
            (reaches, reaches)
        }
        _ => (true, false),
    };
    state.derived.targets_dirty |= screen;
    state.derived.target_pods_dirty |= pods;
    effects.extend(apply(state, msg));
    effects
}

/// Brings the derived views up to date: the rows (when something they depend on changed,
/// keeping the cursor on screen) and then the latency targets (when the rows, the screen or
/// the pods changed). Returns the effect for a changed target set.
pub fn settle(state: &mut State) -> Vec<Effect> {
    let rows_moved = state.refresh_derived();
    if rows_moved {
        lists::keep_cursors_visible(state);
        // Rows moved or the title's counts changed (perhaps from a change off screen).
        state.dirty = true;
    }
    let targets_dirty = std::mem::take(&mut state.derived.targets_dirty);
    if !rows_moved && !targets_dirty {
        return Vec::new();
    }
    latency_targets::refresh(state).into_iter().collect()
}

/// Whether [`settle`] has work to do.
pub fn unsettled(state: &State) -> bool {
    state.derived.pending() || state.derived.targets_dirty
}

fn apply(state: &mut State, msg: Msg) -> Vec<Effect> {
    match msg {
        Msg::Cluster(msg) => {
            use crate::domain::kind::Kind;
            let kind = match &msg {
                crate::app::msg::ClusterMsg::Watch { kind, .. } => Some(*kind),
                _ => None,
            };
            // A pod batch reaches the costs of its pods' services only (read before it applies).
            let pod_reach = match &msg {
                crate::app::msg::ClusterMsg::Watch {
                    kind: Kind::Pod,
                    events,
                    ..
                } => Some(gpu::pod_batch_reach(state, events)),
                _ => None,
            };
            // A node batch reprices the services only if the nodes' facts change.
            let nodes_before = matches!(kind, Some(Kind::Node)).then(|| gpu::node_facts(state));
            let mut effects = cluster::handle(state, msg);
            if matches!(kind, Some(Kind::Pod | Kind::InferenceService)) {
                effects.extend(logs::sync(state));
                effects.extend(rollout::check_progress(state));
            }
            if matches!(kind, Some(Kind::LlmInferenceService)) {
                effects.extend(group_rollout::check_progress(state));
            }
            if matches!(
                kind,
                Some(Kind::InferenceService | Kind::LlmInferenceService)
            ) {
                effects.extend(yaml::follow_changes(state));
            }
            match (kind, pod_reach) {
                (Some(Kind::Pod), Some(reach)) => {
                    // Pods move rows only under a sort by a column counted from them.
                    if cluster::sorted_by(state, |c| c.counts_pods()) {
                        reach.mark_rows(&mut state.derived);
                    }
                    gpu::refresh_costs_after(state, &reach)
                }
                (Some(Kind::Node), _) => match &nodes_before {
                    Some(before) => gpu::refresh_costs_after_nodes(state, before),
                    None => gpu::refresh_costs(state),
                },
                _ => {}
            }
            effects
        }
        Msg::Logs(msg) => logs::handle(state, msg),
        Msg::Rollout(msg) => rollout::handle(state, msg),
        Msg::GroupStep(msg) => group_rollout::handle(state, msg),
        Msg::GroupChecked { id, result } => group_rollout::checked(state, id, result),
        Msg::Metrics(m) => metrics::handle(state, m),
        Msg::YamlFetched { key, result } => {
            yaml::fetched(state, key, result);
            Vec::new()
        }
        Msg::Probe(done) => probe::done(state, &done.0, &done.1),
        Msg::Gpu(msg) => {
            gpu::handle(state, msg);
            Vec::new()
        }
        Msg::Key(key) => {
            state.dirty = true;
            // A notice answers the last key; the next key clears it (a new one may follow).
            if key.kind != crossterm::event::KeyEventKind::Release {
                state.ui.notice = None;
            }
            input::handle_key(state, key)
        }
        Msg::Resize { width, height } => {
            state.ui.width = width;
            state.ui.height = height;
            lists::keep_cursors_visible(state);
            state.dirty = true;
            Vec::new()
        }
        Msg::Tick(now) => {
            state.now = now;
            if state
                .ui
                .notice
                .as_ref()
                .is_some_and(|n| now - n.at > NOTICE_TTL)
            {
                state.ui.notice = None;
            }
            // Ages and sparklines move with time; the terminal layer writes only cells that
            // actually changed, so an idle screen still costs no output.
            state.dirty = true;
            let mut effects = rollout::check_progress(state);
            effects.extend(group_rollout::check_progress(state));
            effects
        }
        Msg::Paste(text) => {
            input::paste(state, &text);
            Vec::new()
        }
        Msg::Signal(TermSignal::Stop) => vec![Effect::Suspend],
        Msg::Signal(_) => vec![Effect::Quit],
        Msg::Resumed => {
            state.dirty = true;
            vec![Effect::ClearScreen]
        }
        Msg::Notice(level, text) => {
            state.notify(level, text);
            Vec::new()
        }
    }
}
