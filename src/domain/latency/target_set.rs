//! The pods the latency source reads, in two cadences: those the user looks at (the rows on
//! screen, an open detail) and the canaries the guard watches, read every round; the other
//! canaries, read every few rounds (`sources::latency::cadence`).

use super::targets::Target;

/// The targets of one screen, each sorted by pod.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TargetSet {
    /// Read every round.
    pub every_round: Vec<Target>,
    /// Read every few rounds (canaries off screen that no guard watches).
    pub background: Vec<Target>,
}

impl TargetSet {
    pub fn is_empty(&self) -> bool {
        self.every_round.is_empty() && self.background.is_empty()
    }

    /// Every target, every-round ones first.
    pub fn all(&self) -> impl Iterator<Item = &Target> {
        self.every_round.iter().chain(&self.background)
    }
}

/// All read every round.
impl From<Vec<Target>> for TargetSet {
    fn from(every_round: Vec<Target>) -> TargetSet {
        TargetSet {
            every_round,
            background: Vec::new(),
        }
    }
}
