//! The processes a benchmark runs: the simulated cluster (`kdeck sim`) as a child process,
//! kubectl, and kdeck itself in a pseudo-terminal whose screen is read to know when the
//! complete list is drawn. Also /proc readings (RSS, CPU time).

use super::error::BenchError;
use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{BufRead, BufReader, Read};
use std::num::NonZeroU16;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

/// A running `kdeck sim`.
pub struct SimProcess {
    child: std::process::Child,
    pub kubeconfig: PathBuf,
    pub url: String,
}

impl SimProcess {
    /// Starts `kdeck sim --scenario SCENARIO --services N` on a free loopback port.
    pub fn start(
        exe: &Path,
        dir: &Path,
        scenario: &str,
        services: usize,
    ) -> Result<SimProcess, BenchError> {
        let kubeconfig = dir.join(format!("sim-{scenario}-{services}.kubeconfig"));
        let mut child = Command::new(exe)
            .args([
                "sim",
                "--listen",
                "127.0.0.1:0",
                "--scenario",
                scenario,
                "--services",
                &services.to_string(),
                "--kubeconfig-out",
            ])
            .arg(&kubeconfig)
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .map_err(BenchError::SimStart)?;
        let stdout = child.stdout.take().ok_or(BenchError::SimNoOutput)?;
        let mut lines = BufReader::new(stdout).lines();
        let deadline = Instant::now() + Duration::from_secs(120);
        while Instant::now() < deadline {
            match lines.next() {
                Some(Ok(line)) => {
                    if let Some(rest) = line.split("listening on ").nth(1) {
                        let url = rest.split_whitespace().next().unwrap_or("").to_string();
                        // Keep draining its output so it never blocks on a full pipe.
                        std::thread::spawn(move || for _ in lines.by_ref() {});
                        return Ok(SimProcess {
                            child,
                            kubeconfig,
                            url,
                        });
                    }
                }
                _ => break,
            }
        }
        let _ = child.kill();
        Err(BenchError::SimSilent)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }
}

impl Drop for SimProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Runs `kubectl get isvc -A` against the sim; returns (seconds, rows printed).
pub fn kubectl_list(kubeconfig: &Path) -> Result<(f64, usize), BenchError> {
    let started = Instant::now();
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "isvc", "-A"])
        .output()
        .map_err(BenchError::KubectlMissing)?;
    let secs = started.elapsed().as_secs_f64();
    if !out.status.success() {
        return Err(BenchError::KubectlFailed(
            String::from_utf8_lossy(&out.stderr).trim().to_string(),
        ));
    }
    let rows = String::from_utf8_lossy(&out.stdout)
        .lines()
        .count()
        .saturating_sub(1);
    Ok((secs, rows))
}

/// The pseudo-terminal's size: 200×50.
const ROWS: NonZeroU16 = NonZeroU16::new(50).expect("50 is not zero");
const COLS: NonZeroU16 = NonZeroU16::new(200).expect("200 is not zero");

/// kdeck running in a pseudo-terminal.
pub struct Console {
    child: Box<dyn Child + Send + Sync>,
    parser: Arc<Mutex<vt100::Parser>>,
    bytes: Arc<AtomicU64>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
    _writer: Box<dyn std::io::Write + Send>,
    pub started: Instant,
}

impl Console {
    /// Starts kdeck on the sim's kubeconfig in a 200×50 terminal with private config dirs.
    pub fn start(exe: &Path, kubeconfig: &Path, dir: &Path) -> Result<Console, BenchError> {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows: ROWS.get(),
                cols: COLS.get(),
                pixel_width: 0,
                pixel_height: 0,
            })
            .map_err(|e| BenchError::pty("open a pty", e))?;
        let mut cmd = CommandBuilder::new(exe);
        cmd.arg("--kubeconfig");
        cmd.arg(kubeconfig);
        cmd.arg("-A");
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env("KDECK_CONFIG_DIR", dir.join("config"));
        cmd.env("KDECK_STATE_DIR", dir.join("state"));
        let started = Instant::now();
        let child = pty
            .slave
            .spawn_command(cmd)
            .map_err(|e| BenchError::pty("start kdeck", e))?;
        drop(pty.slave);
        let mut reader = pty
            .master
            .try_clone_reader()
            .map_err(|e| BenchError::pty("read kdeck's terminal", e))?;
        let writer = pty
            .master
            .take_writer()
            .map_err(|e| BenchError::pty("write to kdeck's terminal", e))?;
        let parser = Arc::new(Mutex::new(vt100::Parser::new(ROWS, COLS, 0)));
        let bytes = Arc::new(AtomicU64::new(0));
        {
            let parser = parser.clone();
            let bytes = bytes.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 16384];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    bytes.fetch_add(n as u64, Ordering::Relaxed);
                    if let Ok(mut p) = parser.lock() {
                        p.process(&buf[..n]);
                    }
                }
            });
        }
        Ok(Console {
            child,
            parser,
            bytes,
            _master: pty.master,
            _writer: writer,
            started,
        })
    }

    pub fn screen(&self) -> String {
        self.parser
            .lock()
            .map(|p| p.screen().contents())
            .unwrap_or_default()
    }

    pub fn bytes_written(&self) -> u64 {
        self.bytes.load(Ordering::Relaxed)
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.process_id()
    }

    /// Waits until the title says all `total` services are loaded (no "loading"); returns
    /// the seconds since start until the first service row was drawn, and until then.
    pub fn wait_for_full_list(
        &self,
        total: usize,
        timeout: Duration,
    ) -> Result<(f64, f64), BenchError> {
        let needle = format!("/{total} ready");
        let mut first_rows = None;
        while self.started.elapsed() < timeout {
            let screen = self.screen();
            if first_rows.is_none() && screen.contains("model-") {
                first_rows = Some(self.started.elapsed().as_secs_f64());
            }
            if screen.contains(&needle) && !screen.contains("loading") {
                let full = self.started.elapsed().as_secs_f64();
                return Ok((first_rows.unwrap_or(full), full));
            }
            std::thread::sleep(Duration::from_millis(2));
        }
        Err(BenchError::ListIncomplete {
            total,
            waited: timeout,
            screen: self.screen(),
        })
    }
}

impl Drop for Console {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// Requests the simulated API server has handled so far (all kinds, from its statistics).
pub fn sim_requests(kubeconfig: &Path) -> Result<u64, BenchError> {
    let out = Command::new("kubectl")
        .arg("--kubeconfig")
        .arg(kubeconfig)
        .args(["get", "--raw", "/kdeck-sim/v1/stats"])
        .output()
        .map_err(BenchError::KubectlMissing)?;
    let stats: serde_json::Value =
        serde_json::from_slice(&out.stdout).map_err(BenchError::SimStats)?;
    Ok(stats["requests"]
        .as_object()
        .map(|kinds| kinds.values().filter_map(|k| k["requests"].as_u64()).sum())
        .unwrap_or(0))
}
