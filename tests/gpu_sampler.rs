//! The GPU sampler against the scripted fake backend: per-device failures mid-run, MIG
//! instances, unsupported readings, process → pod mapping from a fixture `/proc` tree, the
//! three kinds of sink, and clean endings.

use kdeck::domain::gpu::{
    Architecture, GpuDevice, GpuProcess, GpuSnapshot, MigInstance, MigMode, NvmlUnavailable,
    ProcessKind, UnavailableKind,
};
use kdeck::sources::gpu::{
    FakeBackend, FakeRound, FnSink, GpuReadError, GpuReport, ProcInspector, SamplerConfig,
    spawn_sampler, take_snapshot,
};
use nvml_wrapper::error::NvmlError;
use std::path::PathBuf;
use std::sync::mpsc;
use std::time::Duration;

fn procs() -> ProcInspector {
    ProcInspector::new(PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/gpu/proc"))
}

fn config() -> SamplerConfig {
    SamplerConfig {
        interval: Duration::from_millis(1),
        procs: procs(),
    }
}

fn process(pid: u32) -> GpuProcess {
    GpuProcess {
        pid,
        kind: ProcessKind::Compute,
        name: None,
        used_memory_bytes: Some(2 << 30),
        gpu_instance_id: None,
        container: None,
    }
}

fn t4() -> GpuDevice {
    let mut d = GpuDevice {
        name: Some("Tesla T4".into()),
        uuid: Some("GPU-5f1a".into()),
        util_gpu_pct: Some(63),
        memory_used_bytes: Some(4 << 30),
        memory_total_bytes: Some(16 << 30),
        processes: vec![process(4242), process(5151), process(777), process(999_999)],
        ..GpuDevice::default()
    };
    d.set_architecture(Architecture::Turing);
    d
}

fn a100_mig() -> GpuDevice {
    let mut d = GpuDevice {
        name: Some("NVIDIA A100-SXM4-40GB".into()),
        uuid: Some("GPU-a100".into()),
        mig_mode: Some(MigMode {
            current: true,
            pending: true,
        }),
        mig_instances: vec![
            MigInstance {
                index: 0,
                uuid: Some("MIG-1111".into()),
                name: Some("NVIDIA A100-SXM4-40GB MIG 3g.20gb".into()),
                profile: Some("3g.20gb".into()),
                memory_used_bytes: Some(1 << 30),
                memory_total_bytes: Some(20 << 30),
                util_gpu_pct: None,
            },
            MigInstance {
                index: 1,
                uuid: Some("MIG-2222".into()),
                name: Some("NVIDIA A100-SXM4-40GB MIG 1g.5gb".into()),
                profile: Some("1g.5gb".into()),
                memory_used_bytes: Some(0),
                memory_total_bytes: Some(5 << 30),
                util_gpu_pct: None,
            },
        ],
        // Utilisation is not reported for a GPU in MIG mode.
        util_gpu_pct: None,
        ..GpuDevice::default()
    };
    d.set_architecture(Architecture::Ampere);
    d
}

#[test]
fn processes_get_names_and_pods_from_proc() {
    let mut backend = FakeBackend::new(Some("550.54.15".into()), vec![FakeRound::ok(vec![t4()])]);
    let snap = take_snapshot(&mut backend, &procs());
    let d = &snap.devices[0];
    let by_pid = |pid| {
        d.processes
            .iter()
            .find(|p| p.pid == pid)
            .expect("process kept")
    };

    let python = by_pid(4242);
    assert_eq!(python.name.as_deref(), Some("python3"));
    let pod = python.container.as_ref().expect("python runs in a pod");
    assert_eq!(pod.pod_uid, "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d");
    assert_eq!(pod.runtime.as_deref(), Some("containerd"));

    let triton = by_pid(5151);
    assert_eq!(triton.name.as_deref(), Some("tritonserver"));
    assert_eq!(
        triton.container.as_ref().map(|c| c.pod_uid.as_str()),
        Some("7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e")
    );

    // No comm file: the name comes from cmdline; a host process has no pod.
    let xorg = by_pid(777);
    assert_eq!(xorg.name.as_deref(), Some("Xorg"));
    assert_eq!(xorg.container, None);

    // Not visible in this PID namespace: kept, with no name and no pod.
    let hidden = by_pid(999_999);
    assert_eq!(
        (hidden.name.as_deref(), hidden.container.as_ref()),
        (None, None)
    );
    assert_eq!(snap.driver_version.as_deref(), Some("550.54.15"));
}

#[test]
fn a_device_failing_mid_run_is_marked_and_the_others_go_on() {
    let rounds = vec![
        FakeRound::ok(vec![t4(), a100_mig()]),
        FakeRound {
            count_error: None,
            devices: vec![Ok(t4()), Err(GpuReadError::open(1, NvmlError::GpuLost))],
        },
        FakeRound {
            count_error: Some(GpuReadError::list(NvmlError::DriverNotLoaded)),
            devices: Vec::new(),
        },
        FakeRound::ok(vec![t4(), a100_mig()]),
    ];
    let backend = FakeBackend::new(None, rounds);
    let (tx, rx) = mpsc::channel();
    let handle = spawn_sampler(move || Ok(backend), config(), tx).expect("thread starts");
    let snaps: Vec<GpuSnapshot> = rx
        .iter()
        .take(4)
        .map(|r| match r {
            GpuReport::Snapshot(s) => s,
            other => panic!("unexpected {other:?}"),
        })
        .collect();
    handle.stop();

    // Round 1: both fine, MIG instances intact.
    assert!(snaps[0].devices.iter().all(|d| d.error.is_none()));
    let mig = &snaps[0].devices[1];
    assert_eq!(mig.index, 1);
    assert_eq!(mig.mig_instances.len(), 2);
    assert_eq!(mig.mig_instances[1].profile.as_deref(), Some("1g.5gb"));
    assert_eq!(mig.util_gpu_pct, None, "unsupported reading stays None");

    // Round 2: GPU 1 is marked, GPU 0 is read as usual.
    assert_eq!(snaps[1].devices.len(), 2);
    assert!(snaps[1].devices[0].error.is_none());
    assert_eq!(snaps[1].devices[0].util_gpu_pct, Some(63));
    let failed = &snaps[1].devices[1];
    assert_eq!(failed.index, 1);
    assert!(
        failed
            .error
            .as_deref()
            .is_some_and(|e| e.contains("fell off the bus"))
    );
    assert_eq!(failed.name, None);

    // Round 3: the list itself fails; the snapshot says so.
    assert!(snaps[2].devices.is_empty());
    assert!(
        snaps[2]
            .error
            .as_deref()
            .is_some_and(|e| e.contains("driver is not loaded"))
    );

    // Round 4: recovered.
    assert_eq!(snaps[3].devices.len(), 2);
    assert!(snaps[3].error.is_none());
}

#[test]
fn unavailable_nvml_is_reported_once_and_the_thread_ends() {
    let (tx, rx) = mpsc::channel();
    let handle = spawn_sampler(
        || -> Result<FakeBackend, NvmlUnavailable> {
            Err(NvmlUnavailable::new(
                UnavailableKind::LibraryNotFound,
                "libnvidia-ml.so.1: cannot open shared object file",
            ))
        },
        config(),
        tx,
    )
    .expect("thread starts");
    handle.wait();
    let reports: Vec<GpuReport> = rx.iter().collect();
    assert_eq!(reports.len(), 1);
    match &reports[0] {
        GpuReport::Unavailable(u) => assert_eq!(u.kind, UnavailableKind::LibraryNotFound),
        other => panic!("unexpected {other:?}"),
    }
}

#[test]
fn dropping_the_receiver_ends_the_sampler() {
    let backend = FakeBackend::new(None, vec![FakeRound::ok(vec![t4()])]);
    let (tx, rx) = mpsc::channel();
    let handle = spawn_sampler(move || Ok(backend), config(), tx).expect("thread starts");
    assert!(matches!(rx.recv(), Ok(GpuReport::Snapshot(_))));
    drop(rx);
    // Without a stop request, the thread must end on its own once a send fails.
    handle.wait();
}

#[test]
fn tokio_and_closure_sinks_deliver() {
    let (tx, mut rx) = tokio::sync::mpsc::channel(1);
    let backend = FakeBackend::new(None, vec![FakeRound::ok(vec![t4()])]);
    let handle = spawn_sampler(move || Ok(backend), config(), tx).expect("thread starts");
    let first = rx.blocking_recv().expect("a report");
    assert!(matches!(first, GpuReport::Snapshot(ref s) if s.devices.len() == 1));
    // The bounded channel may be full: drop the receiver before waiting for the thread.
    drop(rx);
    handle.stop();

    // A closure that wraps reports into the caller's own message type.
    #[derive(Debug)]
    enum Msg {
        Gpu(Box<GpuReport>),
    }
    let (tx, rx) = mpsc::channel::<Msg>();
    let backend = FakeBackend::new(None, vec![FakeRound::ok(vec![a100_mig()])]);
    let sink = FnSink(move |r| tx.send(Msg::Gpu(Box::new(r))).is_ok());
    let handle = spawn_sampler(move || Ok(backend), config(), sink).expect("thread starts");
    let Msg::Gpu(report) = rx.recv().expect("a message");
    assert!(matches!(*report, GpuReport::Snapshot(ref s) if s.devices[0].mig_instances.len() == 2));
    handle.stop();
}
