//! Actions that work the same in every view: moving, paging, going back, help, filter,
//! command line, quitting.

use super::lists;
use crate::app::effect::Effect;
use crate::domain::action::Action;
use crate::state::State;
use crate::state::line::LineInput;
use crate::state::ui::{CommandLine, Mode, Route};

/// Applies an action in normal mode.
pub fn apply(state: &mut State, action: Action) -> Vec<Effect> {
    match action {
        Action::Quit => vec![Effect::Quit],
        Action::Suspend => vec![Effect::Suspend],
        Action::Redraw => vec![Effect::ClearScreen],
        Action::Help => {
            state.ui.mode = Mode::Help { scroll: 0 };
            Vec::new()
        }
        Action::Command => {
            state.ui.mode = Mode::Command(CommandLine {
                candidates: super::command::candidates(state, ""),
                ..CommandLine::default()
            });
            Vec::new()
        }
        Action::ShowWarnings => {
            state.ui.push(Route::Warnings);
            Vec::new()
        }
        Action::Filter | Action::Search => prompt(state, action),
        Action::Back => back(state),
        Action::Up
        | Action::Down
        | Action::PageUp
        | Action::PageDown
        | Action::Top
        | Action::Bottom => movement(state, action),
        Action::Left
        | Action::Right
        | Action::Open
        | Action::NextTab
        | Action::PrevTab
        | Action::SortNext
        | Action::SortReverse
        | Action::JumpNotReady
        | Action::ToggleAllNamespaces
        | Action::ShowYaml
        | Action::Describe
        | Action::Logs
        | Action::SearchNext
        | Action::SearchPrev
        | Action::ToggleFollow
        | Action::ToggleWrap
        | Action::ToggleTimestamps
        | Action::NextContainer
        | Action::TogglePrevious
        | Action::NextSince
        | Action::NextRevisionFilter
        | Action::NextPodFilter
        | Action::SaveLogs => view_action(state, action),
        Action::NamespaceAll
        | Action::Namespace1
        | Action::Namespace2
        | Action::Namespace3
        | Action::Namespace4
        | Action::Namespace5
        | Action::Namespace6
        | Action::Namespace7
        | Action::Namespace8
        | Action::Namespace9 => {
            super::favourites::switch(state, action.namespace_favourite().unwrap_or(0))
        }
        Action::Snapshot => super::incident::action(state),
        Action::Probe => super::probe::action(state),
        Action::Rollback
        | Action::SetCanary
        | Action::Promote
        | Action::NewVersion
        | Action::TagRouting
        | Action::Scale
        | Action::Undo
        | Action::JumpCanary
        | Action::ToggleGuard => super::rollout::action(state, action),
    }
}

/// `/` (and the search key in the logs and the YAML) opens the line to type a filter or a
/// search into, holding the current one; elsewhere the search key is the view's own.
fn prompt(state: &mut State, action: Action) -> Vec<Effect> {
    let in_logs = state.ui.route() == &Route::Logs;
    let in_yaml = matches!(state.ui.route(), Route::Yaml(_));
    let logs_pattern = |state: &State, search: bool| {
        state
            .logs
            .as_ref()
            .and_then(|v| {
                if search {
                    v.search.as_ref()
                } else {
                    v.filter.as_ref()
                }
            })
            .map(|p| p.text.clone())
            .unwrap_or_default()
    };
    let mode = match action {
        Action::Filter if in_logs => {
            Mode::Filter(LineInput::with_text(&logs_pattern(state, false)))
        }
        Action::Search if in_logs => Mode::Search(LineInput::with_text(&logs_pattern(state, true))),
        // The YAML has no list to filter: `/` searches it (n/N move between matches).
        Action::Filter | Action::Search if in_yaml => {
            let current = state
                .ui
                .text_search
                .as_ref()
                .map(|p| p.text.clone())
                .unwrap_or_default();
            Mode::Search(LineInput::with_text(&current))
        }
        Action::Filter => {
            let scope = state.ui.route().scope();
            let current = state.ui.list_view(scope).filter;
            Mode::Filter(LineInput::with_text(&current))
        }
        _ => return view_action(state, action),
    };
    state.ui.mode = mode;
    Vec::new()
}

/// Back: closes the logs (stopping their streams), clears a list's filter, or goes to the
/// previous view.
fn back(state: &mut State) -> Vec<Effect> {
    if state.ui.route() == &Route::Logs {
        state.ui.pop();
        return super::logs::close(state);
    }
    let scope = state.ui.route().scope();
    if !state.ui.list_view(scope).filter.is_empty() {
        state.ui.list(scope).filter.clear();
        state.derived.dirty = true;
        lists::keep_cursors_visible(state);
    } else {
        state.ui.pop();
    }
    Vec::new()
}

/// Up, down, page and ends: the logs scroll their own buffer (and pause following when moved
/// up), text views scroll, lists move their cursor.
fn movement(state: &mut State, action: Action) -> Vec<Effect> {
    if state.ui.route() == &Route::Logs {
        return super::logs::action(state, action);
    }
    let page = state.ui.list_rows().saturating_sub(1).max(1) as isize;
    let is_text_view = matches!(
        state.ui.route(),
        Route::Yaml(_) | Route::PodDescribe(_) | Route::Detail(_) | Route::Gpu
    );
    if is_text_view {
        scroll_text(state, action, page);
        return Vec::new();
    }
    match action {
        Action::Up => move_cursor(state, -1),
        Action::Down => move_cursor(state, 1),
        Action::PageUp => move_cursor(state, -page),
        Action::PageDown => move_cursor(state, page),
        Action::Top => move_cursor(state, isize::MIN / 2),
        Action::Bottom => move_cursor(state, isize::MAX / 2),
        _ => {}
    }
    Vec::new()
}

fn move_cursor(state: &mut State, delta: isize) {
    let scope = state.ui.route().scope();
    let n = lists::len(state, scope);
    let rows = state.ui.list_rows();
    state.ui.list(scope).cursor.move_by(delta, n, rows);
}

fn scroll_text(state: &mut State, action: Action, page: isize) {
    let page = u16::try_from(page).unwrap_or(u16::MAX);
    let scroll = &mut state.ui.text_scroll;
    *scroll = match action {
        Action::Up => scroll.saturating_sub(1),
        Action::Down => scroll.saturating_add(1),
        Action::PageUp => scroll.saturating_sub(page),
        Action::PageDown => scroll.saturating_add(page),
        Action::Top => 0,
        _ => u16::MAX,
    };
}

/// Actions whose meaning depends on the view; views without one ignore them quietly.
fn view_action(state: &mut State, action: Action) -> Vec<Effect> {
    if action == Action::Logs {
        return open_logs(state);
    }
    match state.ui.route().clone() {
        Route::Logs => super::logs::action(state, action),
        Route::Yaml(key) => super::yaml::action(state, &key, action),
        Route::Services => super::services::action(state, action),
        Route::Detail(key) => super::detail::action(state, &key, action),
        Route::Pods => super::services::pods_action(state, action),
        _ => Vec::new(),
    }
}

/// Opens the logs of what is selected: a service (list or detail) or a pod.
fn open_logs(state: &mut State) -> Vec<Effect> {
    use crate::config::keymap::Scope;
    use crate::state::logs::LogTarget;
    let target = match state.ui.route().clone() {
        Route::Services => state.selected_service().cloned().map(LogTarget::Service),
        Route::Detail(key) => Some(LogTarget::Service(key)),
        Route::Pods => crate::state::lists::selected(state, Scope::Pods).map(LogTarget::Pod),
        _ => None,
    };
    match target {
        Some(target) => super::logs::open(state, target),
        None => Vec::new(),
    }
}
