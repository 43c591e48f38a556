//! The effect runner: turns the I/O effects `update` returns into spawned work whose results
//! come back through the inbox. It owns the cluster connection of the current epoch; the app
//! loop handles the terminal effects itself.

use super::effect::Effect;
use super::inbox::Outbox;
use crate::sources::kube::connect::{Connection, KubeconfigSource};
use std::sync::{Arc, Mutex};
use tokio_util::sync::CancellationToken;

/// Runs effects against the outside world.
pub struct EffectRunner {
    tx: Outbox,
    kubeconfig: KubeconfigSource,
    /// Cancels the current connection epoch (its watchers and scrapers).
    epoch_cancel: CancellationToken,
    /// The client of the current epoch, once connected.
    connection: Arc<Mutex<Option<Connection>>>,
}

impl EffectRunner {
    pub fn new(tx: Outbox, kubeconfig: KubeconfigSource) -> Self {
        EffectRunner {
            tx,
            kubeconfig,
            epoch_cancel: CancellationToken::new(),
            connection: Arc::new(Mutex::new(None)),
        }
    }

    /// Starts one effect. Never blocks the loop: work is spawned, results are messages.
    pub fn run(&mut self, effect: Effect) {
        match effect {
            Effect::Quit | Effect::Suspend | Effect::ClearScreen => {}
            Effect::Connect {
                epoch,
                context,
                namespace,
            } => {
                self.epoch_cancel.cancel();
                self.epoch_cancel = CancellationToken::new();
                self.connection = Arc::new(Mutex::new(None));
                tokio::spawn(crate::sources::kube::cluster::run(
                    self.kubeconfig.clone(),
                    context,
                    namespace,
                    epoch,
                    self.tx.clone(),
                    self.epoch_cancel.clone(),
                    self.connection.clone(),
                ));
            }
        }
    }

    /// The client of the current epoch, if connected.
    pub fn client(&self) -> Option<kube::Client> {
        self.connection
            .lock()
            .ok()?
            .as_ref()
            .map(|c| c.client.clone())
    }

    /// Stops everything the runner started.
    pub fn shutdown(&mut self) {
        self.epoch_cancel.cancel();
    }
}
