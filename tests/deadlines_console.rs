//! The console under a hung API server (`hang=list`, `hang=get`): the header says
//! unresponsive from what the requests do (not from the open watches), `R` ends within its
//! deadlines instead of hanging, works again once the fault is cleared, and `q` ends the
//! process even with requests still hanging.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::Sandbox;
use common::cluster::{Cluster, console};
use std::time::{Duration, Instant};

const FRAUD: &str = "fraud-detector";

/// Longer than the 2 s request deadline plus the quiet interval before a health probe.
const WAIT_HEALTH: Duration = Duration::from_secs(30);

#[test]
fn a_hung_api_server_is_said_and_rollback_works_again_once_it_answers() {
    let sandbox = Sandbox::new();
    std::fs::create_dir_all(sandbox.config_dir()).unwrap();
    std::fs::write(
        sandbox.config_dir().join("config.toml"),
        "[api]\nrequest_timeout = \"2s\"\n",
    )
    .unwrap();
    let cluster = Cluster::start(&[]);
    let mut s = console(&sandbox, &cluster, &["-n", "ml-prod"]);
    assert!(s.screen().contains("connected"), "{}", s.screen());
    let hung = Instant::now();
    cluster.fault("hang=list");
    cluster.fault("hang=get");
    assert!(
        s.wait_for(WAIT_HEALTH, |t| t.contains("unresponsive since")),
        "the header did not say unresponsive:\n{}",
        s.screen()
    );
    println!(
        "deadlines: unresponsive shown {:.1} s after the fault",
        hung.elapsed().as_secs_f64()
    );
    // R under the fault ends within its deadlines: the confirmation (reads that hung are
    // notes) or a message, never "reading kdeck's spec history…" for good.
    s.send("R");
    assert!(
        s.wait_for(WAIT_HEALTH, |t| t.contains("y applies")
            || t.contains("timed out")),
        "R did not end under the fault:\n{}",
        s.screen()
    );
    s.send_esc();
    s.send_esc();
    cluster.clear_faults();
    let cleared = Instant::now();
    s.send("R");
    assert!(
        s.wait_for(WAIT_HEALTH, |t| t.contains("y applies")
            && t.contains(FRAUD)),
        "R did not work again after the fault was cleared:\n{}",
        s.screen()
    );
    println!(
        "deadlines: R confirmation {:.1} s after the fault was cleared",
        cleared.elapsed().as_secs_f64()
    );
    // n cancels, esc closes the finished rollout panel.
    s.send("n");
    s.send_esc();
    assert!(
        s.wait_for(WAIT_HEALTH, |t| t.contains(" connected")),
        "the header did not recover:\n{}",
        s.screen()
    );
    // q ends the process even while a request hangs.
    cluster.fault("hang=list");
    s.send("q");
    assert_eq!(
        s.wait_exit(Duration::from_secs(10)),
        Some(0),
        "{}",
        s.screen()
    );
}
