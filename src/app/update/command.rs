//! The `:` command line: completion over the command table (`domain::command_table`), and
//! turning a typed line into a change of view or an effect.

use crate::app::effect::Effect;
use crate::domain::command_table::{ArgKind, COMMANDS, CommandSpec};
use crate::domain::notice::NoticeLevel;
use crate::domain::scope::NamespaceScope;
use crate::state::State;
use crate::state::ui::{Mode, Route};

fn find(word: &str) -> Option<&'static CommandSpec> {
    COMMANDS
        .iter()
        .find(|c| c.name == word || c.aliases.contains(&word))
}

/// Namespaces offered for `ns` completion: `all` plus the namespaces the cluster has.
fn namespace_choices(state: &State) -> Vec<String> {
    let mut names = vec!["all".to_string()];
    names.extend(state.known_namespaces());
    names
}

/// Completion candidates for the line typed so far (whole lines, ready to put back).
pub fn candidates(state: &State, line: &str) -> Vec<String> {
    let line = line.trim_start();
    match line.split_once(' ') {
        None => COMMANDS
            .iter()
            .filter(|c| c.name.starts_with(line))
            .map(|c| c.name.to_string())
            .collect(),
        Some((word, arg)) => {
            let Some(spec) = find(word) else {
                return Vec::new();
            };
            let choices = match spec.arg {
                ArgKind::None => return Vec::new(),
                ArgKind::Namespace => namespace_choices(state),
                ArgKind::Context => state.session.contexts.clone(),
            };
            let arg = arg.trim_start();
            choices
                .into_iter()
                .filter(|c| c.starts_with(arg))
                .map(|c| format!("{word} {c}"))
                .collect()
        }
    }
}

/// Runs a typed command line. Unknown commands and bad arguments become a notice.
pub fn execute(state: &mut State, line: &str) -> Vec<Effect> {
    let line = line.trim();
    if line.is_empty() {
        return Vec::new();
    }
    if state.ui.command_history.last().map(String::as_str) != Some(line) {
        state.ui.command_history.push(line.to_string());
    }
    let (word, arg) = match line.split_once(char::is_whitespace) {
        Some((word, arg)) => (word, arg.trim()),
        None => (line, ""),
    };
    let Some(spec) = find(word) else {
        state.notify(
            NoticeLevel::Error,
            format!("unknown command ':{word}' — press Tab after ':' to list commands"),
        );
        return Vec::new();
    };
    match spec.name {
        "services" => state.ui.jump(Route::Services),
        "pods" => state.ui.jump(Route::Pods),
        "events" => state.ui.jump(Route::Events),
        "nodes" => state.ui.jump(Route::Nodes),
        "runtimes" => state.ui.jump(Route::Runtimes),
        "graphs" => state.ui.jump(Route::Graphs),
        "warnings" => state.ui.jump(Route::Warnings),
        "gpu" => state.ui.jump(Route::Gpu),
        "cost" => state.ui.jump(Route::Cost),
        "help" => state.ui.mode = Mode::Help { scroll: 0 },
        "quit" => return vec![Effect::Quit],
        "ns" => return switch_namespace(state, arg),
        "ctx" => return switch_context(state, arg),
        _ => {}
    }
    Vec::new()
}

fn switch_namespace(state: &mut State, arg: &str) -> Vec<Effect> {
    let scope = match arg {
        "" => {
            state.notify(
                NoticeLevel::Error,
                "usage: :ns NAME (or :ns all)".to_string(),
            );
            return Vec::new();
        }
        "all" | "-A" | "*" => NamespaceScope::All,
        name => NamespaceScope::One(name.to_string()),
    };
    if scope == state.session.namespace {
        return Vec::new();
    }
    state.notify(NoticeLevel::Info, format!("namespace: {}", scope.label()));
    let context = state.session.context.clone();
    super::reconnect(state, context, scope)
}

fn switch_context(state: &mut State, arg: &str) -> Vec<Effect> {
    if arg.is_empty() {
        state.notify(
            NoticeLevel::Error,
            "usage: :ctx NAME (Tab completes from your kubeconfig)".to_string(),
        );
        return Vec::new();
    }
    if !state.session.contexts.iter().any(|c| c == arg) {
        state.notify(
            NoticeLevel::Error,
            format!("no context '{arg}' in your kubeconfig — Tab after ':ctx ' lists them"),
        );
        return Vec::new();
    }
    if state.session.context.as_deref() == Some(arg) {
        return Vec::new();
    }
    state.notify(NoticeLevel::Info, format!("context: {arg}"));
    let namespace = state.session.namespace.clone();
    super::reconnect(state, Some(arg.to_string()), namespace)
}
