//! One module per screen. Each draws from `&State` only and builds only the visible rows.

pub mod cost;
pub mod describe;
pub mod detail;
pub mod empty;
pub mod events;
pub mod gpu;
pub mod logs;
pub mod nodes;
pub mod pods;
pub mod runtimes;
pub mod services;
pub mod services_llm;
pub mod warnings;
pub mod yaml;
