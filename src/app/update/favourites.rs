//! Namespace favourites (k9s' digits): `0` shows all namespaces, `1`–`9` the favourites from
//! the config's `namespaces` list, or, without one, the namespaces that held InferenceServices
//! this session, in name order (remembered across switches, so a digit keeps its meaning).

use crate::app::effect::Effect;
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::state::State;

/// The namespaces the keys 1–9 pick, in order; remembers the ones seen now.
pub fn favourites(state: &mut State) -> Vec<String> {
    if !state.config.namespace_favourites.is_empty() {
        return state.config.namespace_favourites.clone();
    }
    let now: Vec<String> = state
        .cluster
        .isvcs
        .items
        .keys()
        .map(|k| k.namespace.clone())
        .collect();
    state.ui.seen_namespaces.extend(now);
    state.ui.seen_namespaces.iter().cloned().collect()
}

/// Switches to favourite `index` (0: all namespaces).
pub fn switch(state: &mut State, index: usize) -> Vec<Effect> {
    let scope = if index == 0 {
        NamespaceScope::All
    } else {
        match favourites(state).get(index - 1) {
            Some(ns) => NamespaceScope::One(ns.clone()),
            None => {
                state.notify(
                    NoticeLevel::Info,
                    format!(
                        "no namespace favourite {index}: set namespaces = [\"…\"] in config.toml \
                         (0 shows all namespaces)"
                    ),
                );
                return Vec::new();
            }
        }
    };
    if scope == state.session.namespace {
        state.notify(
            NoticeLevel::Info,
            format!("namespace: {} (already)", scope.label()),
        );
        return Vec::new();
    }
    state.notify(NoticeLevel::Info, format!("namespace: {}", scope.label()));
    let context = state.session.context.clone();
    super::reconnect(state, context, scope)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::effect::Effect;
    use crate::app::update::update;
    use crate::ui::snapshot_tests::{cluster_state, key};
    use std::sync::Arc;

    fn demo() -> State {
        let mut s = cluster_state();
        s.cluster = crate::ui::demo_cluster::cluster();
        s
    }

    #[test]
    fn digits_switch_to_the_namespaces_seen_and_zero_to_all() {
        let mut s = demo();
        // The demo's services live in llm, ml-prod and ml-staging.
        let effects = update(&mut s, key('2'));
        assert_eq!(s.session.namespace, NamespaceScope::One("ml-prod".into()));
        assert!(
            effects.iter().any(|e| matches!(e, Effect::Connect { .. })),
            "{effects:?}"
        );
        // The digits keep their meaning after the switch emptied the cluster state.
        update(&mut s, key('3'));
        assert_eq!(
            s.session.namespace,
            NamespaceScope::One("ml-staging".into())
        );
        update(&mut s, key('0'));
        assert_eq!(s.session.namespace, NamespaceScope::All);
        update(&mut s, key('9'));
        let notice =
            s.ui.notice
                .as_ref()
                .map(|n| n.text.clone())
                .unwrap_or_default();
        assert!(notice.contains("no namespace favourite 9"), "{notice}");
        assert_eq!(s.session.namespace, NamespaceScope::All);
    }

    #[test]
    fn configured_favourites_come_first() {
        let mut s = demo();
        let mut config = (*s.config).clone();
        config.namespace_favourites = vec!["llm".into(), "ml-staging".into()];
        s.config = Arc::new(config);
        update(&mut s, key('1'));
        assert_eq!(s.session.namespace, NamespaceScope::One("llm".into()));
        update(&mut s, key('2'));
        assert_eq!(
            s.session.namespace,
            NamespaceScope::One("ml-staging".into())
        );
    }
}
