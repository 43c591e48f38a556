//! Reads what the sampler adds to NVML's process list from `/proc`: the process name
//! (`/proc/PID/comm`) and its Kubernetes pod and container (`/proc/PID/cgroup`).
//!
//! The root is configurable so tests can point it at a fixture tree. A process that is not
//! visible (kdeck runs in another PID namespace) simply gets no name and no pod.

use crate::domain::gpu::{ContainerRef, parse_cgroup};
use std::path::PathBuf;

/// Looks processes up under a `/proc`-shaped directory.
#[derive(Debug, Clone)]
pub struct ProcInspector {
    root: PathBuf,
}

impl Default for ProcInspector {
    fn default() -> Self {
        ProcInspector::new("/proc")
    }
}

impl ProcInspector {
    pub fn new(root: impl Into<PathBuf>) -> ProcInspector {
        ProcInspector { root: root.into() }
    }

    /// The process's short name, or the first word of its command line.
    pub fn name(&self, pid: u32) -> Option<String> {
        let dir = self.root.join(pid.to_string());
        if let Ok(comm) = std::fs::read_to_string(dir.join("comm")) {
            let comm = comm.trim();
            if !comm.is_empty() {
                return Some(comm.to_string());
            }
        }
        let cmdline = std::fs::read(dir.join("cmdline")).ok()?;
        let first = cmdline.split(|b| *b == 0).next()?;
        let first = String::from_utf8_lossy(first);
        let base = first.rsplit('/').next()?.trim();
        (!base.is_empty()).then(|| base.to_string())
    }

    /// The pod and container the process runs in, if it runs in one.
    pub fn container(&self, pid: u32) -> Option<ContainerRef> {
        let text = std::fs::read_to_string(self.root.join(pid.to_string()).join("cgroup")).ok()?;
        parse_cgroup(&text)
    }
}
