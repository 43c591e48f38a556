//! Search in the YAML view: `/` types a pattern (regex, case-insensitive unless it has
//! capitals), Enter jumps to the first matching line below the top of the view, n/N move
//! to the next and previous match. Matching lines are highlighted by the view.

use crate::app::effect::Effect;
use crate::domain::action::Action;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::state::State;
use crate::state::line::LineInput;
use crate::state::ui::Mode;
use crossterm::event::{KeyCode, KeyEvent};

/// A key while the YAML search is being typed.
pub fn search_key(state: &mut State, mut line: LineInput, key: KeyEvent) -> Vec<Effect> {
    match key.code {
        KeyCode::Esc => state.ui.text_search = None,
        KeyCode::Enter => {
            if line.text.is_empty() {
                state.ui.text_search = None;
            } else {
                match crate::state::logs::compile(&line.text) {
                    Ok(p) => {
                        state.ui.text_search = Some(p);
                        if let crate::state::ui::Route::Yaml(key) = state.ui.route().clone() {
                            jump(state, &key, true, true);
                        }
                    }
                    Err(e) => state.notify(NoticeLevel::Error, e),
                }
            }
        }
        _ => {
            line.edit(&key);
            state.ui.mode = Mode::Search(line);
        }
    }
    Vec::new()
}

/// n/N in the YAML view.
pub fn action(state: &mut State, key: &ObjectKey, action: Action) -> Vec<Effect> {
    match action {
        Action::SearchNext | Action::SearchPrev if state.ui.text_search.is_none() => {
            state.notify(
                NoticeLevel::Info,
                "no search yet: press / and type a pattern".to_string(),
            );
        }
        Action::SearchNext => jump(state, key, true, false),
        Action::SearchPrev => jump(state, key, false, false),
        _ => {}
    }
    Vec::new()
}

/// Scrolls to the next (or previous) matching line; `include_top` counts the top line too.
fn jump(state: &mut State, key: &ObjectKey, forward: bool, include_top: bool) {
    let Some(pattern) = &state.ui.text_search else {
        return;
    };
    let Some(raw) = crate::state::service_kind::raw(state, key) else {
        return;
    };
    let text = crate::domain::yaml_text::yaml_text(raw);
    let lines: Vec<&str> = text.lines().collect();
    let top = usize::from(state.ui.text_scroll).min(lines.len().saturating_sub(1));
    let hit = |i: &usize| pattern.regex.is_match(lines[*i]);
    let found = if forward {
        let start = if include_top { top } else { top + 1 };
        (start..lines.len()).find(hit)
    } else {
        (0..top).rev().find(hit)
    };
    match found {
        Some(i) => state.ui.text_scroll = u16::try_from(i).unwrap_or(u16::MAX),
        None => {
            let text = format!("/{}/: no more matches", pattern.text);
            state.notify(NoticeLevel::Info, text);
        }
    }
}

#[cfg(test)]
mod tests {
    use crate::app::msg::Msg;
    use crate::app::update::update;
    use crate::config::keymap::Scope;
    use crate::ui::snapshot_tests::{demo_state, key};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn press(s: &mut crate::state::State, code: KeyCode) {
        update(s, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)));
    }

    #[test]
    fn slash_in_the_yaml_searches_it_instead_of_filtering_the_list() {
        let mut s = demo_state();
        press(&mut s, KeyCode::Enter);
        update(&mut s, key('y'));
        assert!(matches!(s.ui.route(), crate::state::ui::Route::Yaml(_)));
        update(&mut s, key('/'));
        for c in "name:".chars() {
            update(&mut s, key(c));
        }
        press(&mut s, KeyCode::Enter);
        for scope in [Scope::Services, Scope::Yaml, Scope::Detail] {
            assert!(s.ui.list_view(scope).filter.is_empty(), "{scope:?}");
        }
        let first = s.ui.text_scroll;
        assert!(first > 0, "did not move to the first match");
        update(&mut s, key('n'));
        let second = s.ui.text_scroll;
        assert!(second > first, "n did not move on: {first} → {second}");
        update(&mut s, key('N'));
        assert_eq!(s.ui.text_scroll, first, "N went back");
        // The screen marks the matches.
        let t = crate::ui::snapshot_tests::theme("dark");
        let term = crate::ui::snapshot_tests::render(&mut s, &t, 120, 40);
        let buffer = term.backend().buffer();
        let marked = buffer.content().iter().any(|c| {
            c.bg == t
                .style(crate::config::slot::Slot::LogMatch)
                .bg
                .unwrap_or_default()
        });
        assert!(marked, "no match highlighted");
    }
}
