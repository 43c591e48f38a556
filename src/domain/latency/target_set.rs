//! The pods the latency source reads, in two cadences: those the user looks at (the rows on
//! screen, an open detail) and the canaries the guard watches, read every round; the other
//! canaries, read every few rounds (`sources::latency::cadence`).

use super::targets::Target;
use crate::domain::key::ObjectKey;
use std::collections::HashSet;
use std::sync::Arc;

/// The targets of one screen, each sorted by pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetSet {
    /// Read every round.
    pub every_round: Vec<Target>,
    /// The canaries no guard watches, on screen or not: shared, since they do not change
    /// with the screen (a key that scrolls rebuilds only `every_round`). Those also read
    /// every round are read there ([`TargetSet::background_only`]).
    pub background: Arc<Vec<Target>>,
}

impl TargetSet {
    pub fn is_empty(&self) -> bool {
        self.every_round.is_empty() && self.background.is_empty()
    }

    /// The background targets of services not read every round: read every few rounds.
    pub fn background_only(&self) -> impl Iterator<Item = &Target> {
        let every_round: HashSet<&ObjectKey> =
            self.every_round.iter().map(|t| &t.service).collect();
        self.background
            .iter()
            .filter(move |t| !every_round.contains(&t.service))
    }

    /// Every target once, every-round ones first.
    pub fn all(&self) -> impl Iterator<Item = &Target> {
        self.every_round.iter().chain(self.background_only())
    }
}

/// All read every round.
impl From<Vec<Target>> for TargetSet {
    fn from(every_round: Vec<Target>) -> TargetSet {
        TargetSet {
            every_round,
            background: Arc::default(),
        }
    }
}
