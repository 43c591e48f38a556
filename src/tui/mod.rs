//! The terminal: entering and leaving the alternate screen and raw mode, and making sure the
//! terminal is restored on every way out — normal exit, error, panic, SIGTERM, SIGHUP — and
//! around Ctrl-Z suspend/resume.

pub mod backend;

use backend::QuietBackend;
use crossterm::cursor::Show;
use crossterm::event::{DisableBracketedPaste, EnableBracketedPaste};
use crossterm::terminal::{
    EnterAlternateScreen, LeaveAlternateScreen, disable_raw_mode, enable_raw_mode,
};
use crossterm::{execute, queue};
use ratatui::Terminal;
use std::io::{self, BufWriter, Stdout, Write};
use std::sync::atomic::{AtomicBool, Ordering};

/// Whether kdeck currently owns the terminal (raw mode + alternate screen).
static ACTIVE: AtomicBool = AtomicBool::new(false);

/// The terminal type kdeck draws on.
pub type Term = Terminal<QuietBackend<BufWriter<Stdout>>>;

/// Owns the terminal while the console runs; restores it when dropped.
pub struct Tui {
    pub terminal: Term,
}

impl Tui {
    /// Takes over the terminal: raw mode, alternate screen, hidden cursor.
    pub fn enter() -> io::Result<Tui> {
        let result = take_over().and_then(|()| {
            let backend = QuietBackend::new(BufWriter::with_capacity(64 * 1024, io::stdout()));
            let mut terminal = Terminal::new(backend)?;
            terminal.clear()?;
            Ok(Tui { terminal })
        });
        if result.is_err() {
            restore();
        }
        result
    }

    /// Hands the terminal back to the shell, stops the process (as Ctrl-Z does), and takes
    /// the terminal over again when the shell continues it (`fg`).
    pub fn suspend(&mut self) -> io::Result<()> {
        restore();
        signal_hook::low_level::raise(signal_hook::consts::SIGSTOP)?;
        take_over()?;
        self.terminal.backend_mut().forget_cursor();
        self.terminal.clear()
    }
}

impl Drop for Tui {
    fn drop(&mut self) {
        restore();
    }
}

fn take_over() -> io::Result<()> {
    enable_raw_mode()?;
    ACTIVE.store(true, Ordering::SeqCst);
    let mut out = io::stdout();
    execute!(out, EnterAlternateScreen, EnableBracketedPaste)?;
    Ok(())
}

/// Restores the terminal if kdeck owns it: shows the cursor, leaves the alternate screen,
/// disables raw mode. Idempotent and safe to call from a panic hook or a signal path;
/// errors are ignored because the terminal may already be gone (SIGHUP).
pub fn restore() {
    if !ACTIVE.swap(false, Ordering::SeqCst) {
        return;
    }
    let mut out = io::stdout();
    let _ = queue!(out, DisableBracketedPaste, LeaveAlternateScreen, Show);
    let _ = out.flush();
    let _ = disable_raw_mode();
}

/// Whether the terminal is currently taken over.
pub fn is_active() -> bool {
    ACTIVE.load(Ordering::SeqCst)
}
