//! Short human renderings of GPU readings, shared by `kdeck gpu` and the console's GPU view.
//! A reading NVML does not give is shown as `–`.

/// What an unsupported or missing reading looks like.
pub const DASH: &str = "–";

/// `87%` or `–`.
pub fn pct(value: Option<u32>) -> String {
    value.map_or_else(|| DASH.to_string(), |v| format!("{v}%"))
}

/// `12.3/16.0 GiB`, `12.3 GiB` or `–`.
pub fn memory(used: Option<u64>, total: Option<u64>) -> String {
    match (used, total) {
        (Some(u), Some(t)) => format!("{:.1}/{:.1} GiB", gib(u), gib(t)),
        (Some(u), None) => format!("{:.1} GiB", gib(u)),
        (None, Some(t)) => format!("{DASH}/{:.1} GiB", gib(t)),
        (None, None) => DASH.to_string(),
    }
}

/// Bytes as MiB, e.g. `512 MiB`.
pub fn mib(bytes: Option<u64>) -> String {
    bytes.map_or_else(
        || DASH.to_string(),
        |b| format!("{} MiB", b / (1024 * 1024)),
    )
}

/// `71 W / 300 W`, `71 W` or `–`.
pub fn power(draw: Option<f64>, limit: Option<f64>) -> String {
    match (draw, limit) {
        (Some(d), Some(l)) => format!("{d:.0}/{l:.0} W"),
        (Some(d), None) => format!("{d:.0} W"),
        (None, Some(l)) => format!("{DASH}/{l:.0} W"),
        (None, None) => DASH.to_string(),
    }
}

/// `65°C` or `–`.
pub fn temperature(celsius: Option<u32>) -> String {
    celsius.map_or_else(|| DASH.to_string(), |c| format!("{c}°C"))
}

/// `1410/1215 MHz` (SM/memory) or `–`.
pub fn clocks(sm: Option<u32>, mem: Option<u32>) -> String {
    match (sm, mem) {
        (None, None) => DASH.to_string(),
        (sm, mem) => format!("{}/{} MHz", num(sm), num(mem)),
    }
}

/// PCIe TX/RX from KB/s, e.g. `1.2/0.3 GB/s`, or `–`.
pub fn pcie(tx_kbps: Option<u32>, rx_kbps: Option<u32>) -> String {
    let rate = |k: Option<u32>| {
        k.map_or_else(
            || DASH.to_string(),
            |k| format!("{:.1}", f64::from(k) / 1_000_000.0),
        )
    };
    match (tx_kbps, rx_kbps) {
        (None, None) => DASH.to_string(),
        (tx, rx) => format!("{}/{} GB/s", rate(tx), rate(rx)),
    }
}

fn num(value: Option<u32>) -> String {
    value.map_or_else(|| DASH.to_string(), |v| v.to_string())
}

fn gib(bytes: u64) -> f64 {
    bytes as f64 / (1024.0 * 1024.0 * 1024.0)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn missing_readings_are_dashes() {
        assert_eq!(pct(None), "–");
        assert_eq!(memory(None, None), "–");
        assert_eq!(power(None, None), "–");
        assert_eq!(clocks(None, None), "–");
        assert_eq!(pcie(None, None), "–");
        assert_eq!(clocks(Some(1410), None), "1410/– MHz");
    }

    #[test]
    fn readings_have_units() {
        assert_eq!(pct(Some(87)), "87%");
        assert_eq!(memory(Some(1 << 30), Some(16 << 30)), "1.0/16.0 GiB");
        assert_eq!(power(Some(71.2), Some(300.0)), "71/300 W");
        assert_eq!(pcie(Some(1_200_000), Some(300_000)), "1.2/0.3 GB/s");
        assert_eq!(mib(Some(512 * 1024 * 1024)), "512 MiB");
    }
}
