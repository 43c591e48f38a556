//! The local GPU sampler: a dedicated OS thread (NVML calls block and can be slow) that
//! samples every device on an interval and sends owned reports to a caller-given sink.
//!
//! It stops when the handle is stopped or dropped, or when the receiving side is gone. If NVML
//! cannot be opened it sends one `GpuReport::Unavailable` and ends.

use super::backend::GpuBackend;
use super::procs::ProcInspector;
use crate::domain::gpu::{GpuDevice, GpuSnapshot, NvmlUnavailable};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::thread::JoinHandle;
use std::time::Duration;

/// What the sampler sends.
#[derive(Debug, Clone, PartialEq)]
pub enum GpuReport {
    Snapshot(GpuSnapshot),
    /// NVML cannot be used on this machine; the sampler has ended.
    Unavailable(NvmlUnavailable),
}

/// Where reports go. `deliver` returns false once the receiver is gone, which ends the sampler.
pub trait ReportSink: Send + 'static {
    fn deliver(&mut self, report: GpuReport) -> bool;
}

impl ReportSink for mpsc::Sender<GpuReport> {
    fn deliver(&mut self, report: GpuReport) -> bool {
        self.send(report).is_ok()
    }
}

/// Blocks the sampler thread while the bounded channel is full (never call from async code;
/// the sampler runs on its own thread).
impl ReportSink for tokio::sync::mpsc::Sender<GpuReport> {
    fn deliver(&mut self, report: GpuReport) -> bool {
        self.blocking_send(report).is_ok()
    }
}

/// Adapts a closure, e.g. to wrap reports into the app's message type:
/// `FnSink(move |r| inbox.blocking_send(Msg::Gpu(r)).is_ok())`.
pub struct FnSink<F>(pub F);

impl<F: FnMut(GpuReport) -> bool + Send + 'static> ReportSink for FnSink<F> {
    fn deliver(&mut self, report: GpuReport) -> bool {
        (self.0)(report)
    }
}

/// How the sampler runs.
#[derive(Debug, Clone)]
pub struct SamplerConfig {
    pub interval: Duration,
    pub procs: ProcInspector,
}

impl Default for SamplerConfig {
    fn default() -> Self {
        SamplerConfig {
            interval: Duration::from_secs(1),
            procs: ProcInspector::default(),
        }
    }
}

/// The running sampler. Dropping it asks the thread to stop without waiting for it.
pub struct SamplerHandle {
    stop: Option<mpsc::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl SamplerHandle {
    /// Asks the thread to stop and waits for it (at most one NVML sample). With a bounded
    /// channel, drop or drain the receiver first: a thread blocked on a full channel only
    /// notices the request once its send returns.
    pub fn stop(mut self) {
        self.stop.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Waits for the thread to end by itself (NVML unavailable, or the receiver dropped),
    /// without asking it to stop.
    pub fn wait(mut self) {
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }

    /// Whether the thread has ended (NVML unavailable, receiver gone, or stopped).
    pub fn is_finished(&self) -> bool {
        self.thread.as_ref().is_none_or(|t| t.is_finished())
    }
}

impl Drop for SamplerHandle {
    fn drop(&mut self) {
        // Dropping the sender wakes the thread, which then ends on its own.
        self.stop.take();
    }
}

/// Starts the sampler thread. `open` runs on that thread (so NVML start-up never blocks the
/// caller) and makes the backend, or says why there is none.
pub fn spawn_sampler<B, O, S>(
    open: O,
    config: SamplerConfig,
    mut sink: S,
) -> std::io::Result<SamplerHandle>
where
    B: GpuBackend,
    O: FnOnce() -> Result<B, NvmlUnavailable> + Send + 'static,
    S: ReportSink,
{
    let (stop_tx, stop_rx) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("kdeck-gpu-sampler".into())
        .spawn(move || {
            let mut backend = match open() {
                Ok(backend) => backend,
                Err(unavailable) => {
                    sink.deliver(GpuReport::Unavailable(unavailable));
                    return;
                }
            };
            loop {
                let snapshot = take_snapshot(&mut backend, &config.procs);
                if !sink.deliver(GpuReport::Snapshot(snapshot)) {
                    return;
                }
                match stop_rx.recv_timeout(config.interval) {
                    Err(RecvTimeoutError::Timeout) => continue,
                    Ok(()) | Err(RecvTimeoutError::Disconnected) => return,
                }
            }
        })?;
    Ok(SamplerHandle {
        stop: Some(stop_tx),
        thread: Some(thread),
    })
}

/// Reads every device once. A device that cannot be read is kept with its error; the others
/// are read as usual. Process names and pods come from `procs`.
pub fn take_snapshot(backend: &mut impl GpuBackend, procs: &ProcInspector) -> GpuSnapshot {
    let taken_at = chrono::Utc::now();
    let driver_version = backend.driver_version();
    let count = match backend.device_count() {
        Ok(count) => count,
        Err(error) => {
            return GpuSnapshot {
                taken_at,
                driver_version,
                devices: Vec::new(),
                error: Some(error.to_string()),
            };
        }
    };
    let devices = (0..count)
        .map(|index| match backend.read_device(index) {
            Ok(device) => with_process_details(device, procs),
            Err(error) => GpuDevice::failed(index, error.to_string()),
        })
        .collect();
    GpuSnapshot {
        taken_at,
        driver_version,
        devices,
        error: None,
    }
}

fn with_process_details(mut device: GpuDevice, procs: &ProcInspector) -> GpuDevice {
    for process in &mut device.processes {
        if process.name.is_none() {
            process.name = procs.name(process.pid);
        }
        if process.container.is_none() {
            process.container = procs.container(process.pid);
        }
    }
    device
}
