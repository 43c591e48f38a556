//! The top line: where you are (context, namespace), whether the data is live, and the
//! safety mode. The context sits in a colour that stands out, red when protected.

use crate::config::slot::Slot;
use crate::domain::api_health::ApiHealth;
use crate::state::State;
use crate::state::session::Connection;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};

/// A time of day in the local zone, for "since" words.
fn clock(at: chrono::DateTime<chrono::Utc>) -> String {
    at.with_timezone(&chrono::Local)
        .format("%H:%M:%S")
        .to_string()
}

/// Draws the header into a one-line area.
pub fn draw(frame: &mut Frame, area: Rect, state: &State, theme: &Theme) {
    let sym = &theme.symbols;
    let session = &state.session;
    let mut spans = vec![Span::styled(" kdeck ", theme.style(Slot::HeaderContext))];
    let context_slot = if session.protected {
        Slot::HeaderProtected
    } else {
        Slot::HeaderContext
    };
    let context = session.context.as_deref().unwrap_or("no context");
    spans.push(Span::styled(
        format!(" ctx {context} "),
        theme.style(context_slot),
    ));
    spans.push(Span::styled(
        format!(" ns {} ", session.namespace.label()),
        theme.style(Slot::HeaderContext),
    ));
    let (slot, text) = match &session.connection {
        Connection::NotConfigured { .. } => {
            (Slot::StatusUnknown, format!(" {} no cluster", sym.dash))
        }
        Connection::Connecting { .. } => (
            Slot::StatusProgressing,
            format!(" {} connecting", sym.pending),
        ),
        Connection::Connected { .. } => match &session.api_health {
            ApiHealth::Connected => (Slot::StatusReady, format!(" {} connected", sym.ok)),
            ApiHealth::Slow { latency } => (
                Slot::StatusProgressing,
                format!(" {} slow ({:.1} s)", sym.warn, latency.as_secs_f64()),
            ),
            ApiHealth::Unresponsive { since } => (
                Slot::StatusFailed,
                format!(" {} unresponsive since {}", sym.fail, clock(*since)),
            ),
            ApiHealth::Disconnected { since, .. } => (
                Slot::StatusFailed,
                format!(" {} disconnected since {}", sym.fail, clock(*since)),
            ),
        },
        Connection::Failed { .. } => (Slot::StatusFailed, format!(" {} disconnected", sym.fail)),
    };
    spans.push(Span::styled(text, theme.style(slot)));
    if let Some((_, alarm)) = &state.guard_alarm {
        spans.push(Span::styled(
            format!(" {} {alarm} ", sym.warn),
            theme.style(Slot::NoticeError),
        ));
    }
    if let Some(flow) = state.rollout.as_ref().filter(|f| f.hidden) {
        spans.push(Span::styled(
            format!(
                " {} {} {} ",
                flow.action.verb(),
                flow.key.name,
                sym.ellipsis
            ),
            theme.style(Slot::StatusProgressing),
        ));
    }
    if session.protected {
        spans.push(Span::styled(
            " PROTECTED ",
            theme.style(Slot::HeaderProtected),
        ));
    }
    if state.config.safety_lock.is_some() {
        // The config's safety settings cannot be trusted: say so where the mode is shown
        // (the warnings list, `!`, has the file and line).
        spans.push(Span::styled(
            " READ-ONLY: config unreadable ",
            theme.style(Slot::TextWarning),
        ));
    } else if session.readonly {
        spans.push(Span::styled(" READ-ONLY ", theme.style(Slot::TextWarning)));
    }
    frame
        .buffer_mut()
        .set_style(area, theme.style(Slot::Header));
    super::put_line(frame, area, &Line::from(spans));
}
