//! A scripted GPU backend for tests and the demo: each sample plays the next round of a
//! script (the last round repeats), so device failures, MIG and unsupported fields can be
//! staged exactly.

use super::backend::{GpuBackend, GpuReadError};
use crate::domain::gpu::GpuDevice;

/// One sample's worth of scripted answers.
#[derive(Debug, Clone, Default)]
pub struct FakeRound {
    /// `Err` if the device list itself fails this round.
    pub count_error: Option<GpuReadError>,
    /// Per device: the reading, or the error that makes it unreadable.
    pub devices: Vec<Result<GpuDevice, GpuReadError>>,
}

impl FakeRound {
    /// A round in which every device reads fine.
    pub fn ok(devices: Vec<GpuDevice>) -> FakeRound {
        FakeRound {
            count_error: None,
            devices: devices.into_iter().map(Ok).collect(),
        }
    }
}

/// Plays `rounds` in order; every call to `device_count` starts the next round.
#[derive(Debug, Clone)]
pub struct FakeBackend {
    driver: Option<String>,
    rounds: Vec<FakeRound>,
    next: usize,
    current: usize,
}

impl FakeBackend {
    pub fn new(driver: Option<String>, rounds: Vec<FakeRound>) -> FakeBackend {
        FakeBackend {
            driver,
            rounds,
            next: 0,
            current: 0,
        }
    }

    fn round(&self) -> Option<&FakeRound> {
        self.rounds.get(self.current)
    }
}

impl GpuBackend for FakeBackend {
    fn driver_version(&mut self) -> Option<String> {
        self.driver.clone()
    }

    fn device_count(&mut self) -> Result<u32, GpuReadError> {
        self.current = self.next.min(self.rounds.len().saturating_sub(1));
        self.next += 1;
        match self.round() {
            None => Ok(0),
            Some(round) => match &round.count_error {
                Some(err) => Err(err.clone()),
                None => Ok(u32::try_from(round.devices.len()).unwrap_or(u32::MAX)),
            },
        }
    }

    fn read_device(&mut self, index: u32) -> Result<GpuDevice, GpuReadError> {
        let slot = self
            .round()
            .and_then(|r| r.devices.get(index as usize))
            .cloned();
        match slot {
            Some(Ok(mut device)) => {
                device.index = index;
                Ok(device)
            }
            Some(Err(err)) => Err(err),
            None => Err(GpuReadError::NotScripted { index }),
        }
    }
}
