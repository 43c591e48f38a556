//! The GPU view: the local GPUs from NVML (or one clear panel saying why there are none and
//! what to do), with utilisation, memory, power and clocks, recent-history sparklines and
//! the processes mapped to pods; then the cluster's GPUs from the DCGM exporters, per node
//! and per GPU with the service using it.

use crate::config::slot::Slot;
use crate::domain::dcgm::{DcgmBatch, DcgmGpu};
use crate::domain::gpu::GpuDevice;
use crate::domain::gpu::format as gf;
use crate::domain::gpu::throttle::describe as throttle_words;
use crate::domain::gpu::unavailable::UnavailableKind;
use crate::state::State;
use crate::state::gpu::{ClusterGpus, LocalGpus};
use crate::ui::text::pad;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Paragraph, Wrap};

/// The last `width` samples against `max`.
fn sparkline(series: &[u64], max: u64, width: usize, theme: &Theme) -> String {
    let tail: Vec<Option<f64>> = series[series.len().saturating_sub(width)..]
        .iter()
        .map(|v| Some(*v as f64))
        .collect();
    crate::ui::widgets::spark::sparkline(&tail, Some(max.max(1) as f64), width, &theme.symbols)
}

fn pod_of(state: &State, uid: &str) -> Option<String> {
    state
        .cluster
        .pods
        .items
        .values()
        .find(|p| p.meta.uid == uid)
        .map(
            |p| match crate::state::cluster::pod_owner(p).map(|k| k.name) {
                Some(svc) => format!("{}/{} ({svc})", p.meta.namespace, p.meta.name),
                None => format!("{}/{}", p.meta.namespace, p.meta.name),
            },
        )
}

/// One local GPU: its summary, clocks and health, precisions and history, MIG, processes.
fn device_lines(state: &State, d: &GpuDevice, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![
        summary_line(d, theme),
        health_line(d, theme),
        history_line(state, d, theme),
    ];
    out.extend(mig_lines(d, theme));
    out.extend(process_lines(state, d, theme));
    if let Some(err) = &d.error {
        out.push(Line::from(Span::styled(
            format!("      {} {err}", theme.symbols.warn),
            theme.style(Slot::TextWarning),
        )));
    }
    out
}

/// Index, name, architecture, utilisation, memory, temperature, power.
fn summary_line(d: &GpuDevice, theme: &Theme) -> Line<'static> {
    let sym = &theme.symbols;
    let arch = d
        .architecture
        .map(|a| a.as_str().to_string())
        .unwrap_or_else(|| sym.dash.to_string());
    Line::from(vec![
        Span::styled(format!(" {:<2} ", d.index), theme.style(Slot::TextDim)),
        Span::styled(
            pad(d.name.as_deref().unwrap_or("unknown GPU"), 24, sym.ellipsis),
            theme.style(Slot::TextStrong),
        ),
        Span::styled(format!(" {arch:<9}"), theme.style(Slot::Base)),
        Span::styled(
            format!(" util {:>4}", gf::pct(d.util_gpu_pct)),
            theme.style(Slot::GaugeGpu),
        ),
        Span::styled(
            format!(
                "  mem {}",
                gf::memory(d.memory_used_bytes, d.memory_total_bytes)
            ),
            theme.style(Slot::GaugeMemory),
        ),
        Span::styled(
            format!("  {}", gf::temperature(d.temperature_c)),
            theme.style(Slot::Base),
        ),
        Span::styled(
            format!("  {}", gf::power(d.power_draw_w, d.power_limit_w)),
            theme.style(Slot::Base),
        ),
    ])
}

/// Clocks, PCIe throughput, ECC errors, throttle reasons.
fn health_line(d: &GpuDevice, theme: &Theme) -> Line<'static> {
    let sym = &theme.symbols;
    let count = |n: Option<u64>| n.map(|n| n.to_string()).unwrap_or_else(|| sym.dash.into());
    Line::from(vec![
        Span::styled("      clocks ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            gf::clocks(d.sm_clock_mhz, d.mem_clock_mhz),
            theme.style(Slot::Base),
        ),
        Span::styled("  PCIe ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            gf::pcie(d.pcie_tx_kbps, d.pcie_rx_kbps),
            theme.style(Slot::Base),
        ),
        Span::styled("  ECC ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            d.ecc
                .map(|e| {
                    format!(
                        "{}/{}",
                        count(e.volatile_corrected),
                        count(e.volatile_uncorrected)
                    )
                })
                .unwrap_or_else(|| sym.dash.to_string()),
            theme.style(Slot::Base),
        ),
        Span::styled("  throttle ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            d.throttle_reasons
                .as_ref()
                .map(|r| throttle_words(r))
                .unwrap_or_else(|| sym.dash.to_string()),
            theme.style(Slot::Base),
        ),
    ])
}

/// The precisions the architecture supports, and the utilisation and power sparklines.
fn history_line(state: &State, d: &GpuDevice, theme: &Theme) -> Line<'static> {
    let key = d.key();
    let util = state.gpu.history.util_series(&key);
    let power = state.gpu.history.power_w_series(&key);
    let precisions: Vec<&str> = d.precisions.iter().map(|p| p.as_str()).collect();
    Line::from(vec![
        Span::styled("      precisions ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            if precisions.is_empty() {
                theme.symbols.dash.to_string()
            } else {
                precisions.join(" ")
            },
            theme.style(Slot::Base),
        ),
        Span::styled("  util 5m ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            sparkline(&util, 100, 40, theme),
            theme.style(Slot::Sparkline),
        ),
        Span::styled("  power ".to_string(), theme.style(Slot::TextDim)),
        Span::styled(
            sparkline(&power, d.power_limit_w.unwrap_or(0.0) as u64, 20, theme),
            theme.style(Slot::Sparkline),
        ),
    ])
}

/// MIG mode and its instances, when the GPU has MIG.
fn mig_lines(d: &GpuDevice, theme: &Theme) -> Vec<Line<'static>> {
    let Some(mig) = d.mig_mode else {
        return Vec::new();
    };
    let text = format!(
        "      MIG {}{} · {} instances",
        if mig.current { "on" } else { "off" },
        if mig.pending != mig.current {
            " (pending change)"
        } else {
            ""
        },
        d.mig_instances.len()
    );
    let mut out = vec![Line::from(Span::styled(text, theme.style(Slot::TextDim)))];
    for m in &d.mig_instances {
        out.push(Line::from(Span::styled(
            format!(
                "        #{} {}  util {}  mem {}",
                m.index,
                m.profile.as_deref().unwrap_or("?"),
                gf::pct(m.util_gpu_pct),
                gf::memory(m.memory_used_bytes, m.memory_total_bytes)
            ),
            theme.style(Slot::Base),
        )));
    }
    out
}

/// The processes on the GPU and the pod each belongs to.
fn process_lines(state: &State, d: &GpuDevice, theme: &Theme) -> Vec<Line<'static>> {
    d.processes
        .iter()
        .map(|p| {
            let owner = p
                .container
                .as_ref()
                .and_then(|c| {
                    pod_of(state, &c.pod_uid).or_else(|| Some(format!("pod uid {}", c.pod_uid)))
                })
                .unwrap_or_else(|| "not a Kubernetes pod".to_string());
            Line::from(Span::styled(
                format!(
                    "      pid {:<7} {:<16} {:>9}  {owner}",
                    p.pid,
                    p.name.as_deref().unwrap_or("?"),
                    gf::mib(p.used_memory_bytes)
                ),
                theme.style(Slot::Base),
            ))
        })
        .collect()
}

/// The local part.
pub fn local_lines(state: &State, theme: &Theme) -> Vec<Line<'static>> {
    let mut out = vec![Line::from(Span::styled(
        "Local GPUs (NVML)",
        theme.style(Slot::Title),
    ))];
    match &state.gpu.local {
        LocalGpus::Waiting => out.push(Line::from(Span::styled(
            format!("  reading NVML{}", theme.symbols.ellipsis),
            theme.style(Slot::TextDim),
        ))),
        // No driver at all is the normal case on a bastion: one plain line with the hint.
        // Other failures say what failed and what to do; the raw NVML text only when the
        // kind is unknown (it is in the log file either way).
        LocalGpus::Unavailable(why) if why.kind == UnavailableKind::LibraryNotFound => {
            out.push(Line::from(Span::styled(
                "  No NVIDIA driver on this machine: cluster GPUs are below \
                 (set KDECK_NVML_LIB=PATH if the driver library is elsewhere)."
                    .to_string(),
                theme.style(Slot::StatusUnknown),
            )));
        }
        LocalGpus::Unavailable(why) => {
            out.push(Line::from(Span::styled(
                format!("  No local GPUs: {}", why.kind.headline()),
                theme.style(Slot::StatusUnknown),
            )));
            if why.kind == UnavailableKind::Other
                && let Some(first) = why.message.lines().next()
            {
                out.push(Line::from(Span::styled(
                    format!("  {first}"),
                    theme.style(Slot::TextDim),
                )));
            }
            out.push(Line::from(Span::styled(
                format!("  What to do: {}", why.what_to_do),
                theme.style(Slot::Base),
            )));
        }
        LocalGpus::Available(snapshot) => {
            out.push(Line::from(Span::styled(
                format!(
                    "  driver {} · sampled {}",
                    snapshot.driver_version.as_deref().unwrap_or("?"),
                    snapshot.taken_at.format("%H:%M:%S")
                ),
                theme.style(Slot::TextDim),
            )));
            if let Some(err) = &snapshot.error {
                out.push(Line::from(Span::styled(
                    format!("  {} {err}", theme.symbols.warn),
                    theme.style(Slot::TextWarning),
                )));
            }
            for d in &snapshot.devices {
                out.extend(device_lines(state, d, theme));
            }
        }
    }
    out
}

/// Cells before the SERVICE / POD column of a per-GPU row.
const PER_GPU_PREFIX_CELLS: usize = 72;

/// The cluster part, `width` cells wide: a per-GPU row's service and pod are cut to fit, so a
/// long pod name never wraps under the NODE column.
pub fn cluster_lines(state: &State, theme: &Theme, width: u16) -> Vec<Line<'static>> {
    let workload_cells = usize::from(width)
        .saturating_sub(PER_GPU_PREFIX_CELLS)
        .max(3);
    let mut out = vec![Line::from(Span::styled(
        "Cluster GPUs (DCGM exporter)",
        theme.style(Slot::Title),
    ))];
    let Some(cluster) = &state.gpu.cluster else {
        out.push(Line::from(Span::styled(
            format!(
                "  waiting for the first scrape of the DCGM exporters{}",
                theme.symbols.ellipsis
            ),
            theme.style(Slot::TextDim),
        )));
        return out;
    };
    let batch = &cluster.batch;
    out.push(Line::from(Span::styled(
        format!(
            "  {} GPUs from {} exporters · round {}",
            batch.gpus.len(),
            batch.targets,
            batch.taken_at.format("%H:%M:%S")
        ),
        theme.style(Slot::TextDim),
    )));
    out.extend(node_table(state, cluster, theme));
    out.push(Line::default());
    out.push(Line::from(Span::styled(
        format!(
            "  {:<24} {:>3} {:>6} {:>16} {:>6} {:>8}  {}",
            "NODE", "GPU", "UTIL", "MEMORY", "TEMP", "POWER", "SERVICE / POD"
        ),
        theme.style(Slot::TableHeader),
    )));
    out.extend(
        batch
            .gpus
            .iter()
            .map(|g| gpu_row(state, g, theme, workload_cells)),
    );
    out.extend(scrape_problems(batch, theme));
    out
}

/// One row per node: instance type, GPU model, GPUs, mean utilisation, memory used.
fn node_table(state: &State, cluster: &ClusterGpus, theme: &Theme) -> Vec<Line<'static>> {
    let sym = &theme.symbols;
    let mut out = vec![Line::from(Span::styled(
        format!(
            "  {:<24} {:<14} {:<24} {:>5} {:>6} {:>10}",
            "NODE", "INSTANCE", "GPU MODEL", "GPUS", "UTIL", "MEM USED"
        ),
        theme.style(Slot::TableHeader),
    ))];
    for node in &cluster.per_node {
        let facts = state.cluster.node(&node.hostname);
        let model = cluster
            .batch
            .gpus
            .iter()
            .find(|g| g.hostname.as_deref() == Some(&node.hostname))
            .and_then(|g| g.model_name.clone())
            .unwrap_or_default();
        out.push(Line::from(Span::styled(
            format!(
                "  {} {} {} {:>5} {:>6} {:>10}",
                pad(&node.hostname, 24, sym.ellipsis),
                pad(
                    facts
                        .and_then(|n| n.instance_type.as_deref())
                        .unwrap_or(sym.dash),
                    14,
                    sym.ellipsis
                ),
                pad(&model, 24, sym.ellipsis),
                node.gpus,
                node.mean_util_pct
                    .map(|u| format!("{u:.0}%"))
                    .unwrap_or_else(|| sym.dash.into()),
                format!("{:.1} GiB", node.memory_used_mib / 1024.0),
            ),
            theme.style(Slot::Base),
        )));
    }
    out
}

/// The services and pods on one GPU: "namespace/service (pod)", or "namespace/pod".
fn gpu_workloads(state: &State, g: &DcgmGpu) -> String {
    g.workloads
        .iter()
        .map(|w| {
            let svc = state
                .cluster
                .pods
                .items
                .get(&crate::domain::key::ObjectKey::new(&w.namespace, &w.pod))
                .and_then(crate::state::cluster::pod_owner)
                .map(|k| k.name);
            match svc {
                Some(s) => format!("{}/{s} ({})", w.namespace, w.pod),
                None => format!("{}/{}", w.namespace, w.pod),
            }
        })
        .collect::<Vec<_>>()
        .join(", ")
}

/// One GPU: node, index, utilisation (warned at 90 %), memory, temperature, power, and
/// what runs on it cut to `workload_cells`.
fn gpu_row(state: &State, g: &DcgmGpu, theme: &Theme, workload_cells: usize) -> Line<'static> {
    let sym = &theme.symbols;
    let workload = gpu_workloads(state, g);
    let mem = match (g.fb_used_mib, g.fb_total_mib()) {
        (Some(u), Some(t)) => format!("{:.1}/{:.0} GiB", u / 1024.0, t / 1024.0),
        (Some(u), None) => format!("{:.1} GiB", u / 1024.0),
        _ => sym.dash.to_string(),
    };
    let util = g
        .util_pct
        .map(|u| format!("{u:.0}%"))
        .unwrap_or_else(|| sym.dash.into());
    let slot = if g.util_pct.is_some_and(|u| u >= 90.0) {
        Slot::LatencyWarn
    } else {
        Slot::GaugeGpu
    };
    Line::from(vec![
        Span::styled(
            format!(
                "  {} {:>3} ",
                pad(g.hostname.as_deref().unwrap_or("?"), 24, sym.ellipsis),
                g.gpu
            ),
            theme.style(Slot::Base),
        ),
        Span::styled(format!("{util:>6}"), theme.style(slot)),
        Span::styled(
            format!(
                " {mem:>16} {:>6} {:>8}  ",
                g.temperature_c
                    .map(|t| format!("{t:.0}°C"))
                    .unwrap_or_else(|| sym.dash.into()),
                g.power_w
                    .map(|p| format!("{p:.0} W"))
                    .unwrap_or_else(|| sym.dash.into())
            ),
            theme.style(Slot::Base),
        ),
        Span::styled(
            if workload.is_empty() {
                "idle".to_string()
            } else {
                crate::ui::text::fit(&workload, workload_cells, sym.ellipsis)
            },
            theme.style(Slot::TextDim),
        ),
    ])
}

/// The exporters that could not be read, and the scrape's notes.
fn scrape_problems(batch: &DcgmBatch, theme: &Theme) -> Vec<Line<'static>> {
    let errors = batch.errors.iter().map(|e| {
        Line::from(Span::styled(
            format!("  {} {}: {}", theme.symbols.warn, e.target, e.message),
            theme.style(Slot::TextWarning),
        ))
    });
    let notes = batch
        .warnings
        .iter()
        .map(|w| Line::from(Span::styled(format!("  {w}"), theme.style(Slot::TextDim))));
    errors.chain(notes).collect()
}

/// Draws the view, scrolled by the text scroll.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let mut lines = local_lines(state, theme);
    lines.push(Line::default());
    lines.extend(cluster_lines(state, theme, area.width));
    frame.render_widget(
        Paragraph::new(lines)
            .wrap(Wrap { trim: false })
            .scroll((state.ui.text_scroll, 0)),
        area,
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::gpu::unavailable::NvmlUnavailable;

    #[test]
    fn without_a_driver_the_local_part_is_one_plain_line() {
        let mut s = crate::ui::snapshot_tests::state();
        s.gpu.local = LocalGpus::Unavailable(NvmlUnavailable::new(
            UnavailableKind::LibraryNotFound,
            "NVML: libloading error: libnvidia-ml.so.1: cannot open shared object file\n\
             caused by: No such file or directory (os error 2)",
        ));
        let lines = local_lines(&s, &crate::ui::snapshot_tests::theme("dark"));
        let text: Vec<String> = lines
            .iter()
            .map(|l| l.spans.iter().map(|sp| sp.content.to_string()).collect())
            .collect();
        assert_eq!(text.len(), 2, "{text:?}");
        assert!(text[1].contains("No NVIDIA driver"), "{text:?}");
        assert!(text.iter().all(|l| !l.contains("libloading")), "{text:?}");
    }

    #[test]
    fn a_long_pod_name_is_cut_to_the_width_instead_of_wrapping() {
        use crate::domain::dcgm::{DcgmBatch, DcgmGpu, Workload};
        let mut s = crate::ui::snapshot_tests::state();
        let pod = "torch-mnist-predictor-00001-deployment-8xjrd-ppztz-with-a-very-long-suffix";
        let gpu = DcgmGpu {
            hostname: Some("gpu-g4dn-1".into()),
            gpu: "0".into(),
            util_pct: Some(22.0),
            workloads: vec![Workload {
                namespace: "ml-prod".into(),
                pod: pod.into(),
                container: None,
            }],
            ..DcgmGpu::default()
        };
        s.gpu.cluster = Some(crate::state::gpu::ClusterGpus {
            batch: DcgmBatch {
                taken_at: chrono::Utc::now(),
                targets: 1,
                gpus: vec![gpu],
                errors: vec![],
                warnings: vec![],
            },
            per_node: vec![],
            per_service: vec![],
        });
        let theme = crate::ui::snapshot_tests::theme("dark");
        for width in [78u16, 138] {
            let lines = cluster_lines(&s, &theme, width);
            let row = lines
                .iter()
                .find(|l| l.spans.iter().any(|sp| sp.content.contains("gpu-g4dn-1")))
                .expect("the GPU's row");
            assert!(
                row.width() <= usize::from(width),
                "{width}: {} cells: {row:?}",
                row.width()
            );
            let text: String = row.spans.iter().map(|sp| sp.content.to_string()).collect();
            assert!(text.ends_with(&theme.symbols.ellipsis), "{text}");
        }
    }
}
