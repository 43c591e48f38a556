//! Screen tests of the `:cost` view on the demo cluster: every service priced (the demo's
//! CPU nodes are m5.2xlarge) and the idle p4d.24xlarge listed with its $/h.

use super::snapshot_tests::{cluster_state, key, render, screen, theme};
use crate::app::msg::Msg;
use crate::app::update::update;
use crate::domain::cost::CostEstimate;
use crate::state::State;
use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

fn demo_cost_state() -> State {
    let mut s = cluster_state();
    s.cluster = super::demo_cluster::cluster();
    s.session.context = Some("kdeck-sim".to_string());
    crate::app::update::gpu::refresh_costs(&mut s);
    s.derived.dirty = true;
    s.refresh_derived();
    for c in ":cost".chars() {
        update(&mut s, key(c));
    }
    update(
        &mut s,
        Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
    );
    s
}

#[test]
fn every_demo_service_is_priced_and_the_idle_a100_node_is_listed() {
    let s = demo_cost_state();
    let unpriced: Vec<_> = s
        .costs
        .iter()
        .filter(|(k, _)| s.cluster.isvcs.items.contains_key(k))
        .filter(|(_, c)| !matches!(c, CostEstimate::Known { .. }))
        .collect();
    assert!(!s.costs.is_empty());
    assert!(unpriced.is_empty(), "{unpriced:?}");
    // The LLM services run on p5.48xlarge, which ships without a price: each is priced in
    // part, and says how to set the price.
    let llm: Vec<_> = s
        .costs
        .iter()
        .filter(|(k, _)| s.cluster.llm_isvcs.items.contains_key(k))
        .collect();
    assert!(!llm.is_empty());
    for (key, cost) in llm {
        assert!(
            matches!(cost, CostEstimate::Partial { reasons, .. } if reasons.iter().any(|r| r.contains("p5.48xlarge") && r.contains("[prices]"))),
            "{key:?}: {cost:?}"
        );
    }
    let p4d = s
        .idle_gpus
        .iter()
        .find(|i| i.instance.as_deref() == Some("p4d.24xlarge"))
        .expect("the idle p4d.24xlarge");
    assert_eq!((p4d.idle, p4d.total), (8.0, 8.0));
    assert_eq!(p4d.usd_per_hour, Some(32.7726));
}

#[test]
fn cost_view_snapshots_show_idle_gpus_with_their_price() {
    for (w, h) in [(80, 24), (140, 40)] {
        let mut s = demo_cost_state();
        let text = screen(&render(&mut s, &theme("dark"), w, h));
        assert!(text.contains("IDLE GPUS"), "{text}");
        assert!(text.contains("$32.77/h 8/8 A100 idle on"), "{text}");
        assert!(text.contains("idle GPUs ≈ $"), "{text}");
        insta::assert_snapshot!(format!("demo_cost_{w}x{h}"), text);
    }
}
