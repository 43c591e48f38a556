//! Pieces of the screen shared by every view.

pub mod change_dialog;
pub mod completion;
pub mod group_rollout;
pub mod header;
pub mod help;
pub mod rollout;
pub mod spark;
pub mod status_bar;

use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::Line;

/// Writes one line of spans into the first row of `area`, cut at its width (a paragraph's
/// result for one unwrapped line, without reflowing it).
pub fn put_line(frame: &mut Frame, area: Rect, line: &Line) {
    if area.height > 0 {
        frame
            .buffer_mut()
            .set_line(area.x, area.y, line, area.width);
    }
}
