//! The simulated API server's own label selector: a lexer and parser after the grammar of
//! Kubernetes' `labels.Parse` (apimachinery), with its validation of keys and values, and
//! matching against an object's `metadata.labels`.
//!
//! This is deliberately independent of the console's parser (`domain::selector`): the test
//! double must not mirror the console's bugs. `tests/sim_fidelity.rs` runs the same cases
//! through both and fails where they disagree.

use serde_json::Value;

/// One lexical token of a selector.
#[derive(Debug, Clone, PartialEq, Eq)]
enum Token {
    Ident(String),
    Not,
    NotEquals,
    Equals,
    DoubleEquals,
    Greater,
    Less,
    Open,
    Close,
    Comma,
}

impl Token {
    fn text(&self) -> &str {
        match self {
            Token::Ident(s) => s,
            Token::Not => "!",
            Token::NotEquals => "!=",
            Token::Equals => "=",
            Token::DoubleEquals => "==",
            Token::Greater => ">",
            Token::Less => "<",
            Token::Open => "(",
            Token::Close => ")",
            Token::Comma => ",",
        }
    }
}

fn is_special(c: char) -> bool {
    matches!(c, '=' | '!' | '(' | ')' | ',' | '>' | '<')
}

/// Splits the text into tokens: runs of special characters are matched longest first, any
/// other run of non-blank characters is an identifier (a key, a value, `in` or `notin`).
fn lex(text: &str) -> Vec<Token> {
    let chars: Vec<char> = text.chars().collect();
    let mut tokens = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        if c.is_whitespace() {
            i += 1;
            continue;
        }
        if is_special(c) {
            let next = chars.get(i + 1).copied();
            let (token, width) = match (c, next) {
                ('!', Some('=')) => (Token::NotEquals, 2),
                ('=', Some('=')) => (Token::DoubleEquals, 2),
                ('!', _) => (Token::Not, 1),
                ('=', _) => (Token::Equals, 1),
                ('>', _) => (Token::Greater, 1),
                ('<', _) => (Token::Less, 1),
                ('(', _) => (Token::Open, 1),
                (')', _) => (Token::Close, 1),
                _ => (Token::Comma, 1),
            };
            tokens.push(token);
            i += width;
            continue;
        }
        let start = i;
        while i < chars.len() && !chars[i].is_whitespace() && !is_special(chars[i]) {
            i += 1;
        }
        tokens.push(Token::Ident(chars[start..i].iter().collect()));
    }
    tokens
}

/// The operator of one requirement.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Operator {
    Exists,
    DoesNotExist,
    In,
    NotIn,
    GreaterThan,
    LessThan,
}

/// One requirement: a key, an operator and the values it compares with.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Requirement {
    key: String,
    op: Operator,
    values: Vec<String>,
}

impl Requirement {
    fn matches(&self, labels: &serde_json::Map<String, Value>) -> bool {
        let value = labels.get(&self.key).and_then(Value::as_str);
        let in_set = |v: &str| self.values.iter().any(|s| s == v);
        match self.op {
            Operator::Exists => value.is_some(),
            Operator::DoesNotExist => value.is_none(),
            Operator::In => value.is_some_and(in_set),
            Operator::NotIn => !value.is_some_and(in_set),
            Operator::GreaterThan | Operator::LessThan => {
                let (Some(have), Some(bound)) = (
                    value.and_then(|v| v.parse::<i64>().ok()),
                    self.values.first().and_then(|v| v.parse::<i64>().ok()),
                ) else {
                    return false;
                };
                match self.op {
                    Operator::GreaterThan => have > bound,
                    _ => have < bound,
                }
            }
        }
    }
}

/// A parsed label selector, as the API server reads `labelSelector`.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct LabelSelector(Vec<Requirement>);

/// Reads tokens one requirement at a time.
struct Parser {
    tokens: Vec<Token>,
    at: usize,
}

impl Parser {
    fn peek(&self) -> Option<&Token> {
        self.tokens.get(self.at)
    }

    fn next(&mut self) -> Option<Token> {
        let token = self.tokens.get(self.at).cloned();
        self.at += 1;
        token
    }

    fn found(token: Option<&Token>) -> String {
        token.map_or("end of string".to_string(), |t| format!("'{}'", t.text()))
    }

    fn key(&mut self) -> Result<String, SelectorError> {
        match self.next() {
            Some(Token::Ident(key)) if key != "in" && key != "notin" => {
                check_key(&key)?;
                Ok(key)
            }
            other => Err(SelectorError::Unexpected {
                found: Self::found(other.as_ref()),
                expected: "identifier",
            }),
        }
    }

    /// A single value after `=`, `==`, `!=`, `>` or `<`: empty at a comma or the end.
    fn exact_value(&mut self) -> Result<String, SelectorError> {
        match self.peek() {
            None | Some(Token::Comma) => Ok(String::new()),
            Some(Token::Ident(_)) => match self.next() {
                Some(Token::Ident(v)) => Ok(v),
                _ => Ok(String::new()),
            },
            other => Err(SelectorError::Unexpected {
                found: Self::found(other),
                expected: "identifier",
            }),
        }
    }

    /// `( v1, v2, … )`; `()` is the set holding the empty value, and so is an empty item.
    fn value_set(&mut self) -> Result<Vec<String>, SelectorError> {
        if self.next() != Some(Token::Open) {
            return Err(SelectorError::NoValueSet);
        }
        let mut values = Vec::new();
        let mut expect_value = true;
        loop {
            match self.next() {
                Some(Token::Close) => {
                    if expect_value {
                        values.push(String::new());
                    }
                    return Ok(values);
                }
                Some(Token::Comma) => {
                    if expect_value {
                        values.push(String::new());
                    }
                    expect_value = true;
                }
                Some(Token::Ident(v)) if expect_value => {
                    values.push(v);
                    expect_value = false;
                }
                other => {
                    return Err(SelectorError::Unexpected {
                        found: Self::found(other.as_ref()),
                        expected: "',', ')' or identifier",
                    });
                }
            }
        }
    }

    fn requirement(&mut self) -> Result<Requirement, SelectorError> {
        if self.peek() == Some(&Token::Not) {
            self.next();
            let key = self.key()?;
            return Ok(Requirement {
                key,
                op: Operator::DoesNotExist,
                values: Vec::new(),
            });
        }
        let key = self.key()?;
        let (op, values) = match self.peek() {
            None | Some(Token::Comma) => (Operator::Exists, Vec::new()),
            Some(Token::Equals | Token::DoubleEquals) => {
                self.next();
                (Operator::In, vec![self.exact_value()?])
            }
            Some(Token::NotEquals) => {
                self.next();
                (Operator::NotIn, vec![self.exact_value()?])
            }
            Some(Token::Greater | Token::Less) => {
                let op = match self.next() {
                    Some(Token::Greater) => Operator::GreaterThan,
                    _ => Operator::LessThan,
                };
                let bound = self.exact_value()?;
                if bound.parse::<i64>().is_err() {
                    return Err(SelectorError::NotAnInteger(bound));
                }
                (op, vec![bound])
            }
            Some(Token::Ident(word)) if word == "in" || word == "notin" => {
                let op = if word == "in" {
                    Operator::In
                } else {
                    Operator::NotIn
                };
                self.next();
                (op, self.value_set()?)
            }
            other => {
                return Err(SelectorError::Unexpected {
                    found: Self::found(other),
                    expected: "in, notin, =, ==, !=, gt, lt",
                });
            }
        };
        if let Some(bad) = values.iter().find(|v| !label_value(v)) {
            return Err(SelectorError::InvalidValue(bad.clone()));
        }
        Ok(Requirement { key, op, values })
    }
}

/// What the API server says is wrong with a label selector (the words of its 400 answer).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SelectorError {
    #[error("found {found}, expected: {expected}")]
    Unexpected {
        found: String,
        expected: &'static str,
    },
    #[error("expected '(' after in/notin")]
    NoValueSet,
    #[error("for 'Gt', 'Lt' operators, the value must be an integer, not '{0}'")]
    NotAnInteger(String),
    #[error(
        "invalid label value: \"{0}\": a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    )]
    InvalidValue(String),
    #[error(
        "invalid label key \"{0}\": name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character"
    )]
    InvalidKey(String),
}

impl LabelSelector {
    /// Parses a selector as the API server does; the error is the requirement's problem.
    pub fn parse(text: &str) -> Result<LabelSelector, SelectorError> {
        let mut parser = Parser {
            tokens: lex(text),
            at: 0,
        };
        let mut requirements = Vec::new();
        if parser.peek().is_none() {
            return Ok(LabelSelector(requirements));
        }
        loop {
            requirements.push(parser.requirement()?);
            match parser.next() {
                None => return Ok(LabelSelector(requirements)),
                Some(Token::Comma) if parser.peek().is_some() => {}
                other => {
                    return Err(SelectorError::Unexpected {
                        found: Parser::found(other.as_ref()),
                        expected: "','",
                    });
                }
            }
        }
    }

    /// Whether the object's `metadata.labels` satisfy every requirement.
    pub fn matches(&self, obj: &Value) -> bool {
        let empty = serde_json::Map::new();
        let labels = obj["metadata"]["labels"].as_object().unwrap_or(&empty);
        self.0.iter().all(|r| r.matches(labels))
    }
}

/// A label value: empty, or up to 63 of `[A-Za-z0-9_.-]` starting and ending alphanumeric.
fn label_value(v: &str) -> bool {
    v.is_empty()
        || (v.len() <= 63
            && v.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '-' | '_' | '.'))
            && v.starts_with(|c: char| c.is_ascii_alphanumeric())
            && v.ends_with(|c: char| c.is_ascii_alphanumeric()))
}

/// A label key: `[DNS-subdomain prefix/]name`, the name a non-empty label value.
fn check_key(k: &str) -> Result<(), SelectorError> {
    let (prefix, name) = match k.split_once('/') {
        Some((p, n)) => (Some(p), n),
        None => (None, k),
    };
    let prefix_ok = prefix.is_none_or(|p| {
        !p.is_empty()
            && p.len() <= 253
            && p.split('.').all(|l| {
                !l.is_empty()
                    && l.chars()
                        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
                    && !l.starts_with('-')
                    && !l.ends_with('-')
            })
    });
    match prefix_ok && !name.is_empty() && label_value(name) {
        true => Ok(()),
        false => Err(SelectorError::InvalidKey(k.to_string())),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn obj(labels: Value) -> Value {
        json!({"metadata": {"labels": labels}})
    }

    #[test]
    fn the_kubernetes_grammar() {
        let o = obj(json!({"team": "fraud", "env": "prod", "gen": "3", "blank": ""}));
        for (sel, want) in [
            ("", true),
            ("team=fraud", true),
            ("team == fraud , env=prod", true),
            ("team!=fraud", false),
            ("env in (prod,staging)", true),
            ("env in(prod)", true),
            ("env notin (prod)", false),
            ("team", true),
            ("!canary", true),
            ("! team", false),
            ("blank in ()", true),
            ("blank=", true),
            ("missing!=x", true),
            ("missing notin (x)", true),
            ("gen>2,gen<4", true),
            ("gen>3", false),
            ("team>1", false),
        ] {
            let parsed = LabelSelector::parse(sel).unwrap_or_else(|e| panic!("{sel}: {e}"));
            assert_eq!(parsed.matches(&o), want, "{sel}");
        }
    }

    #[test]
    fn what_the_api_server_rejects() {
        for bad in [
            "===",
            "=x",
            "a=b c",
            "a b",
            "Bad_/x=1",
            "a=-x",
            "a in (b",
            "a in b",
            "a,",
            ",a",
            "a=b=c",
            "a>b",
            "a>",
            "!",
            "a in (b c)",
        ] {
            assert!(LabelSelector::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn objects_without_labels_match_absence_only() {
        let none = json!({"metadata": {}});
        assert!(LabelSelector::parse("!a").unwrap().matches(&none));
        assert!(LabelSelector::parse("a!=b").unwrap().matches(&none));
        assert!(!LabelSelector::parse("a").unwrap().matches(&none));
        assert!(!LabelSelector::parse("a in (b)").unwrap().matches(&none));
    }

    #[test]
    fn a_rejection_names_the_problem_in_the_api_server_s_words() {
        assert_eq!(
            LabelSelector::parse("a b").unwrap_err(),
            SelectorError::Unexpected {
                found: "'b'".into(),
                expected: "in, notin, =, ==, !=, gt, lt"
            }
        );
        assert_eq!(
            LabelSelector::parse("a,").unwrap_err().to_string(),
            "found ',', expected: ','"
        );
        assert_eq!(
            LabelSelector::parse("a>b").unwrap_err().to_string(),
            "for 'Gt', 'Lt' operators, the value must be an integer, not 'b'"
        );
        assert_eq!(
            LabelSelector::parse("a in b").unwrap_err(),
            SelectorError::NoValueSet
        );
        assert!(matches!(
            LabelSelector::parse("Bad_/x=1").unwrap_err(),
            SelectorError::InvalidKey(k) if k == "Bad_/x"
        ));
    }
}
