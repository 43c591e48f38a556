//! DCGM exporter scrapes (one fixture per node, shaped like dcgm-exporter's output) and a
//! Prometheus query answer → per-GPU records, per-service and per-node roll-ups.

use kdeck::domain::dcgm::aggregate::{PodName, ServiceName, per_node, per_service};
use kdeck::domain::dcgm::prom_api::samples_from_query_response;
use kdeck::domain::dcgm::{DcgmGpu, gpus_from_samples, parse_scrape};
use kdeck::domain::prom::Exposition;
use std::collections::HashMap;
use std::path::PathBuf;

fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/gpu/dcgm")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

fn all_nodes() -> Vec<DcgmGpu> {
    ["gpu-node-1.txt", "gpu-node-2.txt", "gpu-node-3.txt"]
        .iter()
        .flat_map(|f| {
            let text = fixture(f);
            let exposition = Exposition::parse(&text);
            assert!(
                exposition.problems.is_empty(),
                "{f}: {:?}",
                exposition.problems
            );
            parse_scrape(&exposition, None)
        })
        .collect()
}

fn pod_services() -> HashMap<PodName, ServiceName> {
    let entry = |ns: &str, pod: &str, svc: &str| {
        (
            PodName {
                namespace: ns.into(),
                name: pod.into(),
            },
            ServiceName {
                namespace: ns.into(),
                name: svc.into(),
            },
        )
    };
    HashMap::from([
        entry(
            "kserve-test",
            "llm-predictor-00001-deployment-7c9f8b6d5-x2k4q",
            "llm",
        ),
        entry(
            "kserve-test",
            "llm-predictor-00001-deployment-7c9f8b6d5-p8m2z",
            "llm",
        ),
        entry(
            "ml",
            "sklearn-iris-predictor-00002-deployment-5d7f9c8b4-qq7xd",
            "sklearn-iris",
        ),
        entry(
            "nlp",
            "bert-predictor-00003-deployment-6b8d7f5c9-ab12c",
            "bert",
        ),
    ])
}

#[test]
fn one_record_per_gpu_and_mig_instance() {
    let gpus = all_nodes();
    // node 1: 4 GPUs; node 2: the A100 itself + 2 MIG instances; node 3: 1 T4.
    assert_eq!(gpus.len(), 8);

    let h100 = &gpus[0];
    assert_eq!(h100.hostname.as_deref(), Some("gpu-node-1"));
    assert_eq!(h100.gpu, "0");
    assert_eq!(
        h100.uuid.as_deref(),
        Some("GPU-604ac76c-3e5d-4a7e-9b1f-2c8d0e6f7a81")
    );
    assert_eq!(h100.model_name.as_deref(), Some("NVIDIA H100 80GB HBM3"));
    assert_eq!(h100.driver_version.as_deref(), Some("550.54.15"));
    assert_eq!(h100.util_pct, Some(87.0));
    assert_eq!(h100.fb_used_mib, Some(61566.0));
    assert_eq!(h100.fb_free_mib, Some(19871.0));
    assert_eq!(h100.fb_total_mib(), Some(81437.0));
    assert_eq!(h100.temperature_c, Some(52.0));
    assert_eq!(h100.power_w, Some(412.118));
    assert_eq!(h100.sm_clock_mhz, Some(1980.0));
    assert_eq!(h100.mem_clock_mhz, Some(2619.0));
    assert_eq!(h100.workloads.len(), 1);
    assert_eq!(h100.workloads[0].namespace, "kserve-test");
    assert_eq!(
        h100.workloads[0].container.as_deref(),
        Some("kserve-container")
    );

    // Without pod labels, and with empty ones: no workload.
    assert!(gpus[2].workloads.is_empty());
    assert!(gpus[3].workloads.is_empty());

    // MIG: device-level record, then instances with profile, id, memory and engine activity.
    let a100: Vec<&DcgmGpu> = gpus
        .iter()
        .filter(|g| g.hostname.as_deref() == Some("gpu-node-2"))
        .collect();
    assert_eq!(a100.len(), 3);
    assert!(a100[0].mig.is_none());
    assert_eq!(a100[0].temperature_c, Some(41.0));
    let slice = a100[1].mig.as_ref().expect("a MIG instance");
    assert_eq!(
        (slice.profile.as_deref(), slice.instance_id.as_str()),
        (Some("3g.20gb"), "1")
    );
    assert_eq!(a100[1].util_pct, Some(42.0));
    assert_eq!(a100[1].fb_used_mib, Some(5120.0));
    assert_eq!(
        a100[1].workloads[0].pod,
        "sklearn-iris-predictor-00002-deployment-5d7f9c8b4-qq7xd"
    );
    assert!(a100[2].workloads.is_empty());

    // The newer exporter's lower-case `hostname`.
    let t4 = gpus.last().expect("the T4");
    assert_eq!(t4.hostname.as_deref(), Some("gpu-node-3"));
    assert_eq!(t4.model_name.as_deref(), Some("Tesla T4"));
}

#[test]
fn per_service_means_and_memory() {
    let services = per_service(&all_nodes(), &pod_services());
    let names: Vec<&str> = services.iter().map(|s| s.service.name.as_str()).collect();
    assert_eq!(names, vec!["llm", "sklearn-iris", "bert"]);

    let llm = &services[0];
    assert_eq!(llm.gpus, 2);
    assert_eq!(llm.mean_util_pct, Some(80.0)); // (87 + 73) / 2
    assert_eq!(llm.memory_used_mib, 61566.0 + 61567.0);
    assert_eq!(llm.memory_total_mib, Some(81437.0 * 2.0));
    assert_eq!(llm.pods.len(), 2);

    let iris = &services[1];
    assert_eq!((iris.gpus, iris.mean_util_pct), (1, Some(42.0)));
    assert_eq!(iris.memory_used_mib, 5120.0);

    let bert = &services[2];
    assert_eq!((bert.gpus, bert.mean_util_pct), (1, Some(95.0)));
}

#[test]
fn pods_of_no_known_service_are_left_out() {
    let services = per_service(&all_nodes(), &HashMap::new());
    assert!(services.is_empty());
}

#[test]
fn per_node_counts_physical_gpus() {
    let nodes = per_node(&all_nodes());
    let summary: Vec<(&str, usize, usize)> = nodes
        .iter()
        .map(|n| (n.hostname.as_str(), n.gpus, n.mig_instances))
        .collect();
    assert_eq!(
        summary,
        vec![
            ("gpu-node-1", 4, 0),
            ("gpu-node-2", 1, 2),
            ("gpu-node-3", 1, 0)
        ]
    );
    assert_eq!(nodes[0].mean_util_pct, Some(40.0)); // (87 + 73 + 0 + 0) / 4
    // The MIG GPU: instances weighted by compute slices, (42 × 3 + 0 × 1) / 4.
    assert_eq!(nodes[1].mean_util_pct, Some(31.5));
    assert_eq!(nodes[1].memory_used_mib, 5120.0);
}

#[test]
fn prometheus_answer_gives_the_same_records() {
    let samples =
        samples_from_query_response(&fixture("prometheus-query.json")).expect("a success answer");
    let from_prometheus = gpus_from_samples(&samples, None);
    let from_exporters = all_nodes();
    assert_eq!(from_prometheus.len(), from_exporters.len());
    for want in &from_exporters {
        let got = from_prometheus
            .iter()
            .find(|g| g.uuid == want.uuid && g.mig == want.mig)
            .unwrap_or_else(|| panic!("{:?} missing", want.uuid));
        assert_eq!(got.util_pct, want.util_pct, "{:?}", want.uuid);
        assert_eq!(got.fb_used_mib, want.fb_used_mib);
        assert_eq!(got.hostname, want.hostname);
        // The exporter pod Prometheus adds as a target label is not a workload.
        assert_eq!(got.workloads, want.workloads, "{:?}", want.uuid);
    }
}
