//! Screen tests of the tables at the four sizes an on-call uses (80×24, 120×40, 140×40,
//! 200×50): the columns that matter first must stay, long free text takes what is left, and
//! help wraps. One snapshot per view holds all four sizes; the theme snapshots keep styles.

use super::snapshot_tests::{demo_state, render, screen, styled_screen, theme};
use crate::app::update::{command, update};
use crate::state::State;

const SIZES: [(u16, u16); 4] = [(80, 24), (120, 40), (140, 40), (200, 50)];

/// The demo cluster with its costs computed (as the first node and pod batches have them).
fn demo() -> State {
    let mut s = demo_state();
    crate::app::update::gpu::refresh_costs(&mut s);
    s
}

/// The screen of `view` (a `:` command, or `?` for help over the services) at every size.
fn at_all_sizes(view: &str) -> (String, Vec<String>) {
    let mut all = String::new();
    let mut screens = Vec::new();
    for (w, h) in SIZES {
        let mut s = demo();
        if view == "help" {
            update(&mut s, super::snapshot_tests::key('?'));
        } else {
            command::execute(&mut s, view);
        }
        let text = screen(&render(&mut s, &theme("dark"), w, h));
        all.push_str(&format!("── {w}x{h} ──\n{text}"));
        screens.push(text);
    }
    (all, screens)
}

/// The header row of the table on `screen` (the first line holding `first_title`).
fn header<'a>(screen: &'a str, first_title: &str) -> &'a str {
    screen
        .lines()
        .find(|l| l.contains(first_title))
        .unwrap_or_default()
}

#[test]
fn services_keep_namespace_and_figures_at_every_size() {
    let (all, screens) = at_all_sizes("services");
    for text in &screens {
        let head = header(text, "NAME");
        // At 80 columns the worst revision's error rate (ERR%) is the figure that stays: it
        // is what tells a failing canary; P99 joins from 120 columns.
        for title in ["NAME", "NAMESPACE", "READY", "TRAFFIC", "ERR%"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
    }
    for text in &screens[1..] {
        let head = header(text, "NAME");
        for title in ["REPLICAS", "P99", "RPS"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
    }
    insta::assert_snapshot!("sizes_services", all);
}

#[test]
fn events_show_type_reason_and_object_beside_the_message() {
    let (all, screens) = at_all_sizes("events");
    for (n, text) in screens.iter().enumerate() {
        let head = header(text, "MESSAGE");
        for title in ["LAST SEEN", "TYPE", "REASON", "MESSAGE"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
        if n >= 1 {
            assert!(head.contains("OBJECT"), "OBJECT missing: {head}");
        }
    }
    insta::assert_snapshot!("sizes_events", all);
}

#[test]
fn cost_keeps_its_figures_beside_the_hint() {
    let (all, screens) = at_all_sizes("cost");
    for text in &screens {
        let head = header(text, "$/HOUR");
        for title in ["NAME", "$/HOUR", "$/1K REQ", "RPS", "HINT"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
    }
    for text in &screens[1..] {
        let head = header(text, "$/HOUR");
        for title in ["NAMESPACE", "GPU%", "REPLICAS"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
    }
    insta::assert_snapshot!("sizes_cost", all);
}

#[test]
fn pods_at_every_size() {
    let (all, screens) = at_all_sizes("pods");
    for text in &screens {
        let head = header(text, "STATUS");
        for title in ["NAME", "READY", "STATUS"] {
            assert!(head.contains(title), "{title} missing: {head}");
        }
    }
    insta::assert_snapshot!("sizes_pods", all);
}

/// The inside of the help popup on `screen`: the columns between its top corners.
fn help_popup(screen: &str) -> Vec<String> {
    let lines: Vec<Vec<char>> = screen.lines().map(|l| l.chars().collect()).collect();
    let Some(top) = lines
        .iter()
        .position(|l| l.iter().collect::<String>().contains(" Help (esc"))
    else {
        return Vec::new();
    };
    let title = lines[top].iter().collect::<String>();
    let start = title
        .find(" Help (esc")
        .map_or(0, |b| title[..b].chars().count().saturating_sub(1));
    let end = (start + 1..lines[top].len())
        .find(|x| matches!(lines[top][*x], '╮' | '┐' | '+'))
        .unwrap_or(0);
    lines[top + 1..]
        .iter()
        .take_while(|l| !matches!(l.get(start), Some('╰' | '└' | '+')))
        .map(|l| {
            l.iter()
                .skip(start + 1)
                .take(end.saturating_sub(start + 1))
                .collect()
        })
        .collect()
}

#[test]
fn help_wraps_instead_of_cutting() {
    let (all, screens) = at_all_sizes("help");
    let ellipsis = super::symbols::Symbols::UNICODE.ellipsis;
    let probe = "Probe: health checks and 20 timed inferences through the API server, one \
                 ready pod per revision (the URLs if no pod is known)";
    for text in &screens[1..] {
        let popup = help_popup(text);
        assert!(popup.len() > 5, "no help popup:\n{text}");
        assert!(
            popup.iter().all(|l| !l.contains(ellipsis)),
            "a help line is cut at this size:\n{text}"
        );
        let words: Vec<&str> = popup.iter().flat_map(|l| l.split_whitespace()).collect();
        let joined = words.join(" ");
        assert!(joined.contains(probe), "{joined}");
    }
    insta::assert_snapshot!("sizes_help", all);
}

/// Each theme's look of the same list: the styles are in the snapshot, so a theme change
/// (or a slot that loses its colour) shows up in review.
#[test]
fn themes_differ_in_the_styled_snapshot() {
    let mut styled = Vec::new();
    for name in ["dark", "light", "high-contrast"] {
        let mut s = demo();
        let text = styled_screen(&render(&mut s, &theme(name), 80, 24));
        insta::assert_snapshot!(format!("styled_services_{name}_80x24"), text.clone());
        styled.push(text);
    }
    assert_ne!(styled[0], styled[1]);
    assert_ne!(styled[1], styled[2]);
}
