//! Everything that talks to the Kubernetes API: connecting, watching, and the one-off reads
//! and writes effects ask for.

pub mod actions;
pub mod backoff;
pub mod cluster;
pub mod connect;
pub mod deadline;
pub mod errors;
pub mod events;
pub mod health;
pub mod listing;
pub mod llm_write;
pub mod logs;
mod page;
pub mod watch;
pub mod write;
