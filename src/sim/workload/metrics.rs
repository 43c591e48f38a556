//! Prometheus text the simulated pods serve through the pod proxy, in the formats of the
//! real exporters: the KServe Python model server (`request_*_seconds` histograms, label
//! `model_name`, prometheus_client's default buckets; FACTS.md §f; a transformer's predict is
//! its call to the predictor pods, plus a hop), Knative's queue-proxy
//! (`revision_*` counters and millisecond histograms with response codes), and NVIDIA's DCGM
//! exporter (`DCGM_FI_DEV_*` per GPU, with the pod using it; host label `Hostname` as the
//! released images emit it).

use super::latency::Profile;
use std::fmt::Write;

/// prometheus_client's default histogram buckets, seconds.
pub const SECONDS_BUCKETS: [f64; 14] = [
    0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0,
];
/// Knative's request latency buckets, milliseconds.
pub const MS_BUCKETS: [f64; 26] = [
    5.0, 10.0, 20.0, 40.0, 60.0, 80.0, 100.0, 150.0, 200.0, 250.0, 300.0, 350.0, 400.0, 450.0,
    500.0, 600.0, 700.0, 800.0, 900.0, 1000.0, 2000.0, 5000.0, 10000.0, 20000.0, 50000.0, 100000.0,
];

/// Cumulative request counters of one model-server pod (floats: expected counts).
#[derive(Debug, Clone, Default)]
pub struct Counters {
    pub requests: f64,
    pub errors: f64,
    pub sum_ms: f64,
    pub created: f64,
}

impl Counters {
    /// Adds `n` requests drawn from `profile`.
    pub fn add(&mut self, n: f64, profile: &Profile) {
        self.requests += n;
        self.errors += n * profile.error_ratio;
        self.sum_ms += n * profile.mean_ms();
    }
}

fn number(v: f64) -> String {
    format!("{:.1}", v.floor())
}

fn histogram_seconds(
    out: &mut String,
    name: &str,
    help: &str,
    model: &str,
    counters: &Counters,
    profile: &Profile,
    share: f64,
) {
    let share = share.max(1e-6);
    histogram_seconds_of(
        out,
        (name, help, model),
        counters,
        |ms| profile.cdf(ms / share),
        counters.sum_ms * share,
    );
}

/// One `*_seconds` histogram of `counters.requests` requests whose latency (ms) follows
/// `cdf`, with `sum_ms` in all. `what` is (name, help, model).
fn histogram_seconds_of(
    out: &mut String,
    (name, help, model): (&str, &str, &str),
    counters: &Counters,
    cdf: impl Fn(f64) -> f64,
    sum_ms: f64,
) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} histogram");
    for le in SECONDS_BUCKETS {
        let count = counters.requests * cdf(le * 1000.0);
        let _ = writeln!(
            out,
            "{name}_bucket{{model_name=\"{model}\",le=\"{le}\"}} {}",
            number(count)
        );
    }
    let _ = writeln!(
        out,
        "{name}_bucket{{model_name=\"{model}\",le=\"+Inf\"}} {}",
        number(counters.requests)
    );
    let _ = writeln!(
        out,
        "{name}_count{{model_name=\"{model}\"}} {}",
        number(counters.requests)
    );
    let _ = writeln!(
        out,
        "{name}_sum{{model_name=\"{model}\"}} {:.6}",
        sum_ms / 1000.0
    );
    let _ = writeln!(out, "# HELP {name}_created {help}");
    let _ = writeln!(out, "# TYPE {name}_created gauge");
    let _ = writeln!(
        out,
        "{name}_created{{model_name=\"{model}\"}} {:.9e}",
        counters.created
    );
}

/// The KServe model server's `/metrics`.
pub fn model_server(model: &str, counters: &Counters, profile: &Profile) -> String {
    let mut out = String::with_capacity(4096);
    let _ = writeln!(out, "# HELP python_info Python platform information");
    let _ = writeln!(out, "# TYPE python_info gauge");
    let _ = writeln!(
        out,
        "python_info{{implementation=\"CPython\",major=\"3\",minor=\"11\",patchlevel=\"7\",version=\"3.11.7\"}} 1.0"
    );
    let _ = writeln!(
        out,
        "# HELP process_resident_memory_bytes Resident memory size in bytes."
    );
    let _ = writeln!(out, "# TYPE process_resident_memory_bytes gauge");
    let _ = writeln!(
        out,
        "process_resident_memory_bytes {:.1}",
        312_000_000.0 + counters.requests.min(1e6)
    );
    histogram_seconds(
        &mut out,
        "request_preprocess_seconds",
        "pre-process request latency",
        model,
        counters,
        profile,
        0.02,
    );
    histogram_seconds(
        &mut out,
        "request_postprocess_seconds",
        "post-process request latency",
        model,
        counters,
        profile,
        0.02,
    );
    histogram_seconds(
        &mut out,
        "request_predict_seconds",
        "predict request latency",
        model,
        counters,
        profile,
        0.9,
    );
    histogram_seconds(
        &mut out,
        "request_explain_seconds",
        "explain request latency",
        model,
        &Counters {
            created: counters.created,
            ..Counters::default()
        },
        profile,
        1.0,
    );
    out
}

/// What a transformer's call to its predictor adds to the predictor's own latency (network,
/// queue-proxy, (de)serialisation), ms.
pub const TRANSFORMER_HOP_MS: f64 = 3.0;

/// A transformer's `/metrics` (the KServe model server in front of a predictor): its own
/// `profile` split into pre- (60 %) and post-processing (40 %), and its predict, which is
/// its call to the predictor: the predictor pods' latency (`upstream`, each profile with
/// its share of the traffic) plus [`TRANSFORMER_HOP_MS`]. Without upstream traffic the
/// predict follows the transformer's own profile plus the hop.
pub fn transformer(
    model: &str,
    counters: &Counters,
    profile: &Profile,
    upstream: &[(f64, Profile)],
) -> String {
    let mut out = String::with_capacity(4096);
    histogram_seconds(
        &mut out,
        "request_preprocess_seconds",
        "pre-process request latency",
        model,
        counters,
        profile,
        0.6,
    );
    histogram_seconds(
        &mut out,
        "request_postprocess_seconds",
        "post-process request latency",
        model,
        counters,
        profile,
        0.4,
    );
    let own = [(1.0, *profile)];
    let total: f64 = upstream.iter().map(|(w, _)| w.max(0.0)).sum();
    let mix: &[(f64, Profile)] = if total > 0.0 { upstream } else { &own };
    let total = if total > 0.0 { total } else { 1.0 };
    let cdf = |ms: f64| {
        mix.iter()
            .map(|(w, p)| w.max(0.0) * p.cdf(ms - TRANSFORMER_HOP_MS))
            .sum::<f64>()
            / total
    };
    let mean: f64 = mix
        .iter()
        .map(|(w, p)| w.max(0.0) * p.mean_ms())
        .sum::<f64>()
        / total;
    histogram_seconds_of(
        &mut out,
        ("request_predict_seconds", "predict request latency", model),
        counters,
        cdf,
        counters.requests * (mean + TRANSFORMER_HOP_MS),
    );
    out
}

/// Labels identifying a revision's queue-proxy series.
pub struct QueueLabels<'a> {
    pub namespace: &'a str,
    pub pod: &'a str,
    pub revision: &'a str,
    /// The Knative service, `{isvc}-predictor`.
    pub service: &'a str,
}

/// Knative queue-proxy's `/metrics` (port 9091).
pub fn queue_proxy(l: &QueueLabels, counters: &Counters, profile: &Profile) -> String {
    let mut out = String::with_capacity(8192);
    let base = format!(
        "configuration_name=\"{svc}\",namespace_name=\"{ns}\",pod_name=\"{pod}\",revision_name=\"{rev}\",service_name=\"{svc}\"",
        svc = l.service,
        ns = l.namespace,
        pod = l.pod,
        rev = l.revision
    );
    let ok = counters.requests - counters.errors;
    let classes = [("200", "2xx", ok), ("500", "5xx", counters.errors)];
    for (name, help) in [
        (
            "revision_request_count",
            "The number of requests that are routed to queue-proxy",
        ),
        (
            "revision_app_request_count",
            "The number of requests that are routed to user-container",
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} counter");
        for (code, class, n) in classes {
            let _ = writeln!(
                out,
                "{name}{{{base},container_name=\"queue-proxy\",response_code=\"{code}\",response_code_class=\"{class}\"}} {}",
                number(n)
            );
        }
    }
    for (name, help) in [
        (
            "revision_request_latencies",
            "The response latencies of the requests in milliseconds",
        ),
        (
            "revision_app_request_latencies",
            "The response latencies of the user container in milliseconds",
        ),
    ] {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} histogram");
        for (code, class, n) in classes {
            let labels = format!("{base},response_code=\"{code}\",response_code_class=\"{class}\"");
            for le in MS_BUCKETS {
                let _ = writeln!(
                    out,
                    "{name}_bucket{{{labels},le=\"{le}\"}} {}",
                    number(n * profile.cdf(le))
                );
            }
            let _ = writeln!(out, "{name}_bucket{{{labels},le=\"+Inf\"}} {}", number(n));
            let _ = writeln!(out, "{name}_count{{{labels}}} {}", number(n));
            let _ = writeln!(out, "{name}_sum{{{labels}}} {:.3}", n * profile.mean_ms());
        }
    }
    let _ = writeln!(
        out,
        "# HELP revision_queue_depth The current number of items in the serving and waiting queue"
    );
    let _ = writeln!(out, "# TYPE revision_queue_depth gauge");
    let _ = writeln!(
        out,
        "revision_queue_depth{{{base},container_name=\"queue-proxy\"}} 0"
    );
    out
}

/// One GPU as the DCGM exporter reports it.
pub struct GpuReading<'a> {
    pub index: u32,
    pub uuid: &'a str,
    pub model: &'a str,
    pub hostname: &'a str,
    pub util: f64,
    pub fb_used_mib: f64,
    pub fb_total_mib: f64,
    pub temp_c: f64,
    pub power_w: f64,
    pub sm_clock: f64,
    pub mem_clock: f64,
    /// (namespace, pod, container) using it.
    pub pod: Option<(&'a str, &'a str, &'a str)>,
}

/// One DCGM field: name, help text, and how to read it from a GPU.
type GpuField = (&'static str, &'static str, fn(&GpuReading) -> f64);

/// The DCGM exporter's `/metrics` (port 9400).
pub fn dcgm(gpus: &[GpuReading]) -> String {
    let mut out = String::with_capacity(4096);
    let fields: [GpuField; 8] = [
        (
            "DCGM_FI_DEV_SM_CLOCK",
            "SM clock frequency (in MHz).",
            |g| g.sm_clock,
        ),
        (
            "DCGM_FI_DEV_MEM_CLOCK",
            "Memory clock frequency (in MHz).",
            |g| g.mem_clock,
        ),
        ("DCGM_FI_DEV_GPU_TEMP", "GPU temperature (in C).", |g| {
            g.temp_c
        }),
        ("DCGM_FI_DEV_POWER_USAGE", "Power draw (in W).", |g| {
            g.power_w
        }),
        ("DCGM_FI_DEV_GPU_UTIL", "GPU utilization (in %).", |g| {
            g.util
        }),
        (
            "DCGM_FI_DEV_MEM_COPY_UTIL",
            "Memory utilization (in %).",
            |g| (g.util * 0.6).round(),
        ),
        (
            "DCGM_FI_DEV_FB_FREE",
            "Framebuffer memory free (in MiB).",
            |g| (g.fb_total_mib - g.fb_used_mib).max(0.0),
        ),
        (
            "DCGM_FI_DEV_FB_USED",
            "Framebuffer memory used (in MiB).",
            |g| g.fb_used_mib,
        ),
    ];
    for (name, help, value) in fields {
        let _ = writeln!(out, "# HELP {name} {help}");
        let _ = writeln!(out, "# TYPE {name} gauge");
        for g in gpus {
            let mut labels = format!(
                "gpu=\"{}\",UUID=\"{}\",pci_bus_id=\"00000000:{:02X}:1E.0\",device=\"nvidia{}\",modelName=\"{}\",Hostname=\"{}\",DCGM_FI_DRIVER_VERSION=\"550.54.15\"",
                g.index,
                g.uuid,
                16 + g.index,
                g.index,
                g.model,
                g.hostname
            );
            if let Some((ns, pod, container)) = g.pod {
                let _ = write!(
                    labels,
                    ",container=\"{container}\",namespace=\"{ns}\",pod=\"{pod}\""
                );
            }
            let _ = writeln!(out, "{name}{{{labels}}} {}", value(g).round());
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::prom::Exposition;

    #[test]
    fn every_format_parses_as_prometheus_text() {
        let mut c = Counters {
            created: 1.7e9,
            ..Counters::default()
        };
        c.add(1000.0, &Profile::BAD);
        let ms_text = model_server("fraud", &c, &Profile::BAD);
        let ms = Exposition::parse(&ms_text);
        assert!(ms.problems.is_empty(), "{:?}", ms.problems);
        let h = &ms.histograms("request_predict_seconds")[0];
        assert_eq!(h.count, Some(1000.0));
        let t_text = transformer(
            "img",
            &c,
            &Profile::HEALTHY,
            &[(9.0, Profile::HEALTHY), (1.0, Profile::BAD)],
        );
        let t = Exposition::parse(&t_text);
        assert!(t.problems.is_empty(), "{:?}", t.problems);
        let (stages, _) = crate::domain::latency::chain_window::parse(&transformer(
            "img",
            &c,
            &Profile::HEALTHY,
            &[(1.0, Profile::HEALTHY)],
        ));
        let stages = stages.expect("stages");
        let p50 = |b: &Option<crate::domain::latency::Buckets>| {
            b.as_ref().and_then(|b| b.quantile(0.5)).expect("p50")
        };
        // Its predict is the predictor's latency plus the hop; pre/post are its own, small.
        assert!(
            p50(&stages.predict) > Profile::HEALTHY.median_ms,
            "{stages:?}"
        );
        assert!(
            p50(&stages.preprocess) < Profile::HEALTHY.median_ms,
            "{stages:?}"
        );
        assert!(
            p50(&stages.postprocess) < p50(&stages.preprocess) + 1.0,
            "{stages:?}"
        );
        let qp_text = queue_proxy(
            &QueueLabels {
                namespace: "ml",
                pod: "p",
                revision: "r",
                service: "s",
            },
            &c,
            &Profile::BAD,
        );
        let qp = Exposition::parse(&qp_text);
        assert!(qp.problems.is_empty(), "{:?}", qp.problems);
        assert_eq!(qp.histograms("revision_app_request_latencies").len(), 2);
        let d_text = dcgm(&[GpuReading {
            index: 0,
            uuid: "GPU-1",
            model: "NVIDIA A10G",
            hostname: "n",
            util: 50.0,
            fb_used_mib: 1000.0,
            fb_total_mib: 23000.0,
            temp_c: 60.0,
            power_w: 150.0,
            sm_clock: 1700.0,
            mem_clock: 6000.0,
            pod: Some(("ml", "p", "kserve-container")),
        }]);
        let d = Exposition::parse(&d_text);
        assert!(d.problems.is_empty(), "{:?}", d.problems);
        assert_eq!(
            d.family("DCGM_FI_DEV_GPU_UTIL").unwrap().samples[0].label("pod"),
            Some("p")
        );
    }
}
