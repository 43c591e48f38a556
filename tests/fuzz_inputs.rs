//! Property tests by mutation: the KServe-shaped manifests of tests/fixtures/kserve,
//! Prometheus text, kubeconfig, keymap, theme and config files, randomly mutated (seeded, so
//! a failure is reproducible). Edits that keep a manifest valid parse to exactly the edited
//! fields; edits that break it never panic the code that reads it: every input becomes a
//! value or a worded problem. Longer runs: `KDECK_FUZZ_ROUNDS=100000`.

#![allow(clippy::unwrap_used)]

use kdeck::domain::isvc::{Isvc, MODEL_KEYS};
use kdeck::domain::kind::{KINDS, parse};
use kdeck::domain::prom::Exposition;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

fn rounds() -> usize {
    std::env::var("KDECK_FUZZ_ROUNDS")
        .ok()
        .and_then(|r| r.parse().ok())
        .unwrap_or(400)
}

/// The repository's KServe-shaped manifests (tests/fixtures/kserve), as JSON values.
fn kserve_fixtures() -> Vec<Value> {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/fixtures/kserve");
    let mut out = Vec::new();
    for dir in ["isvc", "runtimes", "graph"] {
        for entry in std::fs::read_dir(format!("{root}/{dir}")).unwrap() {
            let text = std::fs::read_to_string(entry.unwrap().path()).unwrap();
            for doc in serde_norway::Deserializer::from_str(&text) {
                out.push(<Value as serde::Deserialize>::deserialize(doc).unwrap());
            }
        }
    }
    assert!(out.len() >= 30, "only {} fixture documents", out.len());
    out
}

fn random_value(rng: &mut SmallRng, depth: u32) -> Value {
    match rng.random_range(0..8) {
        0 => Value::Null,
        1 => json!(rng.random::<bool>()),
        2 => json!(rng.random::<i64>()),
        3 => json!(rng.random::<f64>() * 1e9 - 5e8),
        4 => json!(
            [
                "",
                "True",
                "100%",
                "-1",
                "nan",
                "2026-13-45T99:00:00Z",
                "\u{1b}[2J",
                "é漢"
            ][rng.random_range(0..8)]
        ),
        5 if depth < 3 => Value::Array(
            (0..rng.random_range(0..3))
                .map(|_| random_value(rng, depth + 1))
                .collect(),
        ),
        6 if depth < 3 => {
            let mut m = serde_json::Map::new();
            for k in [
                "status",
                "percent",
                "type",
                "name",
                "conditions",
                "traffic",
                "spec",
            ] {
                if rng.random_bool(0.3) {
                    m.insert(k.to_string(), random_value(rng, depth + 1));
                }
            }
            Value::Object(m)
        }
        _ => json!("x"),
    }
}

/// Replaces, removes or retypes random nodes of `v`.
fn mutate(v: &mut Value, rng: &mut SmallRng) {
    match v {
        Value::Object(map) => {
            let keys: Vec<String> = map.keys().cloned().collect();
            for k in keys {
                match rng.random_range(0..10) {
                    0 => {
                        map.remove(&k);
                    }
                    1 => {
                        map.insert(k, random_value(rng, 0));
                    }
                    _ => {
                        if let Some(child) = map.get_mut(&k) {
                            mutate(child, rng);
                        }
                    }
                }
            }
        }
        Value::Array(items) => {
            for item in items.iter_mut() {
                mutate(item, rng);
            }
            if rng.random_bool(0.1) {
                items.push(random_value(rng, 0));
            }
        }
        other => {
            if rng.random_bool(0.2) {
                *other = random_value(rng, 0);
            }
        }
    }
}

/// A status KServe could have written, so mutations reach the status parsing too.
fn with_status(mut v: Value) -> Value {
    v["status"] = json!({
        "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-20T10:00:00Z"}],
        "components": {"predictor": {"traffic": [
            {"revisionName": "a-predictor-00002", "percent": 10, "latestRevision": true, "tag": "latest"},
            {"revisionName": "a-predictor-00001", "percent": 90, "tag": "prev"}],
            "latestReadyRevision": "a-predictor-00002"}},
        "url": "http://a.example.com"
    });
    v
}

/// Where the predictor's model is (`model` or a framework field), if it has one.
fn model_key(isvc: &Value) -> Option<&'static str> {
    MODEL_KEYS
        .iter()
        .copied()
        .find(|k| isvc["spec"]["predictor"].get(*k).is_some())
}

#[test]
fn valid_edits_of_kserve_services_parse_to_the_edited_fields() {
    let services: Vec<Value> = kserve_fixtures()
        .into_iter()
        .filter(|v| v["kind"] == "InferenceService")
        .collect();
    assert!(services.len() >= 17, "{}", services.len());
    let mut rng = SmallRng::seed_from_u64(5);
    for round in 0..rounds() {
        let original = &services[round % services.len()];
        let before = Isvc::parse(original);
        let mut v = original.clone();
        let name = format!("svc-{round}");
        let namespace = format!("team-{}", rng.random_range(0..50));
        v["metadata"]["name"] = json!(name);
        v["metadata"]["namespace"] = json!(namespace);
        v["metadata"]["labels"] = json!({"team": "fuzz", format!("k{round}"): "v"});
        let percent = rng.random_range(0..=100);
        let replicas = rng.random_range(0..5);
        v["spec"]["predictor"]["canaryTrafficPercent"] = json!(percent);
        v["spec"]["predictor"]["minReplicas"] = json!(replicas);
        let uri = format!("s3://bucket/{round}");
        if let Some(key) = model_key(&v) {
            v["spec"]["predictor"][key]["storageUri"] = json!(uri);
        }
        // The status KServe writes for that split.
        v["status"] = json!({
            "conditions": [{"type": "Ready", "status": "True", "lastTransitionTime": "2026-11-20T10:00:00Z"}],
            "components": {"predictor": {"traffic": [
                {"revisionName": format!("{name}-predictor-00002"), "percent": percent, "latestRevision": true},
                {"revisionName": format!("{name}-predictor-00001"), "percent": 100 - percent, "tag": "prev"}]}}
        });
        let isvc = Isvc::parse(&v);
        let at = format!("round {round}: {v}");
        assert!(isvc.problems.is_empty(), "{at}: {:?}", isvc.problems);
        assert_eq!(isvc.meta.name, name, "{at}");
        assert_eq!(isvc.meta.namespace, namespace, "{at}");
        assert_eq!(isvc.canary_percent(), Some(percent), "{at}");
        assert_eq!(isvc.runtime_label(), before.runtime_label(), "{at}");
        assert_eq!(isvc.mode, before.mode, "{at}");
        assert_eq!(isvc.gpus_per_replica(), before.gpus_per_replica(), "{at}");
        let predictor = isvc.predictor().expect("a predictor");
        assert_eq!(predictor.min_replicas, Some(replicas), "{at}");
        if model_key(&v).is_some() {
            assert_eq!(predictor.storage_uri.as_deref(), Some(uri.as_str()), "{at}");
        }
        let traffic = &isvc.predictor_status().expect("predictor status").traffic;
        let split: Vec<(i64, bool)> = traffic.iter().map(|t| (t.percent, t.latest)).collect();
        assert_eq!(split, [(percent, true), (100 - percent, false)], "{at}");
    }
}

#[test]
fn mutated_kserve_objects_parse_or_name_their_problem() {
    let mut seeds = kserve_fixtures();
    seeds.push(json!({"apiVersion": "serving.kserve.io/v1beta1", "kind": "InferenceService",
        "metadata": {"name": "a", "namespace": "n"}, "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}}}));
    let mut rng = SmallRng::seed_from_u64(7);
    let (mut clean, mut with_problems) = (0, 0);
    for round in 0..rounds() {
        let mut v = with_status(seeds[round % seeds.len()].clone());
        mutate(&mut v, &mut rng);
        // Every kind's parser takes every mutated object without panicking.
        for spec in KINDS {
            let _ = parse(spec.kind, &v);
        }
        let isvc = Isvc::parse(&v);
        let at = format!("round {round}: {v}");
        let name = v["metadata"]["name"].as_str().filter(|n| !n.is_empty());
        let predictor = &v["spec"]["predictor"];
        if name.is_none() || !predictor.is_object() || !v["spec"].is_object() {
            assert!(
                !isvc.problems.is_empty(),
                "a broken service without a problem: {at}"
            );
        }
        if isvc.problems.is_empty() {
            clean += 1;
            assert_eq!(Some(isvc.meta.name.as_str()), name, "{at}");
            assert!(isvc.predictor().is_some(), "{at}");
        } else {
            with_problems += 1;
        }
    }
    // The mutations reach both outcomes.
    assert!(
        clean > 0 && with_problems > 0,
        "{clean} clean, {with_problems} with problems"
    );
}

#[test]
fn mutated_prometheus_text_never_panics() {
    let seed = "# HELP request_predict_seconds predict latency\n# TYPE request_predict_seconds histogram\n\
        request_predict_seconds_bucket{model_name=\"m\",le=\"0.005\"} 1\n\
        request_predict_seconds_bucket{model_name=\"m\",le=\"+Inf\"} 3\n\
        request_predict_seconds_sum{model_name=\"m\"} 0.2\nrequest_predict_seconds_count{model_name=\"m\"} 3\n\
        # TYPE DCGM_FI_DEV_GPU_UTIL gauge\nDCGM_FI_DEV_GPU_UTIL{gpu=\"0\",UUID=\"GPU-1\",Hostname=\"n\",pod=\"p\",namespace=\"ns\"} 42\n";
    let mut rng = SmallRng::seed_from_u64(11);
    let alphabet = b"{}=\",\n# \\+-.eE0123456789leInfNaHELPTYPE histogram";
    for _ in 0..rounds() * 4 {
        let mut bytes = seed.as_bytes().to_vec();
        for _ in 0..rng.random_range(1..8) {
            let at = rng.random_range(0..bytes.len());
            match rng.random_range(0..3) {
                0 => bytes[at] = alphabet[rng.random_range(0..alphabet.len())],
                1 => {
                    bytes.remove(at);
                }
                _ => bytes.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
            }
        }
        let text = String::from_utf8_lossy(&bytes);
        let exposition = Exposition::parse(&text);
        let _ = exposition.histograms("request_predict_seconds");
        let _ = kdeck::domain::dcgm::parse_scrape(&exposition, Some("n"));
    }
}

/// Byte-level mutations of a text file.
fn mutate_text(text: &str, rng: &mut SmallRng) -> String {
    let mut chars: Vec<char> = text.chars().collect();
    let alphabet: Vec<char> = "[]=\"'.#\n -_abc0123456789{}".chars().collect();
    for _ in 0..rng.random_range(1..6) {
        if chars.is_empty() {
            break;
        }
        let at = rng.random_range(0..chars.len());
        match rng.random_range(0..3) {
            0 => chars[at] = alphabet[rng.random_range(0..alphabet.len())],
            1 => {
                chars.remove(at);
            }
            _ => chars.insert(at, alphabet[rng.random_range(0..alphabet.len())]),
        }
    }
    chars.into_iter().collect()
}

#[test]
fn mutated_keymap_theme_and_config_files_become_warnings() {
    let keymap = include_str!("../assets/keymap.toml");
    let theme = include_str!("../themes/light.toml");
    let config = "theme = \"light\"\nreadonly = false\n[logs]\nbuffer_lines = 20000\n[metrics]\ninterval = \"5s\"\n\
        [gpu]\ninterval = \"1s\"\n[prices]\n\"g5.xlarge\" = 1.006\n[contexts.prod]\nprotected = true\n";
    let mut rng = SmallRng::seed_from_u64(13);
    for _ in 0..rounds() / 4 {
        let (_, _) = kdeck::config::keymap::Keymap::load(Some((
            "keymap.toml",
            &mutate_text(keymap, &mut rng),
        )));
        let mut spec = kdeck::config::theme::load("dark", None).0;
        let mut warnings = Vec::new();
        kdeck::config::theme::apply(
            &mut spec,
            "mine.toml",
            &mutate_text(theme, &mut rng),
            &mut warnings,
        );
        let (_, _) = kdeck::config::parse("config.toml", &mutate_text(config, &mut rng));
    }
    // A wholly wrong file is a warning, not a crash.
    let (_, warnings) = kdeck::config::parse(
        "config.toml",
        "theme = [1, 2]\n[logs]\nbuffer_lines = \"many\"",
    );
    assert!(!warnings.is_empty());
}

#[test]
fn mutated_kubeconfigs_are_errors_not_panics() {
    let good = "apiVersion: v1\nkind: Config\nclusters:\n- name: c\n  cluster:\n    server: https://127.0.0.1:1\n\
        contexts:\n- name: c\n  context:\n    cluster: c\n    user: u\ncurrent-context: c\nusers:\n- name: u\n  user:\n    token: t\n";
    let mut rng = SmallRng::seed_from_u64(17);
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    for i in 0..rounds() / 8 {
        let path = dir.path().join(format!("k{i}"));
        std::fs::write(&path, mutate_text(good, &mut rng)).unwrap();
        let source = kdeck::sources::kube::connect::KubeconfigSource::File(path);
        let _ = kdeck::sources::kube::connect::read_kubeconfig(&source);
    }
    // A real attempt to connect with a broken kubeconfig says why.
    let path = dir.path().join("broken");
    std::fs::write(&path, "clusters: [oops").unwrap();
    let source = kdeck::sources::kube::connect::KubeconfigSource::File(path);
    let err = runtime
        .block_on(kdeck::sources::kube::connect::connect(&source, None))
        .err()
        .expect("a broken kubeconfig does not connect");
    assert!(err.message.contains("kubeconfig"), "{}", err.message);
}
