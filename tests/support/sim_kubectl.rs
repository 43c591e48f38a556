//! Helpers shared by tests/sim_kubectl.rs and tests/sim_kubectl_pods.rs.
#![allow(dead_code, clippy::unwrap_used, clippy::expect_used)]

use crate::common::sim::{Sim, poll};
use std::time::Duration;

pub(crate) const SETTLE: Duration = Duration::from_secs(10);

/// kubectl's table output split into cells by the header's column offsets (empty cells
/// stay empty, which splitting on whitespace would lose).
pub(crate) fn table(output: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut lines = output.lines();
    let header = lines.next().unwrap_or("");
    let mut starts = Vec::new();
    let mut names = Vec::new();
    // kubectl pads columns with at least three spaces; a single space is inside a name
    // ("LAST SEEN").
    let mut spaces = 2;
    for (i, c) in header.char_indices() {
        if c != ' ' && spaces >= 2 {
            starts.push(i);
        }
        spaces = if c == ' ' { spaces + 1 } else { 0 };
    }
    for (n, s) in starts.iter().enumerate() {
        let end = starts.get(n + 1).copied().unwrap_or(header.len());
        names.push(header[*s..end].trim().to_string());
    }
    let rows = lines
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            starts
                .iter()
                .enumerate()
                .map(|(n, s)| {
                    let end = starts.get(n + 1).copied().unwrap_or(l.len()).min(l.len());
                    l.get(*s..end).unwrap_or("").trim().to_string()
                })
                .collect()
        })
        .collect();
    (names, rows)
}

pub(crate) fn row<'a>(rows: &'a [Vec<String>], name: &str) -> &'a [String] {
    rows.iter()
        .find(|r| r.iter().any(|c| c == name))
        .unwrap_or_else(|| panic!("no row for {name} in {rows:?}"))
}

pub(crate) fn jsonpath(sim: &Sim, ns: &str, name: &str, path: &str) -> String {
    sim.kubectl()
        .ok(&[
            "get",
            "isvc",
            name,
            "-n",
            ns,
            "-o",
            &format!("jsonpath={{{path}}}"),
        ])
        .trim()
        .to_string()
}

/// Polls a jsonpath until it reads `want`.
pub(crate) fn wait_jsonpath(sim: &Sim, ns: &str, name: &str, path: &str, want: &str) {
    let got = poll(SETTLE, || {
        let v = jsonpath(sim, ns, name, path);
        (v == want).then_some(v)
    });
    assert!(
        got.is_some(),
        "{ns}/{name} {path}: wanted {want:?}, last {:?}",
        jsonpath(sim, ns, name, path)
    );
}

pub(crate) const LATEST_PCT: &str =
    ".status.components.predictor.traffic[?(@.latestRevision==true)].percent";

pub(crate) const PREV_PCT: &str = ".status.components.predictor.traffic[?(@.tag=='prev')].percent";

pub(crate) const PREV_REV: &str =
    ".status.components.predictor.traffic[?(@.tag=='prev')].revisionName";

pub(crate) fn predictor_pod(sim: &Sim, ns: &str, isvc: &str) -> String {
    let out = sim.kubectl().ok(&[
        "get",
        "pods",
        "-n",
        ns,
        "-l",
        &format!("serving.kserve.io/inferenceservice={isvc},component=predictor"),
        "--field-selector",
        "status.phase=Running",
        "-o",
        "jsonpath={.items[0].metadata.name}",
    ]);
    let pod = out.trim().to_string();
    assert!(!pod.is_empty(), "no running predictor pod of {ns}/{isvc}");
    pod
}

/// Every InferenceService in a manifest file, as (namespace in the file, name).
pub(crate) fn manifest_services(text: &str) -> Vec<(Option<String>, String)> {
    serde_norway::Deserializer::from_str(text)
        .filter_map(|doc| {
            let v = serde_json::to_value(
                <serde_norway::Value as serde::Deserialize>::deserialize(doc).ok()?,
            )
            .ok()?;
            (v["kind"] == "InferenceService").then(|| {
                (
                    v["metadata"]["namespace"].as_str().map(str::to_string),
                    v["metadata"]["name"].as_str().unwrap_or("").to_string(),
                )
            })
        })
        .collect()
}
