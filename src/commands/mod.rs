//! Headless subcommands for scripts and runbooks. Each returns the process exit code.

pub mod gpu;
