//! kdeck: a terminal operations console for model serving on Kubernetes with KServe.

pub mod commands;
pub mod domain;
pub mod sources;
