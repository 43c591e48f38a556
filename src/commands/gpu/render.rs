//! Text and JSON renderings of a GPU snapshot for `kdeck gpu`. The JSON field names are
//! stable: `available`, then the snapshot's fields, or `unavailable` with `kind`, `message`,
//! `what_to_do`.

use crate::domain::gpu::format::{self, DASH};
use crate::domain::gpu::{GpuDevice, GpuSnapshot, NvmlUnavailable, throttle};
use serde::Serialize;
use unicode_width::UnicodeWidthStr;

#[derive(Serialize)]
struct Available<'a> {
    available: bool,
    #[serde(flatten)]
    snapshot: &'a GpuSnapshot,
}

#[derive(Serialize)]
struct Unavailable<'a> {
    available: bool,
    unavailable: &'a NvmlUnavailable,
}

/// One line of JSON for a snapshot.
pub fn snapshot_json(snapshot: &GpuSnapshot) -> serde_json::Result<String> {
    serde_json::to_string(&Available {
        available: true,
        snapshot,
    })
}

/// One line of JSON saying why there are no local GPUs.
pub fn unavailable_json(unavailable: &NvmlUnavailable) -> serde_json::Result<String> {
    serde_json::to_string(&Unavailable {
        available: false,
        unavailable,
    })
}

/// The message for a terminal: which case, the library's words, what to do.
pub fn unavailable_text(unavailable: &NvmlUnavailable) -> String {
    format!(
        "kdeck gpu: local GPUs unavailable: {}.\n  detail: {}\n  what to do: {}\n",
        unavailable.kind.headline(),
        unavailable.message,
        unavailable.what_to_do
    )
}

const COLUMNS: [&str; 11] = [
    "IDX",
    "NAME",
    "ARCH",
    "UTIL",
    "MEM UTIL",
    "MEMORY",
    "TEMP",
    "POWER",
    "CLOCKS SM/MEM",
    "PCIe TX/RX",
    "ECC corr/uncorr",
];

/// A table of the devices, with per-device detail lines underneath.
pub fn snapshot_table(snapshot: &GpuSnapshot) -> String {
    let mut out = format!(
        "{} · driver {} · {} GPU(s)\n",
        snapshot.taken_at.format("%Y-%m-%d %H:%M:%S UTC"),
        snapshot.driver_version.as_deref().unwrap_or(DASH),
        snapshot.devices.len()
    );
    if let Some(error) = &snapshot.error {
        out.push_str(&format!("error: {error}\n"));
    }
    let rows: Vec<[String; 11]> = snapshot.devices.iter().map(row).collect();
    let widths: Vec<usize> = (0..COLUMNS.len())
        .map(|c| {
            rows.iter()
                .map(|r| r[c].width())
                .chain([COLUMNS[c].width()])
                .max()
                .unwrap_or(0)
        })
        .collect();
    out.push_str(&line(&COLUMNS.map(str::to_string), &widths));
    for (device, cells) in snapshot.devices.iter().zip(&rows) {
        out.push_str(&line(cells, &widths));
        for detail in details(device) {
            out.push_str("    ");
            out.push_str(&detail);
            out.push('\n');
        }
    }
    out
}

fn line(cells: &[String], widths: &[usize]) -> String {
    let mut text = String::new();
    for (i, (cell, width)) in cells.iter().zip(widths).enumerate() {
        text.push_str(cell);
        if i + 1 < cells.len() {
            text.push_str(&" ".repeat(width.saturating_sub(cell.width()) + 2));
        }
    }
    text.push('\n');
    text
}

fn row(d: &GpuDevice) -> [String; 11] {
    let ecc = d.ecc.map_or_else(
        || DASH.to_string(),
        |e| {
            let n = |v: Option<u64>| v.map_or_else(|| DASH.to_string(), |v| v.to_string());
            format!("{}/{}", n(e.volatile_corrected), n(e.volatile_uncorrected))
        },
    );
    [
        d.index.to_string(),
        d.name.clone().unwrap_or_else(|| DASH.into()),
        d.architecture
            .map_or_else(|| DASH.to_string(), |a| a.to_string()),
        format::pct(d.util_gpu_pct),
        format::pct(d.util_memory_pct),
        format::memory(d.memory_used_bytes, d.memory_total_bytes),
        format::temperature(d.temperature_c),
        format::power(d.power_draw_w, d.power_limit_w),
        format::clocks(d.sm_clock_mhz, d.mem_clock_mhz),
        format::pcie(d.pcie_tx_kbps, d.pcie_rx_kbps),
        ecc,
    ]
}

fn details(d: &GpuDevice) -> Vec<String> {
    let mut out = Vec::new();
    if let Some(error) = &d.error {
        out.push(format!("error: {error}"));
    }
    if let Some(uuid) = &d.uuid {
        out.push(format!("uuid {uuid}"));
    }
    if !d.precisions.is_empty() {
        let p: Vec<&str> = d.precisions.iter().map(|p| p.as_str()).collect();
        out.push(format!("precisions: {}", p.join(" ")));
    }
    if let Some(reasons) = &d.throttle_reasons {
        out.push(format!("clocks held by: {}", throttle::describe(reasons)));
    }
    if let Some(mig) = d.mig_mode {
        let word = |on: bool| if on { "on" } else { "off" };
        out.push(format!(
            "MIG {} (after reset: {})",
            word(mig.current),
            word(mig.pending)
        ));
    }
    for m in &d.mig_instances {
        out.push(format!(
            "MIG instance {} {}  memory {}  util {}",
            m.index,
            m.profile.as_deref().unwrap_or(DASH),
            format::memory(m.memory_used_bytes, m.memory_total_bytes),
            format::pct(m.util_gpu_pct)
        ));
    }
    for p in &d.processes {
        let pod = p.container.as_ref().map_or_else(String::new, |c| {
            let container = c
                .container_id
                .as_deref()
                .map(|id| format!(" container {}", &id[..id.len().min(12)]))
                .unwrap_or_default();
            format!("  pod uid {}{container}", c.pod_uid)
        });
        out.push(format!(
            "pid {} {}  {}{pod}",
            p.pid,
            p.name.as_deref().unwrap_or(DASH),
            format::mib(p.used_memory_bytes)
        ));
    }
    out
}
