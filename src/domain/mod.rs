//! Pure types and parsing: no I/O, no terminal. Everything here is unit-tested with fixtures.

pub mod cost;
pub mod dcgm;
pub mod gpu;
pub mod prom;
