//! The effect runner: turns the I/O effects `update` returns into spawned work whose results
//! come back through the inbox. It owns the connections (cluster, scrapers, probes); the app
//! loop handles the terminal effects itself.

use super::effect::Effect;
use super::inbox::Outbox;
use super::msg::Msg;
use crate::state::ui::NoticeLevel;

/// Runs effects against the outside world.
pub struct EffectRunner {
    tx: Outbox,
}

impl EffectRunner {
    pub fn new(tx: Outbox) -> Self {
        EffectRunner { tx }
    }

    /// Starts one effect. Never blocks the loop: work is spawned, results are messages.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Quit | Effect::Suspend | Effect::ClearScreen => {}
            Effect::SwitchContext(_) | Effect::SwitchNamespace(_) => {
                self.notice(
                    NoticeLevel::Error,
                    "no cluster connected: start kdeck with a kubeconfig (or --demo)",
                );
            }
        }
    }

    fn notice(&self, level: NoticeLevel, text: &str) {
        let _ = self.tx.try_send(Msg::Notice(level, text.to_string()));
    }

    /// Stops everything the runner started.
    pub fn shutdown(&mut self) {}
}
