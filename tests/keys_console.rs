//! k9s conventions in the real console against the demo cluster: Enter or `d` on a pod
//! describes the pod, `0`–`9` switch namespaces, an unbound letter says so, and `:cost`
//! lists the idle GPU node.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, WAIT, console};

#[test]
fn enter_on_a_pod_describes_it_and_d_too() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    s.send(":pods\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("NAMESPACE") && t.contains("predictor")),
        "no pods list:\n{}",
        s.screen()
    );
    s.send("\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Containers:")
            && t.contains("Restarts:")
            && t.contains("Conditions:")),
        "Enter did not describe the pod:\n{}",
        s.screen()
    );
    s.send_esc();
    assert!(s.wait_for(WAIT, |t| t.contains("NAMESPACE")
        && !t.contains("Containers:")));
    s.send("j");
    s.send("d");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Containers:") && t.contains("State:")),
        "d did not describe the pod:\n{}",
        s.screen()
    );
    s.send("q");
    s.wait_exit(WAIT);
}

#[test]
fn digits_switch_namespaces_and_unbound_letters_say_so() {
    let sandbox = Sandbox::new();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &[]);
    // The namespaces of the demo's services by name: llm, ml-prod, ml-staging.
    s.send("1");
    assert!(
        s.wait_for(WAIT, |t| t.contains("ns llm")
            && t.contains("llama2-chat")
            && !t.contains("fraud-detector")),
        "1 did not switch to llm:\n{}",
        s.screen()
    );
    s.send("0");
    assert!(
        s.wait_for(WAIT, |t| t.contains("ns all")
            && t.contains("fraud-detector")),
        "0 did not show all namespaces:\n{}",
        s.screen()
    );
    s.send("z");
    assert!(
        s.wait_for(WAIT, |t| t.contains("z does nothing in the services view")),
        "z said nothing:\n{}",
        s.screen()
    );
    s.send(":cost\r");
    assert!(
        s.wait_for(WAIT, |t| t.contains("IDLE GPUS")
            && t.contains("A100 idle on")),
        "no idle GPUs in :cost:\n{}",
        s.screen()
    );
    s.send("q");
    s.wait_exit(WAIT);
}
