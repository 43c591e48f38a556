//! One module per screen. Each draws from `&State` only and builds only the visible rows.

pub mod empty;
pub mod warnings;
