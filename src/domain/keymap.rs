//! The keymap as data: the default keymap (`assets/keymap.toml`, embedded at build time),
//! patched by the user's `keymap.toml`.
//!
//! File format: one array of tables per scope (`[[global]]`, `[[services]]`, …), each entry
//! `keys = [...]`, `action = "..."`, `desc = "..."` and optionally `hint = "label"` (a short
//! label shown in the status bar). In the user file an entry replaces the default binding of the same key in the
//! same scope; `action = "unbind"` removes it. Unknown actions, unknown key names and keys
//! bound twice in one file become warnings; the rest of the file still applies. A file that
//! leaves some view without a key to quit is refused whole (with a warning): the default
//! keymap is used instead.

use super::config_warning::ConfigWarning;
use super::key_spec::KeySpec;
use crate::domain::action::Action;
use crossterm::event::KeyEvent;
use serde::Deserialize;
use std::collections::BTreeMap;
use strum::{Display, EnumIter, EnumString, IntoEnumIterator, IntoStaticStr};

/// The embedded default keymap.
pub const DEFAULT_KEYMAP: &str = include_str!("../../assets/keymap.toml");

/// Where a binding applies: everywhere, or in one view.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Display,
    EnumIter,
    EnumString,
    IntoStaticStr,
)]
#[strum(serialize_all = "snake_case")]
pub enum Scope {
    Global,
    Services,
    Detail,
    Yaml,
    Logs,
    Pods,
    Events,
    Nodes,
    Runtimes,
    Graphs,
    Gpu,
    Cost,
    Warnings,
}

/// One binding: the keys, what they do and how help describes it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Binding {
    pub keys: Vec<KeySpec>,
    pub action: Action,
    pub desc: String,
    /// A short label for the status bar, if the binding is hinted there.
    pub hint: Option<String>,
}

/// All bindings by scope, in file order.
#[derive(Debug, Clone, Default)]
pub struct Keymap {
    scopes: BTreeMap<Scope, Vec<Binding>>,
}

#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct RawBinding {
    keys: Vec<String>,
    action: String,
    #[serde(default)]
    desc: Option<String>,
    #[serde(default)]
    hint: Option<String>,
}

impl Keymap {
    /// The default keymap patched by the user's file (`user` is (file name, contents)).
    pub fn load(user: Option<(&str, &str)>) -> (Keymap, Vec<ConfigWarning>) {
        let mut warnings = Vec::new();
        let mut keymap = Keymap::default();
        keymap.apply("default keymap", DEFAULT_KEYMAP, false, &mut warnings);
        if let Some((file, text)) = user {
            let mut patched = keymap.clone();
            patched.apply(file, text, true, &mut warnings);
            match patched.scope_without_quit() {
                Some(scope) => warnings.push(ConfigWarning::new(
                    file,
                    None,
                    format!(
                        "leaves no key to quit in [{scope}]; the whole file is ignored and the \
                         default keymap is used (bind a key to action = \"quit\")"
                    ),
                )),
                None => keymap = patched,
            }
        }
        (keymap, warnings)
    }

    /// A scope in which no key quits (a keymap that would trap the user), if there is one.
    fn scope_without_quit(&self) -> Option<Scope> {
        Scope::iter().find(|scope| {
            let scopes = [*scope, Scope::Global];
            let keys: Vec<KeySpec> = scopes
                .iter()
                .flat_map(|s| self.bindings(*s))
                .filter(|b| b.action == Action::Quit)
                .flat_map(|b| b.keys.iter().copied())
                .collect();
            // A quit key shadowed in this scope by another action does not count.
            !keys.into_iter().any(|key| {
                self.lookup(*scope, key)
                    .or_else(|| self.lookup(Scope::Global, key))
                    == Some(Action::Quit)
            })
        })
    }

    /// The action bound to `event` in `scope`, falling back to the global scope.
    pub fn action_for(&self, scope: Scope, event: &KeyEvent) -> Option<Action> {
        let key = KeySpec::from_event(event);
        self.lookup(scope, key)
            .or_else(|| self.lookup(Scope::Global, key))
    }

    fn lookup(&self, scope: Scope, key: KeySpec) -> Option<Action> {
        self.scopes
            .get(&scope)?
            .iter()
            .find(|b| b.keys.contains(&key))
            .map(|b| b.action)
    }

    /// The bindings of one scope, in file order.
    pub fn bindings(&self, scope: Scope) -> &[Binding] {
        self.scopes.get(&scope).map(Vec::as_slice).unwrap_or(&[])
    }

    /// The first key bound to `action` in `scope` or globally, for hints ("press ? for help").
    pub fn key_for(&self, scope: Scope, action: Action) -> Option<KeySpec> {
        [scope, Scope::Global].iter().find_map(|s| {
            self.bindings(*s)
                .iter()
                .find(|b| b.action == action)
                .and_then(|b| b.keys.first().copied())
        })
    }

    fn apply(&mut self, file: &str, text: &str, is_user: bool, warnings: &mut Vec<ConfigWarning>) {
        let table: toml::Table = match toml::from_str(text) {
            Ok(table) => table,
            Err(err) => {
                warnings.push(ConfigWarning::new(
                    file,
                    None,
                    format!("not valid TOML, ignored: {}", err.message()),
                ));
                return;
            }
        };
        for (scope_name, value) in table {
            let Ok(scope) = scope_name.parse::<Scope>() else {
                let known: Vec<&str> = Scope::iter().map(Into::into).collect();
                warnings.push(ConfigWarning::new(
                    file,
                    Some(&scope_name),
                    format!("unknown scope, ignored (known: {})", known.join(", ")),
                ));
                continue;
            };
            let entries: Vec<RawBinding> = match value.try_into() {
                Ok(entries) => entries,
                Err(err) => {
                    warnings.push(ConfigWarning::new(
                        file,
                        Some(&scope_name),
                        format!(
                            "expected a list of [[{scope_name}]] entries with keys/action/desc: {}",
                            err.message()
                        ),
                    ));
                    continue;
                }
            };
            let mut seen_in_file: Vec<(KeySpec, String)> = Vec::new();
            for (index, raw) in entries.into_iter().enumerate() {
                let key_path = format!("{scope_name}[{index}]");
                self.apply_binding(
                    file,
                    &key_path,
                    scope,
                    raw,
                    is_user,
                    &mut seen_in_file,
                    warnings,
                );
            }
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn apply_binding(
        &mut self,
        file: &str,
        key_path: &str,
        scope: Scope,
        raw: RawBinding,
        is_user: bool,
        seen_in_file: &mut Vec<(KeySpec, String)>,
        warnings: &mut Vec<ConfigWarning>,
    ) {
        let unbind = raw.action == "unbind";
        let action = if unbind {
            None
        } else {
            match raw.action.parse::<Action>() {
                Ok(action) => Some(action),
                Err(_) => {
                    warnings.push(ConfigWarning::new(
                        file,
                        Some(key_path),
                        format!("unknown action '{}', binding ignored", raw.action),
                    ));
                    return;
                }
            }
        };
        let mut keys = Vec::new();
        for name in &raw.keys {
            match name.parse::<KeySpec>() {
                Ok(key) => {
                    if let Some((_, other)) = seen_in_file.iter().find(|(k, _)| *k == key) {
                        warnings.push(ConfigWarning::new(
                            file,
                            Some(key_path),
                            format!("key '{key}' is bound twice in [{scope}] (also to '{other}'); the later binding wins"),
                        ));
                    }
                    seen_in_file.push((key, raw.action.clone()));
                    keys.push(key);
                }
                Err(err) => warnings.push(ConfigWarning::new(
                    file,
                    Some(key_path),
                    format!("{err}; key ignored"),
                )),
            }
        }
        if keys.is_empty() {
            if !raw.keys.is_empty() || !unbind {
                warnings.push(ConfigWarning::new(
                    file,
                    Some(key_path),
                    "no usable keys, binding ignored",
                ));
            }
            return;
        }
        let bindings = self.scopes.entry(scope).or_default();
        for binding in bindings.iter_mut() {
            binding.keys.retain(|k| !keys.contains(k));
        }
        bindings.retain(|b| !b.keys.is_empty());
        let Some(action) = action else {
            return;
        };
        let desc = match raw.desc {
            Some(desc) if !desc.trim().is_empty() => desc,
            _ => {
                if !is_user {
                    warnings.push(ConfigWarning::new(
                        file,
                        Some(key_path),
                        "binding has no description",
                    ));
                }
                action.name().replace('_', " ")
            }
        };
        bindings.push(Binding {
            keys,
            action,
            desc,
            hint: raw.hint,
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crossterm::event::{KeyCode, KeyModifiers};

    fn press(c: char) -> KeyEvent {
        KeyEvent::new(KeyCode::Char(c), KeyModifiers::NONE)
    }

    #[test]
    fn the_default_keymap_binds_no_key_to_two_actions_in_one_scope() {
        let (keymap, _) = Keymap::load(None);
        let navigation = [
            Action::Up,
            Action::Down,
            Action::PageUp,
            Action::PageDown,
            Action::Top,
            Action::Bottom,
            Action::Left,
            Action::Right,
        ];
        let global_navigation: Vec<KeySpec> = keymap
            .bindings(Scope::Global)
            .iter()
            .filter(|b| navigation.contains(&b.action))
            .flat_map(|b| b.keys.clone())
            .collect();
        for scope in Scope::iter() {
            let mut seen: BTreeMap<String, Action> = BTreeMap::new();
            for b in keymap.bindings(scope) {
                for key in &b.keys {
                    if let Some(other) = seen.insert(key.to_string(), b.action) {
                        assert_eq!(
                            other, b.action,
                            "{scope}: {key} is bound to {other:?} and {:?}",
                            b.action
                        );
                    }
                    // A view's binding hides the global one: never for moving around.
                    assert!(
                        scope == Scope::Global
                            || scope == Scope::Logs
                            || !global_navigation.contains(key),
                        "{scope}: {key} ({:?}) hides a navigation key",
                        b.action
                    );
                }
            }
        }
    }

    #[test]
    fn default_keymap_parses_strictly_and_describes_every_binding() {
        let (keymap, warnings) = Keymap::load(None);
        assert!(warnings.is_empty(), "{warnings:?}");
        for scope in Scope::iter() {
            for binding in keymap.bindings(scope) {
                assert!(!binding.desc.is_empty());
            }
        }
        assert_eq!(
            keymap.action_for(Scope::Services, &press('q')),
            Some(Action::Quit)
        );
        assert_eq!(
            keymap.action_for(Scope::Services, &press('?')),
            Some(Action::Help)
        );
        assert_eq!(
            keymap.action_for(Scope::Services, &press(':')),
            Some(Action::Command)
        );
        assert_eq!(
            keymap.action_for(Scope::Services, &press('j')),
            Some(Action::Down)
        );
    }

    #[test]
    fn user_file_adds_replaces_and_unbinds() {
        let user = r#"
[[global]]
keys = ["x"]
action = "quit"
desc = "Leave"

[[global]]
keys = ["q"]
action = "unbind"

[[services]]
keys = ["j"]
action = "up"
desc = "Inverted"
"#;
        let (keymap, warnings) = Keymap::load(Some(("keymap.toml", user)));
        assert!(warnings.is_empty(), "{warnings:?}");
        assert_eq!(
            keymap.action_for(Scope::Services, &press('x')),
            Some(Action::Quit)
        );
        assert_eq!(keymap.action_for(Scope::Services, &press('q')), None);
        assert_eq!(
            keymap.action_for(Scope::Services, &press('j')),
            Some(Action::Up)
        );
        assert_eq!(
            keymap.action_for(Scope::Detail, &press('j')),
            Some(Action::Down)
        );
    }

    #[test]
    fn a_keymap_without_a_way_to_quit_is_refused_with_a_warning() {
        let user = r#"
[[global]]
keys = ["q", "ctrl-c"]
action = "unbind"

[[global]]
keys = ["x"]
action = "help"
desc = "Help"
"#;
        let (keymap, warnings) = Keymap::load(Some(("keymap.toml", user)));
        assert_eq!(warnings.len(), 1, "{warnings:?}");
        assert!(
            warnings[0].to_string().contains("no key to quit"),
            "{warnings:?}"
        );
        // The default keymap is used instead: q quits, x does nothing.
        assert_eq!(
            keymap.action_for(Scope::Logs, &press('q')),
            Some(Action::Quit)
        );
        assert_ne!(
            keymap.action_for(Scope::Services, &press('x')),
            Some(Action::Help)
        );
        // Shadowing the only quit key in one view traps the user there too.
        let shadow = "[[logs]]\nkeys = [\"q\", \"ctrl-c\"]\naction = \"help\"\ndesc = \"h\"\n";
        let (_, warnings) = Keymap::load(Some(("keymap.toml", shadow)));
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|w| w.contains("no key to quit in [logs]")),
            "{text:?}"
        );
    }

    #[test]
    fn problems_become_warnings_not_errors() {
        let user = r#"
[[global]]
keys = ["z"]
action = "explode"
desc = "?"

[[global]]
keys = ["hyper-q", "w"]
action = "quit"

[[global]]
keys = ["w"]
action = "help"
desc = "dup"

[[nowhere]]
keys = ["a"]
action = "quit"

[global2]
x = 1
"#;
        let (keymap, warnings) = Keymap::load(Some(("keymap.toml", user)));
        let text: Vec<String> = warnings.iter().map(ToString::to_string).collect();
        assert!(
            text.iter().any(|w| w.contains("unknown action 'explode'")),
            "{text:?}"
        );
        assert!(
            text.iter()
                .any(|w| w.contains("unknown key name 'hyper-q'")),
            "{text:?}"
        );
        assert!(text.iter().any(|w| w.contains("bound twice")), "{text:?}");
        assert!(text.iter().any(|w| w.contains("unknown scope")), "{text:?}");
        assert!(text.iter().all(|w| w.starts_with("keymap.toml")));
        assert_eq!(
            keymap.action_for(Scope::Global, &press('w')),
            Some(Action::Help)
        );
        assert_eq!(
            keymap.action_for(Scope::Global, &press('q')),
            Some(Action::Quit)
        );
    }

    #[test]
    fn invalid_toml_keeps_the_defaults() {
        let (keymap, warnings) = Keymap::load(Some(("keymap.toml", "[[global]\nkeys=")));
        assert_eq!(warnings.len(), 1);
        assert!(warnings[0].message.contains("not valid TOML"));
        assert_eq!(
            keymap.action_for(Scope::Global, &press('q')),
            Some(Action::Quit)
        );
    }
}
