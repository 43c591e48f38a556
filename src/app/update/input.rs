//! Key routing by mode: text input (filter, command line) edits the line; help scrolls;
//! normal mode goes through the keymap of the current view.

use super::{command, lists, nav};
use crate::app::effect::Effect;
use crate::domain::action::Action;
use crate::state::State;
use crate::state::line::LineEdit;
use crate::state::ui::{CommandLine, Mode};
use crossterm::event::{KeyCode, KeyEvent, KeyEventKind};

/// Handles one key press.
pub fn handle_key(state: &mut State, key: KeyEvent) -> Vec<Effect> {
    if key.kind == KeyEventKind::Release {
        return Vec::new();
    }
    if let (Some(trigger), KeyCode::Char(c)) = (state.debug_panic_key, key.code) {
        // Documented test hook: proves the panic path restores the terminal.
        assert!(
            c != trigger,
            "KDECK_DEBUG_PANIC_KEY pressed: deliberate panic for testing"
        );
    }
    if matches!(state.ui.mode, Mode::Normal)
        && let Some(effects) = super::group_rollout::dialog_key(state, key)
    {
        return effects;
    }
    if matches!(state.ui.mode, Mode::Normal)
        && let Some(effects) = super::rollout::dialog_key(state, key)
    {
        return effects;
    }
    match std::mem::take(&mut state.ui.mode) {
        Mode::Prompt(prompt) => super::rollout::prompt_key(state, prompt, key),
        Mode::Normal => {
            let scope = state.ui.route().scope();
            if scope == crate::config::keymap::Scope::Services {
                // From now on the selection follows its row (see `ListCursor::touched`).
                state.ui.list(scope).cursor.touched = true;
            }
            match state.keymap.action_for(scope, &key) {
                Some(action) => nav::apply(state, action),
                None => unbound(state, scope, &key),
            }
        }
        Mode::Filter(mut line) if state.ui.route() == &crate::state::ui::Route::Logs => {
            match key.code {
                KeyCode::Esc => super::logs::set_pattern(state, "", false),
                KeyCode::Enter => super::logs::set_pattern(state, &line.text, false),
                _ => {
                    if line.edit(&key) == LineEdit::Changed {
                        super::logs::set_pattern(state, &line.text, false);
                    }
                    state.ui.mode = Mode::Filter(line);
                }
            }
            Vec::new()
        }
        Mode::Search(line) if matches!(state.ui.route(), crate::state::ui::Route::Yaml(_)) => {
            super::yaml::search_key(state, line, key)
        }
        Mode::Search(mut line) => {
            match key.code {
                KeyCode::Esc => super::logs::set_pattern(state, "", true),
                KeyCode::Enter => {
                    super::logs::set_pattern(state, &line.text, true);
                    return super::logs::action(state, Action::SearchNext);
                }
                _ => {
                    line.edit(&key);
                    state.ui.mode = Mode::Search(line);
                }
            }
            Vec::new()
        }
        Mode::Filter(mut line) => {
            let scope = state.ui.route().scope();
            match key.code {
                KeyCode::Esc => {
                    state.ui.list(scope).filter.clear();
                }
                KeyCode::Enter => {}
                _ => {
                    if line.edit(&key) == LineEdit::Changed {
                        let view = state.ui.list(scope);
                        view.filter = line.text.clone();
                        view.cursor = Default::default();
                    }
                    state.ui.mode = Mode::Filter(line);
                }
            }
            state.derived.dirty = true;
            lists::keep_cursors_visible(state);
            Vec::new()
        }
        Mode::Command(cmd) => command_key(state, cmd, key),
        Mode::Help { scroll } => {
            let scope = state.ui.route().scope();
            let action = state.keymap.action_for(scope, &key);
            let scroll = match action {
                Some(Action::Back | Action::Help | Action::Quit) => return Vec::new(),
                Some(Action::Down) => scroll.saturating_add(1),
                Some(Action::Up) => scroll.saturating_sub(1),
                Some(Action::PageDown) => scroll.saturating_add(10),
                Some(Action::PageUp) => scroll.saturating_sub(10),
                Some(Action::Top) => 0,
                _ => scroll,
            };
            state.ui.mode = Mode::Help { scroll };
            Vec::new()
        }
    }
}

/// Pasted text goes into the line being typed; elsewhere it is ignored (a paste must never
/// trigger actions key by key).
pub fn paste(state: &mut State, text: &str) {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    let scope = state.ui.route().scope();
    match &mut state.ui.mode {
        Mode::Filter(line) => {
            for c in clean.chars() {
                line.edit(&KeyEvent::from(KeyCode::Char(c)));
            }
            let text = line.text.clone();
            state.ui.list(scope).filter = text;
            state.derived.dirty = true;
            lists::keep_cursors_visible(state);
        }
        Mode::Command(cmd) => {
            for c in clean.chars() {
                cmd.input.edit(&KeyEvent::from(KeyCode::Char(c)));
            }
        }
        _ => {}
    }
    state.dirty = true;
}

fn command_key(state: &mut State, mut cmd: CommandLine, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => Vec::new(),
        KeyCode::Enter => command::execute(state, &cmd.input.text),
        KeyCode::Tab | KeyCode::BackTab => {
            if !cmd.candidates.is_empty() {
                let n = cmd.candidates.len();
                let next = match (cmd.chosen, key.code) {
                    (None, KeyCode::BackTab) => n - 1,
                    (None, _) => 0,
                    (Some(i), KeyCode::BackTab) => (i + n - 1) % n,
                    (Some(i), _) => (i + 1) % n,
                };
                cmd.chosen = Some(next);
                cmd.input.set(&cmd.candidates[next]);
                if cmd.candidates.len() == 1 {
                    // A unique match: continue with its arguments.
                    let line = format!("{} ", cmd.candidates[next]);
                    let more = command::candidates(state, &line);
                    if !more.is_empty() {
                        cmd.input.set(&line);
                        cmd.candidates = more;
                        cmd.chosen = None;
                    }
                }
            }
            state.ui.mode = Mode::Command(cmd);
            Vec::new()
        }
        KeyCode::Up | KeyCode::Down => {
            let history = &state.ui.command_history;
            if !history.is_empty() {
                let last = history.len() - 1;
                let pos = match (cmd.history_pos, key.code) {
                    (None, KeyCode::Up) => Some(last),
                    (None, _) => None,
                    (Some(p), KeyCode::Up) => Some(p.saturating_sub(1)),
                    (Some(p), _) if p < last => Some(p + 1),
                    (Some(_), _) => None,
                };
                cmd.history_pos = pos;
                let text = pos.map(|p| history[p].clone()).unwrap_or_default();
                cmd.input.set(&text);
                cmd.candidates = command::candidates(state, &text);
                cmd.chosen = None;
            }
            state.ui.mode = Mode::Command(cmd);
            Vec::new()
        }
        _ => {
            if cmd.input.edit(&key) == LineEdit::Changed {
                cmd.candidates = command::candidates(state, &cmd.input.text);
                cmd.chosen = None;
                cmd.history_pos = None;
            }
            state.ui.mode = Mode::Command(cmd);
            Vec::new()
        }
    }
}

/// A letter, digit or ctrl-key with no binding in this view says so, rather than nothing
/// (arrows, Enter and the like stay quiet).
fn unbound(state: &mut State, scope: crate::config::keymap::Scope, key: &KeyEvent) -> Vec<Effect> {
    if matches!(key.code, KeyCode::Char(_)) {
        let name = crate::config::keys::KeySpec::from_event(key);
        let view = format!("{scope}").replace('_', " ");
        state.notify(
            crate::domain::notice::NoticeLevel::Info,
            format!("{name} does nothing in the {view} view; ? lists its keys"),
        );
    }
    Vec::new()
}
