//! The real binary in a pseudo-terminal: it starts, help and the command line work, it quits,
//! and the terminal is restored after a normal exit, SIGHUP, SIGTERM, SIGQUIT and a panic. Colours
//! follow NO_COLOR and --theme, and an idle console writes nothing.
#![allow(clippy::unwrap_used, clippy::expect_used)]

mod common;

use common::pty::{PtySession, has_colour_codes};
use common::{Sandbox, env_refs, kdeck};
use std::time::{Duration, Instant};

const WAIT: Duration = Duration::from_secs(10);

/// Runs kdeck inside `sh` so that after it exits we can ask the terminal how it was left.
fn start(sandbox: &Sandbox, extra_env: &[(&str, &str)], args: &str) -> PtySession {
    let mut env = sandbox.env();
    env.extend(
        extra_env
            .iter()
            .map(|(k, v)| (k.to_string(), v.to_string())),
    );
    let script = format!(
        "{} {args}; echo \"EXIT=$?\"; stty -a; echo STTY-DONE; sleep 5",
        kdeck()
    );
    let session = PtySession::spawn("sh", &["-c", &script], &env_refs(&env), 100, 30);
    assert!(
        session.wait_for(WAIT, |s| s.contains("kdeck") && s.contains("help")),
        "kdeck did not start:\n{}",
        session.screen()
    );
    session
}

/// After kdeck exits: the shell printed its exit code, and the terminal is back in
/// canonical mode with echo, out of the alternate screen, with a visible cursor.
fn assert_restored(session: &PtySession, expected_exit: &str) {
    assert!(
        session.wait_for_output(WAIT, "EXIT="),
        "no exit line:\n{}",
        String::from_utf8_lossy(&session.output())
    );
    // The whole of stty's report, not the first line of it.
    assert!(
        session.wait_for_output(WAIT, "STTY-DONE"),
        "stty did not run"
    );
    let text = String::from_utf8_lossy(&session.output()).to_string();
    assert!(
        text.contains(&format!("EXIT={expected_exit}")),
        "exit code: {}",
        &text[text.len().saturating_sub(2000)..]
    );
    let stty = &text[text.rfind("speed").unwrap()..];
    assert!(
        stty.contains(" icanon") && !stty.contains("-icanon"),
        "not canonical: {stty}"
    );
    assert!(
        stty.contains(" echo ") && !stty.contains("-echo "),
        "echo off: {stty}"
    );
    let left_alt = text
        .rfind("\u{1b}[?1049l")
        .expect("never left the alternate screen");
    let entered_alt = text
        .rfind("\u{1b}[?1049h")
        .expect("never entered the alternate screen");
    assert!(left_alt > entered_alt);
    assert!(text.rfind("\u{1b}[?25h").expect("cursor never shown") > entered_alt);
}

#[test]
fn help_command_line_and_quit_restore_the_terminal() {
    let sandbox = Sandbox::new();
    let mut s = start(&sandbox, &[], "");
    s.send("?");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Help (esc closes")),
        "{}",
        s.screen()
    );
    assert!(
        s.screen()
            .contains("Jump to the next service that is not ready")
    );
    s.send_esc();
    assert!(s.wait_for(WAIT, |t| !t.contains("Help (esc closes")));
    s.send(":");
    s.send("no");
    assert!(
        s.wait_for(WAIT, |t| t.contains(":no") && t.contains("nodes")),
        "{}",
        s.screen()
    );
    s.send_esc();
    s.send("q");
    assert_restored(&s, "0");
}

#[test]
fn sighup_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = start(&sandbox, &[], "");
    let pid = find_kdeck_child(s.pid());
    signal(pid, "HUP");
    assert_restored(&s, "0");
}

#[test]
fn sigquit_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = start(&sandbox, &[], "");
    let pid = find_kdeck_child(s.pid());
    signal(pid, "QUIT");
    assert_restored(&s, "0");
}

#[test]
fn sigterm_restores_the_terminal() {
    let sandbox = Sandbox::new();
    let s = start(&sandbox, &[], "");
    let pid = find_kdeck_child(s.pid());
    signal(pid, "TERM");
    assert_restored(&s, "0");
}

#[test]
fn a_panic_report_on_a_non_terminal_stderr_has_no_colour_codes() {
    let sandbox = Sandbox::new();
    let report = sandbox.dir.path().join("stderr.txt");
    let mut s = start(
        &sandbox,
        &[("KDECK_DEBUG_PANIC_KEY", "x")],
        &format!("2>{}", report.display()),
    );
    s.send("x");
    assert_restored(&s, "101");
    let text = std::fs::read_to_string(&report).unwrap();
    assert!(text.contains("deliberate panic"), "{text}");
    assert!(
        !text.contains('\u{1b}'),
        "coloured report in a file: {text:?}"
    );
}

#[test]
fn a_panic_restores_the_terminal_then_reports() {
    let sandbox = Sandbox::new();
    let mut s = start(&sandbox, &[("KDECK_DEBUG_PANIC_KEY", "x")], "");
    s.send("x");
    assert_restored(&s, "101");
    let text = String::from_utf8_lossy(&s.output()).to_string();
    let report = text.find("deliberate panic").expect("no panic report");
    assert!(
        report > text.rfind("\u{1b}[?1049l").unwrap(),
        "report printed before the terminal was restored"
    );
}

/// The Linux console (and vt100-class terminals) cannot draw rounded corners or ✓: kdeck
/// draws ASCII there even when the locale says UTF-8.
#[test]
fn the_linux_console_gets_ascii_borders_and_symbols() {
    let sandbox = Sandbox::new();
    let mut s = start(
        &sandbox,
        &[("TERM", "linux"), ("LANG", "en_US.UTF-8"), ("LC_ALL", "")],
        "",
    );
    s.send("?");
    assert!(s.wait_for(WAIT, |t| t.contains("Help (esc closes")));
    let screen = s.screen();
    assert!(screen.is_ascii(), "non-ASCII on a Linux console:\n{screen}");
    assert!(screen.contains('+') && screen.contains('|'), "{screen}");
    s.send_esc();
    s.send("q");
    assert_restored(&s, "0");
}

#[test]
fn no_color_means_no_colour_codes() {
    let sandbox = Sandbox::new();
    let mut s = start(
        &sandbox,
        &[("NO_COLOR", "1"), ("COLORTERM", "truecolor")],
        "",
    );
    s.send("?");
    assert!(s.wait_for(WAIT, |t| t.contains("Help (esc closes")));
    s.send_esc();
    s.send("q");
    assert_restored(&s, "0");
    assert!(
        !has_colour_codes(&s.output()),
        "colour codes despite NO_COLOR"
    );
}

#[test]
fn theme_flag_changes_the_palette() {
    let sandbox = Sandbox::new();
    let run = |theme: &str| {
        let mut s = start(
            &sandbox,
            &[("COLORTERM", "truecolor")],
            &format!("--theme {theme}"),
        );
        s.send("q");
        assert_restored(&s, "0");
        String::from_utf8_lossy(&s.output()).to_string()
    };
    let light = run("light");
    let dark = run("dark");
    // The light theme paints its background (#fafafa); the dark one keeps the terminal's.
    assert!(
        light.contains("48;2;250;250;250"),
        "light background missing"
    );
    assert!(!dark.contains("48;2;250;250;250"));
    assert!(has_colour_codes(dark.as_bytes()));
}

#[test]
fn an_idle_console_writes_nothing() {
    let sandbox = Sandbox::new();
    let mut s = start(&sandbox, &[], "");
    // Start-up is over once the console has written nothing for a second.
    assert!(
        wait_quiet(&s, Duration::from_secs(1), Duration::from_secs(30)),
        "the console never went quiet after starting:\n{}",
        s.screen()
    );
    let before = s.output_len();
    std::thread::sleep(Duration::from_secs(3));
    let written = s.output_len() - before;
    s.send("q");
    assert_restored(&s, "0");
    assert_eq!(written, 0, "an idle console wrote {written} bytes in 3 s");
}

/// Waits until `s` has written nothing for `quiet`; false if that never happens within
/// `deadline`.
fn wait_quiet(s: &PtySession, quiet: Duration, deadline: Duration) -> bool {
    let end = Instant::now() + deadline;
    let (mut len, mut since) = (s.output_len(), Instant::now());
    while Instant::now() < end {
        std::thread::sleep(Duration::from_millis(50));
        let now = s.output_len();
        if now != len {
            (len, since) = (now, Instant::now());
        } else if since.elapsed() >= quiet {
            return true;
        }
    }
    false
}

/// The pid of kdeck, a child of the `sh` the pty runs.
fn find_kdeck_child(shell_pid: u32) -> u32 {
    let children = std::fs::read_to_string(format!("/proc/{shell_pid}/task/{shell_pid}/children"))
        .unwrap_or_default();
    children
        .split_whitespace()
        .filter_map(|p| p.parse::<u32>().ok())
        .find(|pid| {
            std::fs::read_to_string(format!("/proc/{pid}/comm")).is_ok_and(|c| c.trim() == "kdeck")
        })
        .expect("kdeck is not running under the shell")
}

fn signal(pid: u32, name: &str) {
    let status = std::process::Command::new("kill")
        .args([&format!("-{name}"), &pid.to_string()])
        .status()
        .unwrap();
    assert!(status.success());
}

#[test]
fn ctrl_z_hands_the_terminal_back_and_resume_redraws() {
    let sandbox = Sandbox::new();
    let mut s = start(&sandbox, &[], "");
    let pid = find_kdeck_child(s.pid());
    let before = s.output_len();
    s.send("\u{1a}");
    let stopped = (0..200).any(|_| {
        std::thread::sleep(Duration::from_millis(25));
        process_state(pid) == Some('T')
    });
    assert!(stopped, "kdeck did not stop on ctrl-z");
    let during = String::from_utf8_lossy(&s.output()[before..]).to_string();
    assert!(
        during.contains("\u{1b}[?1049l"),
        "the alternate screen was not left before stopping"
    );
    let resumed_at = s.output_len();
    signal(pid, "CONT");
    assert!(
        s.wait_for_output_since(resumed_at, WAIT, "\u{1b}[?1049h"),
        "the alternate screen was not re-entered"
    );
    assert!(
        s.wait_for_output_since(resumed_at, WAIT, "kdeck"),
        "no redraw after resume"
    );
    assert!(s.wait_for(WAIT, |t| t.contains("help")), "{}", s.screen());
    s.send("q");
    assert_restored(&s, "0");
}

/// Esc and then a key while the console is slow to read its input (stopped here, as a loaded
/// machine can keep it for a moment): the two presses stay two keys, so Esc closes help and q
/// quits. Read together the two bytes are one Alt+q, and neither happens; `send_esc` waits
/// until the console has read the Esc, which every test that presses Esc relies on.
#[test]
fn esc_then_a_key_stay_two_keys_when_the_console_is_slow_to_read() {
    let sandbox = Sandbox::new();
    let mut s = start(&sandbox, &[], "");
    s.send("?");
    assert!(
        s.wait_for(WAIT, |t| t.contains("Help (esc closes")),
        "{}",
        s.screen()
    );
    let pid = find_kdeck_child(s.pid());
    signal(pid, "STOP");
    let waker = std::thread::spawn(move || {
        std::thread::sleep(Duration::from_millis(700));
        signal(pid, "CONT");
    });
    s.send_esc();
    s.send("q");
    waker.join().unwrap();
    assert_restored(&s, "0");
}

/// The state letter of a process (R, S, T …) from /proc.
fn process_state(pid: u32) -> Option<char> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    stat.rsplit(')').next()?.trim().chars().next()
}
