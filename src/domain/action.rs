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
    /// `0`: all namespaces; `1`–`9`: the namespace favourites (k9s' digits).
    NamespaceAll,
    #[strum(serialize = "namespace_1")]
    Namespace1,
    #[strum(serialize = "namespace_2")]
    Namespace2,
    #[strum(serialize = "namespace_3")]
    Namespace3,
    #[strum(serialize = "namespace_4")]
    Namespace4,
    #[strum(serialize = "namespace_5")]
    Namespace5,
    #[strum(serialize = "namespace_6")]
    Namespace6,
    #[strum(serialize = "namespace_7")]
    Namespace7,
    #[strum(serialize = "namespace_8")]
    Namespace8,
    #[strum(serialize = "namespace_9")]
    Namespace9,
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
    NextRevisionFilter,
    NextPodFilter,
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

    /// The favourite a namespace action picks: 0 for all namespaces, 1–9 for favourites.
    pub fn namespace_favourite(self) -> Option<usize> {
        use Action::*;
        [
            NamespaceAll,
            Namespace1,
            Namespace2,
            Namespace3,
            Namespace4,
            Namespace5,
            Namespace6,
            Namespace7,
            Namespace8,
            Namespace9,
        ]
        .iter()
        .position(|a| *a == self)
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
