//! The logs view's rules: which (pod, container) streams a target wants, opening and
//! closing the view, new pods joining and gone pods marked, lines arriving in batches,
//! and the view's keys (follow, wrap, timestamps, container, previous, since, search, save).

use crate::app::effect::{Effect, LogStreamSpec};
use crate::app::msg::LogMsg;
use crate::domain::action::Action;
use crate::domain::isvc::short_revision;
use crate::domain::key::ObjectKey;
use crate::domain::logline::{Level, SafeText};
use crate::domain::notice::NoticeLevel;
use crate::domain::pod::{Pod, RunState};
use crate::state::State;
use crate::state::cluster::ClusterState;
use crate::state::logs::{ContainerChoice, LogLine, LogTarget, LogView, StreamInfo, cycle};
use crate::state::ui::Route;
use std::collections::BTreeMap;
use std::sync::Arc;

/// A stream the target wants: pod, container, its tag and whether it is a canary pod.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct WantedStream {
    pub pod: ObjectKey,
    pub container: String,
    pub tag: String,
    pub canary: bool,
}

fn pod_suffix(name: &str) -> &str {
    name.rsplit('-').next().unwrap_or(name)
}

/// Whether `pod` serves a revision that is not the rolled-out (stable) one.
fn is_canary(cluster: &ClusterState, pod: &Pod) -> bool {
    let Some(isvc) = pod.isvc().and_then(|n| {
        cluster
            .isvcs
            .items
            .get(&ObjectKey::new(&pod.meta.namespace, n))
    }) else {
        return false;
    };
    if let (Some(rev), Some(status)) = (pod.revision(), isvc.predictor_status())
        && let Some(stable) = &status.latest_rolledout
    {
        return rev != stable;
    }
    let app = pod.meta.label("app").unwrap_or("");
    isvc.canaries
        .iter()
        .any(|c| app == format!("isvc.{}-{}-predictor", isvc.meta.name, c.name))
}

/// Whether a container (or init container) has started, so its logs can be read.
fn can_stream(pod: &Pod, container: &str, previous: bool) -> bool {
    pod.containers
        .iter()
        .chain(&pod.init_containers)
        .find(|c| &*c.name == container)
        .is_some_and(|c| {
            if previous {
                c.restarts > 0
            } else {
                matches!(c.state, RunState::Running | RunState::Terminated { .. }) || c.restarts > 0
            }
        })
}

/// Containers of `pod` that `choice` selects.
fn containers_for(pod: &Pod, choice: ContainerChoice) -> Vec<String> {
    use crate::domain::llm;
    let component = pod.component().unwrap_or("predictor");
    let has = |n: &str| pod.has_container(n) || pod.init_containers.iter().any(|c| &*c.name == n);
    let pick = |n: &str| {
        if has(n) {
            vec![n.to_string()]
        } else {
            Vec::new()
        }
    };
    // An LLMInferenceService's model server is vLLM in `main` (not the scheduler's `main`).
    if matches!(choice, ContainerChoice::Model) && llm::pods::service_of(pod).is_some() {
        if llm::pods::is_router_pod(pod) {
            return Vec::new();
        }
        return pick(llm::MAIN_CONTAINER);
    }
    match choice {
        ContainerChoice::Model if component != "transformer" => pick("kserve-container"),
        ContainerChoice::Transformer if component == "transformer" => pick("kserve-container"),
        ContainerChoice::Model | ContainerChoice::Transformer => Vec::new(),
        ContainerChoice::QueueProxy => pick("queue-proxy"),
        ContainerChoice::StorageInitializer => pick("storage-initializer"),
        ContainerChoice::Agent => pick("agent"),
        ContainerChoice::All => pod
            .init_containers
            .iter()
            .chain(&pod.containers)
            .map(|c| c.name.to_string())
            .collect(),
    }
}

fn target_pods<'a>(cluster: &'a ClusterState, target: &LogTarget) -> Vec<&'a Pod> {
    match target {
        LogTarget::Service(key) => cluster.pods_of(key).collect(),
        LogTarget::Pod(key) => cluster.pods.items.get(key).into_iter().collect(),
    }
}

/// The container choice after `view`'s, skipping choices none of the target's pods has (a
/// service without a transformer never offers `transformer`). Without pods: the next one.
pub fn next_container(cluster: &ClusterState, view: &LogView) -> ContainerChoice {
    let pods = target_pods(cluster, &view.target);
    let mut choice = view.container.next();
    for _ in 0..ContainerChoice::CYCLE.len() {
        if pods.is_empty() || pods.iter().any(|p| !containers_for(p, choice).is_empty()) {
            return choice;
        }
        choice = choice.next();
    }
    choice
}

/// The streams a view wants right now, from the pods the cluster has.
pub fn wanted(cluster: &ClusterState, view: &LogView) -> Vec<WantedStream> {
    let pods = target_pods(cluster, &view.target);
    let mut out = Vec::new();
    for pod in pods {
        let revision = pod
            .revision()
            .map(short_revision)
            .unwrap_or_else(|| pod.component().unwrap_or("pod").chars().take(4).collect());
        let multi = view.container == ContainerChoice::All;
        for container in containers_for(pod, view.container) {
            if !can_stream(pod, &container, view.previous) {
                continue;
            }
            let mut tag = format!("{revision}·{}", pod_suffix(&pod.meta.name));
            if multi {
                tag.push_str(&format!("/{container}"));
            }
            out.push(WantedStream {
                pod: ObjectKey::new(&pod.meta.namespace, &pod.meta.name),
                container,
                tag,
                canary: is_canary(cluster, pod),
            });
        }
    }
    out
}

fn spec(view: &LogView, w: &WantedStream) -> LogStreamSpec {
    LogStreamSpec {
        session: view.session,
        pod: w.pod.clone(),
        container: w.container.clone(),
        previous: view.previous,
        since_seconds: view.since.seconds(),
        tail_lines: Some(view.tail),
        follow: !view.previous,
    }
}

fn marker(text: String, pod: &str, tag: &str, canary: bool) -> LogLine {
    LogLine {
        seq: 0,
        pod: Arc::from(pod),
        container: Arc::from(""),
        tag: Arc::from(tag),
        canary,
        ts: None,
        text: SafeText {
            text,
            spans: Vec::new(),
        },
        level: Level::Info,
        marker: true,
    }
}

/// Starts the streams the view wants and does not have yet; marks the ones whose pod left.
pub fn sync(state: &mut State) -> Vec<Effect> {
    let Some(view) = state.logs.as_ref() else {
        return Vec::new();
    };
    let wanted = wanted(&state.cluster, view);
    let mut effects = Vec::new();
    let mut joined = Vec::new();
    let mut gone = Vec::new();
    // Streams whose pod changed role (the service arrived after its pods, or a rollout moved).
    let mut recoloured = Vec::new();
    for w in &wanted {
        match view.streams.get(&(w.pod.clone(), w.container.clone())) {
            None => {
                effects.push(Effect::StartLogStream(spec(view, w)));
                joined.push(w.clone());
            }
            Some(info) if info.canary != w.canary => recoloured.push(w.clone()),
            Some(_) => {}
        }
    }
    for ((pod, container), info) in &view.streams {
        if info.ended.is_none() && !state.cluster.pods.items.contains_key(pod) {
            gone.push((pod.clone(), container.clone()));
        }
    }
    let first_sync = view.streams.is_empty();
    let Some(view) = state.logs.as_mut() else {
        return effects;
    };
    for w in joined {
        if !first_sync {
            view.push([marker(
                format!("── {} joined ({}) ──", w.pod.name, w.container),
                &w.pod.name,
                &w.tag,
                w.canary,
            )]);
        }
        view.streams.insert(
            (w.pod, w.container),
            StreamInfo {
                tag: Arc::from(w.tag.as_str()),
                canary: w.canary,
                ended: None,
            },
        );
    }
    for w in recoloured {
        if let Some(info) = view.streams.get_mut(&(w.pod.clone(), w.container.clone())) {
            info.canary = w.canary;
        }
        for line in view
            .lines
            .iter_mut()
            .filter(|l| !l.marker && *l.pod == *w.pod.name && *l.container == *w.container)
        {
            line.canary = w.canary;
        }
        state.dirty = true;
    }
    for key in gone {
        if let Some(info) = view.streams.get_mut(&key) {
            info.ended = Some("pod went away".to_string());
            let line = marker(
                format!("── {} went away ──", key.0.name),
                &key.0.name,
                &info.tag,
                info.canary,
            );
            view.push([line]);
        }
    }
    if !effects.is_empty() || state.ui.route() == &Route::Logs {
        state.dirty = true;
    }
    effects
}

/// Opens the logs view for `target`.
pub fn open(state: &mut State, target: LogTarget) -> Vec<Effect> {
    let mut effects = close(state);
    state.log_sessions += 1;
    let capacity = state.config.log_buffer_lines;
    state.logs = Some(LogView::new(target, capacity, state.log_sessions));
    state.ui.push(Route::Logs);
    effects.extend(sync(state));
    if effects
        .iter()
        .all(|e| !matches!(e, Effect::StartLogStream(_)))
    {
        state.notify(
            NoticeLevel::Info,
            "no running containers to follow yet; they join as they start".to_string(),
        );
    }
    effects
}

/// Closes the logs view and stops its streams.
pub fn close(state: &mut State) -> Vec<Effect> {
    match state.logs.take() {
        Some(view) => vec![Effect::StopLogs {
            session: view.session,
        }],
        None => Vec::new(),
    }
}

/// Restarts the streams after the container, previous or since setting changed.
fn restart(state: &mut State) -> Vec<Effect> {
    let Some(view) = state.logs.as_mut() else {
        return Vec::new();
    };
    let mut effects = vec![Effect::StopLogs {
        session: view.session,
    }];
    state.log_sessions += 1;
    view.session = state.log_sessions;
    view.streams = BTreeMap::new();
    view.lines.clear();
    view.visible.clear();
    view.follow = true;
    view.new_while_paused = 0;
    effects.extend(sync(state));
    effects
}

/// Applies a message from the log streams.
pub fn handle(state: &mut State, msg: LogMsg) -> Vec<Effect> {
    match msg {
        LogMsg::Saved { path, lines } => {
            state.notify(NoticeLevel::Info, format!("saved {lines} lines to {path}"))
        }
        LogMsg::SaveFailed { error } => state.notify(NoticeLevel::Error, error),
        LogMsg::Lines(batch) => {
            let Some(view) = state.logs.as_mut().filter(|v| v.session == batch.session) else {
                return Vec::new();
            };
            let Some(info) = view
                .streams
                .get(&(batch.pod.clone(), batch.container.clone()))
                .cloned()
            else {
                return Vec::new();
            };
            let pod: Arc<str> = Arc::from(batch.pod.name.as_str());
            let container: Arc<str> = Arc::from(batch.container.as_str());
            view.push(batch.lines.into_iter().map(|(ts, text, level)| LogLine {
                seq: 0,
                pod: pod.clone(),
                container: container.clone(),
                tag: info.tag.clone(),
                canary: info.canary,
                ts,
                text,
                level,
                marker: false,
            }));
            state.dirty = true;
        }
        LogMsg::Ended {
            session,
            pod,
            container,
            reason,
        }
        | LogMsg::Reconnecting {
            session,
            pod,
            container,
            error: reason,
        } => {
            let Some(view) = state.logs.as_mut().filter(|v| v.session == session) else {
                return Vec::new();
            };
            if let Some(info) = view.streams.get_mut(&(pod.clone(), container.clone())) {
                let line = marker(
                    format!("── {} {container}: {reason} ──", pod.name),
                    &pod.name,
                    &info.tag,
                    info.canary,
                );
                if reason.starts_with("reconnecting") {
                    info.ended = None;
                } else {
                    info.ended = Some(reason);
                }
                view.push([line]);
                state.dirty = true;
            }
        }
    }
    Vec::new()
}

/// Applies a logs-view action.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let height = state.ui.list_rows().saturating_sub(1).max(1);
    let Some(view) = state.logs.as_mut() else {
        return Vec::new();
    };
    match action {
        Action::ToggleFollow => {
            if view.follow {
                view.pause(height);
            } else {
                view.resume();
            }
        }
        Action::ToggleWrap => view.wrap = !view.wrap,
        Action::ToggleTimestamps => view.timestamps = !view.timestamps,
        Action::NextContainer => {
            view.container = next_container(&state.cluster, view);
            let label = view.container.label();
            state.notify(NoticeLevel::Info, format!("container: {label}"));
            return restart(state);
        }
        Action::TogglePrevious => {
            view.previous = !view.previous;
            let text = if view.previous {
                "previous containers (after a crash)"
            } else {
                "current containers"
            };
            state.notify(NoticeLevel::Info, text.to_string());
            return restart(state);
        }
        Action::NextSince => {
            view.since = view.since.next();
            let label = view.since.label();
            state.notify(NoticeLevel::Info, format!("since: {label}"));
            return restart(state);
        }
        Action::SearchNext | Action::SearchPrev => {
            let forward = action == Action::SearchNext;
            if view.search.is_none() {
                state.notify(
                    NoticeLevel::Info,
                    "no search yet: press / and type a pattern".to_string(),
                );
            } else if !view.jump_to_match(forward, height) {
                state.notify(NoticeLevel::Info, "no more matches".to_string());
            }
        }
        Action::SaveLogs => {
            let content = view.to_text();
            let lines = view.lines.len();
            let target = match &view.target {
                LogTarget::Service(k) | LogTarget::Pod(k) => format!("{}-{}", k.namespace, k.name),
            };
            let name = format!("logs-{target}-{}.log", state.now.format("%Y%m%d-%H%M%S"));
            return vec![Effect::SaveLogs {
                name,
                content,
                lines,
            }];
        }
        Action::NextRevisionFilter => {
            view.only_revision = cycle(view.only_revision.as_deref(), &view.revisions());
            view.refilter();
            let label = format!(
                "showing {}",
                view.only_revision.as_deref().unwrap_or("all revisions")
            );
            state.notify(NoticeLevel::Info, label);
        }
        Action::NextPodFilter => {
            view.only_pod = cycle(view.only_pod.as_deref(), &view.pods());
            view.refilter();
            let label = format!("showing {}", view.only_pod.as_deref().unwrap_or("all pods"));
            state.notify(NoticeLevel::Info, label);
        }
        Action::Up => view.scroll(-1, height),
        Action::Down => view.scroll(1, height),
        Action::PageUp => view.scroll(-(height as isize), height),
        Action::PageDown => view.scroll(height as isize, height),
        Action::Top => view.scroll(isize::MIN / 2, height),
        Action::Bottom => view.resume(),
        _ => {}
    }
    Vec::new()
}

/// Applies a search or filter pattern typed by the user; a bad pattern is a notice.
pub fn set_pattern(state: &mut State, text: &str, search: bool) {
    let Some(view) = state.logs.as_mut() else {
        return;
    };
    let pattern = if text.is_empty() {
        None
    } else {
        match crate::state::logs::compile(text) {
            Ok(p) => Some(p),
            Err(e) => {
                state.notify(NoticeLevel::Error, e.to_string());
                return;
            }
        }
    };
    if search {
        view.search = pattern;
    } else {
        view.filter = pattern;
        view.refilter();
    }
    state.ui.notice = None;
}

#[cfg(test)]
#[path = "logs_tests.rs"]
mod tests;

#[cfg(test)]
#[path = "logs_keys_tests.rs"]
mod keys_tests;
