//! Following a rollout after the change: watching the service from the change's own
//! resourceVersion and printing each step as it is done, until the goal, a failure or the
//! deadline.

use super::{exit, fail};
use crate::commands::out::{errln, outln};
use crate::domain::isvc::Isvc;
use crate::domain::rollout::Plan;
use crate::domain::rollout::progress::{Outcome, evaluate};
use crate::sources::kube::actions;
use futures::StreamExt;
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use std::process::ExitCode;
use std::time::Duration;

/// Watches the service from the change's own resourceVersion (no list: a hung list cannot
/// stall it) until the plan's goal is reached, it fails, or the deadline passes. A broken
/// watch resumes from the last resourceVersion seen; 410 Gone reads the service again.
pub(super) async fn follow(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    plan: &Plan,
    applied: (i64, serde_json::Value),
    deadline: tokio::time::Instant,
) -> ExitCode {
    let (generation, object) = applied;
    let mut printed: Vec<String> = Vec::new();
    // The service as the change left it may already show progress (or be done).
    if let Some(code) = report(plan, generation, &object, &mut printed) {
        return code;
    }
    let mut rv = object
        .pointer("/metadata/resourceVersion")
        .and_then(|v| v.as_str())
        .unwrap_or_default()
        .to_string();
    let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
    let api: Api<DynamicObject> =
        Api::namespaced_with(client.clone(), namespace, &actions::isvc_resource());
    let params = WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(60);
    let timed_out = |printed: &Vec<String>| {
        fail(
            exit::FAILED,
            &format!(
                "applied, but not done within {}; last step done: {}",
                humantime::format_duration(timeout),
                printed
                    .last()
                    .cloned()
                    .unwrap_or_else(|| "none".to_string())
            ),
        )
    };
    loop {
        let opened = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
            opened = api.watch(&params, &rv) => opened,
        };
        match opened {
            Ok(stream) => {
                let mut stream = stream.boxed();
                loop {
                    let next = tokio::select! {
                        _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
                        next = stream.next() => next,
                    };
                    let object = match next {
                        Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => o,
                        Some(Ok(WatchEvent::Bookmark(b))) => {
                            rv = b.metadata.resource_version;
                            continue;
                        }
                        Some(Ok(WatchEvent::Deleted(_))) => {
                            return fail(exit::FAILED, &format!("{name} was deleted"));
                        }
                        Some(Ok(WatchEvent::Error(status))) if status.code == 410 => {
                            match actions::get_isvc(client, namespace, name).await {
                                Ok(value) => {
                                    if let Some(code) =
                                        report(plan, generation, &value, &mut printed)
                                    {
                                        return code;
                                    }
                                    rv = value
                                        .pointer("/metadata/resourceVersion")
                                        .and_then(|v| v.as_str())
                                        .unwrap_or_default()
                                        .to_string();
                                }
                                Err(e) => errln!("kdeck: reading the rollout: {}", e.message),
                            }
                            break;
                        }
                        Some(Ok(WatchEvent::Error(status))) => {
                            errln!("kdeck: watching the rollout: {}; retrying", status.message);
                            break;
                        }
                        Some(Err(e)) => {
                            let why = crate::sources::kube::errors::describe(&e);
                            errln!("kdeck: watching the rollout: {why}; retrying");
                            break;
                        }
                        None => break,
                    };
                    rv = object.metadata.resource_version.clone().unwrap_or(rv);
                    let value = serde_json::to_value(&object).unwrap_or_default();
                    if let Some(code) = report(plan, generation, &value, &mut printed) {
                        return code;
                    }
                }
            }
            Err(e) => {
                let why = crate::sources::kube::errors::describe(&e);
                errln!("kdeck: watching the rollout: {why}; retrying");
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}

/// Prints the steps newly done; the exit code once the rollout is done or failed.
fn report(
    plan: &Plan,
    generation: i64,
    value: &serde_json::Value,
    printed: &mut Vec<String>,
) -> Option<ExitCode> {
    let isvc = Isvc::parse(value);
    let progress = evaluate(&plan.goal, &isvc, generation);
    for (label, done) in &progress.steps {
        if *done && !printed.contains(label) {
            outln!("  ✓ {label}");
            printed.push(label.clone());
        }
    }
    match progress.outcome {
        Some(Outcome::Done) => {
            outln!("done: traffic {}", isvc.traffic_label("·"));
            Some(ExitCode::SUCCESS)
        }
        Some(Outcome::Failed(reason)) => {
            Some(fail(exit::FAILED, &format!("rollout failed: {reason}")))
        }
        None => None,
    }
}
