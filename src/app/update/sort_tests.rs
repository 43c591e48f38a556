//! The services list's sort keys: `s` cycles through the columns on screen only, `S`
//! reverses; the arrow means the same in every column (↑ ascending, ↓ descending); blank
//! figures (`–`) sort last in either direction.

use crate::app::update::update;
use crate::config::keymap::Scope;
use crate::domain::key::ObjectKey;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crate::ui::snapshot_tests::{cluster_state, key, render, screen, theme};

fn demo(width: u16, height: u16) -> State {
    let mut s = cluster_state();
    s.cluster = crate::ui::demo_cluster::cluster();
    s.session.namespace = crate::domain::scope::NamespaceScope::One("ml-prod".into());
    update(&mut s, crate::app::msg::Msg::Resize { width, height });
    s.derived.dirty = true;
    s.refresh_derived();
    s
}

fn sorted_by(s: &State) -> ServiceColumn {
    ServiceColumn::ALL[s.ui.list_view(Scope::Services).sort_column]
}

/// Sets P99 figures: `Some` for the named services, none (a blank) for the rest.
fn set_p99(s: &mut State, values: &[(&str, f64)]) {
    for (name, ms) in values {
        s.figures
            .services
            .entry(ObjectKey::new("ml-prod", name))
            .or_default()
            .p99_ms = Some(*ms);
    }
}

fn press_until(s: &mut State, column: ServiceColumn) {
    for _ in 0..ServiceColumn::ALL.len() {
        if sorted_by(s) == column {
            return;
        }
        update(s, key('s'));
        s.refresh_derived();
    }
    panic!("s never reached {column:?}");
}

#[test]
fn s_cycles_only_through_the_columns_on_screen() {
    let mut s = demo(80, 24);
    let shown = crate::ui::views::services::visible_columns(&s);
    assert!(shown.len() < ServiceColumn::ALL.len() - 1, "{shown:?}");
    let mut seen = Vec::new();
    for _ in 0..ServiceColumn::ALL.len() {
        update(&mut s, key('s'));
        seen.push(sorted_by(&s));
    }
    for column in &seen {
        assert!(
            shown.contains(column),
            "{column:?} is not on screen: {shown:?}"
        );
    }
    // And every column on screen is reachable.
    for column in &shown {
        assert!(seen.contains(column), "{column:?} never sorted: {seen:?}");
    }
}

#[test]
fn arrows_mean_the_same_everywhere_and_blanks_sort_last() {
    let mut s = demo(200, 50);
    set_p99(
        &mut s,
        &[
            ("fraud-detector", 900.0),
            ("sklearn-iris", 40.0),
            ("xgb-churn", 120.0),
        ],
    );
    press_until(&mut s, ServiceColumn::P99);
    s.derived.dirty = true;
    s.refresh_derived();
    let names =
        |s: &State| -> Vec<String> { s.derived.services.iter().map(|k| k.name.clone()).collect() };
    let order = names(&s);
    assert_eq!(
        order[..3],
        ["fraud-detector", "xgb-churn", "sklearn-iris"],
        "{order:?}"
    );
    let text = screen(&render(&mut s, &theme("dark"), 200, 50));
    assert!(text.contains("P99↓"), "descending shows ↓:\n{text}");
    let notice =
        s.ui.notice
            .as_ref()
            .map(|n| n.text.clone())
            .unwrap_or_default();
    assert!(
        notice.contains("P99 ↓ (descending; blanks last)"),
        "{notice}"
    );
    // Reversed: ascending, ↑, and the blanks still last.
    update(&mut s, key('S'));
    s.refresh_derived();
    let order = names(&s);
    assert_eq!(
        order[..3],
        ["sklearn-iris", "xgb-churn", "fraud-detector"],
        "{order:?}"
    );
    let text = screen(&render(&mut s, &theme("dark"), 200, 50));
    assert!(text.contains("P99↑"), "ascending shows ↑:\n{text}");
    // Names ascend under ↑ too.
    press_until(&mut s, ServiceColumn::Name);
    s.refresh_derived();
    let order = names(&s);
    let mut sorted = order.clone();
    sorted.sort();
    assert_eq!(order, sorted);
    let text = screen(&render(&mut s, &theme("dark"), 200, 50));
    assert!(text.contains("NAME↑"), "{text}");
}

#[test]
fn the_columns_s_cycles_through_are_the_columns_drawn() {
    // The sort key sizes the READY and TRAFFIC columns from the cells' words in state; the
    // view draws the cells themselves: both must choose the same columns at every width.
    for (width, height) in [(80, 24), (100, 30), (120, 40), (140, 40), (200, 50)] {
        for namespace in [
            crate::domain::scope::NamespaceScope::All,
            crate::domain::scope::NamespaceScope::One("ml-prod".into()),
        ] {
            let mut s = demo(width, height);
            s.session.namespace = namespace;
            s.derived.dirty = true;
            s.refresh_derived();
            let terminal = render(&mut s, &theme("dark"), width, height);
            let text = screen(&terminal);
            let header = text
                .lines()
                .find(|l| l.contains("NAME") && l.contains("READY"))
                .unwrap_or_else(|| panic!("no header at {width}x{height}:\n{text}"));
            let drawn: Vec<String> = header
                .trim_matches(|c: char| c.is_whitespace() || c == '│')
                .split_whitespace()
                .map(|t| t.trim_end_matches(['↑', '↓', '│']).to_string())
                .collect();
            let shown = crate::state::service_columns::visible_columns(&s);
            let all = crate::state::service_columns::columns(&s, &[]);
            let titles: Vec<String> = shown
                .iter()
                .filter_map(|c| all.iter().find(|(k, _)| k == c))
                .map(|(_, col)| col.title.clone())
                .collect();
            assert_eq!(drawn, titles, "at {width}x{height}:\n{text}");
        }
    }
}
