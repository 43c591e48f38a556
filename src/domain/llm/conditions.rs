//! KServe's condition contract for LLMInferenceService as a tree: Ready = WorkloadsReady ∧
//! RouterReady, each with the sub-conditions that are present; PresetsCombined, GroupReady
//! and GroupDegraded stand apart (they are not part of Ready).

use crate::domain::k8s::{CondStatus, Condition, find};

/// Sub-conditions of WorkloadsReady, in the order KServe documents them.
pub const WORKLOAD_CONDITIONS: &[&str] = &[
    "MainWorkloadReady",
    "WorkerWorkloadReady",
    "PrefillWorkloadReady",
    "PrefillWorkerWorkloadReady",
    "ScalingReady",
    "PrefillScalingReady",
];

/// Sub-conditions of RouterReady.
pub const ROUTER_CONDITIONS: &[&str] = &[
    "GatewaysReady",
    "HTTPRoutesReady",
    "InferencePoolReady",
    "SchedulerWorkloadReady",
];

/// Conditions shown on their own, outside the Ready rollup.
pub const INDEPENDENT_CONDITIONS: &[&str] = &["PresetsCombined", "GroupReady", "GroupDegraded"];

/// One node of the tree: the condition (absent when the controller has not written it) and
/// its children.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CondNode {
    pub kind: &'static str,
    pub condition: Option<Condition>,
    pub children: Vec<CondNode>,
}

impl CondNode {
    fn of(kind: &'static str, all: &[Condition], children: Vec<CondNode>) -> CondNode {
        CondNode {
            kind,
            condition: find(all, kind).cloned(),
            children,
        }
    }

    pub fn status(&self) -> CondStatus {
        self.condition
            .as_ref()
            .map(|c| c.status)
            .unwrap_or(CondStatus::Unknown)
    }

    /// Whether this node is healthy. GroupDegraded is the one condition whose True is bad.
    pub fn healthy(&self) -> bool {
        match self.kind {
            "GroupDegraded" => self.status() != CondStatus::True,
            _ => self.status() == CondStatus::True,
        }
    }

    /// The deepest unhealthy nodes under (and including) this one: the leaves to act on.
    pub fn failing_leaves(&self) -> Vec<&CondNode> {
        if self.healthy() {
            return Vec::new();
        }
        let below: Vec<&CondNode> = self
            .children
            .iter()
            .flat_map(CondNode::failing_leaves)
            .collect();
        if below.is_empty() { vec![self] } else { below }
    }
}

/// The Ready tree and the independent conditions.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConditionTree {
    pub ready: CondNode,
    /// PresetsCombined, GroupReady, GroupDegraded: each only when present.
    pub independent: Vec<CondNode>,
}

fn present(kinds: &[&'static str], all: &[Condition]) -> Vec<CondNode> {
    kinds
        .iter()
        .filter(|k| find(all, k).is_some())
        .map(|k| CondNode::of(k, all, Vec::new()))
        .collect()
}

/// Builds the tree from a status's conditions.
pub fn tree(all: &[Condition]) -> ConditionTree {
    let workloads = CondNode::of("WorkloadsReady", all, present(WORKLOAD_CONDITIONS, all));
    let router = CondNode::of("RouterReady", all, present(ROUTER_CONDITIONS, all));
    ConditionTree {
        ready: CondNode::of("Ready", all, vec![workloads, router]),
        independent: present(INDEPENDENT_CONDITIONS, all),
    }
}
