//! The top line: where you are (context, namespace), whether the data is live, and the
//! safety mode. The context sits in a colour that stands out, red when protected.

use crate::state::State;
use crate::state::session::Connection;
use crate::ui::slot::Slot;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;

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
        Connection::Connected { .. } => (Slot::StatusReady, format!(" {} connected", sym.ok)),
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
    if session.readonly {
        spans.push(Span::styled(" READ-ONLY ", theme.style(Slot::TextWarning)));
    }
    frame.render_widget(
        Paragraph::new(Line::from(spans)).style(theme.style(Slot::Header)),
        area,
    );
}
