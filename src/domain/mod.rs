//! Pure types and parsing: no I/O, no terminal. Everything here is unit-tested with fixtures.

pub mod api_health;
pub mod canary;
pub mod cost;
pub mod dcgm;
pub mod diagnose;
pub mod event;
pub mod gpu;
pub mod guard;
pub mod inert;
pub mod isvc;
pub mod json;
pub mod k8s;
pub mod kind;
pub mod latency;
pub mod logline;
pub mod mode;
pub mod node;
pub mod pod;
pub mod probe;
pub mod prom;
pub mod prom_query;
pub mod rollout;
pub mod runtime;
pub mod selector;
pub mod snapshot;
pub mod traffic_check;
