//! List lengths per view, so navigation can clamp cursors without knowing the view.

use crate::config::keymap::Scope;
use crate::state::State;

/// Number of rows the list of `scope` shows right now (after its filter).
pub fn len(state: &State, scope: Scope) -> usize {
    match scope {
        Scope::Warnings => state.warnings.len(),
        Scope::Services => state.derived.services.len(),
        Scope::Pods
        | Scope::Events
        | Scope::Nodes
        | Scope::Runtimes
        | Scope::Graphs
        | Scope::Cost => crate::state::lists::matching(state, scope).len(),
        Scope::Global | Scope::Detail | Scope::Yaml | Scope::Logs | Scope::Gpu => 0,
    }
}

/// Clamps every list cursor after a resize or a data change.
pub fn keep_cursors_visible(state: &mut State) {
    let rows = state.ui.list_rows();
    let scopes: Vec<Scope> = state.ui.lists.keys().copied().collect();
    for scope in scopes {
        let n = len(state, scope);
        state.ui.list(scope).cursor.keep_visible(n, rows);
    }
}
