//! `/proc/PID/cgroup` fixtures from the cgroup layouts kubelets produce → pod UID, container ID.

use kdeck::domain::gpu::parse_cgroup;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gpu/cgroup")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

const C1: &str = "8d5c3e1f0a2b4c6d8e0f1a3b5c7d9e1f2a4b6c8d0e2f4a6b8c0d2e4f6a8b0c2d";
const C2: &str = "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855";
const C3: &str = "1f0e2d3c4b5a69788796a5b4c3d2e1f00f1e2d3c4b5a69788796a5b4c3d2e1f0";

#[test]
fn every_kubelet_layout_yields_pod_and_container() {
    // (file, pod uid, container id, runtime, qos)
    let cases = [
        (
            "v1-systemd-containerd-burstable.txt",
            "6f1c2b9a-1e2d-4c3b-8a7f-0b1c2d3e4f5a",
            C1,
            Some("containerd"),
            "burstable",
        ),
        (
            "v2-systemd-containerd-besteffort.txt",
            "0a9b8c7d-6e5f-4a3b-9c2d-1e0f9a8b7c6d",
            C2,
            Some("containerd"),
            "besteffort",
        ),
        (
            "v2-systemd-crio-burstable.txt",
            "2c4e6a8b-0d1f-4e3a-b5c7-d9e1f3a5b7c9",
            C3,
            Some("cri-o"),
            "burstable",
        ),
        (
            "v1-cgroupfs-docker-besteffort.txt",
            "7b8c9d0e-1f2a-4b3c-8d4e-5f6a7b8c9d0e",
            C2,
            None,
            "besteffort",
        ),
        (
            "v2-cgroupfs-k3s-burstable.txt",
            "3d4e5f6a-7b8c-4d9e-a0f1-b2c3d4e5f6a7",
            C1,
            None,
            "burstable",
        ),
        (
            "v2-kind-nested.txt",
            "9e8d7c6b-5a4f-4e3d-8c2b-1a0f9e8d7c6b",
            C3,
            Some("containerd"),
            "besteffort",
        ),
        (
            "v1-systemd-docker-guaranteed.txt",
            "5a6b7c8d-9e0f-4a1b-8c2d-3e4f5a6b7c8d",
            C2,
            Some("docker"),
            "guaranteed",
        ),
        (
            "v2-static-pod-hash.txt",
            "d41d8cd98f00b204e9800998ecf8427e",
            C1,
            None,
            "guaranteed",
        ),
    ];
    for (file, uid, cid, runtime, qos) in cases {
        let got = parse_cgroup(&fixture(file)).unwrap_or_else(|| panic!("{file}: no pod found"));
        assert_eq!(got.pod_uid, uid, "{file}");
        assert_eq!(got.container_id.as_deref(), Some(cid), "{file}");
        assert_eq!(got.runtime.as_deref(), runtime, "{file}");
        assert_eq!(got.qos.as_deref(), Some(qos), "{file}");
    }
}

#[test]
fn processes_outside_pods_have_no_pod() {
    assert_eq!(parse_cgroup(&fixture("host-session.txt")), None);
    assert_eq!(parse_cgroup(&fixture("v2-private-namespace.txt")), None);
}
