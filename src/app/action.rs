//! Intents as data: every key binding and `:` command resolves to one `Action`.
//!
//! Action names are the snake_case strings used in keymap files (`action = "jump_not_ready"`).

use strum::{Display, EnumIter, EnumString, IntoStaticStr};

/// What the user wants to do, independent of the key that asked for it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Display, EnumIter, EnumString, IntoStaticStr)]
#[strum(serialize_all = "snake_case")]
pub enum Action {
    Quit,
    Help,
    Command,
    Back,
    Up,
    Down,
    PageUp,
    PageDown,
    Top,
    Bottom,
    Left,
    Right,
    Filter,
    Open,
    Suspend,
    Redraw,
    NextTab,
    PrevTab,
    SortNext,
    SortReverse,
    JumpNotReady,
    ToggleAllNamespaces,
    ShowYaml,
    Describe,
    ShowWarnings,
    Logs,
    Search,
    SearchNext,
    SearchPrev,
    ToggleFollow,
    ToggleWrap,
    ToggleTimestamps,
    NextContainer,
    TogglePrevious,
    NextSince,
    SaveLogs,
    Snapshot,
    Rollback,
    SetCanary,
    Promote,
    NewVersion,
    TagRouting,
    Scale,
    Undo,
    JumpCanary,
    ToggleGuard,
    Probe,
}

impl Action {
    /// The snake_case name used in keymap files.
    pub fn name(self) -> &'static str {
        self.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use strum::IntoEnumIterator;

    #[test]
    fn names_round_trip() {
        for action in Action::iter() {
            assert_eq!(action.name().parse::<Action>(), Ok(action));
        }
        assert_eq!(Action::JumpNotReady.name(), "jump_not_ready");
        assert!("jump".parse::<Action>().is_err());
    }
}
