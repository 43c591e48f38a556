//! The YAML view: opening it reads the object from the API server (the view shows
//! "loading…" until the answer, or what went wrong), a watched change reads it again while
//! it is open. Search: `/` types a pattern (regex, case-insensitive unless it has
//! capitals), Enter jumps to the first matching line below the top of the view, n/N move
//! to the next and previous match. Matching lines are highlighted by the view.

use crate::app::effect::Effect;
use crate::app::runner::YamlFetchError;
use crate::domain::action::Action;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::state::State;
use crate::state::line::LineInput;
use crate::state::ui::{Mode, Route};
use crate::state::yaml_doc::{YamlDoc, YamlText};
use crossterm::event::{KeyCode, KeyEvent};

/// Opens the YAML view of `key` and asks for the object.
pub fn open(state: &mut State, key: ObjectKey) -> Vec<Effect> {
    state.ui.push(Route::Yaml(key.clone()));
    state.yaml = Some(YamlDoc::loading(key.clone()));
    vec![fetch(state, key)]
}

fn fetch(state: &State, key: ObjectKey) -> Effect {
    let kind = if super::group_rollout::is_llm(state, &key) {
        crate::domain::kind::Kind::LlmInferenceService
    } else {
        crate::domain::kind::Kind::InferenceService
    };
    Effect::FetchYaml { key, kind }
}

/// The object's answer: kept if the view still shows that object.
pub fn fetched(
    state: &mut State,
    key: ObjectKey,
    result: Result<(String, String), YamlFetchError>,
) {
    let Some(doc) = state.yaml.as_mut().filter(|d| d.key == key) else {
        return;
    };
    doc.refreshing = false;
    doc.text = match result {
        Ok((text, resource_version)) => YamlText::Ready {
            text,
            resource_version,
        },
        // A failed refresh keeps the text it has; the notice says the rest.
        Err(e) if doc.text().is_some() => {
            state.notify(NoticeLevel::Error, e.to_string());
            return;
        }
        Err(e) => YamlText::Failed(e.to_string()),
    };
    state.dirty = true;
}

/// After a watch batch: while the view is open, reads the object again when the watched one
/// is newer than the text shown. Closing the view drops the text.
pub fn follow_changes(state: &mut State) -> Vec<Effect> {
    let Route::Yaml(key) = state.ui.route().clone() else {
        state.yaml = None;
        return Vec::new();
    };
    let Some(doc) = state.yaml.as_ref().filter(|d| d.key == key) else {
        return Vec::new();
    };
    let shown = match &doc.text {
        YamlText::Ready {
            resource_version, ..
        } if !doc.refreshing => resource_version,
        _ => return Vec::new(),
    };
    let watched =
        crate::state::service_kind::lookup(state, &key).map(|s| s.meta().resource_version.as_str());
    if watched.is_none_or(|w| w == shown) {
        return Vec::new();
    }
    if let Some(doc) = state.yaml.as_mut() {
        doc.refreshing = true;
    }
    vec![fetch(state, key)]
}

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
                    Err(e) => state.notify(NoticeLevel::Error, e.to_string()),
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
    let Some(text) = state
        .yaml
        .as_ref()
        .filter(|d| &d.key == key)
        .and_then(YamlDoc::text)
    else {
        return;
    };
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
    use super::YamlFetchError;
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
        crate::ui::snapshot_tests::open_yaml(&mut s, crate::ui::demo_cluster::object);
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

    use crate::app::effect::Effect;
    use crate::app::msg::ClusterMsg;
    use crate::domain::key::ObjectKey;
    use crate::domain::kind::{Kind, parse};
    use crate::domain::watch::WatchEvent;
    use crate::ui::snapshot_tests::{render, screen, theme};

    fn shown(s: &mut crate::state::State) -> String {
        screen(&render(s, &theme("dark"), 140, 40))
    }

    /// Enter and `y` on the first row; the read the view asks for.
    fn open(s: &mut crate::state::State) -> ObjectKey {
        press(s, KeyCode::Enter);
        match update(s, key('y')).as_slice() {
            [Effect::FetchYaml { key, kind }] => {
                assert_eq!(*kind, Kind::InferenceService);
                key.clone()
            }
            other => panic!("y did not read the object: {other:?}"),
        }
    }

    /// A watch event that moves the watched object to `version`.
    fn changed(s: &crate::state::State, key: &ObjectKey, version: &str) -> Msg {
        let mut object = crate::ui::demo_cluster::object(Kind::InferenceService, key).unwrap();
        object["metadata"]["resourceVersion"] = serde_json::json!(version);
        Msg::Cluster(ClusterMsg::Watch {
            epoch: s.cluster.epoch,
            kind: Kind::InferenceService,
            events: vec![WatchEvent::Upsert(parse(Kind::InferenceService, &object))],
        })
    }

    fn reads(effects: &[Effect]) -> usize {
        effects
            .iter()
            .filter(|e| matches!(e, Effect::FetchYaml { .. }))
            .count()
    }

    #[test]
    fn the_yaml_view_says_loading_until_the_object_is_read_then_shows_it() {
        let mut s = demo_state();
        let key = open(&mut s);
        let waiting = shown(&mut s);
        assert!(waiting.contains(&format!("loading {key}…")), "{waiting}");
        let text =
            "# managedFields and last-applied-configuration are hidden\nspec:\n  predictor: {}\n";
        update(
            &mut s,
            Msg::YamlFetched {
                key,
                result: Ok((text.to_string(), "7".to_string())),
            },
        );
        let done = shown(&mut s);
        assert!(done.contains("predictor: {}"), "{done}");
        assert!(!done.contains("loading"), "{done}");
    }

    #[test]
    fn a_failed_read_says_what_happened_and_what_to_do() {
        let mut s = demo_state();
        let key = open(&mut s);
        let error = YamlFetchError::Read {
            key: key.clone(),
            source: crate::sources::kube::actions::WriteError {
                code: crate::sources::kube::actions::TIMED_OUT,
                message: format!("reading {key} timed out after 10s"),
            },
        };
        update(
            &mut s,
            Msg::YamlFetched {
                key,
                result: Err(error),
            },
        );
        let text = shown(&mut s);
        assert!(text.contains("timed out after 10s"), "{text}");
        assert!(text.contains("press y to try again"), "{text}");
    }

    #[test]
    fn a_watched_change_reads_the_open_object_again_and_a_closed_view_reads_nothing() {
        let mut s = demo_state();
        press(&mut s, KeyCode::Enter);
        crate::ui::snapshot_tests::open_yaml(&mut s, crate::ui::demo_cluster::object);
        let crate::state::ui::Route::Yaml(key) = s.ui.route().clone() else {
            panic!("not in the YAML view");
        };
        let m = changed(&s, &key, "900001");
        assert_eq!(reads(&update(&mut s, m)), 1, "a change is read again");
        // While that read is on its way, another change asks for nothing more.
        let m = changed(&s, &key, "900002");
        assert_eq!(reads(&update(&mut s, m)), 0);
        let answer = Msg::YamlFetched {
            key: key.clone(),
            result: Ok(("spec:\n  fresh: true\n".to_string(), "900002".to_string())),
        };
        update(&mut s, answer);
        assert!(shown(&mut s).contains("fresh: true"));
        // Closed: a change reads nothing and the text is dropped.
        press(&mut s, KeyCode::Esc);
        let m = changed(&s, &key, "900003");
        assert_eq!(reads(&update(&mut s, m)), 0);
        assert!(s.yaml.is_none());
    }
}
