//! Following a rollout after the change: watching the service (commands/change.rs
//! `follow`) and printing each step of the plan's goal as it is done, until the goal, a
//! failure or the deadline.

use crate::commands::change::{self, Followed, Seen, Verdict};
use crate::domain::isvc::Isvc;
use crate::domain::rollout::Plan;
use crate::domain::rollout::progress::{Outcome, evaluate};
use crate::sources::kube::write::Written;
use std::process::ExitCode;

/// Follows the service from the object the change left until the plan's goal is reached,
/// it fails, or the deadline passes.
pub(super) async fn follow(
    client: &kube::Client,
    namespace: &str,
    name: &str,
    plan: &Plan,
    applied: (i64, serde_json::Value),
    deadline: tokio::time::Instant,
) -> ExitCode {
    let (generation, object) = applied;
    let timeout = deadline.saturating_duration_since(tokio::time::Instant::now());
    let followed = Followed {
        written: Written::InferenceService,
        namespace,
        name,
        object,
        deadline,
    };
    let late = |last: &str| {
        format!(
            "applied, but not done within {}; last step done: {last}",
            humantime::format_duration(timeout)
        )
    };
    match change::follow(client, followed, late, |value| {
        look(plan, generation, value)
    })
    .await
    {
        Ok(()) => ExitCode::SUCCESS,
        Err(code) => code,
    }
}

/// The plan's goal as the service shows it now.
fn look(plan: &Plan, generation: i64, value: &serde_json::Value) -> Seen {
    let isvc = Isvc::parse(value);
    let progress = evaluate(&plan.goal, &isvc, generation);
    let verdict = match progress.outcome {
        Some(Outcome::Done) => {
            Verdict::Done(Some(format!("done: traffic {}", isvc.traffic_label("·"))))
        }
        Some(Outcome::Failed(reason)) => Verdict::Failed(reason),
        None => Verdict::Pending,
    };
    Seen {
        steps: progress.steps,
        verdict,
    }
}
