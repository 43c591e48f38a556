//! Screen and update tests of TrainedModels (multi-model serving) on the demo cluster:
//! ml-prod/sklearn-iris holds iris-v2 (loaded) and iris-xgb (an xgboost model its sklearn
//! predictor cannot load), plus fixture models added under it: one whose memory is not
//! available (its message carries an escape sequence) and one still loading.

use super::snapshot_tests::{demo_state, render, screen, styled_screen, theme};
use crate::app::msg::{ClusterMsg, Msg};
use crate::app::update::update;
use crate::domain::key::ObjectKey;
use crate::domain::kind::{Kind, parse};
use crate::domain::watch::WatchEvent;
use crate::state::State;
use crate::state::services::ServiceColumn;
use crate::state::ui::Route;

fn iris() -> ObjectKey {
    ObjectKey::new("ml-prod", "sklearn-iris")
}

/// The demo plus the fixture's failing and loading models, moved under sklearn-iris.
fn state() -> State {
    let mut s = demo_state();
    let extra = crate::domain::trained::tests::fixture()
        .into_iter()
        .filter(|v| v["metadata"]["name"] == "churn-big" || v["metadata"]["name"] == "churn-v3")
        .map(|mut v| {
            v["metadata"]["namespace"] = "ml-prod".into();
            v["spec"]["inferenceService"] = "sklearn-iris".into();
            v["metadata"]["creationTimestamp"] = "2026-11-20T11:30:00Z".into();
            WatchEvent::Upsert(parse(Kind::TrainedModel, &v))
        })
        .collect();
    let epoch = s.cluster.epoch;
    update(
        &mut s,
        Msg::Cluster(ClusterMsg::Watch {
            epoch,
            kind: Kind::TrainedModel,
            events: extra,
        }),
    );
    s.refresh_derived();
    s
}

/// The detail of sklearn-iris scrolled until its "Trained models" section (heading to the
/// last model, iris-xgb, and its reason) is on screen.
fn detail_with_section(s: &mut State, w: u16, h: u16) -> (String, String) {
    s.ui.push(Route::Detail(iris()));
    for scroll in 0..80 {
        s.ui.text_scroll = scroll;
        let term = render(s, &theme("dark"), w, h);
        let text = screen(&term);
        if text.contains("Trained models") && text.contains("FrameworkNotSupported") {
            return (text, styled_screen(&term));
        }
    }
    panic!("no Trained models section in the detail");
}

#[test]
fn the_detail_lists_each_model_with_its_load_state_and_why() {
    for (w, h) in [(80u16, 24u16), (140, 40)] {
        let mut s = state();
        let (text, styled) = detail_with_section(&mut s, w, h);
        assert!(text.contains("Trained models 1/4 loaded"), "{text}");
        for want in [
            "iris-v2",
            "Loaded",
            "iris-xgb",
            "FailedToLoad",
            "FrameworkSupported FrameworkNotSupported",
            "churn-v3",
            "Loading",
        ] {
            assert!(text.contains(want), "{want} at {w}x{h}:\n{text}");
        }
        insta::assert_snapshot!(format!("trained_detail_{w}x{h}"), styled);
    }
    // The memory failure's message in full at 200 columns, its escape sequence dropped.
    let mut s = state();
    let (text, _) = detail_with_section(&mut s, 200, 50);
    assert!(
        text.contains("MemoryResourceAvailable MemoryResourceUnavailable: Inference Service \"churn\" memory resources are not available"),
        "{text}"
    );
    assert!(!text.contains("[2J"), "{text}");
}

#[test]
fn the_list_counts_loaded_models_and_sorts_a_failed_one_first() {
    let mut s = state();
    let sym = &crate::ui::symbols::Symbols::UNICODE;
    let cell = crate::ui::views::services::cell(&s, sym, &iris(), ServiceColumn::Models);
    assert_eq!(cell.text, "1/4");
    assert_eq!(cell.slot, Some(crate::config::slot::Slot::StatusFailed));
    let other = ObjectKey::new("ml-prod", "fraud-detector");
    assert_eq!(
        crate::ui::views::services::cell(&s, sym, &other, ServiceColumn::Models).text,
        "–"
    );
    // At 80 columns MODELS is the first column to go; at 200 it is shown.
    s.ui.width = 80;
    assert!(!crate::ui::views::services::visible_columns(&s).contains(&ServiceColumn::Models));
    s.ui.width = 200;
    assert!(crate::ui::views::services::visible_columns(&s).contains(&ServiceColumn::Models));
    let view = s.ui.list(crate::config::keymap::Scope::Services);
    view.sort_column = ServiceColumn::index(ServiceColumn::Models);
    view.sort_reverse = false;
    s.derived.dirty = true;
    s.refresh_derived();
    assert_eq!(s.derived.services[0], iris());
}

#[test]
fn forbidden_trained_models_are_said_once_and_quietly() {
    let mut s = state();
    let epoch = s.cluster.epoch;
    let forbidden = || {
        Msg::Cluster(ClusterMsg::WatchError {
            epoch,
            kind: Kind::TrainedModel,
            error: "list failed: forbidden".to_string(),
            forbidden: true,
        })
    };
    s.ui.notice = None;
    update(&mut s, forbidden());
    let notice = s.ui.notice.take().expect("one notice");
    assert_eq!(notice.level, crate::domain::notice::NoticeLevel::Info);
    assert!(notice.text.contains("TrainedModels"), "{}", notice.text);
    update(&mut s, forbidden());
    assert!(s.ui.notice.is_none(), "said again: {:?}", s.ui.notice);
    // The services list and the header's stale marker are not touched.
    assert!(s.cluster.stale_since().is_none());
    assert!(!s.derived.services.is_empty());
}
