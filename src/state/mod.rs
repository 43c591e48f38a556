//! The console's state: one owner (the app loop), changed only by `update`, read by views.

pub mod line;
pub mod session;
pub mod ui;

use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::config::warning::ConfigWarning;
use chrono::{DateTime, Utc};
use session::Session;
use std::sync::Arc;
use ui::{Route, UiState};

/// Everything the console knows. Views read it; only `update` changes it.
#[derive(Debug, Clone)]
pub struct State {
    /// The time of the last tick; views compute ages from it so drawing stays pure.
    pub now: DateTime<Utc>,
    pub ui: UiState,
    pub session: Session,
    pub keymap: Arc<Keymap>,
    pub config: Arc<Config>,
    /// Problems in user files, shown in the warnings view.
    pub warnings: Vec<ConfigWarning>,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// Test hook (`KDECK_DEBUG_PANIC_KEY`): this key panics inside update, to check that
    /// the terminal is restored after a panic.
    pub debug_panic_key: Option<char>,
}

impl State {
    pub fn new(keymap: Keymap, config: Config, session: Session, now: DateTime<Utc>) -> State {
        State {
            now,
            ui: UiState {
                stack: vec![Route::Services],
                width: 80,
                height: 24,
                ..UiState::default()
            },
            session,
            keymap: Arc::new(keymap),
            config: Arc::new(config),
            warnings: Vec::new(),
            dirty: true,
            debug_panic_key: None,
        }
    }
}

impl State {
    /// Shows a one-line message in the status bar.
    pub fn notify(&mut self, level: ui::NoticeLevel, text: String) {
        self.ui.notice = Some(ui::Notice {
            level,
            text,
            at: self.now,
        });
        self.dirty = true;
    }

    /// Namespaces known from the cluster, sorted, for completion.
    pub fn known_namespaces(&self) -> Vec<String> {
        Vec::new()
    }
}
