//! Effects: what `update` asks the outside world to do. The app loop handles the terminal
//! ones (quit, suspend, clear); the effect runner spawns the I/O ones, whose results come
//! back as messages.

use crate::state::session::NamespaceScope;

/// A side effect requested by `update`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Effect {
    /// Leave the console and restore the terminal.
    Quit,
    /// Restore the terminal and stop the process (Ctrl-Z); redraw on resume.
    Suspend,
    /// Clear and fully redraw the terminal.
    ClearScreen,
    /// (Re)connect to the cluster and start the watchers for `namespace`. `context: None`
    /// is the kubeconfig's current context. A new `epoch` replaces the previous connection.
    Connect {
        epoch: u64,
        context: Option<String>,
        namespace: NamespaceScope,
    },
}
