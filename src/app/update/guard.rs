//! The guard key: switches the canary guard (`domain::guard`, run after each round of
//! measurements in `metrics`) on or off for one service, and says what it will do — alarm,
//! roll back automatically, or, in read-only mode, only alarm.

use crate::domain::isvc::Isvc;
use crate::domain::key::ObjectKey;
use crate::domain::notice::NoticeLevel;
use crate::state::State;

/// Switches the guard on or off for one service's canary. It only watches, so read-only
/// mode allows it; the notice says whether it can act (roll back) or only alarm.
pub fn toggle(state: &mut State, key: ObjectKey) {
    let guard = state.config.guard;
    if state.config.guard_all {
        state.notify(
            NoticeLevel::Info,
            "the guard watches every canary (guard.all_canaries in config.toml); nothing to toggle"
                .to_string(),
        );
        return;
    }
    if state.guarded.remove(&key) {
        state.guards.remove(&key);
        state.notify(NoticeLevel::Info, format!("guard off for {}", key.name));
        state.dirty = true;
        return;
    }
    let acts = if state.session.readonly {
        "read-only mode: it will only alarm, it cannot roll back (that is a change)"
    } else if guard.auto_rollback {
        "then it rolls back automatically"
    } else {
        "then it alarms and R rolls back"
    };
    let canary = state
        .cluster
        .isvcs
        .items
        .get(&key)
        .is_some_and(Isvc::canary_in_progress);
    let when = if canary {
        String::new()
    } else {
        " (no canary in progress now: it starts with the next one)".to_string()
    };
    state.notify(
        NoticeLevel::Info,
        format!(
            "guard on for {}{when}: p99 > {:.0} ms or errors > {:.1}% for {} intervals; {acts}",
            key.name,
            guard.p99_ms,
            guard.error_ratio * 100.0,
            guard.intervals
        ),
    );
    state.guarded.insert(key);
    state.derived.dirty = true;
    state.dirty = true;
}
