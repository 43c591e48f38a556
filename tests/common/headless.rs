//! Runs the kdeck binary as a script would: a clean environment (PATH, a UTF-8 locale,
//! NO_COLOR, the sandbox's config and state directories), stdin not a terminal, stdout and
//! stderr captured. The run is bounded: past `bound` the process is killed and the test
//! fails with what it printed so far.

use super::{Sandbox, kdeck};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

/// Starts `kdeck ARGS` in that environment, stdout and stderr piped.
pub fn spawn_kdeck(sandbox: &Sandbox, args: &[&str]) -> Child {
    let mut cmd = Command::new(kdeck());
    cmd.args(args)
        .env_clear()
        .env("PATH", std::env::var("PATH").unwrap_or_default())
        .env("LANG", "C.UTF-8")
        .env("NO_COLOR", "1")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (k, v) in sandbox.env() {
        cmd.env(k, v);
    }
    cmd.spawn().expect("spawn kdeck")
}

/// `kdeck ARGS`; returns its output and how long it took. Prints both streams, so a failing
/// test shows what the command said.
pub fn run_kdeck(sandbox: &Sandbox, args: &[&str], bound: Duration) -> (Output, Duration) {
    let started = Instant::now();
    let child = spawn_kdeck(sandbox, args);
    wait_bounded(child, args, started, bound)
}

/// Waits for `child` until `bound` after `started`; past it kills the process and fails.
pub fn wait_bounded(
    mut child: Child,
    args: &[&str],
    started: Instant,
    bound: Duration,
) -> (Output, Duration) {
    while started.elapsed() < bound {
        if child.try_wait().expect("wait").is_some() {
            let took = started.elapsed();
            let out = child.wait_with_output().expect("output");
            println!(
                "kdeck {}: {:?} after {:.1} s\n--- stdout\n{}--- stderr\n{}",
                args.join(" "),
                out.status.code(),
                took.as_secs_f64(),
                text(&out.stdout),
                text(&out.stderr)
            );
            return (out, took);
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    panic!(
        "kdeck {} did not return within {bound:?}:\n{}\n{}",
        args.join(" "),
        text(&out.stdout),
        text(&out.stderr)
    );
}

/// Output bytes as text.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).to_string()
}
