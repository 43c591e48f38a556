//! How often each target is read: the pods of the set's `every_round` part every round; the
//! `background` part (canaries off screen that no guard watches) every [`BACKGROUND_EVERY`]th
//! round, staggered by service so that each round reads about as many. Between two reads a
//! background service's last figures are sent again as they were, with the time they were
//! read (so the age shown stays true), and its pods' windows are kept for the next read.

use super::scrape;
use crate::domain::figures::RevisionFigures;
use crate::domain::key::ObjectKey;
use crate::domain::latency::targets::Target;
use crate::domain::latency::{Measurements, TargetSet, Tracker};
use std::collections::{HashMap, HashSet};
use std::hash::{Hash, Hasher};
use std::time::Duration;

/// A background service is read once in this many rounds.
pub const BACKGROUND_EVERY: u64 = 4;

/// The last figures of one background service, as read.
#[derive(Debug, Clone)]
struct Carried {
    service: RevisionFigures,
    revisions: Vec<(String, RevisionFigures)>,
}

/// What one round reads, and what it leaves resting.
#[derive(Debug, Default)]
pub struct Plan {
    pub read: Vec<Target>,
    /// Pods of background services not read this round (their windows are kept).
    pub resting_pods: HashSet<ObjectKey>,
    /// Background services not read this round (their last figures are sent again).
    pub resting_services: HashSet<ObjectKey>,
}

/// The round counter and the last figures of the background services.
#[derive(Debug, Default)]
pub struct Cadence {
    round: u64,
    last: HashMap<ObjectKey, Carried>,
}

impl Cadence {
    /// Reads the targets due this round and fills in the resting services' last figures.
    pub async fn round(
        &mut self,
        client: &kube::Client,
        set: &TargetSet,
        timeout: Duration,
        tracker: &mut Tracker,
    ) -> Measurements {
        let plan = self.plan(set);
        let mut m =
            scrape::round_keeping(client, &plan.read, &plan.resting_pods, timeout, tracker).await;
        self.carry(set, &plan, &mut m);
        m
    }

    /// The targets due this round: every `every_round` target; a background service's
    /// targets when it is its turn, or when it has no figures yet.
    pub fn plan(&self, set: &TargetSet) -> Plan {
        let mut plan = Plan {
            read: set.every_round.clone(),
            ..Plan::default()
        };
        for t in set.background_only() {
            let due = !self.last.contains_key(&t.service)
                || (turn(&t.service) + self.round).is_multiple_of(BACKGROUND_EVERY);
            if due {
                plan.read.push(t.clone());
            } else {
                plan.resting_pods.insert(t.pod.clone());
                plan.resting_services.insert(t.service.clone());
            }
        }
        plan
    }

    /// Remembers the figures of the background services read in `m`, sends the resting
    /// ones' last figures again, forgets services no longer in the background, and counts
    /// the round.
    pub fn carry(&mut self, set: &TargetSet, plan: &Plan, m: &mut Measurements) {
        let background: HashSet<&ObjectKey> = set.background_only().map(|t| &t.service).collect();
        self.last.retain(|k, _| background.contains(k));
        for (key, figures) in &m.services {
            if background.contains(key) && !plan.resting_services.contains(key) {
                let revisions = m
                    .revisions
                    .iter()
                    .filter(|(k, _, _)| k == key)
                    .map(|(_, r, f)| (r.clone(), f.clone()))
                    .collect();
                self.last.insert(
                    key.clone(),
                    Carried {
                        service: figures.clone(),
                        revisions,
                    },
                );
            }
        }
        for key in &plan.resting_services {
            if let Some(c) = self.last.get(key) {
                m.services.push((key.clone(), c.service.clone()));
                m.revisions.extend(
                    c.revisions
                        .iter()
                        .map(|(r, f)| (key.clone(), r.clone(), f.clone())),
                );
            }
        }
        self.round += 1;
    }
}

/// A service's place in the stagger (stable for the life of the process).
fn turn(service: &ObjectKey) -> u64 {
    let mut h = std::collections::hash_map::DefaultHasher::new();
    service.hash(&mut h);
    h.finish() % BACKGROUND_EVERY
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::latency::Endpoint;
    use chrono::TimeZone;

    fn target(service: &str, pod: &str) -> Target {
        Target {
            pod: ObjectKey::new("ns", pod),
            uid: format!("uid-{pod}"),
            service: ObjectKey::new("ns", service),
            revision: Some(format!("{service}-00001")),
            endpoint: Endpoint::QueueProxy,
            port: 9091,
            path: "/metrics".to_string(),
            started: None,
        }
    }

    fn figures(at: chrono::DateTime<chrono::Utc>) -> RevisionFigures {
        RevisionFigures {
            p50_ms: Some(12.0),
            rps: Some(3.0),
            at: Some(at),
            ..RevisionFigures::default()
        }
    }

    /// What the scrape would say for the services it read at `at`.
    fn measured(plan: &Plan, at: chrono::DateTime<chrono::Utc>) -> Measurements {
        let services: HashSet<&ObjectKey> = plan.read.iter().map(|t| &t.service).collect();
        Measurements {
            at,
            services: services
                .iter()
                .map(|k| ((*k).clone(), figures(at)))
                .collect(),
            revisions: plan
                .read
                .iter()
                .map(|t| {
                    (
                        t.service.clone(),
                        t.revision.clone().unwrap_or_default(),
                        figures(at),
                    )
                })
                .collect(),
            ..Measurements::default()
        }
    }

    #[test]
    fn background_services_are_read_once_in_four_rounds_and_carried_with_their_read_time() {
        let set = TargetSet {
            every_round: vec![target("shown", "shown-a")],
            background: vec![target("canary", "canary-a"), target("canary", "canary-b")].into(),
        };
        let canary = ObjectKey::new("ns", "canary");
        let mut cadence = Cadence::default();
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let mut reads = 0;
        let mut last_read = None;
        for round in 0..9 {
            let at = t0 + chrono::Duration::seconds(5 * round);
            let plan = cadence.plan(&set);
            assert!(
                plan.read.iter().any(|t| t.service.name == "shown"),
                "round {round}: the row on screen is read every round"
            );
            let canary_pods = plan.read.iter().filter(|t| t.service == canary).count();
            assert!(
                canary_pods == 0 || canary_pods == 2,
                "a service is read whole"
            );
            let mut m = measured(&plan, at);
            cadence.carry(&set, &plan, &mut m);
            let sent = m.services.iter().find(|(k, _)| *k == canary);
            let (_, f) = sent.expect("the canary's figures are in every round");
            if canary_pods > 0 {
                reads += 1;
                last_read = Some(at);
                assert!(plan.resting_pods.is_empty());
            } else {
                assert_eq!(plan.resting_pods.len(), 2, "its pods' windows are kept");
                assert!(
                    m.revisions.iter().any(|(k, _, _)| *k == canary),
                    "its revisions are carried too"
                );
            }
            assert_eq!(
                f.at, last_read,
                "round {round}: carried with the time it was read"
            );
        }
        // The first round reads it (no figures yet), then once in every four.
        assert_eq!(reads, 3, "9 rounds: the first, then two turns of four");
    }

    #[test]
    fn a_service_that_leaves_the_background_is_forgotten_and_read_at_once_when_it_returns() {
        let background = TargetSet {
            every_round: Vec::new(),
            background: vec![target("canary", "canary-a")].into(),
        };
        let mut cadence = Cadence::default();
        let at = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        let plan = cadence.plan(&background);
        let mut m = measured(&plan, at);
        cadence.carry(&background, &plan, &mut m);
        let plan = cadence.plan(&TargetSet::default());
        let mut m = measured(&plan, at);
        cadence.carry(&TargetSet::default(), &plan, &mut m);
        assert!(
            m.services.is_empty(),
            "nothing carried for a service gone: {m:?}"
        );
        assert_eq!(
            cadence.plan(&background).read.len(),
            1,
            "read again at once"
        );
    }

    /// The background lists every canary no guard watches, on screen or not (so a key that
    /// scrolls does not rebuild it); one on screen is read every round, once, never rested.
    #[test]
    fn a_canary_on_screen_is_read_every_round_once_and_not_carried() {
        let canary = ObjectKey::new("ns", "canary");
        let set = TargetSet {
            every_round: vec![target("canary", "canary-a")],
            background: vec![target("canary", "canary-a"), target("other", "other-a")].into(),
        };
        assert_eq!(set.all().count(), 2, "each pod once: {set:?}");
        let mut cadence = Cadence::default();
        let t0 = chrono::Utc.with_ymd_and_hms(2026, 12, 4, 12, 0, 0).unwrap();
        for round in 0..6 {
            let plan = cadence.plan(&set);
            let canary_pods = plan.read.iter().filter(|t| t.service == canary).count();
            assert_eq!(canary_pods, 1, "round {round}: read every round, once");
            assert!(!plan.resting_services.contains(&canary), "round {round}");
            let mut m = measured(&plan, t0 + chrono::Duration::seconds(5 * round));
            cadence.carry(&set, &plan, &mut m);
            assert_eq!(
                m.services.iter().filter(|(k, _)| *k == canary).count(),
                1,
                "round {round}: its figures once, as read"
            );
        }
        assert!(
            !cadence.last.contains_key(&canary),
            "nothing kept to carry for a service read every round"
        );
    }
}
