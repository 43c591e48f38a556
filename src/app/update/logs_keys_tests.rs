//! The logs view's keys through `update`, as the keymap delivers them: scrolling pauses and
//! End resumes, since cycles and restarts the streams, the container choice skips what the
//! pods lack, and the revision and pod filters.

use super::open;
use super::tests::{lines, setup, starts};
use crate::app::effect::Effect;
use crate::app::msg::Msg;
use crate::app::update::update;
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::state::logs::{ContainerChoice, LogTarget};
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

const CANARY_POD: &str = "fraud-predictor-00002-deployment-b-y2";
const STABLE_POD: &str = "fraud-predictor-00001-deployment-a-x1";

fn press(state: &mut State, code: KeyCode) -> Vec<Effect> {
    update(state, Msg::Key(KeyEvent::new(code, KeyModifiers::NONE)))
}

fn ctrl(state: &mut State, c: char) -> Vec<Effect> {
    update(
        state,
        Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::CONTROL)),
    )
}

/// The logs of `fraud` open at 80×24 with 100 lines of the canary pod.
fn logs_with_lines() -> State {
    let mut s = setup();
    update(
        &mut s,
        Msg::Resize {
            width: 80,
            height: 24,
        },
    );
    open(&mut s, LogTarget::Service(ObjectKey::new("ml", "fraud")));
    let session = s.logs.as_ref().map(|v| v.session).unwrap_or_default();
    let texts: Vec<String> = (0..100).map(|i| format!("line {i}")).collect();
    let refs: Vec<&str> = texts.iter().map(String::as_str).collect();
    update(&mut s, lines(session, CANARY_POD, &refs));
    s
}

/// The log lines the view shows at once (the same as the logs actions use).
fn rows(s: &State) -> usize {
    s.ui.list_rows().saturating_sub(1).max(1)
}

fn view(s: &State) -> &crate::state::logs::LogView {
    s.logs.as_ref().expect("the logs view is open")
}

#[test]
fn scroll_keys_move_the_log_and_pause_following() {
    for up in [
        KeyCode::Char('k'),
        KeyCode::Up,
        KeyCode::PageUp,
        KeyCode::Char('g'),
        KeyCode::Home,
    ] {
        let mut s = logs_with_lines();
        assert!(view(&s).follow);
        press(&mut s, up);
        assert!(!view(&s).follow, "{up:?} did not pause following");
        let bottom_top = 100 - rows(&s);
        let top = view(&s).first_visible(rows(&s));
        assert!(top < bottom_top, "{up:?} did not move up: {top}");
        let session = view(&s).session;
        update(&mut s, lines(session, CANARY_POD, &["new 1", "new 2"]));
        assert_eq!(view(&s).new_while_paused, 2);
        assert_eq!(view(&s).first_visible(rows(&s)), top, "the window moved");
        let summary: String =
            crate::ui::views::logs::summary(view(&s), &crate::ui::snapshot_tests::theme("dark"))
                .spans
                .iter()
                .map(|sp| sp.content.to_string())
                .collect();
        assert!(summary.starts_with("paused (2 new)"), "{summary}");
        press(&mut s, KeyCode::End);
        assert!(view(&s).follow, "End did not resume after {up:?}");
        assert_eq!(view(&s).new_while_paused, 0);
    }
    let mut s = logs_with_lines();
    ctrl(&mut s, 'b');
    assert!(!view(&s).follow, "ctrl-b pauses");
    press(&mut s, KeyCode::Char('j'));
    let top = view(&s).first_visible(rows(&s));
    press(&mut s, KeyCode::Char('k'));
    assert_eq!(
        view(&s).first_visible(rows(&s)) + 1,
        top,
        "k moves one line up"
    );
    press(&mut s, KeyCode::Char('G'));
    assert!(view(&s).follow, "G follows again");
    press(&mut s, KeyCode::PageUp);
    ctrl(&mut s, 'f');
    ctrl(&mut s, 'f');
    assert!(view(&s).follow, "paging down to the bottom follows again");
    press(&mut s, KeyCode::Char('k'));
    press(&mut s, KeyCode::Char('f'));
    assert!(view(&s).follow, "f follows again");
}

#[test]
fn since_cycles_five_minutes_to_all_and_restarts_with_since_seconds() {
    let mut s = logs_with_lines();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let effects = press(&mut s, KeyCode::Char('S'));
        let since: Vec<Option<i64>> = effects
            .iter()
            .filter_map(|e| match e {
                Effect::StartLogStream(spec) => Some(spec.since_seconds),
                _ => None,
            })
            .collect();
        assert_eq!(since.len(), 2, "both pods restart: {effects:?}");
        seen.push((view(&s).since.label(), since[0]));
    }
    assert_eq!(
        seen,
        vec![
            ("5m", Some(300)),
            ("15m", Some(900)),
            ("1h", Some(3600)),
            ("all", None)
        ]
    );
}

#[test]
fn container_choice_offers_only_what_the_pods_have() {
    let mut s = logs_with_lines();
    let mut seen = Vec::new();
    for _ in 0..4 {
        let effects = press(&mut s, KeyCode::Char('c'));
        seen.push(view(&s).container);
        assert!(
            !starts(&effects).is_empty(),
            "{:?} streams nothing",
            view(&s).container
        );
    }
    // The pods have kserve-container, queue-proxy and storage-initializer: no transformer,
    // no agent.
    assert_eq!(
        seen,
        vec![
            ContainerChoice::QueueProxy,
            ContainerChoice::StorageInitializer,
            ContainerChoice::All,
            ContainerChoice::Model
        ]
    );
}

#[test]
fn revision_and_pod_keys_filter_and_show_in_the_title() {
    let mut s = logs_with_lines();
    let session = view(&s).session;
    update(&mut s, lines(session, STABLE_POD, &["stable says hi"]));
    let title = |s: &State| -> String {
        crate::ui::views::logs::summary(view(s), &crate::ui::snapshot_tests::theme("dark"))
            .spans
            .iter()
            .map(|sp| sp.content.to_string())
            .collect()
    };
    press(&mut s, KeyCode::Char('r'));
    assert_eq!(view(&s).only_revision.as_deref(), Some("r1"));
    assert_eq!(view(&s).visible.len(), 1);
    assert!(title(&s).contains("only r1"), "{}", title(&s));
    press(&mut s, KeyCode::Char('r'));
    assert_eq!(view(&s).visible.len(), 100);
    assert!(title(&s).contains("only r2"), "{}", title(&s));
    press(&mut s, KeyCode::Char('r'));
    assert_eq!(view(&s).only_revision, None);
    assert_eq!(view(&s).visible.len(), 101);
    press(&mut s, KeyCode::Char('o'));
    assert_eq!(view(&s).only_pod.as_deref(), Some(STABLE_POD));
    assert_eq!(view(&s).visible.len(), 1);
    assert!(title(&s).contains("only pod x1"), "{}", title(&s));
}
