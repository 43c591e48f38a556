//! `/proc/PID/cgroup` text → the Kubernetes pod UID and container ID of a process.
//!
//! Handles cgroup v1 (one line per controller) and v2 (`0::/path`), the kubelet's `systemd`
//! cgroup driver (`kubepods-burstable-pod<uid with underscores>.slice/cri-containerd-<id>.scope`)
//! and its `cgroupfs` driver (`/kubepods/besteffort/pod<uid>/<id>`), with containerd, CRI-O and
//! Docker scopes, and clusters nested in containers (kind: `/kubelet.slice/kubelet-kubepods.slice/…`,
//! `/docker/<id>/kubepods/…`). The app joins the pod UID to the pods it watches.

use serde::Serialize;

/// Where a process runs in Kubernetes, as far as its cgroup tells.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContainerRef {
    /// The pod's `metadata.uid` (dashes restored), or a static pod's config hash.
    pub pod_uid: String,
    /// The container ID without its runtime prefix (as in `containerStatuses[].containerID`
    /// after `containerd://`); `None` for the pod's own cgroup.
    pub container_id: Option<String>,
    /// `containerd`, `cri-o` or `docker` when the scope names it.
    pub runtime: Option<String>,
    /// `guaranteed`, `burstable` or `besteffort`.
    pub qos: Option<String>,
}

/// Finds the pod and container in a `/proc/PID/cgroup` file; `None` for processes that are
/// not in a Kubernetes pod (or whose cgroup namespace hides the path).
pub fn parse_cgroup(text: &str) -> Option<ContainerRef> {
    // Prefer the unified (v2) line, then any v1 line that names a pod.
    let mut lines: Vec<&str> = text.lines().collect();
    lines.sort_by_key(|l| !l.starts_with("0::"));
    lines.into_iter().find_map(|line| {
        let path = line.splitn(3, ':').nth(2)?;
        parse_path(path)
    })
}

/// Parses one cgroup path.
pub fn parse_path(path: &str) -> Option<ContainerRef> {
    let segments: Vec<&str> = path.split('/').filter(|s| !s.is_empty()).collect();
    // The last pod segment wins: nested clusters (kind) have an outer container first.
    let (pos, pod_uid, qos) = segments
        .iter()
        .enumerate()
        .rev()
        .find_map(|(i, seg)| pod_segment(seg).map(|(uid, qos)| (i, uid, qos)))?;
    let qos = qos.or_else(|| qos_from_parent(pos.checked_sub(1).map(|p| segments[p])));
    let (container_id, runtime) = match segments.get(pos + 1) {
        Some(seg) => match container_segment(seg) {
            Some((id, runtime)) => (Some(id), runtime),
            None => (None, None),
        },
        None => (None, None),
    };
    Some(ContainerRef {
        pod_uid,
        container_id,
        runtime,
        qos,
    })
}

/// `pod<uid>` (cgroupfs) or `…kubepods-<qos>-pod<uid_with_underscores>.slice` (systemd).
fn pod_segment(seg: &str) -> Option<(String, Option<String>)> {
    if let Some(rest) = seg.strip_suffix(".slice") {
        let at = rest.rfind("-pod")?;
        let uid = rest[at + 4..].replace('_', "-");
        if !is_pod_uid(&uid) {
            return None;
        }
        let before = &rest[..at];
        let qos = if before.ends_with("-besteffort") {
            "besteffort"
        } else if before.ends_with("-burstable") {
            "burstable"
        } else {
            "guaranteed"
        };
        return Some((uid, Some(qos.to_string())));
    }
    let uid = seg.strip_prefix("pod")?;
    is_pod_uid(uid).then(|| (uid.to_string(), None))
}

/// The QoS class from the cgroupfs parent of the pod directory.
fn qos_from_parent(parent: Option<&str>) -> Option<String> {
    match parent? {
        "besteffort" => Some("besteffort".into()),
        "burstable" => Some("burstable".into()),
        "kubepods" => Some("guaranteed".into()),
        _ => None,
    }
}

/// `cri-containerd-<id>.scope`, `crio-<id>.scope`, `docker-<id>.scope` or a bare `<id>`.
fn container_segment(seg: &str) -> Option<(String, Option<String>)> {
    let (body, scoped) = match seg.strip_suffix(".scope") {
        Some(body) => (body, true),
        None => (seg, false),
    };
    let prefixes = [
        ("cri-containerd-", "containerd"),
        ("containerd-", "containerd"),
        ("crio-", "cri-o"),
        ("docker-", "docker"),
    ];
    for (prefix, runtime) in prefixes {
        if let Some(id) = body.strip_prefix(prefix) {
            return is_container_id(id).then(|| (id.to_string(), Some(runtime.to_string())));
        }
    }
    (!scoped && is_container_id(body)).then(|| (body.to_string(), None))
}

/// A pod UID: `8-4-4-4-12` hex, or 32 hex digits (a static pod's config hash).
fn is_pod_uid(uid: &str) -> bool {
    let groups: Vec<&str> = uid.split('-').collect();
    let hex = |s: &str| !s.is_empty() && s.bytes().all(|b| b.is_ascii_hexdigit());
    match groups.as_slice() {
        [a, b, c, d, e] => {
            [a.len(), b.len(), c.len(), d.len(), e.len()] == [8, 4, 4, 4, 12]
                && groups.iter().all(|g| hex(g))
        }
        [one] => one.len() == 32 && hex(one),
        _ => false,
    }
}

/// Container IDs are 64 hex digits for every CRI runtime.
fn is_container_id(id: &str) -> bool {
    id.len() == 64 && id.bytes().all(|b| b.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::*;

    const CID: &str = "4f3e2d1c0b9a8f7e6d5c4b3a29181716151413121110f0e0d0c0b0a090807060";

    #[test]
    fn systemd_burstable_containerd() {
        let path = format!(
            "/kubepods.slice/kubepods-burstable.slice/kubepods-burstable-pod3b1f5a2e_7c44_4d1a_9f0e_2a6b8c9d0e1f.slice/cri-containerd-{CID}.scope"
        );
        let r = parse_path(&path).expect("a pod");
        assert_eq!(r.pod_uid, "3b1f5a2e-7c44-4d1a-9f0e-2a6b8c9d0e1f");
        assert_eq!(r.container_id.as_deref(), Some(CID));
        assert_eq!(r.runtime.as_deref(), Some("containerd"));
        assert_eq!(r.qos.as_deref(), Some("burstable"));
    }

    #[test]
    fn cgroupfs_guaranteed_has_no_runtime() {
        let path = format!("/kubepods/pod3b1f5a2e-7c44-4d1a-9f0e-2a6b8c9d0e1f/{CID}");
        let r = parse_path(&path).expect("a pod");
        assert_eq!(r.qos.as_deref(), Some("guaranteed"));
        assert_eq!(r.runtime, None);
        assert_eq!(r.container_id.as_deref(), Some(CID));
    }

    #[test]
    fn not_a_pod() {
        assert_eq!(
            parse_cgroup("0::/user.slice/user-1000.slice/session-3.scope\n"),
            None
        );
        assert_eq!(parse_cgroup("0::/\n"), None);
        assert_eq!(parse_cgroup(""), None);
        assert_eq!(parse_path("/kubepods/podnot-a-uid/abc"), None);
    }

    #[test]
    fn conmon_scope_is_not_a_container() {
        let path = format!(
            "/kubepods.slice/kubepods-pod3b1f5a2e_7c44_4d1a_9f0e_2a6b8c9d0e1f.slice/crio-conmon-{CID}.scope"
        );
        let r = parse_path(&path).expect("a pod");
        assert_eq!(r.container_id, None);
        assert_eq!(r.qos.as_deref(), Some("guaranteed"));
    }
}
