//! The last few minutes of each local GPU's utilisation, memory and power, for sparklines.
//!
//! Pure: the sampler's snapshots are pushed in; points older than the window (5 minutes by
//! default) before the newest snapshot are dropped, and so are devices that have not been seen
//! for a whole window.

use super::device::GpuSnapshot;
use chrono::{DateTime, Duration, Utc};
use std::collections::{BTreeMap, VecDeque};

/// The default history window.
pub const DEFAULT_WINDOW: Duration = Duration::minutes(5);

/// One device's readings at one moment.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct HistoryPoint {
    pub at: DateTime<Utc>,
    pub util_gpu_pct: Option<u32>,
    pub memory_used_bytes: Option<u64>,
    pub power_draw_w: Option<f64>,
}

/// The rings of all devices, keyed by UUID (or `index:N` without one).
#[derive(Debug, Clone)]
pub struct GpuHistory {
    window: Duration,
    devices: BTreeMap<String, VecDeque<HistoryPoint>>,
}

impl Default for GpuHistory {
    fn default() -> Self {
        GpuHistory::new(DEFAULT_WINDOW)
    }
}

impl GpuHistory {
    pub fn new(window: Duration) -> GpuHistory {
        GpuHistory {
            window,
            devices: BTreeMap::new(),
        }
    }

    /// Adds one snapshot and forgets what fell out of the window.
    pub fn push(&mut self, snapshot: &GpuSnapshot) {
        let now = snapshot.taken_at;
        for device in &snapshot.devices {
            let ring = self.devices.entry(device.key()).or_default();
            // A clock step backwards would break the order; restart that ring.
            if ring.back().is_some_and(|p| p.at > now) {
                ring.clear();
            }
            ring.push_back(HistoryPoint {
                at: now,
                util_gpu_pct: device.util_gpu_pct,
                memory_used_bytes: device.memory_used_bytes,
                power_draw_w: device.power_draw_w,
            });
        }
        let oldest = now - self.window;
        for ring in self.devices.values_mut() {
            while ring.front().is_some_and(|p| p.at < oldest) {
                ring.pop_front();
            }
        }
        self.devices.retain(|_, ring| !ring.is_empty());
    }

    /// The points of one device, oldest first.
    pub fn points(&self, key: &str) -> impl Iterator<Item = &HistoryPoint> {
        self.devices.get(key).into_iter().flatten()
    }

    /// GPU utilisation (%) for a sparkline; readings NVML did not give are left out.
    pub fn util_series(&self, key: &str) -> Vec<u64> {
        self.points(key)
            .filter_map(|p| p.util_gpu_pct.map(u64::from))
            .collect()
    }

    /// Memory in use (MiB) for a sparkline.
    pub fn memory_mib_series(&self, key: &str) -> Vec<u64> {
        self.points(key)
            .filter_map(|p| p.memory_used_bytes.map(|b| b / (1024 * 1024)))
            .collect()
    }

    /// Power draw (whole watts) for a sparkline.
    pub fn power_w_series(&self, key: &str) -> Vec<u64> {
        self.points(key)
            .filter_map(|p| p.power_draw_w.map(|w| w.max(0.0).round() as u64))
            .collect()
    }

    /// The device keys with history.
    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.devices.keys().map(String::as_str)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gpu::device::GpuDevice;
    use chrono::TimeZone;

    fn snap(secs: i64, util: u32) -> GpuSnapshot {
        let t0 = Utc
            .with_ymd_and_hms(2026, 1, 1, 0, 0, 0)
            .single()
            .expect("valid time");
        GpuSnapshot {
            taken_at: t0 + Duration::seconds(secs),
            driver_version: None,
            devices: vec![GpuDevice {
                uuid: Some("GPU-a".into()),
                util_gpu_pct: Some(util),
                memory_used_bytes: Some(3 * 1024 * 1024),
                power_draw_w: Some(70.4),
                ..GpuDevice::default()
            }],
            error: None,
        }
    }

    #[test]
    fn keeps_only_the_window() {
        let mut h = GpuHistory::new(Duration::seconds(10));
        for s in 0..=20 {
            h.push(&snap(s, s as u32));
        }
        assert_eq!(h.util_series("GPU-a"), (10..=20).collect::<Vec<u64>>());
        assert_eq!(h.memory_mib_series("GPU-a").first(), Some(&3));
        assert_eq!(h.power_w_series("GPU-a").first(), Some(&70));
    }

    #[test]
    fn devices_gone_for_a_window_are_forgotten() {
        let mut h = GpuHistory::new(Duration::seconds(10));
        h.push(&snap(0, 5));
        let mut empty = snap(30, 0);
        empty.devices.clear();
        h.push(&empty);
        assert_eq!(h.keys().count(), 0);
    }
}
