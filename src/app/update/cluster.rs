//! Cluster messages: connection results, discovery, watch batches and watch errors, and the
//! switches of context and namespace that start a new connection epoch.

use crate::app::effect::Effect;
use crate::app::msg::ClusterMsg;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{ClusterObject, Kind};
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::{Kserve, WatchEvent};
use crate::state::State;
use crate::state::cluster::ClusterState;
use crate::state::services::ServiceColumn;
use crate::state::session::Connection;

/// Starts a new connection epoch for `context` and `namespace`, forgetting old data.
pub fn reconnect(
    state: &mut State,
    context: Option<String>,
    namespace: NamespaceScope,
) -> Vec<Effect> {
    let epoch = state.cluster.epoch + 1;
    state.cluster = ClusterState {
        epoch,
        ..ClusterState::default()
    };
    state.figures = Default::default();
    state.session.namespace = namespace.clone();
    state.session.connection = Connection::Connecting { since: state.now };
    state.derived.dirty = true;
    state.dirty = true;
    vec![Effect::Connect {
        epoch,
        context,
        namespace,
    }]
}

/// Applies one cluster message.
pub fn handle(state: &mut State, msg: ClusterMsg) -> Vec<Effect> {
    let epoch = match &msg {
        ClusterMsg::Connected { epoch, .. }
        | ClusterMsg::Health { epoch, .. }
        | ClusterMsg::ConnectFailed { epoch, .. }
        | ClusterMsg::Discovered { epoch, .. }
        | ClusterMsg::Watch { epoch, .. }
        | ClusterMsg::WatchError { epoch, .. } => *epoch,
    };
    if epoch != state.cluster.epoch {
        return Vec::new();
    }
    // Churn off screen (a pod of a service not on screen, events, nodes) draws no frame.
    state.dirty |= match &msg {
        ClusterMsg::Watch { kind, events, .. } => super::redraw::batch_shows(state, *kind, events),
        _ => true,
    };
    match msg {
        ClusterMsg::Health { health, .. } => {
            state.session.api_health = health;
        }
        ClusterMsg::Connected {
            context,
            contexts,
            server,
            default_namespace,
            user,
            ..
        } => {
            state.session.user = user;
            state.session.context = context;
            state.session.contexts = contexts;
            state.session.default_namespace = default_namespace;
            state.session.protected = state
                .session
                .context
                .as_ref()
                .and_then(|c| state.config.contexts.get(c))
                .is_some_and(|c| c.protected);
            if let Some(ctx) = state
                .session
                .context
                .as_ref()
                .and_then(|c| state.config.contexts.get(c))
                && ctx.readonly
            {
                state.session.readonly = true;
            }
            state.session.connection = Connection::Connected { server };
            state.session.api_health = Default::default();
        }
        ClusterMsg::ConnectFailed {
            error, configured, ..
        } => {
            state.session.connection = if configured {
                Connection::Failed {
                    error,
                    since: state.now,
                }
            } else {
                Connection::NotConfigured { reason: error }
            };
        }
        ClusterMsg::Discovered { kserve, .. } => {
            if kserve == Kserve::Missing {
                state.notify(
                    NoticeLevel::Error,
                    "this cluster has no KServe (API group serving.kserve.io not found): pods, nodes and events still work".to_string(),
                );
            }
            state.cluster.kserve = kserve;
        }
        ClusterMsg::Watch { kind, events, .. } => {
            mark_rows(state, kind, &events);
            state.cluster.apply(kind, events);
        }
        ClusterMsg::WatchError {
            kind,
            error,
            forbidden,
            ..
        } => {
            // TrainedModels are extra detail: one quiet line when they become unreadable
            // (the detail's section says it too), not a warning per retry.
            // Not when the services themselves cannot be listed: that error says more.
            if kind == Kind::TrainedModel
                && forbidden
                && !state.cluster.trained.forbidden
                && state.cluster.isvcs.stale.is_none()
            {
                state.notify(
                    NoticeLevel::Info,
                    "TrainedModels are not readable here (forbidden): the services' detail lists none".to_string(),
                );
            }
            state
                .cluster
                .mark_stale(kind, state.now, error.clone(), forbidden);
            if forbidden
                && kind == Kind::InferenceService
                && state.session.namespace == NamespaceScope::All
            {
                let ns = state.session.default_namespace.clone();
                state.notify(
                    NoticeLevel::Error,
                    format!("you may not list InferenceServices in all namespaces; showing namespace {ns} (:ns NAME to pick another)"),
                );
                let context = state.session.context.clone();
                return reconnect(state, context, NamespaceScope::One(ns));
            }
        }
    }
    Vec::new()
}

/// Marks the services rows a watch batch can move: the services it upserts or deletes
/// (only their rows), everything after a relist. Pods move rows only under a sort by a
/// column counted from them (the pods' services are marked by `update` from the batch's
/// reach); TrainedModels only under a sort by MODELS; nothing else the list shows.
fn mark_rows(state: &mut State, kind: Kind, events: &[WatchEvent]) {
    match kind {
        Kind::InferenceService | Kind::LlmInferenceService => {
            for event in events {
                match event {
                    WatchEvent::Upsert(object) => {
                        let meta = match object {
                            ClusterObject::Isvc(isvc) => &isvc.meta,
                            ClusterObject::Llm(llm) => &llm.meta,
                            _ => continue,
                        };
                        state
                            .derived
                            .touch(&ObjectKey::new(&meta.namespace, &meta.name));
                    }
                    WatchEvent::Delete(key) => state.derived.touch(key),
                    // A relist may drop services that vanished meanwhile.
                    WatchEvent::RelistDone => state.derived.dirty = true,
                    WatchEvent::RelistStart | WatchEvent::Live => {}
                }
            }
        }
        Kind::TrainedModel if sorted_by(state, |c| c == ServiceColumn::Models) => {
            state.derived.dirty = true;
        }
        _ => {}
    }
}

/// Whether the services list is sorted by a column that `test` picks.
pub fn sorted_by(state: &State, test: impl Fn(ServiceColumn) -> bool) -> bool {
    let view = state.ui.list_view(crate::config::keymap::Scope::Services);
    ServiceColumn::ALL
        .get(view.sort_column)
        .is_some_and(|c| test(*c))
}
