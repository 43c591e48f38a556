//! Idle GPU capacity: GPUs on nodes that no running pod requests, with what they cost per
//! hour (the node's list price × idle GPUs / GPUs on the node). A whole idle GPU node is the
//! most expensive thing a cluster can forget about, so the cost view lists these apart.

use super::service::{NodeFacts, PodUsage};
use super::table::PriceTable;
use std::collections::HashMap;

/// One node with GPUs nobody requests.
#[derive(Debug, Clone, PartialEq)]
pub struct IdleGpus {
    pub node: String,
    pub instance: Option<String>,
    /// The GPU model from the price table (`A100`), when known.
    pub gpu_model: Option<String>,
    pub idle: f64,
    pub total: f64,
    /// `None` when the instance type or its price is unknown.
    pub usd_per_hour: Option<f64>,
}

/// The GPUs of each node that the given (scheduled, live) pods do not request, most
/// expensive first. Nodes with no GPUs, or with every GPU requested, are left out.
pub fn idle_gpus(
    nodes: &HashMap<String, NodeFacts>,
    pods: &[PodUsage],
    table: &PriceTable,
) -> Vec<IdleGpus> {
    let mut requested: HashMap<&str, f64> = HashMap::new();
    for pod in pods {
        if let Some(node) = &pod.node {
            *requested.entry(node.as_str()).or_default() += pod.gpus_requested;
        }
    }
    let mut idle: Vec<IdleGpus> = nodes
        .values()
        .filter_map(|node| {
            let spec = node.instance_type.as_deref().and_then(|i| table.get(i));
            let total = node
                .gpus
                .filter(|g| *g > 0.0)
                .or_else(|| spec.and_then(|s| s.gpus).map(f64::from))
                .filter(|g| *g > 0.0)?;
            let used = requested.get(node.name.as_str()).copied().unwrap_or(0.0);
            let free = (total - used).max(0.0);
            (free > 0.0).then(|| IdleGpus {
                node: node.name.clone(),
                instance: node.instance_type.clone(),
                gpu_model: spec.and_then(|s| s.gpu_model.clone()),
                idle: free,
                total,
                usd_per_hour: spec
                    .and_then(|s| s.usd_per_hour)
                    .map(|price| price * free / total),
            })
        })
        .collect();
    idle.sort_by(|a, b| {
        b.usd_per_hour
            .unwrap_or(-1.0)
            .total_cmp(&a.usd_per_hour.unwrap_or(-1.0))
            .then_with(|| a.node.cmp(&b.node))
    });
    idle
}

#[cfg(test)]
mod tests {
    use super::*;

    fn node(name: &str, instance: &str, gpus: Option<f64>) -> (String, NodeFacts) {
        (
            name.to_string(),
            NodeFacts {
                name: name.to_string(),
                instance_type: Some(instance.to_string()),
                gpus,
                cpu_millis: Some(8000),
            },
        )
    }

    fn pod(node: &str, gpus: f64) -> PodUsage {
        PodUsage {
            name: format!("pod-on-{node}"),
            node: Some(node.to_string()),
            gpus_requested: gpus,
            cpu_request_millis: Some(500),
        }
    }

    #[test]
    fn an_unrequested_gpu_node_costs_its_full_price_and_partly_used_ones_their_share() {
        let (table, _) = PriceTable::shipped();
        let nodes: HashMap<String, NodeFacts> = [
            node("p4d-a", "p4d.24xlarge", Some(8.0)),
            node("g5-a", "g5.12xlarge", Some(4.0)),
            node("g5-b", "g5.xlarge", None),
            node("cpu-a", "m5.2xlarge", None),
        ]
        .into_iter()
        .collect();
        // g5-a: 3 of 4 GPUs requested; g5-b: its single GPU (count from the table) requested;
        // a CPU pod on cpu-a changes nothing.
        let pods = [
            pod("g5-a", 2.0),
            pod("g5-a", 1.0),
            pod("g5-b", 1.0),
            pod("cpu-a", 0.0),
        ];
        let idle = idle_gpus(&nodes, &pods, &table);
        assert_eq!(idle.len(), 2, "{idle:?}");
        assert_eq!(idle[0].node, "p4d-a");
        assert_eq!((idle[0].idle, idle[0].total), (8.0, 8.0));
        assert_eq!(idle[0].gpu_model.as_deref(), Some("A100"));
        assert_eq!(idle[0].usd_per_hour, Some(32.7726));
        assert_eq!(idle[1].node, "g5-a");
        assert_eq!((idle[1].idle, idle[1].total), (1.0, 4.0));
        let quarter = idle[1].usd_per_hour.expect("g5.12xlarge is priced");
        assert!((quarter - 5.672 / 4.0).abs() < 1e-9, "{quarter}");
    }

    #[test]
    fn unknown_prices_stay_unknown_and_unscheduled_pods_free_nothing() {
        let (table, _) = PriceTable::shipped();
        let nodes: HashMap<String, NodeFacts> =
            [node("x", "x9.huge", Some(2.0))].into_iter().collect();
        let unscheduled = PodUsage {
            node: None,
            ..pod("x", 2.0)
        };
        let idle = idle_gpus(&nodes, &[unscheduled], &table);
        assert_eq!(idle.len(), 1);
        assert_eq!((idle[0].idle, idle[0].usd_per_hour), (2.0, None));
        // Over-requested (a stale view) never goes negative.
        let idle = idle_gpus(&nodes, &[pod("x", 3.0)], &table);
        assert!(idle.is_empty(), "{idle:?}");
    }
}
