//! Derived views once per frame: background messages only mark what they change, `settle`
//! derives the rows and the latency targets once for the whole burst, and input settles
//! first so that it acts on the rows the user sees.

use crate::app::msg::{Measurements, Msg};
use crate::app::update::{settle, unsettled, update, update_deferred};
use crate::ui::snapshot_tests::{cluster_state, key};

fn metrics() -> Msg {
    Msg::Metrics(Measurements::default())
}

#[test]
fn a_burst_of_background_messages_is_derived_once_when_settled() {
    let mut s = cluster_state();
    update(
        &mut s,
        Msg::Resize {
            width: 120,
            height: 30,
        },
    );
    assert!(!unsettled(&s));
    for _ in 0..3 {
        assert!(update_deferred(&mut s, metrics()).is_empty());
        assert!(s.derived.dirty, "a metric round waits for the frame");
    }
    assert!(
        !s.derived.targets_dirty,
        "metric rounds change no target by themselves"
    );
    settle(&mut s);
    assert!(!unsettled(&s), "settled once for the burst");
    assert!(!s.derived.services.is_empty());
}

#[test]
fn input_acts_on_settled_rows_and_marks_the_targets() {
    let mut s = cluster_state();
    update_deferred(&mut s, metrics());
    assert!(s.derived.dirty);
    update_deferred(&mut s, key('j'));
    assert!(!s.derived.dirty, "the rows were derived before the key");
    assert!(
        s.derived.targets_dirty,
        "a key may change what is on screen"
    );
    settle(&mut s);
    assert!(!unsettled(&s));
}
