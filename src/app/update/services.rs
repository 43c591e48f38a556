//! Actions of the services list (and the pods list): open or describe, YAML, sort, jump to
//! the next service that is not ready, switch between all namespaces and one. Enter or `d`
//! on a pod describes the pod.

use crate::app::effect::Effect;
use crate::config::keymap::Scope;
use crate::domain::action::Action;
use crate::domain::isvc::Readiness;
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crate::state::ui::{DetailTab, Route};

/// Applies a services-list action.
pub fn action(state: &mut State, action: Action) -> Vec<Effect> {
    let selected = state.selected_service().cloned();
    match action {
        // A service's describe is its detail: conditions, components, revisions, pods, events.
        Action::Open | Action::Describe => {
            if let Some(key) = selected {
                state.ui.detail_tab = DetailTab::Overview;
                state.ui.push(Route::Detail(key));
            }
        }
        Action::ShowYaml => {
            if let Some(key) = selected {
                return super::yaml::open(state, key);
            }
        }
        Action::SortNext => {
            // The next column on screen (hidden ones are skipped), in its usual direction.
            let shown = crate::state::service_columns::visible_columns(state);
            let view = state.ui.list(Scope::Services);
            let current = ServiceColumn::ALL.get(view.sort_column).copied();
            let next = match shown.iter().position(|c| Some(*c) == current) {
                Some(i) => shown[(i + 1) % shown.len()],
                None => shown.first().copied().unwrap_or(ServiceColumn::Name),
            };
            view.sort_column = ServiceColumn::ALL
                .iter()
                .position(|c| *c == next)
                .unwrap_or(0);
            view.sort_reverse = false;
            notify_sort(state);
            state.derived.dirty = true;
        }
        Action::SortReverse => {
            let view = state.ui.list(Scope::Services);
            view.sort_reverse = !view.sort_reverse;
            notify_sort(state);
            state.derived.dirty = true;
        }
        Action::JumpNotReady => jump_not_ready(state),
        Action::ToggleAllNamespaces => {
            let scope = match &state.session.namespace {
                NamespaceScope::All => NamespaceScope::One(
                    selected
                        .map(|k| k.namespace)
                        .unwrap_or_else(|| state.session.default_namespace.clone()),
                ),
                NamespaceScope::One(_) => NamespaceScope::All,
            };
            state.notify(NoticeLevel::Info, format!("namespace: {}", scope.label()));
            let context = state.session.context.clone();
            return super::reconnect(state, context, scope);
        }
        _ => {}
    }
    Vec::new()
}

/// Selects the next service (after the cursor, wrapping) that is not Ready.
fn jump_not_ready(state: &mut State) {
    let rows = &state.derived.services;
    let n = rows.len();
    if n == 0 {
        return;
    }
    let start = state.ui.list_view(Scope::Services).cursor.selected;
    let found = (1..=n).map(|i| (start + i) % n).find(|&i| {
        state
            .cluster
            .isvcs
            .items
            .get(&rows[i])
            .is_some_and(|isvc| isvc.readiness() != Readiness::Ready)
    });
    match found {
        Some(index) => {
            let height = state.ui.list_rows();
            state
                .ui
                .list(Scope::Services)
                .cursor
                .select(index, n, height);
        }
        None => state.notify(
            NoticeLevel::Info,
            "every service in view is Ready".to_string(),
        ),
    }
}

/// Applies a pods-list action: enter opens the service the pod belongs to.
pub fn pods_action(state: &mut State, action: Action) -> Vec<Effect> {
    if !matches!(action, Action::Open | Action::Describe) {
        return Vec::new();
    }
    let Some(key) = crate::state::lists::selected(state, Scope::Pods) else {
        state.notify(NoticeLevel::Info, "no pod selected".into());
        return Vec::new();
    };
    state.ui.text_scroll = 0;
    state.ui.push(Route::PodDescribe(key));
    Vec::new()
}

/// Says how the services list is sorted now: `sorted by P99 ↓ (descending; blanks last)`.
fn notify_sort(state: &mut State) {
    let view = state.ui.list_view(Scope::Services);
    let column = ServiceColumn::ALL
        .get(view.sort_column)
        .copied()
        .unwrap_or(ServiceColumn::Name);
    let way = if crate::state::services::sorts_descending(column, view.sort_reverse) {
        "↓ (descending"
    } else {
        "↑ (ascending"
    };
    let blanks = if column.has_blanks() {
        "; blanks last"
    } else {
        ""
    };
    state.notify(
        NoticeLevel::Info,
        format!("sorted by {} {way}{blanks}); S reverses", column.title()),
    );
}
