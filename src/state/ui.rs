//! Where the user is: the view stack, the input mode, list cursors, notices.

use super::line::LineInput;
use crate::domain::key::ObjectKey;
use crate::domain::keymap::Scope;
use crate::domain::notice::NoticeLevel;
use chrono::{DateTime, Utc};
use std::collections::BTreeMap;

/// A screen the user can be on. Esc pops back to the previous one.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Route {
    Services,
    Detail(ObjectKey),
    Yaml(ObjectKey),
    /// A pod described (k9s' `d`).
    PodDescribe(ObjectKey),
    Logs,
    Pods,
    Events,
    Nodes,
    Runtimes,
    Graphs,
    Gpu,
    Cost,
    Warnings,
}

impl Route {
    /// The keymap scope of this screen.
    pub fn scope(&self) -> Scope {
        match self {
            Route::Services => Scope::Services,
            Route::Detail(_) => Scope::Detail,
            Route::Yaml(_) | Route::PodDescribe(_) => Scope::Yaml,
            Route::Logs => Scope::Logs,
            Route::Pods => Scope::Pods,
            Route::Events => Scope::Events,
            Route::Nodes => Scope::Nodes,
            Route::Runtimes => Scope::Runtimes,
            Route::Graphs => Scope::Graphs,
            Route::Gpu => Scope::Gpu,
            Route::Cost => Scope::Cost,
            Route::Warnings => Scope::Warnings,
        }
    }

    /// The title shown in the frame.
    pub fn title(&self) -> String {
        match self {
            Route::Services => "InferenceServices".to_string(),
            Route::Detail(key) => format!("InferenceService {key}"),
            Route::Yaml(key) => format!("YAML {key}"),
            Route::PodDescribe(key) => format!("Pod {key}"),
            Route::Logs => "Logs".to_string(),
            Route::Pods => "Pods".to_string(),
            Route::Events => "Events".to_string(),
            Route::Nodes => "Nodes".to_string(),
            Route::Runtimes => "ServingRuntimes".to_string(),
            Route::Graphs => "InferenceGraphs".to_string(),
            Route::Gpu => "GPUs".to_string(),
            Route::Cost => "Cost (list-price estimates)".to_string(),
            Route::Warnings => "Configuration warnings".to_string(),
        }
    }
}

/// How keys are interpreted right now.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum Mode {
    /// Keys go through the keymap.
    #[default]
    Normal,
    /// Typing a filter for the current list.
    Filter(LineInput),
    /// Answering a rollout question (canary %, storageUri, replicas).
    Prompt(super::rollout::Prompt),
    /// Typing a search pattern in the logs view.
    Search(LineInput),
    /// Typing a `:` command, with completion candidates.
    Command(CommandLine),
    /// The help overlay for the current view.
    Help { scroll: u16 },
}

/// The `:` command line being typed.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct CommandLine {
    pub input: LineInput,
    pub candidates: Vec<String>,
    /// Which candidate Tab put in the line, if any.
    pub chosen: Option<usize>,
    /// Position in the history while browsing it with up/down.
    pub history_pos: Option<usize>,
}

/// Selection and scroll position of a list.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct ListCursor {
    pub selected: usize,
    pub offset: usize,
    /// The user pressed a key in this list (moved or acted on the selection). Until then the
    /// selection stays on the first row (the most urgent in the services list's default
    /// order) while rows move; after, it follows its row.
    pub touched: bool,
}

impl ListCursor {
    /// Moves the selection by `delta` rows within `len` rows and keeps it inside a window
    /// of `height` rows.
    pub fn move_by(&mut self, delta: isize, len: usize, height: usize) {
        if len == 0 {
            *self = ListCursor::default();
            return;
        }
        self.touched = true;
        let target = self.selected as isize + delta;
        self.selected = target.clamp(0, len as isize - 1) as usize;
        self.keep_visible(len, height);
    }

    /// Selects row `index` (clamped).
    pub fn select(&mut self, index: usize, len: usize, height: usize) {
        self.touched = true;
        self.selected = index.min(len.saturating_sub(1));
        self.keep_visible(len, height);
    }

    /// Clamps the selection after the list changed size and scrolls it into view.
    pub fn keep_visible(&mut self, len: usize, height: usize) {
        let height = height.max(1);
        self.selected = self.selected.min(len.saturating_sub(1));
        if self.selected < self.offset {
            self.offset = self.selected;
        } else if self.selected >= self.offset + height {
            self.offset = self.selected + 1 - height;
        }
        self.offset = self.offset.min(len.saturating_sub(height));
    }
}

/// A one-line message in the status bar: what happened, and what to do.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Notice {
    pub level: NoticeLevel,
    pub text: String,
    pub at: DateTime<Utc>,
}

/// Everything about the screen that is not cluster data.
#[derive(Debug, Clone, Default)]
pub struct UiState {
    pub stack: Vec<Route>,
    pub mode: Mode,
    pub notice: Option<Notice>,
    /// The probes the last press of the probe key started, for one notice about them all.
    pub probe_batch: Option<super::probe_batch::ProbeBatch>,
    pub command_history: Vec<String>,
    /// Namespaces that held InferenceServices this session (for the keys 1–9; kept across
    /// namespace switches so the digits keep their meaning).
    pub seen_namespaces: std::collections::BTreeSet<String>,
    /// Terminal size, from the last resize.
    pub width: u16,
    pub height: u16,
    /// Cursor, filter and sort of each list view, by its scope.
    pub lists: BTreeMap<Scope, ListView>,
    /// Scroll position of text views (YAML, help-like panels).
    pub text_scroll: u16,
    /// The search in text views (`/` in the YAML), moved through with n/N.
    pub text_search: Option<super::logs::Pattern>,
    /// The tab shown in the service detail.
    pub detail_tab: DetailTab,
}

/// The tabs of the service detail view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum DetailTab {
    #[default]
    Overview,
    Pods,
    Events,
}

impl DetailTab {
    pub const ALL: [DetailTab; 3] = [DetailTab::Overview, DetailTab::Pods, DetailTab::Events];

    pub fn title(self) -> &'static str {
        match self {
            DetailTab::Overview => "Overview",
            DetailTab::Pods => "Pods",
            DetailTab::Events => "Events",
        }
    }

    /// The next (or previous) tab, wrapping around.
    pub fn step(self, forward: bool) -> DetailTab {
        let i = DetailTab::ALL.iter().position(|t| *t == self).unwrap_or(0);
        let n = DetailTab::ALL.len();
        DetailTab::ALL[if forward {
            (i + 1) % n
        } else {
            (i + n - 1) % n
        }]
    }
}

/// The per-list view settings: selection, filter text and sort order.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ListView {
    pub cursor: ListCursor,
    pub filter: String,
    pub sort_column: usize,
    pub sort_reverse: bool,
}

impl UiState {
    /// The screen on top of the stack.
    pub fn route(&self) -> &Route {
        self.stack.last().unwrap_or(&Route::Services)
    }

    /// Rows available to a list body (terminal minus header, status bar, frame and table
    /// header).
    pub fn list_rows(&self) -> usize {
        usize::from(self.height.saturating_sub(5)).max(1)
    }

    /// The list settings of `scope` (created on first use).
    pub fn list(&mut self, scope: Scope) -> &mut ListView {
        self.lists.entry(scope).or_default()
    }

    /// The list settings of `scope`, read-only (defaults if never used).
    pub fn list_view(&self, scope: Scope) -> ListView {
        self.lists.get(&scope).cloned().unwrap_or_default()
    }

    /// Opens `route` on top of the current one (or stays if it is already on top).
    pub fn push(&mut self, route: Route) {
        if self.route() != &route {
            self.stack.push(route);
            self.text_scroll = 0;
        }
    }

    /// Goes back one screen; the first screen stays.
    pub fn pop(&mut self) -> bool {
        if self.stack.len() > 1 {
            self.stack.pop();
            self.text_scroll = 0;
            true
        } else {
            false
        }
    }

    /// Replaces the whole stack with a top-level view (from the command line).
    pub fn jump(&mut self, route: Route) {
        self.stack.truncate(1);
        if self.stack.first() != Some(&route) {
            self.stack.push(route);
        }
        self.text_scroll = 0;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursor_stays_in_range_and_in_view() {
        let mut c = ListCursor::default();
        c.move_by(5, 3, 10);
        assert_eq!(c.selected, 2);
        c.move_by(-10, 3, 10);
        assert_eq!(c.selected, 0);
        c.move_by(25, 100, 10);
        assert_eq!((c.selected, c.offset), (25, 16));
        c.move_by(-20, 100, 10);
        assert_eq!((c.selected, c.offset), (5, 5));
        c.keep_visible(3, 10);
        assert_eq!((c.selected, c.offset), (2, 0));
        c.move_by(1, 0, 10);
        assert_eq!(c, ListCursor::default());
    }

    #[test]
    fn stack_navigation() {
        let mut ui = UiState {
            stack: vec![Route::Services],
            ..UiState::default()
        };
        ui.push(Route::Detail(ObjectKey::new("ns", "a")));
        ui.push(Route::Detail(ObjectKey::new("ns", "a")));
        assert_eq!(ui.stack.len(), 2);
        assert!(ui.pop());
        assert!(!ui.pop());
        ui.jump(Route::Pods);
        assert_eq!(ui.stack, vec![Route::Services, Route::Pods]);
        ui.jump(Route::Services);
        assert_eq!(ui.stack, vec![Route::Services]);
    }
}
