//! The app: one task owns `State`; every source sends owned messages into one bounded inbox;
//! `update` is pure and returns effects; the effect runner does the I/O; views only read.

pub mod effect;
pub mod inbox;
mod latency_sink;
pub mod msg;
pub mod run;
pub mod runner;
pub mod update;
