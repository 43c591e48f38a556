//! Prometheus text exposition format → owned, typed metric families.
//!
//! The grammar is parsed by the `prom_text_format_parser` crate. This module adds what a
//! console needs on top: tolerance (one malformed family is skipped and reported, the rest of
//! the scrape is kept), label-value unescaping, numeric values, and histogram series grouped
//! by their labels (without `le`) with cumulative buckets sorted by bound.

use prom_text_format_parser::{Scrape, Type, ValueType};

/// The declared type of a metric family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum MetricKind {
    Counter,
    Gauge,
    Histogram,
    Summary,
    Untyped,
}

/// What one sample line is within its family.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum SampleRole {
    /// A plain value, or a histogram `_bucket` line (its `le` label stays in `labels`).
    Value,
    /// A histogram or summary `_sum` line.
    Sum,
    /// A histogram or summary `_count` line.
    Count,
}

/// One sample with its labels (values unescaped) and numeric value.
#[derive(Debug, Clone, PartialEq)]
pub struct Sample {
    pub role: SampleRole,
    pub labels: Vec<(String, String)>,
    pub value: f64,
}

impl Sample {
    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A metric family: its base name (without `_bucket`/`_sum`/`_count`), type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family {
    pub name: String,
    pub kind: MetricKind,
    pub samples: Vec<Sample>,
}

/// One histogram series: the labels that identify it (without `le`), its cumulative buckets
/// sorted by upper bound (the last one is `+Inf` when present), and `_sum`/`_count`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSeries {
    pub labels: Vec<(String, String)>,
    pub buckets: Vec<(f64, f64)>,
    pub sum: Option<f64>,
    pub count: Option<f64>,
}

impl HistogramSeries {
    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }
}

/// A parsed scrape: the families that parsed, and a message per part that did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition {
    pub families: Vec<Family>,
    pub problems: Vec<String>,
}

impl Exposition {
    /// Parses a scrape. Never fails: unparseable parts are skipped and described in
    /// `problems`, so one bad line from an exporter does not blank the whole panel.
    pub fn parse(text: &str) -> Exposition {
        let text = drop_empty_families(text);
        let text = text.as_ref();
        match Scrape::parse(text) {
            Ok(scrape) => Exposition {
                families: scrape.metrics.into_iter().map(convert).collect(),
                problems: Vec::new(),
            },
            Err(_) => parse_block_by_block(text),
        }
    }

    /// The family with this base name.
    pub fn family(&self, name: &str) -> Option<&Family> {
        self.families.iter().find(|f| f.name == name)
    }

    /// Histogram series of family `name`, grouped by their labels without `le`.
    pub fn histograms(&self, name: &str) -> Vec<HistogramSeries> {
        self.family(name)
            .map(|f| group_histogram(&f.samples))
            .unwrap_or_default()
    }
}

/// Removes the `# HELP`/`# TYPE` lines of families that have no samples. They are valid
/// exposition text (prometheus_client declares a labelled histogram before its first
/// observation, e.g. a fresh KServe model server), but the parser rejects them.
fn drop_empty_families(text: &str) -> std::borrow::Cow<'_, str> {
    const SUFFIXES: [&str; 6] = ["_bucket", "_sum", "_count", "_total", "_created", "_info"];
    let sample_names: std::collections::HashSet<&str> = text
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .filter_map(|l| l.split(['{', ' ', '\t']).next())
        .collect();
    let has_samples = |name: &str| {
        sample_names.contains(name)
            || SUFFIXES
                .iter()
                .any(|s| sample_names.contains(format!("{name}{s}").as_str()))
    };
    let header_name = |l: &str| {
        let mut w = l.split_whitespace();
        match (w.next(), w.next(), w.next()) {
            (Some("#"), Some("HELP" | "TYPE"), Some(name)) => Some(name.to_string()),
            _ => None,
        }
    };
    if !text
        .lines()
        .any(|l| header_name(l).is_some_and(|n| !has_samples(&n)))
    {
        return std::borrow::Cow::Borrowed(text);
    }
    let mut out = String::with_capacity(text.len());
    for line in text.lines() {
        if header_name(line).is_some_and(|n| !has_samples(&n)) {
            continue;
        }
        out.push_str(line);
        out.push('\n');
    }
    std::borrow::Cow::Owned(out)
}

/// Falls back to parsing each `# HELP`/`# TYPE`-headed block on its own, keeping the good ones.
fn parse_block_by_block(text: &str) -> Exposition {
    let mut out = Exposition::default();
    for (first_line, block) in split_blocks(text) {
        if block.trim().is_empty() {
            continue;
        }
        match Scrape::parse(&block) {
            Ok(scrape) => out.families.extend(scrape.metrics.into_iter().map(convert)),
            Err(err) => {
                // Inside a bad block, keep every line that parses alone.
                let mut kept = 0;
                for line in block.lines().filter(|l| !l.starts_with('#')) {
                    if let Ok(scrape) = Scrape::parse(&format!("{line}\n")) {
                        kept += 1;
                        out.families.extend(scrape.metrics.into_iter().map(convert));
                    }
                }
                out.problems.push(format!(
                    "lines from {first_line}: not valid Prometheus text ({}); kept {kept} valid sample lines",
                    describe(&err)
                ));
            }
        }
    }
    out
}

fn describe(err: &prom_text_format_parser::ScrapeParseError) -> String {
    match err {
        prom_text_format_parser::ScrapeParseError::Parse(msg) => {
            msg.lines().next().unwrap_or("parse error").to_string()
        }
        prom_text_format_parser::ScrapeParseError::Collect(errors) => errors
            .iter()
            .map(|e| e.error.clone())
            .collect::<Vec<_>>()
            .join("; "),
    }
}

/// Splits the text into blocks that each start at a `# HELP` or `# TYPE` line which begins a
/// new family; returns (1-based first line number, block text with trailing newline).
fn split_blocks(text: &str) -> Vec<(usize, String)> {
    let mut blocks: Vec<(usize, String)> = Vec::new();
    let mut current = String::new();
    let mut start = 1;
    let mut previous_was_header = false;
    for (idx, line) in text.lines().enumerate() {
        let is_header = line.starts_with("# HELP") || line.starts_with("# TYPE");
        if is_header && !previous_was_header && !current.is_empty() {
            blocks.push((start, std::mem::take(&mut current)));
            start = idx + 1;
        }
        previous_was_header = is_header;
        current.push_str(line);
        current.push('\n');
    }
    if !current.is_empty() {
        blocks.push((start, current));
    }
    blocks
}

fn convert(metric: prom_text_format_parser::Metric) -> Family {
    let kind = match metric.kind {
        Type::Counter => MetricKind::Counter,
        Type::Gauge => MetricKind::Gauge,
        Type::Histogram => MetricKind::Histogram,
        Type::Summary => MetricKind::Summary,
        Type::Untyped => MetricKind::Untyped,
    };
    let samples = metric
        .samples
        .iter()
        .map(|s| Sample {
            role: match s.value.value_type {
                ValueType::Sample => SampleRole::Value,
                ValueType::Sum => SampleRole::Sum,
                ValueType::Count => SampleRole::Count,
            },
            labels: s
                .labels
                .iter()
                .map(|l| (l.key.clone(), unescape(&l.value)))
                .collect(),
            value: parse_float(s.value.value.as_str()),
        })
        .collect();
    Family {
        name: metric.name,
        kind,
        samples,
    }
}

/// Go's ParseFloat spellings, as the exposition format uses them.
fn parse_float(text: &str) -> f64 {
    match text {
        "+Inf" | "Inf" => f64::INFINITY,
        "-Inf" => f64::NEG_INFINITY,
        "NaN" => f64::NAN,
        other => other.parse().unwrap_or(f64::NAN),
    }
}

/// Undoes the exposition format's label-value escapes (`\\`, `\"`, `\n`).
fn unescape(raw: &str) -> String {
    if !raw.contains('\\') {
        return raw.to_string();
    }
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

fn group_histogram(samples: &[Sample]) -> Vec<HistogramSeries> {
    let mut series: Vec<HistogramSeries> = Vec::new();
    for sample in samples {
        let key: Vec<(String, String)> = sample
            .labels
            .iter()
            .filter(|(k, _)| k != "le")
            .cloned()
            .collect();
        let idx = match series.iter().position(|s| s.labels == key) {
            Some(idx) => idx,
            None => {
                series.push(HistogramSeries {
                    labels: key,
                    buckets: Vec::new(),
                    sum: None,
                    count: None,
                });
                series.len() - 1
            }
        };
        let entry = &mut series[idx];
        match sample.role {
            SampleRole::Sum => entry.sum = Some(sample.value),
            SampleRole::Count => entry.count = Some(sample.value),
            SampleRole::Value => {
                if let Some(le) = sample.label("le") {
                    entry.buckets.push((parse_float(le), sample.value));
                }
            }
        }
    }
    for s in &mut series {
        s.buckets.sort_by(|a, b| a.0.total_cmp(&b.0));
    }
    series
}

#[cfg(test)]
mod tests {
    use super::*;

    const MIXED: &str = r#"# HELP DCGM_FI_DEV_GPU_UTIL GPU utilization (in %).
# TYPE DCGM_FI_DEV_GPU_UTIL gauge
DCGM_FI_DEV_GPU_UTIL{gpu="0",UUID="GPU-1",modelName="NVIDIA H100 80GB HBM3",Hostname="n1",container="kserve-container",namespace="a,b",pod="p"} 87
DCGM_FI_DEV_GPU_UTIL{gpu="1",UUID="GPU-2",modelName="NVIDIA \"H100\"",Hostname="n1"} 3
# HELP request_predict_seconds predict latency
# TYPE request_predict_seconds histogram
request_predict_seconds_bucket{le="0.1",model_name="m"} 2.0
request_predict_seconds_bucket{le="0.005",model_name="m"} 1.0
request_predict_seconds_bucket{le="+Inf",model_name="m"} 3.0
request_predict_seconds_count{model_name="m"} 3.0
request_predict_seconds_sum{model_name="m"} 0.5
"#;

    #[test]
    fn families_keep_differing_label_sets_and_commas_in_values() {
        let exp = Exposition::parse(MIXED);
        assert!(exp.problems.is_empty(), "{:?}", exp.problems);
        let util = exp.family("DCGM_FI_DEV_GPU_UTIL").unwrap();
        assert_eq!(util.kind, MetricKind::Gauge);
        assert_eq!(util.samples.len(), 2);
        assert_eq!(util.samples[0].label("namespace"), Some("a,b"));
        assert_eq!(util.samples[1].label("modelName"), Some("NVIDIA \"H100\""));
        assert_eq!(util.samples[1].label("pod"), None);
        assert_eq!(util.samples[0].value, 87.0);
    }

    #[test]
    fn histogram_series_are_grouped_and_sorted() {
        let exp = Exposition::parse(MIXED);
        let hs = exp.histograms("request_predict_seconds");
        assert_eq!(hs.len(), 1);
        let h = &hs[0];
        assert_eq!(h.label("model_name"), Some("m"));
        assert_eq!(h.buckets.len(), 3);
        assert_eq!(h.buckets[0], (0.005, 1.0));
        assert_eq!(h.buckets[2].0, f64::INFINITY);
        assert_eq!(h.count, Some(3.0));
        assert_eq!(h.sum, Some(0.5));
    }

    #[test]
    fn a_malformed_family_is_skipped_and_reported() {
        let text = format!(
            "{MIXED}# HELP broken a broken family\n# TYPE broken gauge\nbroken{{x=\"1\" 5\n# HELP ok_total fine\n# TYPE ok_total counter\nok_total 7\n"
        );
        let exp = Exposition::parse(&text);
        assert_eq!(exp.problems.len(), 1, "{:?}", exp.problems);
        assert!(exp.problems[0].contains("not valid Prometheus text"));
        assert!(exp.family("DCGM_FI_DEV_GPU_UTIL").is_some());
        assert_eq!(
            exp.family("ok_total").map(|f| f.samples[0].value),
            Some(7.0)
        );
        assert!(exp.family("broken").is_none());
    }

    #[test]
    fn declared_families_without_samples_are_not_problems() {
        let text = "# HELP request_predict_seconds predict request latency\n# TYPE request_predict_seconds histogram\n# HELP python_info x\n# TYPE python_info gauge\npython_info{version=\"3.11\"} 1.0\n# HELP request_explain_seconds y\n# TYPE request_explain_seconds histogram\n";
        let exp = Exposition::parse(text);
        assert!(exp.problems.is_empty(), "{:?}", exp.problems);
        assert_eq!(exp.family("python_info").map(|f| f.samples.len()), Some(1));
        assert_eq!(
            exp.family("python_info").map(|f| f.kind),
            Some(MetricKind::Gauge)
        );
    }

    #[test]
    fn garbage_never_panics() {
        for text in [
            "",
            "\n\n",
            "}{",
            "# TYPE x histogram\nx_bucket{le=\"a\"} 1\n",
            "\u{1b}[2J",
            "x 1 2 3 4",
        ] {
            let _ = Exposition::parse(text);
        }
    }

    #[test]
    fn special_float_spellings() {
        assert!(parse_float("NaN").is_nan());
        assert_eq!(parse_float("+Inf"), f64::INFINITY);
        assert_eq!(parse_float("-Inf"), f64::NEG_INFINITY);
        assert_eq!(parse_float("1.5e3"), 1500.0);
    }
}
