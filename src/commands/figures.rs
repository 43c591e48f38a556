//! One scrape of pods for the headless commands (`status`, `snapshot`, the rollout
//! commands): the figures of each revision from their cumulative counts (a one-shot has no
//! window), judged as the console judges a canary, so a runbook cannot send more traffic to
//! a failing revision unawares.

use crate::domain::canary::{Breach, CanaryThresholds, judge};
use crate::domain::isvc::Isvc;
use crate::domain::kind::Kind;
use crate::domain::latency::Tracker;
use crate::domain::latency::targets::target;
use crate::domain::latency::window::DEFAULT_WINDOW;
use crate::domain::pod::Pod;
use crate::domain::scope::NamespaceScope;
use std::time::Duration;

/// How long one pod's scrape may take.
const SCRAPE_TIMEOUT: Duration = Duration::from_secs(5);

/// Pods scraped at the same time by `measure_once`.
const MAX_AT_ONCE: usize = 64;

/// Why one scrape could not measure a revision or a group member (the caller decides
/// whether that matters).
#[derive(Debug, thiserror::Error)]
pub enum MeasureError {
    #[error(transparent)]
    TimedOut(#[from] crate::sources::kube::deadline::TimedOut),
    /// The pods could not be listed; the API's answer in the user's words.
    #[error("{0}")]
    ListPods(String),
    /// No pod answered with figures: why, for the first one, or that none is ready.
    #[error("{0}")]
    NoFigures(String),
}

impl MeasureError {
    pub(crate) fn listing(e: &kube::Error) -> Self {
        MeasureError::ListPods(crate::sources::kube::errors::describe(e))
    }
}

/// The service's canary breach as one scrape shows it; `Err` says why it could not be
/// measured.
pub async fn failing_canary(
    client: &kube::Client,
    isvc: &Isvc,
    thresholds: &CanaryThresholds,
) -> Result<Option<Breach>, MeasureError> {
    let Some((latest, stable)) = crate::state::canary::split_revisions(isvc) else {
        return Ok(None);
    };
    let namespace = NamespaceScope::One(isvc.meta.namespace.clone());
    let selector = format!("{}={}", crate::domain::pod::ISVC_LABEL, isvc.meta.name);
    let pods =
        crate::sources::kube::listing::list_all(client, Kind::Pod, &namespace, Some(&selector))
            .await
            .map_err(|e| MeasureError::listing(&e))?;
    let targets: Vec<_> = pods
        .iter()
        .filter_map(|o| serde_json::to_value(o).ok())
        .filter_map(|json| target(&Pod::parse(&json)))
        .collect();
    let mut tracker = Tracker::new(DEFAULT_WINDOW);
    let m = crate::sources::latency::scrape::round(client, &targets, SCRAPE_TIMEOUT, &mut tracker)
        .await;
    let figures = |revision: &str| {
        m.revisions
            .iter()
            .find(|(_, r, _)| r == revision)
            .map(|(_, _, f)| f.clone())
    };
    let Some(canary) = figures(&latest) else {
        return Err(MeasureError::NoFigures(
            m.problems
                .first()
                .cloned()
                .unwrap_or_else(|| format!("no figures for {latest}: none of its pods is ready")),
        ));
    };
    let reasons = judge(thresholds, &canary, figures(&stable).as_ref());
    Ok((!reasons.is_empty()).then_some(Breach {
        canary: latest,
        stable: Some(stable),
        reasons,
    }))
}

/// Scrapes the pods of `keys` once and feeds the figures to the state, as the console's
/// latency source would in its first round (cumulative counts since each pod started).
pub async fn measure_once(
    client: &kube::Client,
    state: &mut crate::state::State,
    keys: &[crate::domain::key::ObjectKey],
) {
    // Whole services per batch, at most about MAX_AT_ONCE pods read at a time, so that
    // `status -A` on a large cluster does not ask the API server for thousands at once.
    let mut batches: Vec<Vec<crate::domain::latency::targets::Target>> = vec![Vec::new()];
    for key in keys {
        let pods: Vec<_> = state.cluster.pods_of(key).filter_map(target).collect();
        if batches
            .last()
            .is_some_and(|b| b.len() + pods.len() > MAX_AT_ONCE && !b.is_empty())
        {
            batches.push(Vec::new());
        }
        if let Some(batch) = batches.last_mut() {
            batch.extend(pods);
        }
    }
    let mut all: Option<crate::app::msg::Measurements> = None;
    for batch in batches.iter().filter(|b| !b.is_empty()) {
        let mut tracker = Tracker::new(DEFAULT_WINDOW);
        let m = crate::sources::latency::scrape::round(client, batch, SCRAPE_TIMEOUT, &mut tracker)
            .await;
        match all.as_mut() {
            None => all = Some(m),
            Some(a) => {
                a.services.extend(m.services);
                a.revisions.extend(m.revisions);
                a.llm.extend(m.llm);
                a.chains.extend(m.chains);
                a.problems.extend(m.problems);
            }
        }
    }
    if let Some(m) = all {
        crate::app::update::update(state, crate::app::msg::Msg::Metrics(m));
        state.refresh_derived();
    }
}
