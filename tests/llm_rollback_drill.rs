//! The LLM rollback drill in the console: the real binary in a pseudo-terminal against the
//! simulated demo cluster, the llm namespace selected, the drill group's canary member
//! (llama-chat-canary, weight 10 of 100) found, `R` pressed and confirmed; the dialog follows
//! the change until `status.router.group` shows the canary at weight 0, and the Kubernetes
//! API and the real kubectl agree.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::llm::{group_status, weight};

use common::Sandbox;
use common::cluster::{Cluster, WAIT, audit_outcomes, console, wait_until};
use common::pty::PtySession;
use kube::api::{Api, ApiResource, DynamicObject};
use serde_json::Value;

const NS: &str = "llm";
const CANARY: &str = "llama-chat-canary";
const STABLE: &str = "llama-chat-stable";

fn llm_resource() -> ApiResource {
    ApiResource {
        group: "serving.kserve.io".into(),
        version: "v1alpha2".into(),
        api_version: "serving.kserve.io/v1alpha2".into(),
        kind: "LLMInferenceService".into(),
        plural: "llminferenceservices".into(),
    }
}

fn llm(cluster: &Cluster, name: &str) -> Value {
    let api: Api<DynamicObject> = Api::namespaced_with(cluster.client(), NS, &llm_resource());
    serde_json::to_value(
        cluster
            .block_on(api.get(name))
            .expect("get llminferenceservice"),
    )
    .unwrap()
}

/// The drill's keys up to the confirmation: `:ns llm⏎`, `/llama-chat-canary⏎`, `g`, `R`.
fn open_rollback(s: &mut PtySession) {
    select_canary(s);
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("rollback llm/llama-chat-canary")
            && t.contains("permission and server dry run passed")
            && t.contains("+       weight: 0")
            && t.contains("y applies")),
        "no group rollback confirmation with its diff:\n{}",
        s.screen()
    );
}

#[test]
fn r_then_y_on_the_drill_canary_sets_its_weight_to_zero_until_the_group_status_agrees() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    assert_eq!(weight(&llm(&cluster, CANARY)), Some(10));
    assert_eq!(weight(&llm(&cluster, STABLE)), Some(90));
    let mut s = console(&sandbox, &cluster, &[]);
    open_rollback(&mut s);
    assert!(
        s.screen().contains("llama-chat-canary 0 (0%)"),
        "the weights after are not shown:\n{}",
        s.screen()
    );
    s.send("y");
    assert!(
        s.wait_for(WAIT * 2, |t| t
            .contains("the group status shows llama-chat-canary")
            && t.contains("Done: weights llama-chat-canary 0 (0%)")),
        "the console did not follow the rollback to done:\n{}",
        s.screen()
    );
    let after = llm(&cluster, CANARY);
    assert_eq!(weight(&after), Some(0), "{after}");
    assert!(
        group_status(&after).contains(&(CANARY.to_string(), 0, false)),
        "{after}"
    );
    assert_eq!(weight(&llm(&cluster, STABLE)), Some(90));
    let shown = cluster.kubectl().ok(&[
        "get",
        "llminferenceservice",
        CANARY,
        "-n",
        NS,
        "-o",
        "jsonpath={.spec.router.route.weight}",
    ]);
    assert_eq!(shown.trim(), "0");
    assert!(
        wait_until(WAIT, || audit_outcomes(&sandbox) == ["intent", "applied"]),
        "{:?}",
        audit_outcomes(&sandbox)
    );
    // The row shows what the cluster now says; a second R has nothing to do.
    s.send_esc();
    s.send("R");
    assert!(
        s.wait_for(WAIT, |t| t.contains("already rolled back")),
        "a second rollback was not refused in words:\n{}",
        s.screen()
    );
}

#[test]
fn n_cancels_the_group_rollback_and_nothing_is_patched() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    open_rollback(&mut s);
    let patches = cluster.patches();
    s.send("n");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Cancelled: nothing was changed")),
        "{}",
        s.screen()
    );
    assert_eq!(cluster.patches(), patches);
    assert_eq!(weight(&llm(&cluster, CANARY)), Some(10));
    assert!(audit_outcomes(&sandbox).is_empty());
}

/// The keys to the canary member's row: `:ns llm⏎`, `/llama-chat-canary⏎`, `g`.
fn select_canary(s: &mut PtySession) {
    s.send(":ns llm\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("ns llm") && t.contains(CANARY)),
        "{}",
        s.screen()
    );
    s.send(&format!("/{CANARY}\r"));
    assert!(
        s.wait_for(WAIT, |t| t.contains(&format!("filter /{CANARY}"))
            && !t.contains(STABLE)),
        "{}",
        s.screen()
    );
    // The selection may still follow a row the filter hides: g selects the first row.
    s.send("g");
}

#[test]
fn c_sets_the_canary_weight_from_the_prompt_and_raising_it_takes_the_typed_name() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    select_canary(&mut s);
    // Lowering the canary's share: one key.
    s.send("c");
    assert!(
        s.wait_for(WAIT, |t| t.contains("group weight") && t.contains(": 10")),
        "no weight prompt with the current weight:\n{}",
        s.screen()
    );
    s.send("\u{7f}\u{7f}x\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("'x' is not a weight")),
        "{}",
        s.screen()
    );
    s.send("\u{7f}1\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("weight 1 llm/llama-chat-canary")
            && t.contains("y applies")),
        "{}",
        s.screen()
    );
    s.send("y");
    assert!(
        s.wait_for(WAIT * 2, |t| t
            .contains("Done: weights llama-chat-canary 1")),
        "{}",
        s.screen()
    );
    assert_eq!(weight(&llm(&cluster, CANARY)), Some(1));
    // Raising it again: the console does not judge the member, so its name is typed.
    s.send_esc();
    s.send("c");
    assert!(
        s.wait_for(WAIT, |t| t.contains("group weight")),
        "{}",
        s.screen()
    );
    s.send("\u{7f}20\r");
    assert!(
        s.wait_for(WAIT, |t| t
            .contains("Type the member name (llama-chat-canary)")),
        "raising the canary did not ask for its name:\n{}",
        s.screen()
    );
    let patches = cluster.patches();
    s.send("y\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("type 'llama-chat-canary' exactly")),
        "{}",
        s.screen()
    );
    assert_eq!(cluster.patches(), patches);
    s.send("\u{7f}");
    s.send(&format!("{CANARY}\r"));
    assert!(
        s.wait_for(WAIT * 2, |t| t
            .contains("Done: weights llama-chat-canary 20")),
        "{}",
        s.screen()
    );
    assert_eq!(weight(&llm(&cluster, CANARY)), Some(20));
}

#[test]
fn p_on_the_canary_stops_the_stable_member_once_the_name_is_typed() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    select_canary(&mut s);
    s.send("P");
    assert!(
        s.wait_for(WAIT, |t| t.contains("promote llm/llama-chat-canary")
            && t.contains("Type the member name")),
        "{}",
        s.screen()
    );
    s.send(&format!("{CANARY}\r"));
    assert!(
        s.wait_for(WAIT * 2, |t| t.contains("Done: weights")),
        "{}",
        s.screen()
    );
    let stable = llm(&cluster, STABLE);
    assert_eq!(
        stable.pointer("/metadata/annotations/serving.kserve.io~1stop"),
        Some(&Value::from("true")),
        "{stable}"
    );
}
