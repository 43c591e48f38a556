//! The transformer → predictor split in the detail of the demo's `image-classifier`, at
//! 80×24 and 140×40, with every stage and with stages missing.

use super::snapshot_tests::{demo_state, render, screen, styled_screen, theme};
use crate::app::msg::{Measurements, Msg};
use crate::app::update::update;
use crate::domain::key::ObjectKey;
use crate::domain::latency::chain_window::{ChainFigures, StageFigures};
use crate::state::State;
use crate::state::ui::Route;

fn stage(p50: f64, p99: f64) -> StageFigures {
    StageFigures {
        p50_ms: Some(p50),
        p99_ms: Some(p99),
    }
}

/// The demo with image-classifier's detail open and one round holding `split`.
fn detail_with(split: Option<ChainFigures>) -> State {
    let mut s = demo_state();
    let key = ObjectKey::new("ml-prod", "image-classifier");
    let at = s.now;
    update(
        &mut s,
        Msg::Metrics(Measurements {
            at,
            chains: split.map(|f| (key.clone(), f)).into_iter().collect(),
            ..Measurements::default()
        }),
    );
    s.ui.push(Route::Detail(key));
    s
}

#[test]
fn the_detail_of_a_transformer_service_shows_its_split() {
    let split = ChainFigures {
        preprocess: stage(2.4, 9.1),
        predict: stage(26.0, 310.0),
        postprocess: stage(1.6, 6.0),
        hop_p50_ms: Some(3.2),
        ..ChainFigures::default()
    };
    for (w, h) in [(80u16, 24u16), (140, 40)] {
        let t = theme("dark");
        let mut s = detail_with(Some(split));
        let term = render(&mut s, &t, w, h);
        let text = screen(&term);
        assert!(
            text.contains("transformer chain (p50 / p99)") && text.contains("3.2ms"),
            "{text}"
        );
        assert!(text.contains("26ms / 310ms"), "{text}");
        insta::assert_snapshot!(format!("chain_detail_{w}x{h}"), styled_screen(&term));
    }
}

#[test]
fn missing_stages_and_no_figures_yet_show_dashes_and_say_why() {
    let t = theme("dark");
    let only_predict = ChainFigures {
        predict: stage(26.0, 90.0),
        stale: true,
        ..ChainFigures::default()
    };
    let mut s = detail_with(Some(only_predict));
    let text = screen(&render(&mut s, &t, 140, 40));
    assert!(text.contains("pre-process – / –"), "{text}");
    assert!(text.contains("hop to predictor p50 –"), "{text}");
    assert!(text.contains("(stale)"), "{text}");
    let mut s = detail_with(None);
    let text = screen(&render(&mut s, &t, 140, 40));
    assert!(
        text.contains("waiting for a Ready transformer pod's metrics"),
        "{text}"
    );
    // With latency from Prometheus the split is never read: it says so, not "waiting".
    let mut config = (*s.config).clone();
    config.prometheus_url = Some("http://prometheus:9090".into());
    s.config = std::sync::Arc::new(config);
    let text = screen(&render(&mut s, &t, 140, 40));
    assert!(
        text.contains("not measured: the split is read from the transformer's pods"),
        "{text}"
    );
    // A service without a transformer has no chain line; tiny terminals do not panic.
    s.ui.pop();
    s.ui.push(Route::Detail(ObjectKey::new("ml-prod", "sklearn-iris")));
    let text = screen(&render(&mut s, &t, 140, 40));
    assert!(!text.contains("transformer chain"), "{text}");
    let mut s = detail_with(Some(only_predict));
    let _ = render(&mut s, &t, 20, 5);
}
