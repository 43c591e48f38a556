//! Describe a pod (k9s' `d`): where it runs, its conditions as the console knows them,
//! each container (and init container) with its state, readiness and restarts, and the
//! recent events about it. Scrolls like the YAML view.

use crate::config::slot::Slot;
use crate::domain::key::ObjectKey;
use crate::domain::pod::{Container, Pod, RunState};
use crate::state::State;
use crate::ui::theme::Theme;
use ratatui::Frame;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::Paragraph;
use std::collections::BTreeSet;

/// The lines describing pod `key`, each with its style.
pub fn pod_lines(state: &State, key: &ObjectKey) -> Vec<(Slot, String)> {
    let Some(pod) = state.cluster.pods.items.get(key) else {
        return vec![(
            Slot::TextWarning,
            format!("pod {key} is gone from the cluster (Esc goes back)"),
        )];
    };
    let dash = "–";
    let mut out = vec![
        (Slot::Base, format!("Name:        {}", pod.meta.name)),
        (Slot::Base, format!("Namespace:   {}", pod.meta.namespace)),
        (
            Slot::Base,
            format!("Service:     {}", pod.isvc().unwrap_or(dash)),
        ),
        (
            Slot::Base,
            format!(
                "Revision:    {}",
                pod.revision().or(pod.component()).unwrap_or(dash)
            ),
        ),
        (
            Slot::Base,
            format!("Node:        {}", node_text(state, pod)),
        ),
        (
            Slot::Base,
            format!("IP:          {}", pod.ip.as_deref().unwrap_or(dash)),
        ),
        (
            Slot::Base,
            format!(
                "Status:      {}{}",
                pod.status_word(),
                pod.reason
                    .as_deref()
                    .map(|r| format!(" ({r})"))
                    .unwrap_or_default()
            ),
        ),
        (Slot::Base, String::new()),
        (Slot::YamlKey, "Conditions:".to_string()),
    ];
    let scheduled = match &pod.unschedulable {
        Some(why) => (Slot::StatusFailed, format!("  PodScheduled  False  {why}")),
        None if pod.node.is_some() => (Slot::StatusReady, "  PodScheduled  True".to_string()),
        None => (
            Slot::StatusProgressing,
            "  PodScheduled  pending".to_string(),
        ),
    };
    out.push(scheduled);
    let (ready, total) = pod.ready_counts();
    out.push(if pod.is_ready() {
        (
            Slot::StatusReady,
            format!("  Ready         True   {ready}/{total} containers ready"),
        )
    } else {
        (
            Slot::StatusFailed,
            format!("  Ready         False  {ready}/{total} containers ready"),
        )
    });
    for (title, containers) in [
        ("Init containers:", &pod.init_containers),
        ("Containers:", &pod.containers),
    ] {
        if containers.is_empty() {
            continue;
        }
        out.push((Slot::Base, String::new()));
        out.push((Slot::YamlKey, title.to_string()));
        for c in containers {
            out.extend(container_lines(c));
        }
    }
    out.push((Slot::Base, String::new()));
    out.push((Slot::YamlKey, "Events:".to_string()));
    let names: BTreeSet<String> = [pod.meta.name.clone()].into_iter().collect();
    let events = state.cluster.events_for(&pod.meta.namespace, &names);
    if events.is_empty() {
        out.push((Slot::TextDim, "  none recently".to_string()));
    }
    for e in events.iter().take(20) {
        let age = crate::domain::k8s::age(e.last_seen, state.now);
        let count = if e.count > 1 {
            format!(" (×{})", e.count)
        } else {
            String::new()
        };
        let slot = if e.warning {
            Slot::TextWarning
        } else {
            Slot::Base
        };
        out.push((
            slot,
            format!("  {age:>4}  {}  {}{count}", e.reason, e.message),
        ));
    }
    out
}

fn node_text(state: &State, pod: &Pod) -> String {
    match &pod.node {
        None => "not scheduled".to_string(),
        Some(name) => match state
            .cluster
            .node(name)
            .and_then(|n| n.instance_type.as_deref())
        {
            Some(instance) => format!("{name} ({instance})"),
            None => name.clone(),
        },
    }
}

fn container_lines(c: &Container) -> Vec<(Slot, String)> {
    let (state_slot, state_text) = match &c.state {
        RunState::Running => (Slot::StatusReady, "Running".to_string()),
        RunState::Waiting { reason, message } if message.is_empty() => {
            (Slot::StatusProgressing, format!("Waiting: {reason}"))
        }
        RunState::Waiting { reason, message } => {
            (Slot::StatusFailed, format!("Waiting: {reason} — {message}"))
        }
        RunState::Terminated { reason, exit_code } => (
            if *exit_code == 0 {
                Slot::TextDim
            } else {
                Slot::StatusFailed
            },
            format!("Terminated: {reason} (exit code {exit_code})"),
        ),
        RunState::Unknown => (Slot::TextDim, "unknown".to_string()),
    };
    let ports: Vec<String> = c.ports.iter().map(u16::to_string).collect();
    let mut lines = vec![
        (Slot::Base, format!("  {}", c.name)),
        (Slot::TextDim, format!("    Image:     {}", c.image)),
        (state_slot, format!("    State:     {state_text}")),
        (
            if c.ready {
                Slot::StatusReady
            } else {
                Slot::StatusProgressing
            },
            format!("    Ready:     {}", c.ready),
        ),
        (
            if c.restarts > 0 {
                Slot::TextWarning
            } else {
                Slot::Base
            },
            format!(
                "    Restarts:  {}{}",
                c.restarts,
                c.last_terminated
                    .as_deref()
                    .map(|r| format!(" (last ended: {r})"))
                    .unwrap_or_default()
            ),
        ),
    ];
    if !ports.is_empty() {
        lines.push((
            Slot::TextDim,
            format!("    Ports:     {}", ports.join(", ")),
        ));
    }
    lines
}

/// Draws the description of pod `key`, scrolled by the view's text scroll.
pub fn draw_pod(frame: &mut Frame, area: Rect, state: &State, theme: &Theme, key: &ObjectKey) {
    let lines = pod_lines(state, key);
    let height = usize::from(area.height);
    let scroll = usize::from(state.ui.text_scroll).min(lines.len().saturating_sub(height));
    let shown: Vec<Line> = lines
        .into_iter()
        .skip(scroll)
        .take(height)
        .map(|(slot, text)| Line::from(Span::styled(text, theme.style(slot))))
        .collect();
    frame.render_widget(Paragraph::new(shown), area);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::app::msg::Msg;
    use crate::app::update::update;
    use crate::state::ui::Route;
    use crate::ui::snapshot_tests::{cluster_state, key, render, screen, theme};
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};

    fn demo() -> State {
        let mut s = cluster_state();
        s.cluster = crate::ui::demo_cluster::cluster();
        s.derived.dirty = true;
        s.refresh_derived();
        s
    }

    fn command(s: &mut State, text: &str) {
        update(s, key(':'));
        for c in text.chars() {
            update(s, key(c));
        }
        update(
            s,
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
        );
    }

    #[test]
    fn enter_and_d_on_a_pod_describe_the_pod_not_its_service() {
        for describe in [
            Msg::Key(KeyEvent::new(KeyCode::Enter, KeyModifiers::NONE)),
            key('d'),
        ] {
            let mut s = demo();
            command(&mut s, "pods");
            assert_eq!(s.ui.route(), &Route::Pods);
            let selected = crate::state::lists::selected(&s, crate::config::keymap::Scope::Pods)
                .expect("a pod");
            update(&mut s, describe);
            assert_eq!(s.ui.route(), &Route::PodDescribe(selected.clone()));
            let text = screen(&render(&mut s, &theme("dark"), 100, 50));
            assert!(text.contains(&format!("Pod {selected}")), "{text}");
            assert!(
                text.contains("Conditions:") && text.contains("Ready"),
                "{text}"
            );
            assert!(
                text.contains("Containers:") && text.contains("Restarts:"),
                "{text}"
            );
            assert!(text.contains("State:"), "{text}");
            update(
                &mut s,
                Msg::Key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE)),
            );
            assert_eq!(s.ui.route(), &Route::Pods);
        }
    }

    #[test]
    fn a_pod_description_lists_containers_state_restarts_and_events() {
        let s = demo();
        let (key, _) = s
            .cluster
            .pods
            .items
            .iter()
            .find(|(_, p)| p.has_container("kserve-container"))
            .expect("a model-server pod");
        let lines: Vec<String> = pod_lines(&s, key).into_iter().map(|(_, t)| t).collect();
        let text = lines.join("\n");
        assert!(text.contains("  kserve-container"), "{text}");
        assert!(
            text.contains("    Restarts:  ") && text.contains("    State:     Running"),
            "{text}"
        );
        assert!(text.contains("Events:"), "{text}");
        let gone = pod_lines(&s, &ObjectKey::new("ml", "nope"));
        assert!(gone[0].1.contains("gone from the cluster"));
    }

    #[test]
    fn d_on_a_service_opens_its_detail() {
        let mut s = demo();
        let selected = s.selected_service().cloned().expect("a service");
        update(&mut s, key('d'));
        assert_eq!(s.ui.route(), &Route::Detail(selected));
    }

    #[test]
    fn the_pods_list_across_namespaces_shows_namespace_at_ordinary_widths() {
        for (w, h) in [(120, 40), (140, 40)] {
            let mut s = demo();
            command(&mut s, "pods");
            let text = screen(&render(&mut s, &theme("dark"), w, h));
            let header = text
                .lines()
                .find(|l| l.contains("NAME"))
                .unwrap_or_default();
            assert!(header.contains("NAMESPACE"), "{w}x{h}: {header}");
        }
    }
}
