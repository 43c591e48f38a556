//! Screen tests: the whole UI drawn on ratatui's `TestBackend` at fixed sizes and compared
//! with insta snapshots, plus checks of the styles that carry meaning.

use super::color::ColorDepth;
use super::symbols::Symbols;
use super::theme::Theme;
use crate::app::msg::Msg;
use crate::app::update::update;
use crate::config::keymap::Keymap;
use crate::config::{Config, theme as theme_file};
use crate::state::State;
use crate::state::session::Session;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
use ratatui::Terminal;
use ratatui::backend::TestBackend;

/// A fixed clock so ages in snapshots never change.
pub fn fixed_now() -> chrono::DateTime<chrono::Utc> {
    crate::domain::k8s::parse_time("2026-11-20T12:00:00Z").unwrap_or_default()
}

pub fn state() -> State {
    let (keymap, _) = Keymap::load(None);
    State::new(keymap, Config::default(), Session::default(), fixed_now())
}

pub fn theme(name: &str) -> Theme {
    let (spec, _) = theme_file::load(name, None);
    Theme::resolve(&spec, ColorDepth::TrueColor, Symbols::UNICODE).0
}

/// Draws `state` at `width`×`height` and returns the terminal.
pub fn render(state: &mut State, theme: &Theme, width: u16, height: u16) -> Terminal<TestBackend> {
    update(state, Msg::Resize { width, height });
    let mut terminal = Terminal::new(TestBackend::new(width, height)).unwrap();
    terminal.draw(|f| super::draw(f, state, theme)).unwrap();
    terminal
}

/// The screen as text, one line per row.
pub fn screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut line = String::new();
        for x in 0..buffer.area.width {
            line.push_str(buffer[(x, y)].symbol());
        }
        out.push_str(line.trim_end());
        out.push('\n');
    }
    out
}

/// A colour in snapshots: `#rrggbb`, `i42` (256-colour index), or the ANSI name.
fn color_name(color: ratatui::style::Color) -> String {
    use ratatui::style::Color;
    match color {
        Color::Rgb(r, g, b) => format!("#{r:02x}{g:02x}{b:02x}"),
        Color::Indexed(i) => format!("i{i}"),
        Color::Reset => "-".to_string(),
        other => format!("{other:?}").to_lowercase(),
    }
}

/// The screen with its styles: each row is a sequence of runs `[fg=…,bg=…,mod=…]text`, a run
/// starting wherever the style changes, so a theme regression shows in the snapshot.
pub fn styled_screen(terminal: &Terminal<TestBackend>) -> String {
    let buffer = terminal.backend().buffer();
    let mut out = String::new();
    for y in 0..buffer.area.height {
        let mut current: Option<(String, String, String)> = None;
        for x in 0..buffer.area.width {
            let cell = &buffer[(x, y)];
            let style = (
                color_name(cell.fg),
                color_name(cell.bg),
                format!("{:?}", cell.modifier)
                    .trim_start_matches("Modifier(")
                    .trim_end_matches(')')
                    .replace(" | ", "+")
                    .to_lowercase(),
            );
            if current.as_ref() != Some(&style) {
                let m = if style.2.is_empty() || style.2 == "0x0" {
                    String::new()
                } else {
                    format!(",mod={}", style.2)
                };
                out.push_str(&format!("[fg={},bg={}{m}]", style.0, style.1));
                current = Some(style);
            }
            out.push_str(cell.symbol());
        }
        out.push('\n');
    }
    out
}

pub fn key(c: char) -> Msg {
    Msg::Key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE))
}

const THEMES: [&str; 3] = ["dark", "light", "high-contrast"];
const SIZES: [(u16, u16); 2] = [(80, 24), (120, 40)];

#[test]
fn empty_state_snapshots() {
    for theme_name in THEMES {
        for (w, h) in SIZES {
            let mut s = state();
            let t = render(&mut s, &theme(theme_name), w, h);
            insta::assert_snapshot!(format!("empty_{theme_name}_{w}x{h}"), styled_screen(&t));
        }
    }
}

#[test]
fn help_snapshots() {
    for theme_name in THEMES {
        for (w, h) in SIZES {
            let mut s = state();
            update(&mut s, key('?'));
            let t = render(&mut s, &theme(theme_name), w, h);
            insta::assert_snapshot!(format!("help_{theme_name}_{w}x{h}"), screen(&t));
        }
    }
}

#[test]
fn themes_paint_the_same_screen_differently() {
    let mut a = state();
    let mut b = state();
    let dark = render(&mut a, &theme("dark"), 80, 24);
    let light = render(&mut b, &theme("light"), 80, 24);
    assert_eq!(screen(&dark), screen(&light));
    assert_ne!(dark.backend().buffer(), light.backend().buffer());
}

#[test]
fn tiny_terminals_never_panic() {
    for (w, h) in [
        (1, 1),
        (2, 1),
        (10, 3),
        (20, 5),
        (19, 4),
        (0, 0),
        (300, 2),
        (3, 100),
    ] {
        for theme_name in THEMES {
            let mut s = state();
            for msg in [key('?'), key(':'), key('x')] {
                update(&mut s, msg);
                let _ = render(&mut s, &theme(theme_name), w.max(1), h.max(1));
            }
        }
    }
}

/// Presses `y` and answers the YAML view's read of the object with what `answer` finds for
/// its key, as the effect runner would with the API server's answer.
pub fn open_yaml(
    state: &mut State,
    answer: impl Fn(
        crate::domain::kind::Kind,
        &crate::domain::key::ObjectKey,
    ) -> Option<serde_json::Value>,
) {
    let effects = update(state, key('y'));
    let (key, kind) = match effects.as_slice() {
        [crate::app::effect::Effect::FetchYaml { key, kind }] => (key.clone(), *kind),
        other => panic!("y did not read the object: {other:?}"),
    };
    let object = answer(kind, &key).expect("the object is in the fixture");
    let version = object
        .pointer("/metadata/resourceVersion")
        .and_then(serde_json::Value::as_str)
        .unwrap_or("")
        .to_string();
    let text = crate::domain::yaml_text::object_yaml(object);
    update(
        state,
        Msg::YamlFetched {
            key,
            result: Ok((text, version)),
        },
    );
}

/// A state holding the fixture cluster, connected, at the fixed clock.
pub fn cluster_state() -> State {
    let mut s = state();
    s.cluster = super::fixture_cluster::cluster();
    s.session.context = Some("prod-eks".to_string());
    s.session.connection = crate::state::session::Connection::Connected {
        server: "https://example".to_string(),
    };
    s.derived.dirty = true;
    s.refresh_derived();
    s
}

#[test]
fn services_list_detail_and_yaml_snapshots() {
    for (w, h) in SIZES {
        let t = theme("dark");
        let mut s = cluster_state();
        insta::assert_snapshot!(
            format!("services_{w}x{h}"),
            screen(&render(&mut s, &t, w, h))
        );
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        insta::assert_snapshot!(format!("detail_{w}x{h}"), screen(&render(&mut s, &t, w, h)));
        open_yaml(&mut s, |_, k| super::fixture_cluster::isvc_object(k));
        insta::assert_snapshot!(format!("yaml_{w}x{h}"), screen(&render(&mut s, &t, w, h)));
    }
}

#[test]
fn why_not_ready_panel_for_a_failing_service() {
    let mut s = cluster_state();
    // Unhealthy first: the failed sentiment-bert, then the pending onnx-resnet.
    update(&mut s, key('!'));
    assert_eq!(s.selected_service().unwrap().name, "sentiment-bert");
    update(&mut s, key('!'));
    let selected = s.selected_service().cloned().unwrap();
    assert_eq!(selected.name, "onnx-resnet");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let text = screen(&render(&mut s, &theme("dark"), 120, 40));
    assert!(text.contains("Why isn't it ready?"), "{text}");
    assert!(text.contains("Not enough free GPUs"), "{text}");
    insta::assert_snapshot!("detail_pending_gpu_120x40", text);
}

#[test]
fn status_cells_carry_their_meaning_in_style() {
    let mut s = cluster_state();
    // Select a row that is not one of those checked (selection has its own style).
    update(&mut s, key('j'));
    let t = theme("dark");
    let term = render(&mut s, &t, 120, 40);
    let buffer = term.backend().buffer();
    let find = |needle: &str| -> (u16, u16) {
        for y in 0..buffer.area.height {
            let line: String = (0..buffer.area.width)
                .map(|x| buffer[(x, y)].symbol().to_string())
                .collect();
            if let Some(col) = line.find(needle) {
                let x = line[..col].chars().count() as u16;
                return (x, y);
            }
        }
        panic!("{needle} not on screen");
    };
    let (x, y) = find("ModelLoadFailed");
    assert_eq!(
        buffer[(x, y)].fg,
        t.style(crate::config::slot::Slot::StatusFailed).fg.unwrap()
    );
    let (_, iris_row) = find("sklearn-iris");
    let iris: String = (0..buffer.area.width)
        .map(|x| buffer[(x, iris_row)].symbol().to_string())
        .collect();
    let (x, y) = (
        iris[..iris.find("✓ Ready").unwrap()].chars().count() as u16,
        iris_row,
    );
    assert_eq!(
        buffer[(x, y)].fg,
        t.style(crate::config::slot::Slot::StatusReady).fg.unwrap()
    );
    let (x, y) = find("r2 10%");
    assert_eq!(
        buffer[(x, y)].fg,
        t.style(crate::config::slot::Slot::RevisionCanary)
            .fg
            .unwrap()
    );
}

#[test]
fn filters_by_name_and_label_selector() {
    let mut s = cluster_state();
    update(&mut s, key('/'));
    for c in "team=fraud".chars() {
        update(&mut s, key(c));
    }
    assert_eq!(s.derived.services.len(), 1);
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let text = screen(&render(&mut s, &theme("dark"), 120, 40));
    assert!(text.contains("filter /team=fraud"), "{text}");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
    );
    assert_eq!(s.derived.services.len(), 5);
    update(&mut s, key('/'));
    for c in "staging".chars() {
        update(&mut s, key(c));
    }
    assert_eq!(s.derived.services.len(), 3);
}

/// A state holding the simulated demo cluster, connected, at the fixed clock.
pub fn demo_state() -> State {
    let mut s = cluster_state();
    s.cluster = super::demo_cluster::cluster();
    s.session.context = Some("kdeck-sim".to_string());
    s.derived.dirty = true;
    s.refresh_derived();
    // One round of figures: the canary r2 fails 8 % of its requests and is slow.
    let fraud = crate::domain::key::ObjectKey::new("ml-prod", "fraud-detector");
    let at = s.now;
    let fig = |p99: f64, errors: f64, rps: f64| crate::domain::figures::RevisionFigures {
        p50_ms: Some(p99 / 3.0),
        p99_ms: Some(p99),
        rps: Some(rps),
        error_ratio: Some(errors),
        at: Some(at),
        ..Default::default()
    };
    update(
        &mut s,
        Msg::Metrics(crate::app::msg::Measurements {
            at,
            llm: Vec::new(),
            chains: Vec::new(),
            services: vec![(fraud.clone(), fig(700.0, 0.009, 36.0))],
            revisions: vec![
                (
                    fraud.clone(),
                    "fraud-detector-predictor-00002".into(),
                    fig(1400.0, 0.08, 3.6),
                ),
                (
                    fraud,
                    "fraud-detector-predictor-00001".into(),
                    fig(80.0, 0.0, 32.4),
                ),
            ],
            problems: Vec::new(),
        }),
    );
    s.refresh_derived();
    s
}

#[test]
fn demo_scenario_list_detail_and_yaml_snapshots() {
    for (w, h) in SIZES {
        let t = theme("dark");
        let mut s = demo_state();
        let list = screen(&render(&mut s, &t, w, h));
        assert!(list.contains("fraud-detector"), "{list}");
        insta::assert_snapshot!(format!("demo_services_{w}x{h}"), list);
        // The first row is the bad canary, and the selection, not moved yet, is on it.
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
        let detail = screen(&render(&mut s, &t, w, h));
        assert!(detail.contains("ml-prod/fraud-detector"), "{detail}");
        insta::assert_snapshot!(format!("demo_detail_{w}x{h}"), detail);
        open_yaml(&mut s, super::demo_cluster::object);
        let yaml = screen(&render(&mut s, &t, w, h));
        assert!(!yaml.contains("managedFields:"), "{yaml}");
        insta::assert_snapshot!(format!("demo_yaml_{w}x{h}"), yaml);
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        );
        update(
            &mut s,
            Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
        );
        assert!(screen(&render(&mut s, &t, w, h)).contains("Services "));
    }
}

#[test]
fn demo_scenario_why_not_ready_names_the_missing_bucket() {
    let mut s = demo_state();
    update(
        &mut s,
        Msg::Resize {
            width: 120,
            height: 40,
        },
    );
    // Jump to the first service that is not ready until the failing one is selected.
    for _ in 0..4 {
        if s.selected_service()
            .is_some_and(|r| r.name == "sentiment-bert")
        {
            break;
        }
        update(&mut s, key('!'));
    }
    let selected = s.selected_service().cloned().unwrap();
    assert_eq!(selected.name, "sentiment-bert");
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    let text = screen(&render(&mut s, &theme("dark"), 120, 40));
    assert!(text.contains("Why isn't it ready?"), "{text}");
}

/// The logs view with hostile log text: the demo transformer's line (colour, window title,
/// clear screen, cursor home) and lines with cursor moves, erases, the alternate screen, a
/// hyperlink and a full reset. Only the text and the colour reach the screen.
#[test]
fn escape_sequences_in_logs_are_drawn_inert() {
    use crate::app::msg::{LogBatch, LogMsg};
    use crate::domain::key::ObjectKey;
    use crate::domain::logline::{level, sanitize};
    use crate::state::logs::{LogTarget, LogView, StreamInfo};
    use crate::state::ui::Route;
    use ratatui::style::Color;
    use std::sync::Arc;

    let mut s = state();
    let pod = ObjectKey::new(
        "ml-prod",
        "image-classifier-transformer-00001-deployment-7c9-x4k2p",
    );
    let mut view = LogView::new(
        LogTarget::Service(ObjectKey::new("ml-prod", "image-classifier")),
        1000,
        1,
    );
    view.streams.insert(
        (pod.clone(), "kserve-container".to_string()),
        StreamInfo {
            tag: Arc::from("r1·x4k2p"),
            canary: false,
            ended: None,
        },
    );
    s.logs = Some(view);
    s.ui.push(Route::Logs);
    let raw: [&[u8]; 5] = [
        crate::sim::scenario::demo::NASTY_LOG_LINE.as_bytes(),
        b"\x1b[5;10Hmoved \x1b[3Aup \x1b[2Kerased \x1b7saved\x1b8 \x1b[?25lno cursor\x1b[?1049h alt",
        b"\x1b]8;;https://evil.example/\x1b\\a link\x1b]8;;\x1b\\ then \x1b]52;c;cGFzdGU=\x07clipboard",
        b"\x1bcreset \x1b[1;1r\x1b[Sscrolled\x1b[6n asked \x08\x07 bell",
        b"2026-11-24 10:00:00,001 ERROR kserve.trace: predict failed",
    ];
    let lines = raw
        .iter()
        .map(|r| {
            let text = sanitize(r);
            let lvl = level(&text.text);
            (None, text, lvl)
        })
        .collect();
    update(
        &mut s,
        Msg::Logs(LogMsg::Lines(LogBatch {
            session: 1,
            pod,
            container: "kserve-container".to_string(),
            lines,
        })),
    );
    let t = render(&mut s, &theme("dark"), 100, 12);
    let text = screen(&t);
    insta::assert_snapshot!("logs_escape_sequences_100x12", text);
    assert!(
        text.contains("WARNING preprocess: image too large, resizing  to 224x224"),
        "{text}"
    );
    assert!(!text.contains("pwned-title") && !text.contains("evil.example"));
    assert!(!text.contains("cGFzdGU="), "the clipboard payload");
    let buffer = t.backend().buffer();
    for cell in buffer.content() {
        assert!(
            !cell.symbol().chars().any(|c| c.is_control()),
            "a control character in a cell: {:?}",
            cell.symbol()
        );
    }
    // The colour the line asked for is kept, as style only.
    let (row, line) = text
        .lines()
        .enumerate()
        .find(|(_, l)| l.contains("WARNING preprocess"))
        .unwrap();
    let col = line[..line.find("WARNING").unwrap()].chars().count() as u16;
    assert_eq!(buffer[(col, row as u16)].fg, Color::Indexed(3));
    assert_ne!(buffer[(col + 8, row as u16)].fg, Color::Indexed(3));
}
