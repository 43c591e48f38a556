//! Drives the real `kdeck` binary in a pseudo-terminal: sends keys, keeps a terminal
//! emulator's view of the screen (vt100), and records every byte the program wrote.

use portable_pty::{Child, CommandBuilder, PtySize, native_pty_system};
use std::io::{Read, Write};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

pub struct PtySession {
    child: Box<dyn Child + Send + Sync>,
    writer: Box<dyn Write + Send>,
    bytes: Arc<Mutex<Vec<u8>>>,
    parser: Arc<Mutex<vt100::Parser>>,
    /// The terminal's slave side (`/dev/pts/N`), to ask how much typed input is unread.
    slave_path: Option<std::path::PathBuf>,
    _master: Box<dyn portable_pty::MasterPty + Send>,
}

impl PtySession {
    /// Runs `program args…` with `env` in a `cols`×`rows` terminal.
    pub fn spawn(
        program: &str,
        args: &[&str],
        env: &[(&str, &str)],
        cols: u16,
        rows: u16,
    ) -> PtySession {
        let pty = native_pty_system()
            .openpty(PtySize {
                rows,
                cols,
                pixel_width: 0,
                pixel_height: 0,
            })
            .expect("open a pty");
        let mut cmd = CommandBuilder::new(program);
        cmd.args(args);
        cmd.env("TERM", "xterm-256color");
        cmd.env("LANG", "C.UTF-8");
        cmd.env_remove("NO_COLOR");
        cmd.env_remove("COLORTERM");
        for (k, v) in env {
            cmd.env(k, v);
        }
        let child = pty.slave.spawn_command(cmd).expect("spawn in the pty");
        drop(pty.slave);
        let slave_path = pty.master.tty_name();
        let mut reader = pty.master.try_clone_reader().expect("pty reader");
        let writer = pty.master.take_writer().expect("pty writer");
        let bytes = Arc::new(Mutex::new(Vec::new()));
        let parser = Arc::new(Mutex::new(vt100::Parser::new(
            std::num::NonZeroU16::new(rows.max(1)).unwrap(),
            std::num::NonZeroU16::new(cols.max(1)).unwrap(),
            0,
        )));
        {
            let bytes = bytes.clone();
            let parser = parser.clone();
            std::thread::spawn(move || {
                let mut buf = [0u8; 8192];
                while let Ok(n) = reader.read(&mut buf) {
                    if n == 0 {
                        break;
                    }
                    bytes.lock().unwrap().extend_from_slice(&buf[..n]);
                    parser.lock().unwrap().process(&buf[..n]);
                }
            });
        }
        PtySession {
            child,
            writer,
            bytes,
            parser,
            slave_path,
            _master: pty.master,
        }
    }

    /// Types text (keys) into the terminal.
    pub fn send(&mut self, text: &str) {
        self.writer
            .write_all(text.as_bytes())
            .expect("write to pty");
        self.writer.flush().expect("flush pty");
    }

    /// Presses Esc alone. The program must read the Esc byte before the next key arrives:
    /// read together, Esc and a key are one Alt+key (crossterm), and both presses are lost.
    /// So this waits until the terminal holds no unread input, however long a loaded machine
    /// keeps the program from reading (the pause first lets the kernel queue the byte).
    pub fn send_esc(&mut self) {
        self.send("\u{1b}");
        std::thread::sleep(Duration::from_millis(150));
        let start = Instant::now();
        while self.unread_input() > 0 {
            assert!(
                start.elapsed() < Duration::from_secs(30),
                "the program did not read the Esc key within 30 s:\n{}",
                self.screen()
            );
            std::thread::sleep(Duration::from_millis(10));
        }
    }

    /// How many typed bytes the program has not read yet (0 when that cannot be known).
    pub fn unread_input(&self) -> usize {
        self.slave_path.as_deref().map_or(0, unread_bytes)
    }

    /// The screen as the terminal shows it now.
    pub fn screen(&self) -> String {
        self.parser.lock().unwrap().screen().contents()
    }

    /// Every byte written so far.
    pub fn output(&self) -> Vec<u8> {
        self.bytes.lock().unwrap().clone()
    }

    pub fn output_len(&self) -> usize {
        self.bytes.lock().unwrap().len()
    }

    /// Waits until the screen satisfies `pred`; returns whether it did within `timeout`.
    pub fn wait_for(&self, timeout: Duration, pred: impl Fn(&str) -> bool) -> bool {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if pred(&self.screen()) {
                return true;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
        pred(&self.screen())
    }

    /// Waits until the raw output contains `needle`.
    pub fn wait_for_output(&self, timeout: Duration, needle: &str) -> bool {
        self.wait_for_output_since(0, timeout, needle)
    }

    /// Waits until the raw output written after byte `offset` contains `needle`.
    pub fn wait_for_output_since(&self, offset: usize, timeout: Duration, needle: &str) -> bool {
        let start = Instant::now();
        loop {
            let output = self.output();
            let tail = output.get(offset..).unwrap_or_default();
            if String::from_utf8_lossy(tail).contains(needle) {
                return true;
            }
            if start.elapsed() >= timeout {
                return false;
            }
            std::thread::sleep(Duration::from_millis(25));
        }
    }

    pub fn pid(&self) -> u32 {
        self.child.process_id().expect("child pid")
    }

    /// Waits for the program to exit; returns its exit code (None on timeout).
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<u32> {
        let start = Instant::now();
        while start.elapsed() < timeout {
            if let Ok(Some(status)) = self.child.try_wait() {
                // Let the reader thread drain what was written last.
                std::thread::sleep(Duration::from_millis(100));
                return Some(status.exit_code());
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }
}

impl Drop for PtySession {
    fn drop(&mut self) {
        let _ = self.child.kill();
    }
}

/// The bytes waiting unread in the input queue of the terminal at `path` (FIONREAD on a
/// fresh descriptor of it; 0 when it cannot be opened, e.g. once the program has exited).
#[allow(unsafe_code)]
fn unread_bytes(path: &std::path::Path) -> usize {
    use std::os::unix::fs::OpenOptionsExt;
    use std::os::unix::io::AsRawFd;
    let Ok(tty) = std::fs::OpenOptions::new()
        .read(true)
        .custom_flags(libc::O_NOCTTY | libc::O_NONBLOCK)
        .open(path)
    else {
        return 0;
    };
    let mut pending: libc::c_int = 0;
    // SAFETY: FIONREAD writes one c_int through the pointer, which points at `pending`.
    let rc = unsafe { libc::ioctl(tty.as_raw_fd(), libc::FIONREAD, &mut pending) };
    if rc == 0 {
        usize::try_from(pending).unwrap_or(0)
    } else {
        0
    }
}

/// Whether the output contains an SGR sequence that sets a colour (30–49, 90–107, 38;…, 48;…).
pub fn has_colour_codes(output: &[u8]) -> bool {
    let text = String::from_utf8_lossy(output);
    let mut rest = text.as_ref();
    while let Some(start) = rest.find("\u{1b}[") {
        let after = &rest[start + 2..];
        let end = after
            .find(|c: char| c.is_ascii_alphabetic())
            .unwrap_or(after.len());
        if after[end..].starts_with('m') {
            for param in after[..end].split(';') {
                if let Ok(n) = param.parse::<u32>()
                    && ((30..=49).contains(&n) || (90..=107).contains(&n))
                {
                    return true;
                }
            }
        }
        rest = &after[end.min(after.len())..];
    }
    false
}
