//! The built `kdeck gpu` binary on this machine, and its renderings of staged snapshots.

use chrono::{TimeZone, Utc};
use kdeck::commands::gpu::{snapshot_json, snapshot_table};
use kdeck::domain::gpu::{
    Architecture, ContainerRef, EccErrors, GpuDevice, GpuProcess, GpuSnapshot, MigInstance,
    MigMode, ProcessKind, throttle,
};
use std::process::{Command, Output};

fn kdeck(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_kdeck"))
        .args(args)
        .env_remove("KDECK_NVML_LIB")
        .output()
        .expect("the kdeck binary runs")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn missing_library_exits_3_and_says_why() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("libnvidia-ml.so.1");
    let missing = missing.to_str().expect("a UTF-8 path");
    for extra in [&["--once"][..], &[][..]] {
        let mut args = vec!["gpu", "--nvml-lib", missing];
        args.extend_from_slice(extra);
        let out = kdeck(&args);
        assert_eq!(
            out.status.code(),
            Some(3),
            "{args:?}: {}",
            text(&out.stderr)
        );
        let err = text(&out.stderr);
        assert!(
            err.contains("no NVIDIA driver library (libnvidia-ml) found"),
            "{err}"
        );
        assert!(
            err.contains("what to do: Install the NVIDIA driver"),
            "{err}"
        );
        assert!(out.stdout.is_empty());
    }
}

#[test]
fn missing_library_as_json() {
    let dir = tempfile::tempdir().expect("tempdir");
    let missing = dir.path().join("libnvidia-ml.so.1");
    let out = kdeck(&[
        "gpu",
        "--once",
        "-o",
        "json",
        "--nvml-lib",
        missing.to_str().expect("a UTF-8 path"),
    ]);
    assert_eq!(out.status.code(), Some(3));
    let json: serde_json::Value =
        serde_json::from_str(text(&out.stdout).trim()).expect("one JSON object");
    assert_eq!(json["available"], false);
    assert_eq!(json["unavailable"]["kind"], "library_not_found");
    assert!(
        json["unavailable"]["what_to_do"]
            .as_str()
            .is_some_and(|s| !s.is_empty())
    );
}

/// On a machine without an NVIDIA driver (like the build machines) this exits 3 naming the
/// reason; on a GPU machine it prints the device table and exits 0.
#[test]
fn once_on_this_machine() {
    let out = kdeck(&["gpu", "--once"]);
    match out.status.code() {
        Some(3) => {
            let err = text(&out.stderr);
            assert!(
                err.starts_with("kdeck gpu: local GPUs unavailable: "),
                "{err}"
            );
            let reasons = [
                "no NVIDIA driver library",
                "kernel driver is not loaded",
                "no NVIDIA GPU",
                "no permission",
                "(NVML) failed",
            ];
            assert!(reasons.iter().any(|r| err.contains(r)), "{err}");
            assert!(err.contains("what to do: "), "{err}");
        }
        Some(0) => {
            let table = text(&out.stdout);
            assert!(
                table.lines().nth(1).is_some_and(|l| l.starts_with("IDX")),
                "{table}"
            );
            assert!(table.lines().count() >= 3, "{table}");
        }
        other => panic!("unexpected exit {other:?}: {}", text(&out.stderr)),
    }
}

#[test]
fn bad_interval_is_a_usage_error() {
    let out = kdeck(&["gpu", "--interval", "5ms"]);
    assert_eq!(out.status.code(), Some(2));
    assert!(text(&out.stderr).contains("at least 100ms"));
    let help = kdeck(&["gpu", "--help"]);
    assert!(text(&help.stdout).contains("3 local GPUs unavailable"));
}

fn staged() -> GpuSnapshot {
    let mut t4 = GpuDevice {
        index: 0,
        name: Some("Tesla T4".into()),
        uuid: Some("GPU-5f1a".into()),
        util_gpu_pct: Some(63),
        util_memory_pct: Some(20),
        memory_used_bytes: Some(4 << 30),
        memory_total_bytes: Some(16 << 30),
        temperature_c: Some(52),
        power_draw_w: Some(35.2),
        power_limit_w: Some(70.0),
        sm_clock_mhz: Some(1590),
        mem_clock_mhz: Some(5000),
        ecc: Some(EccErrors {
            volatile_corrected: Some(0),
            volatile_uncorrected: Some(0),
        }),
        throttle_reasons: Some(throttle::decode(0x4)),
        processes: vec![GpuProcess {
            pid: 4242,
            kind: ProcessKind::Compute,
            name: Some("python3".into()),
            used_memory_bytes: Some(2048 << 20),
            gpu_instance_id: None,
            container: Some(ContainerRef {
                pod_uid: "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d".into(),
                container_id: Some("e3b0c44298fc1c149afbf4c8996fb924".into()),
                runtime: Some("containerd".into()),
                qos: Some("besteffort".into()),
            }),
        }],
        ..GpuDevice::default()
    };
    t4.set_architecture(Architecture::Turing);
    let mut a100 = GpuDevice {
        index: 1,
        name: Some("NVIDIA A100-SXM4-40GB".into()),
        mig_mode: Some(MigMode {
            current: true,
            pending: false,
        }),
        mig_instances: vec![MigInstance {
            index: 0,
            profile: Some("3g.20gb".into()),
            memory_used_bytes: Some(1 << 30),
            memory_total_bytes: Some(20 << 30),
            ..MigInstance::default()
        }],
        ..GpuDevice::default()
    };
    a100.set_architecture(Architecture::Ampere);
    GpuSnapshot {
        taken_at: Utc
            .with_ymd_and_hms(2026, 3, 1, 12, 0, 0)
            .single()
            .expect("a time"),
        driver_version: Some("550.54.15".into()),
        devices: vec![
            t4,
            a100,
            GpuDevice::failed(2, "GPU 2 cannot be opened: GPU is lost"),
        ],
        error: None,
    }
}

#[test]
fn table_shows_dashes_mig_processes_and_failed_devices() {
    let table = snapshot_table(&staged());
    let lines: Vec<&str> = table.lines().collect();
    assert_eq!(
        lines[0],
        "2026-03-01 12:00:00 UTC · driver 550.54.15 · 3 GPU(s)"
    );
    assert!(lines[1].starts_with("IDX  NAME"));
    let t4 = lines
        .iter()
        .find(|l| l.starts_with("0 "))
        .expect("GPU 0 row");
    for cell in [
        "Tesla T4",
        "Turing",
        "63%",
        "4.0/16.0 GiB",
        "52°C",
        "35/70 W",
        "1590/5000 MHz",
        "0/0",
    ] {
        assert!(t4.contains(cell), "{cell} missing from {t4}");
    }
    assert!(table.contains("precisions: FP32 FP16 INT8"));
    assert!(table.contains("clocks held by: power cap"));
    assert!(table.contains("pid 4242 python3  2048 MiB  pod uid 0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d container e3b0c44298fc"));
    // The A100 in MIG mode reports no utilisation: dashes, not zeros.
    let a100 = lines
        .iter()
        .find(|l| l.starts_with("1 "))
        .expect("GPU 1 row");
    assert!(a100.contains("–"), "{a100}");
    assert!(!a100.contains("0%"), "{a100}");
    assert!(table.contains("MIG on (after reset: off)"));
    assert!(table.contains("MIG instance 0 3g.20gb  memory 1.0/20.0 GiB  util –"));
    assert!(table.contains("error: GPU 2 cannot be opened: GPU is lost"));
}

#[test]
fn json_field_names_are_stable() {
    let json: serde_json::Value =
        serde_json::from_str(&snapshot_json(&staged()).expect("serialises")).expect("JSON");
    assert_eq!(json["available"], true);
    assert_eq!(json["driver_version"], "550.54.15");
    let d = &json["devices"][0];
    for key in [
        "index",
        "name",
        "uuid",
        "pci_bus_id",
        "architecture",
        "precisions",
        "util_gpu_pct",
        "util_memory_pct",
        "memory_used_bytes",
        "memory_total_bytes",
        "temperature_c",
        "power_draw_w",
        "power_limit_w",
        "sm_clock_mhz",
        "mem_clock_mhz",
        "pcie_tx_kbps",
        "pcie_rx_kbps",
        "ecc",
        "throttle_reasons",
        "mig_mode",
        "mig_instances",
        "processes",
        "error",
    ] {
        assert!(d.get(key).is_some(), "device field {key} missing");
    }
    assert_eq!(d["architecture"], "turing");
    assert_eq!(d["throttle_reasons"][0], "sw_power_cap");
    assert_eq!(
        d["processes"][0]["container"]["pod_uid"],
        "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d"
    );
    assert_eq!(json["devices"][1]["util_gpu_pct"], serde_json::Value::Null);
    assert_eq!(json["devices"][1]["mig_instances"][0]["profile"], "3g.20gb");
    assert_eq!(
        json["devices"][2]["error"],
        "GPU 2 cannot be opened: GPU is lost"
    );
}
