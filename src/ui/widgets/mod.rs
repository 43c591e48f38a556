//! Pieces of the screen shared by every view.

pub mod change_dialog;
pub mod completion;
pub mod group_rollout;
pub mod header;
pub mod help;
pub mod rollout;
pub mod spark;
pub mod status_bar;
