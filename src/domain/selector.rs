//! Label selectors as kubectl writes them (`app=x,tier!=db,env in (a,b),!canary,team`),
//! used by the list filters.

/// One requirement of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Requirement {
    Equals(String, String),
    NotEquals(String, String),
    In(String, Vec<String>),
    NotIn(String, Vec<String>),
    Exists(String),
    NotExists(String),
}

/// Why a label selector could not be read, in the user's words.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("expected (a,b) after in/notin, found '{0}'")]
    BadSet(String),
    #[error("cannot read '{0}' as a label requirement")]
    NotARequirement(String),
}

/// A parsed label selector.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Selector(Vec<Requirement>);

/// Whether `text` looks like a label selector rather than a name filter.
pub fn looks_like_selector(text: &str) -> bool {
    text.contains('=')
        || [" in ", " in(", " notin ", " notin("]
            .iter()
            .any(|op| text.contains(op))
}

fn split_top_level(text: &str) -> Vec<&str> {
    let mut parts = Vec::new();
    let mut depth = 0;
    let mut start = 0;
    for (i, c) in text.char_indices() {
        match c {
            '(' => depth += 1,
            ')' => depth -= 1,
            ',' if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

fn parse_set(text: &str) -> Result<Vec<String>, SelectorError> {
    let inner = text
        .trim()
        .strip_prefix('(')
        .and_then(|t| t.strip_suffix(')'))
        .ok_or_else(|| SelectorError::BadSet(text.to_string()))?;
    // As the API server reads them: `()` is the set of the empty value, and an empty item
    // (`(a,)`) is the empty value too.
    Ok(inner.split(',').map(|v| v.trim().to_string()).collect())
}

/// Splits `key in (…)` (or `notin`) at the operator `word`, with or without a space before the
/// parenthesis: `env in(a)` is as valid as `env in (a)`.
fn split_set_operator<'a>(part: &'a str, word: &str) -> Option<(&'a str, &'a str)> {
    let needle = format!(" {word}");
    part.match_indices(&needle).find_map(|(at, _)| {
        let rest = &part[at + needle.len()..];
        rest.trim_start()
            .starts_with('(')
            .then(|| (&part[..at], rest))
    })
}

impl Selector {
    /// Parses a selector; the error says what is wrong in the user's words.
    pub fn parse(text: &str) -> Result<Selector, SelectorError> {
        let mut reqs = Vec::new();
        for part in split_top_level(text) {
            let part = part.trim();
            if part.is_empty() {
                continue;
            }
            let req = if let Some((k, v)) = part.split_once("!=") {
                Requirement::NotEquals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, v)) = part.split_once("==").or_else(|| part.split_once('=')) {
                Requirement::Equals(k.trim().to_string(), v.trim().to_string())
            } else if let Some((k, set)) = split_set_operator(part, "notin") {
                Requirement::NotIn(k.trim().to_string(), parse_set(set)?)
            } else if let Some((k, set)) = split_set_operator(part, "in") {
                Requirement::In(k.trim().to_string(), parse_set(set)?)
            } else if let Some(k) = part.strip_prefix('!') {
                Requirement::NotExists(k.trim().to_string())
            } else if part.contains(char::is_whitespace) {
                return Err(SelectorError::NotARequirement(part.to_string()));
            } else {
                Requirement::Exists(part.to_string())
            };
            reqs.push(req);
        }
        Ok(Selector(reqs))
    }

    /// Whether labels satisfy every requirement.
    pub fn matches(&self, labels: &[(std::sync::Arc<str>, std::sync::Arc<str>)]) -> bool {
        let get = |k: &str| {
            labels
                .iter()
                .find(|(key, _)| &**key == k)
                .map(|(_, v)| &**v)
        };
        self.0.iter().all(|r| match r {
            Requirement::Equals(k, v) => get(k) == Some(v),
            Requirement::NotEquals(k, v) => get(k) != Some(v),
            Requirement::In(k, set) => get(k).is_some_and(|v| set.iter().any(|s| s == v)),
            Requirement::NotIn(k, set) => get(k).is_none_or(|v| !set.iter().any(|s| s == v)),
            Requirement::Exists(k) => get(k).is_some(),
            Requirement::NotExists(k) => get(k).is_none(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn labels(pairs: &[(&str, &str)]) -> crate::domain::k8s::Labels {
        pairs
            .iter()
            .map(|(k, v)| ((*k).into(), (*v).into()))
            .collect()
    }

    #[test]
    fn kubectl_selector_forms() {
        let l = labels(&[("team", "fraud"), ("env", "prod")]);
        for (sel, expected) in [
            ("team=fraud", true),
            ("team==fraud,env=prod", true),
            ("team!=fraud", false),
            ("env in (prod, staging)", true),
            ("env notin (prod)", false),
            ("team", true),
            ("!canary", true),
            ("!team", false),
            ("team=fraud,env in (dev)", false),
            ("env in(prod)", true),
            ("env notin(prod,dev)", false),
        ] {
            assert_eq!(Selector::parse(sel).unwrap().matches(&l), expected, "{sel}");
        }
        assert_eq!(
            Selector::parse("env in prod"),
            Err(SelectorError::NotARequirement("env in prod".into()))
        );
        assert_eq!(
            Selector::parse("a b"),
            Err(SelectorError::NotARequirement("a b".into()))
        );
        assert_eq!(
            Selector::parse("env in (prod"),
            Err(SelectorError::BadSet(" (prod".into()))
        );
        assert!(looks_like_selector("a=b"));
        assert!(!looks_like_selector("fraud"));
    }

    #[test]
    fn selector_errors_say_what_could_not_be_read() {
        assert_eq!(
            SelectorError::BadSet("(prod".into()).to_string(),
            "expected (a,b) after in/notin, found '(prod'"
        );
        assert_eq!(
            SelectorError::NotARequirement("a b".into()).to_string(),
            "cannot read 'a b' as a label requirement"
        );
    }
}
