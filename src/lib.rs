//! kdeck: a terminal operations console for model serving on Kubernetes with KServe.
//!
//! Architecture (see DESIGN.md §3): one task owns [`state::State`]; terminal input, the tick,
//! kube watchers, log streams, scrapers, probes and the GPU sampler send owned messages
//! ([`app::msg::Msg`]) into one bounded inbox; [`app::update::update`] is pure and returns
//! [`app::effect::Effect`]s that the effect runner turns into I/O; [`ui::draw`] only reads
//! the state and runs only when something changed.
//!
//! - `app`: the loop, messages, effects, pure update, the effect runner
//! - `state`: the state and its parts
//! - `ui`: views, widgets, themes
//! - `config`: config file, keymap, themes (problems become warnings)
//! - `sources`: all I/O
//! - `domain`: pure types and parsing
//! - `tui`: terminal enter/leave/restore
//! - `allocator`: glibc's arena cap and memory trim
//! - `sim`: the simulated KServe cluster (`--demo`, `kdeck sim`, tests)

pub mod allocator;
pub mod app;
pub mod bench;
pub mod cli;
pub mod commands;
pub mod config;
pub mod console;
pub mod domain;
pub mod errors;
pub mod logging;
pub mod sim;
pub mod sources;
pub mod state;
pub mod tui;
pub mod ui;
