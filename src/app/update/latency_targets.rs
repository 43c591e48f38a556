//! Which pods the passive latency source reads: those of the services on screen (the visible
//! rows of the services list, or the service whose detail is open) and of every service with
//! a canary in progress (the guard and the canary's figures need them wherever the user looks):
//! those on screen and those a guard watches every round, the other canaries in the background.
//! Chosen from the pods the console already watches; an effect goes out only when the set
//! changes. So the source never lists pods, and 2,000 services cost a screenful of scrapes.

use crate::app::effect::Effect;
use crate::domain::key::ObjectKey;
use crate::domain::kind::Kind;
use crate::domain::latency::TargetSet;
use crate::domain::latency::targets::{Target, target};
use crate::domain::watch::WatchEvent;
use crate::state::ui::Route;
use crate::state::{ReadServices, State};
use std::collections::BTreeSet;
use std::sync::Arc;

/// The services whose pods are read every round: the rows on screen, the open detail, and
/// the canaries a guard watches.
fn every_round_services(state: &State) -> BTreeSet<&ObjectKey> {
    let mut wanted: BTreeSet<&ObjectKey> = state.services_on_screen().iter().collect();
    for route in &state.ui.stack {
        if let Route::Detail(key) | Route::Yaml(key) = route {
            wanted.insert(key);
        }
    }
    wanted.extend(
        state
            .derived
            .canaries
            .iter()
            .filter(|k| guard_watches(state, k)),
    );
    wanted
}

/// Whether a guard watches the canary of `key` (switched on for it, or for all canaries).
fn guard_watches(state: &State, key: &ObjectKey) -> bool {
    state.config.guard_all || state.guarded.contains(key)
}

/// The pods of `services`, sorted by pod.
fn targets_of<'a>(state: &State, services: impl Iterator<Item = &'a ObjectKey>) -> Vec<Target> {
    let mut targets: Vec<Target> = services
        .flat_map(|key| state.cluster.pods_of(key))
        .filter_map(target)
        .collect();
    targets.sort_by(|a, b| a.pod.cmp(&b.pod));
    targets
}

/// The services read every round and the canaries no guard watches (read in the
/// background unless they are read every round too: `TargetSet::background_only`).
fn services_read(state: &State) -> (BTreeSet<&ObjectKey>, Vec<&ObjectKey>) {
    let every_round = every_round_services(state);
    let background = (state.derived.canaries.iter())
        .filter(|k| !guard_watches(state, k))
        .collect();
    (every_round, background)
}

/// The targets for the current screen: what is on screen every round, the other canaries
/// in the background (read every few rounds by the source).
pub fn wanted(state: &State) -> TargetSet {
    let (every_round, background) = services_read(state);
    TargetSet {
        background: Arc::new(targets_of(state, background.into_iter())),
        every_round: targets_of(state, every_round.into_iter()),
    }
}

/// The effect that hands the source a changed set, if it changed. The background part
/// depends on the canaries and their pods, not on the screen: a key that scrolls rebuilds
/// the targets on screen and shares the background's.
pub fn refresh(state: &mut State) -> Option<Effect> {
    let (every_round, background) = services_read(state);
    let last = &state.derived.targets_read;
    let same_epoch = last.epoch == state.cluster.epoch;
    let pods_changed = state.derived.target_pods_dirty;
    let same_every_round = last.every_round.iter().eq(every_round.iter().copied());
    let same_background = last.background.iter().eq(background.iter().copied());
    if same_epoch && same_every_round && same_background && !pods_changed {
        return None;
    }
    let background_targets = if same_epoch && same_background && !pods_changed {
        Arc::clone(&state.latency_targets.background)
    } else {
        Arc::new(targets_of(state, background.iter().copied()))
    };
    let read = ReadServices {
        epoch: state.cluster.epoch,
        every_round: every_round.iter().map(|k| (*k).clone()).collect(),
        background: background.iter().map(|k| (*k).clone()).collect(),
    };
    let targets = TargetSet {
        background: background_targets,
        every_round: targets_of(state, every_round.into_iter()),
    };
    state.derived.targets_read = read;
    state.derived.target_pods_dirty = false;
    if targets == state.latency_targets {
        return None;
    }
    state.latency_targets = targets.clone();
    Some(Effect::LatencyTargets(targets))
}

/// Whether a watch batch of `kind` (read before it applies) can change the targets: only
/// pods of the services read (on screen, in an open view, with a canary) can. Rows that move
/// are caught by `settle`, which then recomputes the targets anyway.
pub fn batch_reaches(state: &State, kind: Kind, events: &[WatchEvent]) -> bool {
    if kind != Kind::Pod {
        return false;
    }
    let read = |service: &ObjectKey| {
        super::redraw::on_screen(state, service)
            || state.derived.canaries.binary_search(service).is_ok()
            || state.ui.stack.iter().any(
                |route| matches!(route, Route::Detail(key) | Route::Yaml(key) if key == service),
            )
    };
    events.iter().any(
        |event| match super::redraw::pod_event_services(state, event) {
            Some(services) => services.iter().any(read),
            None => true,
        },
    )
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::update::update;
    use crate::config::keymap::Scope;
    use crate::ui::snapshot_tests::{cluster_state, key};

    /// A watch batch that changes `pod`, as the console receives it.
    fn pod_changes(s: &mut State, pod: crate::domain::pod::Pod) -> Vec<Effect> {
        let epoch = s.cluster.epoch;
        update(
            s,
            crate::app::msg::Msg::Cluster(crate::app::msg::ClusterMsg::Watch {
                epoch,
                kind: Kind::Pod,
                events: vec![WatchEvent::Upsert(crate::domain::kind::ClusterObject::Pod(
                    Box::new(pod),
                ))],
            }),
        )
    }

    fn services(targets: &TargetSet) -> BTreeSet<String> {
        targets.all().map(|t| t.service.name.clone()).collect()
    }

    #[test]
    fn the_rows_on_screen_and_every_canary_are_read() {
        let mut s = cluster_state();
        let all = services(&wanted(&s));
        assert!(all.contains("fraud-detector"), "{all:?}");
        // A one-row screen: the first row and the canary, nothing else.
        update(
            &mut s,
            crate::app::msg::Msg::Resize {
                width: 120,
                height: 5,
            },
        );
        let rows = s.ui.list_rows();
        let shown: BTreeSet<String> = s
            .derived
            .services
            .iter()
            .take(rows)
            .map(|k| k.name.clone())
            .collect();
        let few = services(&wanted(&s));
        assert!(
            few.len() < all.len() || all.len() <= rows,
            "{few:?} vs {all:?}"
        );
        assert!(
            few.iter()
                .all(|n| shown.contains(n) || n == "fraud-detector"),
            "{few:?}"
        );
        assert!(
            few.contains("fraud-detector"),
            "the canary is always read: {few:?}"
        );
    }

    #[test]
    fn an_effect_only_when_the_set_changes() {
        let mut s = cluster_state();
        let first = update(&mut s, key('j'));
        let again = update(&mut s, key('k'));
        let count = |effects: &[Effect]| {
            effects
                .iter()
                .filter(|e| matches!(e, Effect::LatencyTargets(_)))
                .count()
        };
        assert!(
            count(&first) + count(&again) <= 1,
            "a selection move on one screen changes nothing"
        );
        assert!(!s.latency_targets.is_empty());
    }

    #[test]
    fn canaries_off_screen_go_to_the_background_unless_a_guard_watches_them() {
        let mut s = cluster_state();
        let canary = s
            .derived
            .canaries
            .iter()
            .find(|k| k.name == "fraud-detector")
            .cloned()
            .expect("the fixture has a canary");
        // Only another service on screen.
        let other = s
            .derived
            .services
            .iter()
            .find(|k| **k != canary)
            .cloned()
            .expect("another service");
        s.ui.list(Scope::Services).filter = other.name.clone();
        s.derived.dirty = true;
        s.refresh_derived();
        let set = wanted(&s);
        assert!(
            !services(&TargetSet::from(set.every_round.clone())).contains("fraud-detector"),
            "{set:?}"
        );
        assert!(
            set.background.iter().any(|t| t.service == canary),
            "the canary off screen is still read, in the background: {set:?}"
        );
        assert!(set.every_round.iter().all(|t| t.service == other));
        s.guarded.insert(canary.clone());
        let guarded = wanted(&s);
        assert!(
            guarded.every_round.iter().any(|t| t.service == canary),
            "a guarded canary is read every round: {guarded:?}"
        );
        assert!(guarded.background.iter().all(|t| t.service != canary));
    }

    #[test]
    fn a_pod_that_stops_being_ready_leaves_the_targets_though_the_services_read_stay() {
        let mut s = cluster_state();
        update(&mut s, key('j'));
        let target = s
            .latency_targets
            .every_round
            .first()
            .cloned()
            .expect("a pod on screen is read");
        let mut pod = s.cluster.pods.items[&target.pod].clone();
        pod.phase = "Pending".into();
        let read_before = s.derived.targets_read.clone();
        let effects = pod_changes(&mut s, pod);
        assert_eq!(s.derived.targets_read, read_before, "the same services");
        assert!(
            s.latency_targets.all().all(|t| t.pod != target.pod),
            "{:?}",
            s.latency_targets
        );
        assert!(
            effects
                .iter()
                .any(|e| matches!(e, Effect::LatencyTargets(_))),
            "{effects:?}"
        );
    }

    /// A key that scrolls rebuilds the targets on screen only: the background's are shared
    /// until the canaries or their pods change.
    #[test]
    fn scrolling_shares_the_background_targets_until_a_canarys_pod_changes() {
        let mut s = cluster_state();
        update(
            &mut s,
            crate::app::msg::Msg::Resize {
                width: 120,
                height: 6,
            },
        );
        let before = Arc::clone(&s.latency_targets.background);
        assert!(
            !before.is_empty(),
            "the fixture's canary is in the background"
        );
        let mut scrolled = false;
        for _ in 0..s.derived.services.len() {
            let effects = update(&mut s, key('j'));
            if effects
                .iter()
                .any(|e| matches!(e, Effect::LatencyTargets(_)))
            {
                scrolled = true;
                assert!(
                    Arc::ptr_eq(&before, &s.latency_targets.background),
                    "the background was rebuilt for a key"
                );
            }
        }
        assert!(scrolled, "the screen moved and the targets on it changed");
        // A canary's pod changes: the background is built again.
        let pod = before[0].pod.clone();
        let mut changed = s.cluster.pods.items[&pod].clone();
        changed.phase = "Pending".into();
        pod_changes(&mut s, changed);
        assert!(
            s.latency_targets.background.iter().all(|t| t.pod != pod),
            "{:?}",
            s.latency_targets.background
        );
    }
}
