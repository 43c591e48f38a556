//! Faults the simulated API server can inject, from `--fault SPEC`, from tests through
//! `FaultControl`, or over the control API (`POST /kdeck-sim/v1/faults`).
//!
//! Grammar (one fault per spec):
//! - `drop-watches=5s` — close every open watch every 5 seconds
//! - `drop-logs=5s` — end every open followed log stream every 5 seconds (as a dropped
//!   connection would; clients reconnect with `sinceTime`)
//! - `gone-on-resume` — a watch that resumes from a resourceVersion gets 410 Gone (one that
//!   starts from the resourceVersion of a list the server answered is a start, not a resume,
//!   so a client that relists gets going again, as after a real compaction)
//! - `conflict-next-patch` — the next patch or update answers 409 Conflict (once)
//! - `reject-dry-run` — every server-side dry run of a patch or update answers 422, as an
//!   admission webhook refusing the change would (the real request is not affected)
//! - `forbid-namespace=NS` — every request in namespace NS answers 403
//! - `forbid-verb=VERB[:RESOURCE]` — e.g. `forbid-verb=patch:inferenceservices`
//! - `latency=200ms` — every request waits this long first
//! - `error500=KIND` or `error500=FRACTION` — KIND is get, list, watch, create, update,
//!   patch, delete, log, proxy or all; FRACTION (0–1) of all requests fail (server-side
//!   dry runs are exempt: a change passes its checks and fails when sent)
//! - `hang=KIND` — requests of that kind are accepted and never answered (server-side dry
//!   runs are exempt, as for error500)
//! - `lose-answer=KIND` — requests of that kind (not dry runs) are carried out, then the
//!   connection drops before the answer arrives (the client cannot tell whether they applied)

use std::str::FromStr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

/// What a request does.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RequestKind {
    Get,
    List,
    Watch,
    Create,
    Update,
    Patch,
    Delete,
    Log,
    Proxy,
}

impl RequestKind {
    pub fn verb(self) -> &'static str {
        match self {
            RequestKind::Get | RequestKind::Log | RequestKind::Proxy => "get",
            RequestKind::List => "list",
            RequestKind::Watch => "watch",
            RequestKind::Create => "create",
            RequestKind::Update => "update",
            RequestKind::Patch => "patch",
            RequestKind::Delete => "delete",
        }
    }

    fn parse(text: &str) -> Option<Option<RequestKind>> {
        Some(Some(match text {
            "get" => RequestKind::Get,
            "list" => RequestKind::List,
            "watch" => RequestKind::Watch,
            "create" => RequestKind::Create,
            "update" => RequestKind::Update,
            "patch" => RequestKind::Patch,
            "delete" => RequestKind::Delete,
            "log" => RequestKind::Log,
            "proxy" => RequestKind::Proxy,
            "all" => return Some(None),
            _ => return None,
        }))
    }
}

/// Which requests a fault hits.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum Target {
    /// Requests of one kind (`None`: all).
    Kind(Option<RequestKind>),
    /// This fraction of all requests.
    Fraction(f64),
}

/// One fault.
#[derive(Debug, Clone, PartialEq)]
pub enum FaultSpec {
    DropWatches(Duration),
    DropLogs(Duration),
    GoneOnResume,
    ConflictNextPatch,
    RejectDryRun,
    ForbidNamespace(String),
    ForbidVerb {
        verb: String,
        resource: Option<String>,
    },
    Latency(Duration),
    Error500(Target),
    Hang(Target),
    LoseAnswer(Target),
}

/// Why a `--fault` spec was not understood, and what it takes instead.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum FaultSpecError {
    #[error("fraction {0} is not between 0 and 1")]
    FractionOutOfRange(String),
    #[error(
        "'{0}' is not a request kind (get, list, watch, create, update, patch, delete, log, proxy, all) or a fraction"
    )]
    NotATarget(String),
    #[error("fault '{0}' needs a value ({0}=…)")]
    MissingValue(String),
    #[error("'{value}' is not a duration: {why}")]
    NotADuration { value: String, why: String },
    #[error(
        "unknown fault '{0}' (drop-watches=DUR, drop-logs=DUR, gone-on-resume, conflict-next-patch, reject-dry-run, forbid-namespace=NS, forbid-verb=VERB[:RESOURCE], latency=DUR, error500=KIND|FRACTION, hang=KIND, lose-answer=KIND)"
    )]
    Unknown(String),
}

/// The API's 400 answer carries the message.
impl From<FaultSpecError> for String {
    fn from(e: FaultSpecError) -> String {
        e.to_string()
    }
}

fn target(value: &str) -> Result<Target, FaultSpecError> {
    if let Ok(f) = value.parse::<f64>() {
        if (0.0..=1.0).contains(&f) {
            return Ok(Target::Fraction(f));
        }
        return Err(FaultSpecError::FractionOutOfRange(value.to_string()));
    }
    RequestKind::parse(value)
        .map(Target::Kind)
        .ok_or_else(|| FaultSpecError::NotATarget(value.to_string()))
}

impl FromStr for FaultSpec {
    type Err = FaultSpecError;

    fn from_str(spec: &str) -> Result<Self, Self::Err> {
        let (name, value) = match spec.split_once('=') {
            Some((n, v)) => (n.trim(), Some(v.trim())),
            None => (spec.trim(), None),
        };
        fn need<'a>(name: &str, v: Option<&'a str>) -> Result<&'a str, FaultSpecError> {
            v.filter(|s| !s.is_empty())
                .ok_or_else(|| FaultSpecError::MissingValue(name.to_string()))
        }
        let duration = |v: &str| {
            humantime::parse_duration(v).map_err(|e| FaultSpecError::NotADuration {
                value: v.to_string(),
                why: e.to_string(),
            })
        };
        match name {
            "drop-watches" => Ok(FaultSpec::DropWatches(duration(need(name, value)?)?)),
            "drop-logs" => Ok(FaultSpec::DropLogs(duration(need(name, value)?)?)),
            "gone-on-resume" => Ok(FaultSpec::GoneOnResume),
            "conflict-next-patch" => Ok(FaultSpec::ConflictNextPatch),
            "reject-dry-run" => Ok(FaultSpec::RejectDryRun),
            "forbid-namespace" => Ok(FaultSpec::ForbidNamespace(need(name, value)?.to_string())),
            "forbid-verb" => {
                let v = need(name, value)?;
                let (verb, resource) = match v.split_once(':') {
                    Some((verb, res)) => (verb.to_string(), Some(res.to_string())),
                    None => (v.to_string(), None),
                };
                Ok(FaultSpec::ForbidVerb { verb, resource })
            }
            "latency" => Ok(FaultSpec::Latency(duration(need(name, value)?)?)),
            "error500" => Ok(FaultSpec::Error500(target(need(name, value)?)?)),
            "hang" => Ok(FaultSpec::Hang(target(need(name, value)?)?)),
            "lose-answer" => Ok(FaultSpec::LoseAnswer(target(need(name, value)?)?)),
            other => Err(FaultSpecError::Unknown(other.to_string())),
        }
    }
}

/// What a fault does to one request.
#[derive(Debug, Clone, PartialEq)]
pub enum Injected {
    Forbidden(String),
    Error500,
    Hang,
    Conflict,
}

#[derive(Debug, Default)]
struct Inner {
    specs: Vec<FaultSpec>,
    conflict_armed: bool,
    /// resourceVersions of recent list answers (a watch from one of them is not a resume).
    listed: std::collections::VecDeque<u64>,
}

/// How many list resourceVersions are remembered for `gone-on-resume`.
const LISTED: usize = 4096;

/// The live fault set. Cheap to clone.
#[derive(Debug, Clone, Default)]
pub struct FaultControl {
    inner: Arc<RwLock<Inner>>,
    requests: Arc<AtomicU64>,
    /// Watches answered 410 Gone and requests left hanging, by these faults, so far.
    gone_answered: Arc<AtomicU64>,
    hung: Arc<AtomicU64>,
    /// Bumped whenever open watches must be dropped.
    pub drops: Arc<tokio::sync::watch::Sender<u64>>,
    /// Bumped whenever open followed log streams must be ended.
    pub log_drops: Arc<tokio::sync::watch::Sender<u64>>,
}

impl FaultControl {
    pub fn new(specs: Vec<FaultSpec>) -> FaultControl {
        let control = FaultControl::default();
        for s in specs {
            control.add(s);
        }
        control
    }

    fn with<T>(&self, f: impl FnOnce(&mut Inner) -> T) -> T {
        match self.inner.write() {
            Ok(mut g) => f(&mut g),
            Err(p) => f(&mut p.into_inner()),
        }
    }

    /// Adds a fault.
    pub fn add(&self, spec: FaultSpec) {
        self.with(|i| {
            if spec == FaultSpec::ConflictNextPatch {
                i.conflict_armed = true;
            }
            i.specs.push(spec);
        });
    }

    /// Removes every fault.
    pub fn clear(&self) {
        self.with(|i| {
            i.specs.clear();
            i.conflict_armed = false;
        });
    }

    /// A list was answered at this resourceVersion.
    pub fn note_list(&self, rv: u64) {
        self.with(|i| {
            if i.listed.back() != Some(&rv) {
                i.listed.push_back(rv);
                if i.listed.len() > LISTED {
                    i.listed.pop_front();
                }
            }
        });
    }

    pub fn list(&self) -> Vec<FaultSpec> {
        self.with(|i| i.specs.clone())
    }

    /// Drops every open watch now.
    pub fn drop_watches(&self) {
        self.drops.send_modify(|n| *n += 1);
    }

    /// Ends every open followed log stream now.
    pub fn drop_logs(&self) {
        self.log_drops.send_modify(|n| *n += 1);
    }

    /// The configured log-stream drop period, if any.
    pub fn log_drop_period(&self) -> Option<Duration> {
        self.with(|i| {
            i.specs.iter().find_map(|s| {
                if let FaultSpec::DropLogs(d) = s {
                    Some(*d)
                } else {
                    None
                }
            })
        })
    }

    /// The configured drop period, if any.
    pub fn drop_period(&self) -> Option<Duration> {
        self.with(|i| {
            i.specs.iter().find_map(|s| {
                if let FaultSpec::DropWatches(d) = s {
                    Some(*d)
                } else {
                    None
                }
            })
        })
    }

    pub fn latency(&self) -> Option<Duration> {
        self.with(|i| {
            i.specs.iter().find_map(|s| {
                if let FaultSpec::Latency(d) = s {
                    Some(*d)
                } else {
                    None
                }
            })
        })
    }

    /// Whether the answer to a carried-out request of this kind is to be lost.
    pub fn loses_answer(&self, kind: RequestKind) -> bool {
        self.with(|i| {
            i.specs.iter().any(|s| match s {
                FaultSpec::LoseAnswer(Target::Kind(k)) => k.is_none_or(|k| k == kind),
                _ => false,
            })
        })
    }

    /// Whether server-side dry runs of writes are refused.
    pub fn rejects_dry_run(&self) -> bool {
        self.with(|i| i.specs.contains(&FaultSpec::RejectDryRun))
    }

    /// Whether a watch from `rv` must get 410: the fault is on and `rv` is not the
    /// resourceVersion of a list this server answered.
    pub fn gone_on_resume(&self, rv: u64) -> bool {
        let gone =
            self.with(|i| i.specs.contains(&FaultSpec::GoneOnResume) && !i.listed.contains(&rv));
        if gone {
            self.gone_answered.fetch_add(1, Ordering::Relaxed);
        }
        gone
    }

    /// How many watches `gone-on-resume` has answered with 410 Gone so far.
    pub fn gone_answered(&self) -> u64 {
        self.gone_answered.load(Ordering::Relaxed)
    }

    /// How many requests a `hang` fault has left hanging so far.
    pub fn hung(&self) -> u64 {
        self.hung.load(Ordering::Relaxed)
    }

    /// Whether a request of this kind on `resource` (plural) in `namespace` may do `verb`.
    pub fn forbidden(&self, verb: &str, resource: &str, namespace: &str) -> Option<String> {
        self.with(|i| {
            i.specs.iter().find_map(|s| match s {
                FaultSpec::ForbidNamespace(ns) if ns == namespace => {
                    Some(format!("namespace {ns} is forbidden to this user"))
                }
                FaultSpec::ForbidVerb {
                    verb: v,
                    resource: r,
                } if v == verb && r.as_deref().is_none_or(|r| r == resource) => {
                    Some(format!("verb {verb} is forbidden to this user"))
                }
                _ => None,
            })
        })
    }

    /// The fault, if any, to inject into this request.
    pub fn check(&self, kind: RequestKind, resource: &str, namespace: &str) -> Option<Injected> {
        let n = self.requests.fetch_add(1, Ordering::Relaxed);
        if let Some(why) = self.forbidden(kind.verb(), resource, namespace) {
            return Some(Injected::Forbidden(why));
        }
        self.with(|i| {
            let hit = |t: &Target| match t {
                Target::Kind(None) => true,
                Target::Kind(Some(k)) => *k == kind,
                // Deterministic: every 1/f-th request.
                Target::Fraction(f) => {
                    *f > 0.0 && ((n as f64 * f).floor() != ((n + 1) as f64 * f).floor())
                }
            };
            for s in &i.specs {
                match s {
                    FaultSpec::Hang(t) if hit(t) => {
                        self.hung.fetch_add(1, Ordering::Relaxed);
                        return Some(Injected::Hang);
                    }
                    FaultSpec::Error500(t) if hit(t) => return Some(Injected::Error500),
                    _ => {}
                }
            }
            if i.conflict_armed && matches!(kind, RequestKind::Patch | RequestKind::Update) {
                i.conflict_armed = false;
                i.specs.retain(|s| *s != FaultSpec::ConflictNextPatch);
                return Some(Injected::Conflict);
            }
            None
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn grammar() {
        assert_eq!(
            "drop-watches=5s".parse::<FaultSpec>(),
            Ok(FaultSpec::DropWatches(Duration::from_secs(5)))
        );
        assert_eq!(
            "forbid-verb=patch:inferenceservices".parse::<FaultSpec>(),
            Ok(FaultSpec::ForbidVerb {
                verb: "patch".into(),
                resource: Some("inferenceservices".into())
            })
        );
        assert_eq!(
            "error500=0.5".parse::<FaultSpec>(),
            Ok(FaultSpec::Error500(Target::Fraction(0.5)))
        );
        assert_eq!(
            "lose-answer=patch".parse::<FaultSpec>(),
            Ok(FaultSpec::LoseAnswer(Target::Kind(Some(
                RequestKind::Patch
            ))))
        );
        assert_eq!(
            "hang=list".parse::<FaultSpec>(),
            Ok(FaultSpec::Hang(Target::Kind(Some(RequestKind::List))))
        );
        assert_eq!(
            "error500=2".parse::<FaultSpec>(),
            Err(FaultSpecError::FractionOutOfRange("2".to_string()))
        );
        assert_eq!(
            "hang".parse::<FaultSpec>(),
            Err(FaultSpecError::MissingValue("hang".to_string()))
        );
        assert_eq!(
            String::from("latency=soon".parse::<FaultSpec>().unwrap_err()),
            "'soon' is not a duration: expected number at 0"
        );
        assert!(
            "explode"
                .parse::<FaultSpec>()
                .unwrap_err()
                .to_string()
                .contains("unknown fault")
        );
        assert!("latency=".parse::<FaultSpec>().is_err());
        assert_eq!(
            "reject-dry-run".parse::<FaultSpec>(),
            Ok(FaultSpec::RejectDryRun)
        );
        assert_eq!(
            "drop-logs=300ms".parse::<FaultSpec>(),
            Ok(FaultSpec::DropLogs(Duration::from_millis(300)))
        );
        assert!("drop-logs".parse::<FaultSpec>().is_err());
    }

    #[test]
    fn conflict_fires_once_and_forbids_match() {
        let f = FaultControl::new(vec![
            FaultSpec::ConflictNextPatch,
            "forbid-namespace=ml-staging".parse().unwrap(),
        ]);
        assert_eq!(f.check(RequestKind::Get, "pods", "ml-prod"), None);
        assert_eq!(
            f.check(RequestKind::Patch, "inferenceservices", "ml-prod"),
            Some(Injected::Conflict)
        );
        assert_eq!(
            f.check(RequestKind::Patch, "inferenceservices", "ml-prod"),
            None
        );
        assert!(matches!(
            f.check(RequestKind::List, "pods", "ml-staging"),
            Some(Injected::Forbidden(_))
        ));
        let gone = FaultControl::new(vec![FaultSpec::GoneOnResume]);
        gone.note_list(1200);
        assert!(!gone.gone_on_resume(1200), "a watch after a list starts");
        assert!(
            gone.gone_on_resume(1250),
            "a watch from a later event resumes"
        );
        assert_eq!(gone.gone_answered(), 1, "one watch was answered 410");
        gone.clear();
        assert!(!gone.gone_on_resume(1250));
        assert_eq!(gone.gone_answered(), 1);
        let hang = FaultControl::new(vec!["hang=list".parse().unwrap()]);
        assert_eq!(hang.check(RequestKind::Get, "pods", "a"), None);
        assert_eq!(hang.hung(), 0);
        assert_eq!(
            hang.check(RequestKind::List, "pods", "a"),
            Some(Injected::Hang)
        );
        assert_eq!(hang.hung(), 1);
        let half = FaultControl::new(vec!["error500=0.5".parse().unwrap()]);
        let hits = (0..100)
            .filter(|_| half.check(RequestKind::Get, "pods", "a").is_some())
            .count();
        assert_eq!(hits, 50);
    }
}
