//! No dead keys: every key the keymap lists for the services, detail and pods views does
//! something visible there (changes the screen's state, opens a dialog, sets a notice, or
//! starts an effect), and a letter bound to nothing says so.

use crate::app::effect::Effect;
use crate::app::msg::Msg;
use crate::app::update::update;
use crate::config::keymap::Scope;
use crate::state::State;
use crate::state::ui::Route;
use crate::ui::snapshot_tests::{cluster_state, key};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

/// The demo cluster at 140×40, in `route`'s view, with a cursor that can move both ways.
fn demo_in(scope: Scope) -> State {
    let mut s = cluster_state();
    s.cluster = crate::ui::demo_cluster::cluster();
    crate::app::update::gpu::refresh_costs(&mut s);
    update(
        &mut s,
        Msg::Resize {
            width: 140,
            height: 40,
        },
    );
    s.derived.dirty = true;
    s.refresh_derived();
    match scope {
        Scope::Services => {}
        Scope::Detail => {
            update(
                &mut s,
                Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            );
        }
        Scope::Pods => {
            for c in ":pods".chars() {
                update(&mut s, key(c));
            }
            update(
                &mut s,
                Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            );
            assert_eq!(s.ui.route(), &Route::Pods);
        }
        other => panic!("no setup for {other}"),
    }
    s.ui.notice = None;
    s
}

/// Everything a key can visibly change.
fn observable(s: &State) -> String {
    format!(
        "{:?}|{:?}|{:?}|{:?}|{}|{:?}|{:?}|{}|{}|{:?}",
        s.ui.stack,
        s.ui.mode,
        s.ui.notice.as_ref().map(|n| &n.text),
        s.ui.lists,
        s.ui.text_scroll,
        s.ui.detail_tab,
        s.session.namespace,
        s.rollout.is_some(),
        s.group_rollout.is_some(),
        s.guarded,
    )
}

#[test]
fn every_listed_key_of_a_view_does_something_visible() {
    let (keymap, _) = crate::config::keymap::Keymap::load(None);
    let mut dead = Vec::new();
    for scope in [Scope::Services, Scope::Detail, Scope::Pods] {
        // The guard key's handling (issue 15, finding 4) is rebuilt on another branch.
        let walked = keymap
            .bindings(scope)
            .iter()
            .filter(|b| b.action != crate::domain::action::Action::ToggleGuard);
        for binding in walked {
            for spec in &binding.keys {
                let mut s = demo_in(scope);
                let before = observable(&s);
                let effects: Vec<Effect> =
                    update(&mut s, Msg::Key(KeyEvent::new(spec.code, spec.mods)));
                if effects.is_empty() && observable(&s) == before {
                    dead.push(format!("{scope}: {spec} ({})", binding.action.name()));
                }
            }
        }
    }
    assert!(
        dead.is_empty(),
        "keys listed in help that do nothing: {dead:?}"
    );
}

#[test]
fn an_unbound_letter_says_it_does_nothing_here() {
    let mut s = demo_in(Scope::Pods);
    update(&mut s, key('s'));
    let notice =
        s.ui.notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
    assert!(
        notice.contains("s does nothing in the pods view"),
        "{notice}"
    );
    let mut s = demo_in(Scope::Services);
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Char('a'), KeyModifiers::CONTROL)),
    );
    let notice =
        s.ui.notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
    assert!(
        notice.contains("ctrl-a does nothing in the services view"),
        "{notice}"
    );
}
