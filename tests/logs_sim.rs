//! The logs feature against the simulated cluster, through the code the console runs: the
//! state and `update` as the app loop drives them, the real `EffectRunner` (watchers, log
//! streams over HTTP with the kube client), minus only the terminal. Merged lines of every
//! pod of a service with their revision tags, a new pod joining while the view stays open,
//! a stream cut by the sim (`drop-logs`) resumed with nothing lost or doubled, the previous
//! container of a restart, and the container choice.
#![allow(clippy::unwrap_used, clippy::expect_used)]

#[path = "support/logs_sim.rs"]
mod support;

use std::collections::BTreeSet;
use std::time::Duration;

use support::*;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_service_merges_the_lines_of_both_revisions_and_new_pods_join() {
    let server = sim(20.0).await;
    let mut console = Console::start(&server);
    open_fraud_detector(&mut console).await;
    let before = service_pods(&console.state, "fraud-detector");
    // Lines from pods of both revisions, tagged r1 (stable) and r2 (canary), and the bad
    // canary's ERROR lines among the r2 ones.
    let both = console
        .until(Duration::from_secs(20), |s| {
            let Some(v) = s.logs.as_ref() else {
                return false;
            };
            let r1 = v
                .lines
                .iter()
                .any(|l| !l.marker && l.tag.starts_with("r1·") && !l.canary);
            let r2_error = v.lines.iter().any(|l| {
                !l.marker
                    && l.tag.starts_with("r2·")
                    && l.canary
                    && l.text.text.contains("ERROR kserve.trace: predict failed")
            });
            r1 && r2_error
        })
        .await;
    let lines = console.lines();
    let count = |f: &dyn Fn(&Row) -> bool| lines.iter().filter(|l| f(l)).count();
    assert!(
        both,
        "{} lines: r1 {}, r2 {}, r2 canary {}, r2 ERROR {}; streams {:?}",
        lines.len(),
        count(&|l| l.1.starts_with("r1·")),
        count(&|l| l.1.starts_with("r2·")),
        count(&|l| l.1.starts_with("r2·") && l.2),
        count(&|l| l.1.starts_with("r2·") && l.3.contains("ERROR")),
        console.state.logs.as_ref().map(|v| v.streams.clone())
    );
    assert!(
        both,
        "no r1 lines and r2 ERROR lines in {} lines: {:?}",
        lines.len(),
        &lines[lines.len().saturating_sub(20)..]
    );
    for (pod, tag, canary, _) in &lines {
        let suffix = pod.rsplit('-').next().unwrap();
        assert!(tag.ends_with(suffix), "tag {tag} is not that of pod {pod}");
        let revision = if pod.contains("-predictor-00001-") {
            "r1·"
        } else {
            "r2·"
        };
        assert!(tag.starts_with(revision), "tag {tag} for pod {pod}");
        assert_eq!(*canary, revision == "r2·", "canary flag of {pod}");
    }
    assert!(
        lines.iter().all(|(pod, ..)| before.contains(pod)),
        "lines from pods outside the service"
    );
    let pods_with_lines: BTreeSet<&str> = lines.iter().map(|(p, ..)| p.as_str()).collect();
    assert!(pods_with_lines.len() >= 2, "{pods_with_lines:?}");

    // Scale up through the API (minReplicas 2 → 3; in Knative mode a new revision with its
    // own pods): the open view picks them up, with no new session.
    let session = console.state.logs.as_ref().unwrap().session;
    let client = client_of(&server).await;
    let api: kube::Api<kube::api::DynamicObject> = kube::Api::namespaced_with(
        client,
        NS,
        &kube::api::ApiResource {
            group: "serving.kserve.io".into(),
            version: "v1beta1".into(),
            api_version: "serving.kserve.io/v1beta1".into(),
            kind: "InferenceService".into(),
            plural: "inferenceservices".into(),
        },
    );
    api.patch(
        "fraud-detector",
        &kube::api::PatchParams::default(),
        &kube::api::Patch::Merge(serde_json::json!({"spec": {"predictor": {"minReplicas": 3}}})),
    )
    .await
    .unwrap();
    let joined = console
        .until(Duration::from_secs(15), |s| {
            s.logs.as_ref().is_some_and(|v| {
                v.lines
                    .iter()
                    .any(|l| !l.marker && !before.contains(l.pod.as_ref()))
            })
        })
        .await;
    let view = console.state.logs.as_ref().unwrap();
    assert!(
        joined,
        "no line from a new pod; pods now {:?}, streams {:?}",
        service_pods(&console.state, "fraud-detector"),
        view.streams.keys().collect::<Vec<_>>()
    );
    assert_eq!(view.session, session, "the view was restarted");
    assert!(
        view.lines
            .iter()
            .any(|l| l.marker && l.text.text.contains("joined")),
        "no joined marker"
    );
    let new_line = view
        .lines
        .iter()
        .find(|l| !l.marker && !before.contains(l.pod.as_ref()))
        .unwrap();
    assert!(new_line.tag.starts_with("r3·"), "{}", new_line.tag);
    // The old pods keep streaming into the same view.
    let count = view.lines.len();
    assert!(
        console
            .until(Duration::from_secs(10), |s| {
                s.logs.as_ref().is_some_and(|v| {
                    v.lines.len() > count
                        && v.lines
                            .iter()
                            .skip(count)
                            .any(|l| !l.marker && before.contains(l.pod.as_ref()))
                })
            })
            .await,
        "the first pods stopped streaming"
    );
}
