//! One line of Prometheus text exposition (format 0.0.4, and OpenMetrics 1.0 as exporters
//! write it): what kind of line it is, the metric name of a sample line without parsing the
//! rest, and a full parse of a sample line (labels unescaped, value, optional timestamp and
//! exemplar). Lines are borrowed from the scrape; nothing is allocated for a line that is only
//! classified or skipped, and a parsed line's label names and values borrow from it too (only
//! a value with escapes is copied).

use super::MetricKind;
use std::borrow::Cow;

/// A label name and its (unescaped) value, borrowed from the scrape where possible.
pub type Label<'a> = (Cow<'a, str>, Cow<'a, str>);

/// What a line is, with borrowed parts.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(super) enum Line<'a> {
    /// Empty or only whitespace.
    Blank,
    /// `# HELP name text`.
    Help(&'a str),
    /// `# TYPE name kind`.
    Type(&'a str, MetricKind),
    /// Any other comment, including OpenMetrics' `# EOF` and `# UNIT`.
    Comment,
    /// A sample line; the name is its first token.
    Sample(&'a str),
}

/// Classifies a line. Cheap: a sample line is only scanned up to the end of its name.
pub(super) fn classify(line: &str) -> Line<'_> {
    let line = line.trim_start();
    if line.is_empty() {
        return Line::Blank;
    }
    if let Some(comment) = line.strip_prefix('#') {
        let mut words = comment.split_ascii_whitespace();
        return match (words.next(), words.next()) {
            (Some("HELP"), Some(name)) if comment.starts_with([' ', '\t']) => Line::Help(name),
            (Some("TYPE"), Some(name)) if comment.starts_with([' ', '\t']) => {
                Line::Type(name, kind(words.next().unwrap_or("untyped")))
            }
            _ => Line::Comment,
        };
    }
    Line::Sample(metric_name(line))
}

/// The declared type word; unknown words read as untyped rather than failing the scrape.
fn kind(word: &str) -> MetricKind {
    match word {
        "counter" => MetricKind::Counter,
        "gauge" | "info" | "stateset" => MetricKind::Gauge,
        "histogram" | "gaugehistogram" => MetricKind::Histogram,
        "summary" => MetricKind::Summary,
        _ => MetricKind::Untyped,
    }
}

/// The leading metric name of a sample line (may be empty when the line starts oddly).
fn metric_name(line: &str) -> &str {
    let end = line
        .find(|c: char| !(c.is_ascii_alphanumeric() || c == '_' || c == ':'))
        .unwrap_or(line.len());
    &line[..end]
}

/// What is wrong with a sample line, in words for the user (the page's problems list).
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub(super) enum SampleError {
    #[error("a sample line must start with a metric name")]
    NoMetricName,
    #[error("`{0}` is not a number")]
    NotANumber(String),
    #[error("no value after `{0}`")]
    NoValue(String),
    #[error("`{0}` is not a timestamp")]
    NotATimestamp(String),
    #[error("unexpected `{0}` after the timestamp")]
    AfterTimestamp(String),
    #[error("a label name or `}}` was expected")]
    NoLabelName,
    #[error("`=` was expected after label `{0}`")]
    NoEquals(String),
    #[error("the value of label `{0}` must be quoted")]
    UnquotedValue(String),
    #[error("`,` or `}}` was expected after a label value")]
    NoSeparator,
    #[error("a label value is not closed with `\"`")]
    UnclosedValue,
}

/// A fully parsed sample line.
#[derive(Debug, Clone, PartialEq)]
pub(super) struct SampleLine<'a> {
    pub labels: Vec<Label<'a>>,
    pub value: f64,
}

/// Parses a sample line: `name{label="value",...} value [timestamp] [# exemplar]`.
/// `Err` says what is wrong, for the user.
pub(super) fn parse_sample(line: &str) -> Result<SampleLine<'_>, SampleError> {
    let line = line.trim_start();
    let name = metric_name(line);
    if name.is_empty() || name.starts_with(|c: char| c.is_ascii_digit()) {
        return Err(SampleError::NoMetricName);
    }
    let mut rest = &line[name.len()..];
    let mut labels = Vec::new();
    if let Some(after_brace) = rest.trim_start().strip_prefix('{') {
        rest = parse_labels(after_brace, &mut labels)?;
    }
    let mut tokens = rest.split_ascii_whitespace();
    let value = match tokens.next() {
        Some(token) => {
            parse_float(token).ok_or_else(|| SampleError::NotANumber(token.to_string()))?
        }
        None => return Err(SampleError::NoValue(name.to_string())),
    };
    match tokens.next() {
        None | Some("#") => {}
        Some(timestamp) => {
            if timestamp.parse::<f64>().is_err() {
                return Err(SampleError::NotATimestamp(timestamp.to_string()));
            }
            match tokens.next() {
                None | Some("#") => {}
                Some(extra) => return Err(SampleError::AfterTimestamp(extra.to_string())),
            }
        }
    }
    Ok(SampleLine { labels, value })
}

/// Parses `label="value",...}` (the opening brace already consumed) into `labels`; returns
/// the text after the closing brace.
fn parse_labels<'a>(
    mut text: &'a str,
    labels: &mut Vec<Label<'a>>,
) -> Result<&'a str, SampleError> {
    loop {
        text = text.trim_start();
        if let Some(after) = text.strip_prefix('}') {
            return Ok(after);
        }
        let (key, after_key) = if let Some(quoted) = text.strip_prefix('"') {
            quoted_string(quoted)?
        } else {
            let name = metric_name(text);
            if name.is_empty() {
                return Err(SampleError::NoLabelName);
            }
            (Cow::Borrowed(name), &text[name.len()..])
        };
        let Some(after_eq) = after_key.trim_start().strip_prefix('=') else {
            return Err(SampleError::NoEquals(key.into_owned()));
        };
        let Some(quoted) = after_eq.trim_start().strip_prefix('"') else {
            return Err(SampleError::UnquotedValue(key.into_owned()));
        };
        let (value, after_value) = quoted_string(quoted)?;
        labels.push((key, value));
        text = after_value.trim_start();
        if let Some(after_comma) = text.strip_prefix(',') {
            text = after_comma;
        } else if !text.starts_with('}') {
            return Err(SampleError::NoSeparator);
        }
    }
}

/// Reads a quoted string (opening quote consumed), undoing `\\`, `\"` and `\n`; returns it and
/// the text after the closing quote.
fn quoted_string(text: &str) -> Result<(Cow<'_, str>, &str), SampleError> {
    let Some(end) = closing_quote(text) else {
        return Err(SampleError::UnclosedValue);
    };
    let raw = &text[..end];
    let value = if raw.contains('\\') {
        Cow::Owned(unescape(raw))
    } else {
        Cow::Borrowed(raw)
    };
    Ok((value, &text[end + 1..]))
}

/// Byte index of the first `"` not escaped by a backslash.
fn closing_quote(text: &str) -> Option<usize> {
    let bytes = text.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 2,
            b'"' => return Some(i),
            _ => i += 1,
        }
    }
    None
}

fn unescape(raw: &str) -> String {
    let mut out = String::with_capacity(raw.len());
    let mut chars = raw.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

/// Go's ParseFloat spellings, as the exposition format uses them (`+Inf`, `-Inf`, `NaN`).
pub(super) fn parse_float(text: &str) -> Option<f64> {
    match text {
        "+Inf" | "Inf" | "+inf" | "inf" => Some(f64::INFINITY),
        "-Inf" | "-inf" => Some(f64::NEG_INFINITY),
        "NaN" | "nan" => Some(f64::NAN),
        other => other.parse().ok(),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lines_are_classified_without_parsing_samples() {
        assert_eq!(classify(""), Line::Blank);
        assert_eq!(classify("   \t"), Line::Blank);
        assert_eq!(classify("# HELP x some help"), Line::Help("x"));
        assert_eq!(
            classify("# TYPE x_seconds histogram"),
            Line::Type("x_seconds", MetricKind::Histogram)
        );
        assert_eq!(
            classify("# TYPE x unknown"),
            Line::Type("x", MetricKind::Untyped)
        );
        assert_eq!(classify("# EOF"), Line::Comment);
        assert_eq!(classify("#HELP x"), Line::Comment);
        assert_eq!(classify("# a comment"), Line::Comment);
        assert_eq!(classify("up{job=\"x\"} 1"), Line::Sample("up"));
        assert_eq!(classify("  ns:rate5m 2"), Line::Sample("ns:rate5m"));
    }

    #[test]
    fn sample_lines_with_escapes_timestamps_and_exemplars() {
        let s = parse_sample(r#"m{a="x\"y",b="c\\d",n="1\n2",} 3.5 1700000000000"#).unwrap();
        assert_eq!(
            s.labels,
            vec![
                ("a".into(), "x\"y".into()),
                ("b".into(), "c\\d".into()),
                ("n".into(), "1\n2".into())
            ]
        );
        assert_eq!(s.value, 3.5);
        let s = parse_sample(r#"m_bucket{le="0.5"} 7 # {trace_id="abc"} 0.3 1.7e9"#).unwrap();
        assert_eq!(s.value, 7.0);
        let s = parse_sample("m { a = \"1\" , b=\"{}\" } -Inf").unwrap();
        assert_eq!(s.labels.len(), 2);
        assert_eq!(s.labels[1].1, "{}");
        assert_eq!(s.value, f64::NEG_INFINITY);
        assert!(parse_sample("m NaN").unwrap().value.is_nan());
        assert_eq!(parse_sample("m +Inf").unwrap().value, f64::INFINITY);
        assert_eq!(parse_sample("m 1.5e3").unwrap().value, 1500.0);
    }

    #[test]
    fn labels_borrow_from_the_line_unless_unescaped() {
        let line = r#"m{plain="a",esc="x\"y"} 1"#;
        let s = parse_sample(line).unwrap();
        assert!(matches!(s.labels[0].0, Cow::Borrowed("plain")));
        assert!(matches!(s.labels[0].1, Cow::Borrowed("a")));
        assert!(matches!(s.labels[1].0, Cow::Borrowed("esc")));
        assert!(matches!(&s.labels[1].1, Cow::Owned(v) if v == "x\"y"));
    }

    #[test]
    fn malformed_sample_lines_say_what_is_wrong() {
        for (line, says) in [
            ("m{x=\"1\" 5", "`,` or `}`"),
            ("m{x=1} 5", "quoted"),
            ("m{x=\"1} 5", "not closed"),
            ("m{=\"1\"} 5", "label name"),
            ("m", "no value"),
            ("m abc", "not a number"),
            ("m 1 2 3", "unexpected"),
            ("m 1 later", "timestamp"),
            ("{a=\"b\"} 1", "metric name"),
        ] {
            let err = parse_sample(line).unwrap_err().to_string();
            assert!(err.contains(says), "{line}: {err}");
        }
    }

    #[test]
    fn a_malformed_line_is_typed_and_reads_as_before() {
        assert_eq!(
            parse_sample("m{x=\"1\" 5").unwrap_err(),
            SampleError::NoSeparator
        );
        assert_eq!(
            SampleError::NoSeparator.to_string(),
            "`,` or `}` was expected after a label value"
        );
        assert_eq!(
            parse_sample("m{=\"1\"} 5").unwrap_err().to_string(),
            "a label name or `}` was expected"
        );
        assert_eq!(
            parse_sample("m{x=\"1} 5").unwrap_err().to_string(),
            "a label value is not closed with `\"`"
        );
        assert_eq!(
            parse_sample("m{x=1} 5").unwrap_err(),
            SampleError::UnquotedValue("x".into())
        );
        assert_eq!(
            parse_sample("m 1 later").unwrap_err().to_string(),
            "`later` is not a timestamp"
        );
    }
}
