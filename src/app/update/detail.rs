//! Actions of the service detail view: switch tabs, open the YAML.

use crate::app::effect::Effect;
use crate::domain::action::Action;
use crate::domain::key::ObjectKey;
use crate::state::State;

/// Applies a detail-view action.
pub fn action(state: &mut State, key: &ObjectKey, action: Action) -> Vec<Effect> {
    match action {
        Action::NextTab | Action::Right => {
            state.ui.detail_tab = state.ui.detail_tab.step(true);
            state.ui.text_scroll = 0;
        }
        Action::PrevTab | Action::Left => {
            state.ui.detail_tab = state.ui.detail_tab.step(false);
            state.ui.text_scroll = 0;
        }
        Action::ShowYaml => return super::yaml::open(state, key.clone()),
        _ => {}
    }
    Vec::new()
}
