//! The rows of the secondary list views (pods, events, nodes, runtimes, graphs) after their
//! filter, in display order. Computed on demand; these lists are small next to the services
//! list, whose order is kept in `Derived`.

use super::State;
use crate::domain::key::ObjectKey;
use crate::domain::keymap::Scope;
use crate::domain::selector::{Selector, looks_like_selector};

/// A name filter or label selector, as typed with `/`.
pub enum Filter {
    All,
    Text(String),
    Labels(Selector),
}

impl Filter {
    pub fn parse(text: &str) -> Filter {
        let text = text.trim();
        if text.is_empty() {
            Filter::All
        } else if looks_like_selector(text) {
            Selector::parse(text)
                .map(Filter::Labels)
                .unwrap_or(Filter::All)
        } else {
            Filter::Text(text.to_lowercase())
        }
    }

    /// Whether an object with this key, labels and extra searchable text passes.
    pub fn matches(
        &self,
        key: &ObjectKey,
        labels: &[(std::sync::Arc<str>, std::sync::Arc<str>)],
        extra: &str,
    ) -> bool {
        match self {
            Filter::All => true,
            Filter::Labels(sel) => sel.matches(labels),
            Filter::Text(needle) => {
                key.name.to_lowercase().contains(needle)
                    || key.namespace.to_lowercase().contains(needle)
                    || extra.to_lowercase().contains(needle)
            }
        }
    }
}

/// Keys of the rows the list of `scope` shows, in order.
pub fn keys(state: &State, scope: Scope) -> Vec<ObjectKey> {
    matching(state, scope).into_iter().cloned().collect()
}

/// The keys of [`keys`], borrowed: for counting rows or picking one without cloning all.
pub fn matching(state: &State, scope: Scope) -> Vec<&ObjectKey> {
    let filter = Filter::parse(&state.ui.list_view(scope).filter);
    let ns = &state.session.namespace;
    let c = &state.cluster;
    match scope {
        Scope::Services => state.derived.services.iter().collect(),
        Scope::Pods => c
            .pods
            .items
            .iter()
            .filter(|(k, _)| ns.contains(&k.namespace))
            .filter(|(k, p)| filter.matches(k, &p.meta.labels, p.node.as_deref().unwrap_or("")))
            .map(|(k, _)| k)
            .collect(),
        Scope::Events => {
            let mut events: Vec<_> = c
                .events
                .items
                .iter()
                .filter(|(k, e)| {
                    ns.contains(&k.namespace)
                        && filter.matches(
                            k,
                            &[],
                            &format!("{} {} {}", e.object_name, e.reason, e.message),
                        )
                })
                .collect();
            events.sort_by_key(|(_, e)| std::cmp::Reverse(e.last_seen));
            events.into_iter().map(|(k, _)| k).collect()
        }
        Scope::Nodes => c
            .nodes
            .items
            .iter()
            .filter(|(k, n)| {
                filter.matches(k, &n.meta.labels, n.instance_type.as_deref().unwrap_or(""))
            })
            .map(|(k, _)| k)
            .collect(),
        Scope::Runtimes => c
            .runtimes
            .items
            .iter()
            .filter(|(k, r)| {
                (r.cluster_scoped || ns.contains(&k.namespace))
                    && filter.matches(k, &r.meta.labels, &r.formats.join(" "))
            })
            .map(|(k, _)| k)
            .collect(),
        Scope::Graphs => c
            .graphs
            .items
            .iter()
            .filter(|(k, g)| {
                ns.contains(&k.namespace) && filter.matches(k, &g.meta.labels, &g.targets.join(" "))
            })
            .map(|(k, _)| k)
            .collect(),
        Scope::Cost => {
            let mut keys: Vec<&ObjectKey> = state
                .costs
                .keys()
                .filter(|k| ns.contains(&k.namespace))
                .filter(|k| filter.matches(k, &[], ""))
                .collect();
            keys.sort_by(|a, b| {
                let cost = |k: &ObjectKey| {
                    state
                        .costs
                        .get(k)
                        .and_then(crate::domain::cost::CostEstimate::usd_per_hour)
                        .unwrap_or(-1.0)
                };
                cost(b).total_cmp(&cost(a)).then_with(|| a.cmp(b))
            });
            keys
        }
        Scope::Gpu => Vec::new(),
        Scope::Global | Scope::Detail | Scope::Yaml | Scope::Logs | Scope::Warnings => Vec::new(),
    }
}

/// The key under the cursor of the list of `scope`.
pub fn selected(state: &State, scope: Scope) -> Option<ObjectKey> {
    let cursor = state.ui.list_view(scope).cursor;
    if scope == Scope::Services {
        return state.derived.services.get(cursor.selected).cloned();
    }
    matching(state, scope)
        .get(cursor.selected)
        .map(|k| (*k).clone())
}
