//! Real NVML, for machines with an NVIDIA GPU and driver: `cargo test --test gpu_nvml_real
//! -- --ignored`.

use kdeck::sources::gpu::{NvmlBackend, ProcInspector, take_snapshot};

#[test]
#[ignore = "needs an NVIDIA GPU and driver"]
fn real_nvml_reads_at_least_one_device() {
    let mut backend = NvmlBackend::open(None).unwrap_or_else(|u| panic!("{u}"));
    let snapshot = take_snapshot(&mut backend, &ProcInspector::default());
    assert!(snapshot.error.is_none(), "{:?}", snapshot.error);
    assert!(!snapshot.devices.is_empty());
    let device = &snapshot.devices[0];
    assert!(device.error.is_none(), "{:?}", device.error);
    assert!(device.name.as_deref().is_some_and(|n| !n.is_empty()));
    assert!(device.memory_total_bytes.is_some_and(|t| t > 0));
    assert!(device.architecture.is_some());
    println!("{}", kdeck::commands::gpu::snapshot_table(&snapshot));
}
