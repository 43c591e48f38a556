//! The incident snapshot: one Markdown document with what an incident channel needs about a
//! service — status and conditions, traffic, pods, recent events, live figures, the YAML,
//! and the last log lines of each pod. The YAML is read from the API server when the file is
//! written.

use super::event::Event;
use super::isvc::Isvc;
use super::k8s::age;
use super::pod::Pod;
use chrono::{DateTime, Utc};
use std::fmt::Write;

/// Everything above the logs.
pub fn header(
    isvc: &Isvc,
    pods: &[&Pod],
    events: &[&Event],
    figures: &[(String, String)],
    context: &str,
    now: DateTime<Utc>,
) -> String {
    let mut md = String::new();
    let key = format!("{}/{}", isvc.meta.namespace, isvc.meta.name);
    let _ = writeln!(md, "# Incident snapshot: InferenceService `{key}`\n");
    let _ = writeln!(
        md,
        "- taken: {} (context `{context}`)",
        now.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
    );
    let readiness = match isvc.readiness() {
        super::isvc::Readiness::Ready => "Ready".to_string(),
        super::isvc::Readiness::NotReady(r) => format!("NOT READY ({r})"),
        super::isvc::Readiness::Progressing(r) => format!("progressing ({r})"),
        super::isvc::Readiness::Unknown => "no status".to_string(),
    };
    let _ = writeln!(md, "- status: **{readiness}**");
    let _ = writeln!(
        md,
        "- mode: {}",
        isvc.mode.map(|m| m.label()).unwrap_or("unknown")
    );
    let _ = writeln!(md, "- url: {}", isvc.url.as_deref().unwrap_or("–"));
    let traffic = isvc.traffic_label("·");
    let _ = writeln!(
        md,
        "- traffic: {}",
        if traffic.is_empty() { "–" } else { &traffic }
    );
    for (name, value) in figures {
        let _ = writeln!(md, "- {name}: {value}");
    }
    let _ = writeln!(md, "\n## Conditions\n");
    let _ = writeln!(
        md,
        "| type | status | reason | message | age |\n|---|---|---|---|---|"
    );
    for c in &isvc.conditions {
        let _ = writeln!(
            md,
            "| {} | {:?} | {} | {} | {} |",
            c.kind,
            c.status,
            c.reason,
            c.message.replace('|', "\\|"),
            age(c.last_transition, now)
        );
    }
    let _ = writeln!(md, "\n## Pods\n");
    let _ = writeln!(
        md,
        "| pod | ready | status | restarts | node | age |\n|---|---|---|---|---|---|"
    );
    for p in pods {
        let (r, t) = p.ready_counts();
        let _ = writeln!(
            md,
            "| {} | {r}/{t} | {} | {} | {} | {} |",
            p.meta.name,
            p.status_word(),
            p.restarts(),
            p.node.as_deref().unwrap_or("–"),
            age(p.meta.created, now)
        );
    }
    let _ = writeln!(md, "\n## Recent events\n");
    if events.is_empty() {
        let _ = writeln!(md, "none");
    }
    for e in events.iter().take(30) {
        let kind = if e.warning { "Warning" } else { "Normal" };
        let _ = writeln!(
            md,
            "- {} ago {kind} {} {}/{}: {} (x{})",
            age(e.last_seen, now),
            e.reason,
            e.object_kind,
            e.object_name,
            e.message,
            e.count
        );
    }
    md
}

/// The object's YAML, read from the API server when the snapshot is written (the console
/// keeps no copy of it), without managedFields and last-applied-configuration; then the
/// heading of the logs. `Err` says why it could not be read (the reading source's error).
pub fn yaml_section(object: Result<serde_json::Value, impl std::fmt::Display>) -> String {
    let mut md = String::new();
    match object {
        Ok(mut value) => {
            super::isvc::strip_bulk(&mut value);
            let yaml = serde_norway::to_string(&value)
                .unwrap_or_else(|e| format!("# cannot render YAML: {e}\n"));
            let _ = writeln!(md, "\n## YAML\n\n```yaml\n{yaml}```");
        }
        Err(e) => {
            let _ = writeln!(md, "\n## YAML\n\n(could not read the object: {e})");
        }
    }
    let _ = writeln!(md, "\n## Logs\n");
    md
}

/// One pod's and container's last lines.
pub fn logs_section(pod: &str, container: &str, lines: &[String], error: Option<&str>) -> String {
    let mut md = format!("### {pod} / {container}\n\n");
    match error {
        Some(e) => {
            let _ = writeln!(md, "(could not read logs: {e})\n");
        }
        None => {
            md.push_str("```\n");
            for l in lines {
                md.push_str(&l.replace("```", "'''"));
                md.push('\n');
            }
            md.push_str("```\n\n");
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    #[test]
    fn snapshot_has_every_section() {
        let isvc = Isvc::parse(&json!({"metadata": {"name": "fraud", "namespace": "ml"},
            "spec": {"predictor": {"model": {"modelFormat": {"name": "sklearn"}}}},
            "status": {"conditions": [{"type": "Ready", "status": "False", "reason": "RevisionFailed", "message": "a|b"}]}}));
        let pod = Pod::parse(
            &json!({"metadata": {"name": "fraud-1", "namespace": "ml"}, "status": {"phase": "Running"}}),
        );
        let now = chrono::Utc::now();
        let md = header(
            &isvc,
            &[&pod],
            &[],
            &[("p99".to_string(), "850ms".to_string())],
            "prod",
            now,
        );
        for part in [
            "# Incident snapshot",
            "NOT READY (RevisionFailed)",
            "## Conditions",
            "a\\|b",
            "## Pods",
            "fraud-1",
            "- p99: 850ms",
        ] {
            assert!(md.contains(part), "missing {part}:\n{md}");
        }
        let yaml = yaml_section(Ok::<_, std::io::Error>(
            json!({"metadata": {"name": "fraud",
            "managedFields": [{"manager": "kubectl"}]}}),
        ));
        assert!(
            yaml.contains("## YAML\n\n```yaml\nmetadata:\n  name: fraud\n```"),
            "{yaml}"
        );
        assert!(!yaml.contains("managedFields"), "{yaml}");
        assert!(yaml.ends_with("## Logs\n\n"), "{yaml}");
        let failed = yaml_section(Err(std::io::Error::other(
            "reading ml/fraud timed out after 10s",
        )));
        assert!(
            failed.contains("(could not read the object: reading ml/fraud timed out after 10s)"),
            "{failed}"
        );
        let logs = logs_section(
            "fraud-1",
            "kserve-container",
            &["x ``` y".to_string()],
            None,
        );
        assert!(logs.contains("x ''' y"));
    }
}
