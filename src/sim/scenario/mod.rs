//! Scenarios: what the simulated cluster holds when it starts.

pub mod base;
pub mod demo;
pub mod llm_demo;
pub mod nodes;
pub mod scale;

use super::clock::SimClock;
use super::controller::{Controller, Ctl};
use super::store::Store;
use super::workload::Workload;
use std::str::FromStr;
use std::sync::Arc;

/// Which cluster to start.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Scenario {
    Demo,
    Scale,
    /// The scale scenario without traffic or failing models: nothing changes once it has
    /// started (what an idle console should then write is nothing at all).
    ScaleQuiet,
    /// Only namespaces, nodes, CRDs and runtimes (for tests).
    Empty,
}

impl FromStr for Scenario {
    type Err = String;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "demo" => Ok(Scenario::Demo),
            "scale" => Ok(Scenario::Scale),
            "scale-quiet" => Ok(Scenario::ScaleQuiet),
            "empty" => Ok(Scenario::Empty),
            other => Err(format!(
                "unknown scenario '{other}' (demo, scale, scale-quiet, empty)"
            )),
        }
    }
}

/// Fills the store and returns the controller, settled (a warm start).
pub fn build(
    scenario: Scenario,
    services: usize,
    store: &Store,
    workload: &Arc<Workload>,
    clock: SimClock,
) -> Controller {
    let behaviour = match scenario {
        Scenario::Demo => demo::behaviour(),
        Scenario::Scale => scale::behaviour(),
        Scenario::ScaleQuiet => scale::quiet_behaviour(),
        Scenario::Empty => super::controller::Behaviour {
            default_rps: 5.0,
            ..Default::default()
        },
    };
    let ctl = Ctl {
        store: store.clone(),
        workload: workload.clone(),
        clock,
        behaviour,
        nodes: Vec::new(),
        warm: true,
    };
    let mut c = Controller::new(ctl);
    base::crds(store);
    base::runtimes(store);
    match scenario {
        Scenario::Demo | Scenario::Empty => {
            base::namespaces(store, demo::NAMESPACES);
            demo::nodes(&mut c);
            if scenario == Scenario::Demo {
                demo::services(&mut c);
            }
        }
        Scenario::Scale | Scenario::ScaleQuiet => {
            let mut names: Vec<String> = vec!["default".to_string(), "gpu-operator".to_string()];
            names.extend(scale::namespaces(services));
            let refs: Vec<&str> = names.iter().map(String::as_str).collect();
            base::namespaces(store, &refs);
            scale::build(&mut c, services);
        }
    }
    c.ctl.warm = false;
    if scenario == Scenario::Scale {
        scale::warm_logs(&mut c, chrono::Utc::now());
    }
    c
}
