//! In-process measurements that need no terminal: the time to draw a full services list of a
//! given size (only visible rows are built), and the rate at which log lines enter a logs
//! view's bounded ring through `update`.

use crate::app::msg::{LogBatch, LogMsg, Msg};
use crate::app::update::update;
use crate::bench::proc_stat::thread_cpu_seconds;
use crate::config::Config;
use crate::config::keymap::Keymap;
use crate::domain::key::ObjectKey;
use crate::domain::logline::{level, sanitize};
use crate::state::State;
use crate::state::cluster::ClusterState;
use crate::state::logs::{LogTarget, LogView};
use crate::state::session::Session;
use crate::ui::color::ColorDepth;
use crate::ui::symbols::Symbols;
use crate::ui::theme::Theme;
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use std::time::Instant;

fn state_with(cluster: ClusterState) -> State {
    let (keymap, _) = Keymap::load(None);
    let mut state = State::new(
        keymap,
        Config::default(),
        Session::default(),
        chrono::Utc::now(),
    );
    state.cluster = cluster;
    state.derived.dirty = true;
    state.refresh_derived();
    state
}

fn theme() -> Theme {
    let (spec, _) = crate::config::theme::load("dark", None);
    Theme::resolve(&spec, ColorDepth::TrueColor, Symbols::UNICODE).0
}

/// The cost of moving through the services list: what a key that scrolls one row costs
/// (`update`: the cursor, the rows on screen, the latency targets that follow them) and
/// what drawing the screen after it costs (the frame), in mean CPU milliseconds.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct FrameCost {
    pub frame_ms: f64,
    pub key_ms: f64,
}

/// Measures [`FrameCost`] on a 200×50 screen of `cluster`'s services over `frames` key
/// presses (↓, each one past the first screen scrolls, so every frame really draws). CPU
/// time, not wall time: on a busy machine the thread waits for a core between frames. Keys
/// alone are timed on a second state, and the frame is the difference.
pub fn frame_cost(cluster: ClusterState, frames: u32) -> FrameCost {
    let theme = theme();
    let Ok(mut terminal) = Terminal::new(TestBackend::new(200, 50));
    let mut keys_only = screen_of(cluster.clone());
    let mut state = screen_of(cluster);
    let down = Msg::Key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Down,
    ));
    // The first key after loading derives what loading left undone; it is not a key's cost.
    for s in [&mut state, &mut keys_only] {
        update(s, down.clone());
    }
    let keys_and_frames = cpu_ms(|| {
        for _ in 0..frames {
            update(&mut state, down.clone());
            let _ = terminal.draw(|f| crate::ui::draw(f, &state, &theme));
        }
    });
    let keys = cpu_ms(|| {
        for _ in 0..frames {
            update(&mut keys_only, down.clone());
        }
    });
    let per = f64::from(frames.max(1));
    FrameCost {
        frame_ms: (keys_and_frames - keys).max(0.0) / per,
        key_ms: keys / per,
    }
}

/// A console's state holding `cluster`, on a 200×50 screen.
fn screen_of(cluster: ClusterState) -> State {
    let mut state = state_with(cluster);
    update(
        &mut state,
        Msg::Resize {
            width: 200,
            height: 50,
        },
    );
    state
}

/// The CPU milliseconds `work` takes on this thread (wall time where that cannot be read).
fn cpu_ms(work: impl FnOnce()) -> f64 {
    let started = Instant::now();
    let before = thread_cpu_seconds();
    work();
    match (before, thread_cpu_seconds()) {
        (Some(before), Some(after)) => (after - before) * 1000.0,
        _ => started.elapsed().as_secs_f64() * 1000.0,
    }
}

/// What the log ingest measurement found.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct LogIngest {
    pub lines_per_s: f64,
    /// Lines held by the ring at the end (must equal the capacity: memory is bounded).
    pub lines_held: usize,
    pub capacity: usize,
    pub lines_sent: usize,
}

/// A logs view being flooded: the state the console would hold, with one stream.
pub struct LogFlood {
    state: State,
    capacity: usize,
    sent: usize,
}

fn sample(i: usize) -> String {
    format!(
        "2026-11-25 04:00:00,{:03} INFO uvicorn.access 10.0.0.{} - \"POST /v2/models/m/infer HTTP/1.1\" 200 OK {i}",
        i % 1000,
        i % 250
    )
}

impl LogFlood {
    /// A logs view with a ring of `capacity` lines.
    pub fn new(capacity: usize) -> LogFlood {
        let mut state = state_with(ClusterState::default());
        let mut view = LogView::new(LogTarget::Pod(ObjectKey::new("ns", "flood")), capacity, 1);
        view.streams.insert(
            (
                ObjectKey::new("ns", "flood"),
                "kserve-container".to_string(),
            ),
            crate::state::logs::StreamInfo {
                tag: std::sync::Arc::from("r1·flood"),
                canary: false,
                ended: None,
            },
        );
        let capacity = view.capacity;
        state.logs = Some(view);
        LogFlood {
            state,
            capacity,
            sent: 0,
        }
    }

    /// Feeds `total` more lines in batches of 1,000 (as sources send them), sanitising each
    /// at the source as the real stream does; returns the seconds it took.
    pub fn feed(&mut self, total: usize) -> f64 {
        let started = Instant::now();
        let end = self.sent + total;
        while self.sent < end {
            let n = 1000.min(end - self.sent);
            let lines = (self.sent..self.sent + n)
                .map(|i| {
                    let text = sanitize(sample(i).as_bytes());
                    let lvl = level(&text.text);
                    (None, text, lvl)
                })
                .collect();
            let batch = LogBatch {
                session: 1,
                pod: ObjectKey::new("ns", "flood"),
                container: "kserve-container".to_string(),
                lines,
            };
            update(&mut self.state, Msg::Logs(LogMsg::Lines(batch)));
            self.sent += n;
        }
        started.elapsed().as_secs_f64()
    }

    /// Lines the ring holds now.
    pub fn held(&self) -> usize {
        self.state.logs.as_ref().map(|v| v.lines.len()).unwrap_or(0)
    }

    pub fn capacity(&self) -> usize {
        self.capacity
    }

    pub fn sent(&self) -> usize {
        self.sent
    }
}

/// Feeds `total` lines in batches of 1,000 (as sources send them) into a logs view with a
/// ring of `capacity`, sanitising each at the source as the real stream does.
pub fn log_ingest(total: usize, capacity: usize) -> LogIngest {
    let mut flood = LogFlood::new(capacity);
    let secs = flood.feed(total);
    LogIngest {
        lines_per_s: flood.sent() as f64 / secs.max(1e-9),
        lines_held: flood.held(),
        capacity: flood.capacity(),
        lines_sent: flood.sent(),
    }
}
