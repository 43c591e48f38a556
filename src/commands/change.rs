//! The steps every rollout command takes, whatever it changes (an InferenceService in
//! rollout.rs, the members of an LLMInferenceService routing group in group_rollout.rs):
//! the permission check, the server's dry run, the diff lines, the confirmation, the
//! change's report (outcome, audit trail, undo point), and following the object until the
//! cluster shows the change. The kind-specific parts (the plan, the goal, the words) are
//! passed in.

use super::out::{self, Paint, Styled, errln, outln};
use super::rollout::{Common, exit};
use crate::domain::rollout::diff;
use crate::sources::kube::actions::{self, WriteError};
use crate::sources::kube::write::{ChangeReport, WriteOutcome, Written};
use futures::StreamExt;
use kube::api::{Api, DynamicObject, WatchEvent, WatchParams};
use serde_json::Value;
use std::io::{BufRead, IsTerminal};
use std::process::ExitCode;
use std::time::Duration;

/// Prints `kdeck: message` and gives the exit code.
pub(crate) fn fail(code: u8, message: &str) -> ExitCode {
    errln!("kdeck: {message}");
    ExitCode::from(code)
}

/// Exit code of a failed read or dry run (nothing was changed): 7 timed out, else 2.
pub(crate) fn read_failure(e: &WriteError) -> u8 {
    if e.is_timed_out() {
        exit::TIMED_OUT
    } else {
        exit::ERROR
    }
}

/// The YAML diff of `before` → `after` as the confirmation shows it, with `context`
/// unchanged lines around each change.
pub(crate) fn diff_lines(
    before: &Value,
    after: &Value,
    context: usize,
    colour: bool,
) -> Vec<Styled> {
    let line = || Styled::new(colour);
    diff::yaml_diff(before, after, context)
        .into_iter()
        .map(|diff_line| match diff_line {
            diff::DiffLine::Same(t) => line().plain(format!("  {t}")),
            diff::DiffLine::Added(t) => line().paint(Paint::Green, format!("+ {t}")),
            diff::DiffLine::Removed(t) => line().paint(Paint::Red, format!("- {t}")),
            diff::DiffLine::Gap(_) => line().plain("  …"),
        })
        .collect()
}

/// Checks that the current user may patch `name` (SelfSubjectAccessReview).
pub(crate) async fn check_permission(
    client: &kube::Client,
    written: Written,
    namespace: &str,
    name: &str,
) -> Result<(), ExitCode> {
    let spec = written.kind().spec();
    match actions::can_i(client, "patch", spec.group, spec.plural, namespace, name).await {
        Ok((true, _)) => {
            outln!(
                "permission: patch {}/{name} in {namespace} allowed",
                spec.plural
            );
            Ok(())
        }
        Ok((false, reason)) => Err(fail(exit::FORBIDDEN, &format!("forbidden: {reason}"))),
        Err(e) => {
            let code = if matches!(e, actions::CallError::TimedOut(_)) {
                exit::TIMED_OUT
            } else {
                exit::ERROR
            };
            Err(fail(code, &format!("{e}; nothing was changed")))
        }
    }
}

/// Has the server dry-run the exact patch; `of` names the object in the refusal when a
/// plan changes several.
pub(crate) async fn dry_run(
    client: &kube::Client,
    written: Written,
    (namespace, name): (&str, &str),
    patch: &Value,
    of: Option<&str>,
) -> Result<(), ExitCode> {
    let resource = written.resource();
    let Err(e) = actions::merge_patch(client, &resource, namespace, name, patch, true).await else {
        return Ok(());
    };
    let code = if e.is_forbidden() {
        exit::FORBIDDEN
    } else if e.is_conflict() {
        exit::CONFLICT
    } else if e.is_invalid() {
        exit::INVALID
    } else {
        read_failure(&e)
    };
    let why = if e.is_timed_out() {
        format!("{}; nothing was changed", e.message)
    } else {
        let of = of.map(|o| format!(" of {o}")).unwrap_or_default();
        format!("the server's dry run refused the change{of}: {}", e.message)
    };
    Err(fail(code, &why))
}

/// What the confirmation asks about: the action's verb, and the object by kind and name.
pub(crate) struct Question<'a> {
    pub verb: String,
    /// "service" or "member": what a protected context asks the user to type the name of.
    pub noun: &'a str,
    pub namespace: &'a str,
    pub name: &'a str,
}

/// After the checks: stops here on `--dry-run`, refuses without `--yes` when stdin is no
/// terminal, and otherwise asks. `None` when the change goes ahead.
pub(crate) fn confirmed_or_stop(
    common: &Common,
    question: &Question,
    protected: bool,
) -> Option<ExitCode> {
    if common.dry_run {
        outln!("dry run only: nothing was changed");
        return Some(ExitCode::SUCCESS);
    }
    if common.yes {
        return None;
    }
    if !std::io::stdin().is_terminal() {
        return Some(fail(
            exit::FAILED,
            "refusing to change the cluster without --yes when stdin is not a terminal",
        ));
    }
    if !confirm(question, protected) {
        return Some(fail(exit::FAILED, "not confirmed; nothing was changed"));
    }
    None
}

/// Asks on the terminal; a protected context requires typing the object's name.
fn confirm(q: &Question, protected: bool) -> bool {
    let prompt = if protected {
        format!(
            "Protected context: type the {} name ({}) to apply, anything else cancels: ",
            q.noun, q.name
        )
    } else {
        format!("Apply {} to {}/{}? [y/N] ", q.verb, q.namespace, q.name)
    };
    out::prompt(prompt);
    let mut answer = String::new();
    if std::io::stdin().lock().read_line(&mut answer).is_err() {
        return false;
    }
    let answer = answer.trim();
    if protected {
        answer == q.name
    } else {
        matches!(answer, "y" | "Y" | "yes")
    }
}

/// How the report of one write is told.
pub(crate) struct Told<'a> {
    /// The object written.
    pub name: &'a str,
    /// The resourceVersion the plan was made from.
    pub resource_version: &'a str,
    /// Appended to a failure: which earlier steps were applied (empty for one change).
    pub earlier: &'a str,
    /// The line that says it was applied, given the generation.
    pub applied: &'a dyn Fn(i64) -> String,
    /// The line that says the audit trail was written.
    pub audit: &'a str,
}

/// Tells what the write did; the generation and object it produced, or the exit code when
/// it was not applied.
pub(crate) fn written(report: ChangeReport, told: &Told) -> Result<(i64, Value), ExitCode> {
    let earlier = told.earlier;
    for problem in &report.audit_problems {
        errln!("kdeck: {problem}");
    }
    let applied = match report.outcome {
        WriteOutcome::Applied {
            generation,
            object,
            note,
        } => {
            if let Some(note) = note {
                errln!("kdeck: {note}");
            }
            (generation, *object)
        }
        WriteOutcome::NotApplied(e) if e.is_conflict() => {
            return Err(fail(
                exit::CONFLICT,
                &format!(
                    "{} changed since it was read (resourceVersion {}); nothing was overwritten{earlier} — run again to see the new state",
                    told.name, told.resource_version
                ),
            ));
        }
        WriteOutcome::NotApplied(e) if e.is_forbidden() => {
            return Err(fail(exit::FORBIDDEN, &format!("{}{earlier}", e.message)));
        }
        WriteOutcome::NotApplied(e) => {
            return Err(fail(
                exit::ERROR,
                &format!("not applied: {}{earlier}", e.message),
            ));
        }
        WriteOutcome::Unknown(why) => {
            return Err(fail(
                exit::UNKNOWN,
                &format!("outcome unknown: {why}{earlier}"),
            ));
        }
    };
    if let Some(problem) = &report.history_problem {
        errln!("kdeck: {problem}");
    }
    outln!("{}", (told.applied)(applied.0));
    if report.audit_problems.is_empty() {
        let path = crate::config::paths::state_dir()
            .map(|d| d.join("audit.log").display().to_string())
            .unwrap_or_default();
        outln!("{}; local record in {path}", told.audit);
    }
    Ok(applied)
}

/// What one look at the followed object shows.
pub(crate) struct Seen {
    /// The goal's steps, each done or not.
    pub steps: Vec<(String, bool)>,
    pub verdict: Verdict,
}

/// Whether following goes on.
pub(crate) enum Verdict {
    Pending,
    /// The goal is reached; the line to print, if any.
    Done(Option<String>),
    /// The rollout failed, and why.
    Failed(String),
}

/// Prints the steps newly done and the verdict; `Some` once following ends.
fn tell(seen: Seen, printed: &mut Vec<String>) -> Option<Result<(), ExitCode>> {
    for (label, done) in &seen.steps {
        if *done && !printed.contains(label) {
            outln!("  ✓ {label}");
            printed.push(label.clone());
        }
    }
    match seen.verdict {
        Verdict::Pending => None,
        Verdict::Done(line) => {
            if let Some(line) = line {
                outln!("{line}");
            }
            Some(Ok(()))
        }
        Verdict::Failed(reason) => Some(Err(fail(
            exit::FAILED,
            &format!("rollout failed: {reason}"),
        ))),
    }
}

fn resource_version(value: &Value) -> String {
    value
        .pointer("/metadata/resourceVersion")
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_string()
}

/// What to follow: the object written, from the object the change left.
pub(crate) struct Followed<'a> {
    pub written: Written,
    pub namespace: &'a str,
    pub name: &'a str,
    pub object: Value,
    pub deadline: tokio::time::Instant,
}

/// Watches the object from the change's own resourceVersion (no list: a hung list cannot
/// stall it), printing each step of the goal as `look` sees it done, until `look` says
/// done or failed, or the deadline passes (exit 1 with `late`'s message, given the last
/// step done). A broken watch resumes from the last resourceVersion seen; 410 Gone reads
/// the object again.
pub(crate) async fn follow(
    client: &kube::Client,
    followed: Followed<'_>,
    late: impl Fn(&str) -> String,
    mut look: impl FnMut(&Value) -> Seen,
) -> Result<(), ExitCode> {
    let Followed {
        written,
        namespace,
        name,
        object,
        deadline,
    } = followed;
    let mut printed: Vec<String> = Vec::new();
    // The object as the change left it may already show progress (or be done).
    if let Some(end) = tell(look(&object), &mut printed) {
        return end;
    }
    let mut rv = resource_version(&object);
    let resource = written.resource();
    let api: Api<DynamicObject> = Api::namespaced_with(client.clone(), namespace, &resource);
    let params = WatchParams::default()
        .fields(&format!("metadata.name={name}"))
        .timeout(60);
    let timed_out = |printed: &Vec<String>| {
        let last = printed.last().map(String::as_str).unwrap_or("none");
        Err(fail(exit::FAILED, &late(last)))
    };
    loop {
        let opened = tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
            opened = api.watch(&params, &rv) => opened,
        };
        let mut stream = match opened {
            Ok(stream) => stream.boxed(),
            Err(e) => {
                let why = crate::sources::kube::errors::describe(&e);
                errln!("kdeck: watching the rollout: {why}; retrying");
                tokio::select! {
                    _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
                    _ = tokio::time::sleep(Duration::from_millis(500)) => {}
                }
                continue;
            }
        };
        loop {
            let next = tokio::select! {
                _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
                next = stream.next() => next,
            };
            let value = match next {
                Some(Ok(WatchEvent::Added(o) | WatchEvent::Modified(o))) => {
                    serde_json::to_value(&o).unwrap_or_default()
                }
                Some(Ok(WatchEvent::Bookmark(b))) => {
                    rv = b.metadata.resource_version;
                    continue;
                }
                Some(Ok(WatchEvent::Deleted(_))) => {
                    return Err(fail(exit::FAILED, &format!("{name} was deleted")));
                }
                Some(Ok(WatchEvent::Error(status))) if status.code == 410 => {
                    match actions::get_object(client, &resource, namespace, name).await {
                        Ok(value) => {
                            if let Some(end) = tell(look(&value), &mut printed) {
                                return end;
                            }
                            rv = resource_version(&value);
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
            let seen = resource_version(&value);
            if !seen.is_empty() {
                rv = seen;
            }
            if let Some(end) = tell(look(&value), &mut printed) {
                return end;
            }
        }
        tokio::select! {
            _ = tokio::time::sleep_until(deadline) => return timed_out(&printed),
            _ = tokio::time::sleep(Duration::from_millis(500)) => {}
        }
    }
}
