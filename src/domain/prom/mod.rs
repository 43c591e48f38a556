//! Prometheus text exposition format → owned, typed metric families.
//!
//! One parser for every scrape kdeck reads (latency, DCGM, vLLM): it accepts the text format
//! 0.0.4 and OpenMetrics as exporters write them (comments anywhere, `# HELP`/`# TYPE` in any
//! order or absent, escaped label values, `NaN`/`±Inf`, timestamps, exemplars, `# EOF`, blank
//! lines), is tolerant (a malformed line is skipped and reported, the rest of the scrape is
//! kept), and can read only the families asked for: other lines are skipped after reading
//! their name, without allocating. Histogram series are grouped by their labels (without
//! `le`) with cumulative buckets sorted by bound. The line grammar is in [`line`].
//!
//! A parse borrows from the scrape's text: label names and values are slices of it (only a
//! value with escapes is copied), so a page costs a few allocations per sample, not one per
//! label.

mod line;

pub use line::Label;
use line::{Line, classify, parse_sample};
use std::collections::HashMap;

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
pub struct Sample<'a> {
    pub role: SampleRole,
    pub labels: Vec<Label<'a>>,
    pub value: f64,
}

impl Sample<'_> {
    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// A metric family: its base name (without `_bucket`/`_sum`/`_count`), type and samples.
#[derive(Debug, Clone, PartialEq)]
pub struct Family<'a> {
    pub name: String,
    pub kind: MetricKind,
    pub samples: Vec<Sample<'a>>,
}

/// One histogram series: the labels that identify it (without `le`), its cumulative buckets
/// sorted by upper bound (the last one is `+Inf` when present), and `_sum`/`_count`.
#[derive(Debug, Clone, PartialEq)]
pub struct HistogramSeries<'a> {
    pub labels: Vec<Label<'a>>,
    pub buckets: Vec<(f64, f64)>,
    pub sum: Option<f64>,
    pub count: Option<f64>,
}

impl HistogramSeries<'_> {
    /// The value of label `key`, if present.
    pub fn label(&self, key: &str) -> Option<&str> {
        self.labels
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_ref())
    }
}

/// A parsed scrape: the families that parsed, and a message per part that did not.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Exposition<'a> {
    pub families: Vec<Family<'a>>,
    pub problems: Vec<String>,
}

impl<'a> Exposition<'a> {
    /// Parses every family of a scrape. Never fails: malformed lines are skipped and described
    /// in `problems`, so one bad line from an exporter does not blank the whole panel.
    pub fn parse(text: &'a str) -> Exposition<'a> {
        Parser::new(None).run(text)
    }

    /// Parses only the families named in `wanted` (base names, as `# TYPE` declares them);
    /// every other line is skipped cheaply and its problems are not reported.
    pub fn parse_only(text: &'a str, wanted: &[&str]) -> Exposition<'a> {
        Parser::new(Some(wanted)).run(text)
    }

    /// The family with this base name.
    pub fn family(&self, name: &str) -> Option<&Family<'a>> {
        self.families.iter().find(|f| f.name == name)
    }

    /// Histogram series of family `name`, grouped by their labels without `le`.
    pub fn histograms(&self, name: &str) -> Vec<HistogramSeries<'a>> {
        self.family(name)
            .map(|f| group_histogram(&f.samples))
            .unwrap_or_default()
    }
}

/// The suffixes a sample name may carry beyond its family's name, and what they make it.
const SUFFIXES: [(&str, SampleRole); 6] = [
    ("_bucket", SampleRole::Value),
    ("_count", SampleRole::Count),
    ("_sum", SampleRole::Sum),
    ("_gcount", SampleRole::Count),
    ("_gsum", SampleRole::Sum),
    ("_total", SampleRole::Value),
];

/// Whether a family of `kind` has samples named with `suffix`.
fn suffix_belongs(kind: MetricKind, suffix: &str) -> bool {
    match kind {
        MetricKind::Histogram => suffix != "_total",
        MetricKind::Summary => matches!(suffix, "_count" | "_sum"),
        MetricKind::Counter => suffix == "_total",
        MetricKind::Gauge | MetricKind::Untyped => false,
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Lookup {
    Family(usize, SampleRole),
    New,
    Skip,
}

/// Malformed lines of one metric name: the first line number, why, and how many.
struct Problem {
    name: String,
    first_line: usize,
    reason: String,
    lines: usize,
}

struct Parser<'w, 't> {
    wanted: Option<&'w [&'w str]>,
    families: Vec<Family<'t>>,
    problems: Vec<Problem>,
}

impl<'w, 't> Parser<'w, 't> {
    fn new(wanted: Option<&'w [&'w str]>) -> Self {
        Parser {
            wanted,
            families: Vec::new(),
            problems: Vec::new(),
        }
    }

    fn run(mut self, text: &'t str) -> Exposition<'t> {
        let mut index: HashMap<&str, usize> = HashMap::new();
        for (number, raw) in text.split('\n').enumerate() {
            let raw = raw.strip_suffix('\r').unwrap_or(raw);
            match classify(raw) {
                Line::Blank | Line::Comment => {}
                Line::Help(name) => {
                    if self.is_wanted(name) {
                        self.family_index(&mut index, name, None);
                    }
                }
                Line::Type(name, kind) => {
                    if self.is_wanted(name) {
                        self.family_index(&mut index, name, Some(kind));
                    }
                }
                Line::Sample(name) => {
                    if self.may_be_wanted(name) {
                        self.sample(&mut index, name, raw, number + 1);
                    }
                }
            }
        }
        Exposition {
            families: self.families,
            problems: self.problems.into_iter().map(describe).collect(),
        }
    }

    fn is_wanted(&self, family: &str) -> bool {
        self.wanted.is_none_or(|w| w.contains(&family))
    }

    /// Quick rejection of sample lines of families not asked for: no wanted name is a prefix.
    fn may_be_wanted(&self, sample_name: &str) -> bool {
        self.wanted
            .is_none_or(|w| w.iter().any(|f| sample_name.starts_with(f)))
    }

    /// The index of family `name`, created when new; a declared type replaces `Untyped`.
    fn family_index(
        &mut self,
        index: &mut HashMap<&'t str, usize>,
        name: &'t str,
        kind: Option<MetricKind>,
    ) -> usize {
        let idx = *index.entry(name).or_insert_with(|| {
            self.families.push(Family {
                name: name.to_string(),
                kind: MetricKind::Untyped,
                samples: Vec::new(),
            });
            self.families.len() - 1
        });
        if let Some(kind) = kind {
            self.families[idx].kind = kind;
        }
        idx
    }

    /// Which family a sample name belongs to and its role there: the family of that exact
    /// name, else a declared histogram/summary/counter the name extends with a suffix, else
    /// a new untyped family of that name.
    fn lookup(&self, index: &HashMap<&str, usize>, name: &str) -> Lookup {
        if let Some(&idx) = index.get(name) {
            return Lookup::Family(idx, SampleRole::Value);
        }
        for (suffix, role) in SUFFIXES {
            if let Some(base) = name.strip_suffix(suffix)
                && let Some(&idx) = index.get(base)
                && suffix_belongs(self.families[idx].kind, suffix)
            {
                return Lookup::Family(idx, role);
            }
        }
        // OpenMetrics writes a typed family's creation time as `<name>_created`: not a sample.
        if let Some(base) = name.strip_suffix("_created")
            && let Some(&idx) = index.get(base)
            && self.families[idx].kind != MetricKind::Untyped
        {
            return Lookup::Skip;
        }
        if self.is_wanted(name) {
            Lookup::New
        } else {
            Lookup::Skip
        }
    }

    /// Parses a sample line of a wanted family (after a cheap look-up of its name) into it.
    fn sample(
        &mut self,
        index: &mut HashMap<&'t str, usize>,
        name: &'t str,
        raw: &'t str,
        number: usize,
    ) {
        if name.is_empty() {
            if self.wanted.is_none() {
                let reason = "a sample line must start with a metric name".to_string();
                self.problem(name, number, reason);
            }
            return;
        }
        let found = self.lookup(index, name);
        if found == Lookup::Skip {
            return;
        }
        let sample = match parse_sample(raw) {
            Ok(sample) => sample,
            Err(reason) => return self.problem(name, number, reason.to_string()),
        };
        let (idx, role) = match found {
            Lookup::Family(idx, role) => (idx, role),
            _ => (self.family_index(index, name, None), SampleRole::Value),
        };
        self.families[idx].samples.push(Sample {
            role,
            labels: sample.labels,
            value: sample.value,
        });
    }

    fn problem(&mut self, name: &str, number: usize, reason: String) {
        match self.problems.iter_mut().find(|p| p.name == name) {
            Some(p) => p.lines += 1,
            None => self.problems.push(Problem {
                name: name.to_string(),
                first_line: number,
                reason,
                lines: 1,
            }),
        }
    }
}

fn describe(p: Problem) -> String {
    let what = if p.name.is_empty() {
        String::new()
    } else {
        format!(" of `{}`", p.name)
    };
    let more = match p.lines {
        1 => String::new(),
        n => format!(" ({n} such lines skipped)"),
    };
    format!(
        "line {}{what}: not valid Prometheus text ({}); skipped{more}",
        p.first_line, p.reason
    )
}

/// A bound or value as the exposition format spells it; NaN when it is not a number.
fn parse_float(text: &str) -> f64 {
    line::parse_float(text).unwrap_or(f64::NAN)
}

fn group_histogram<'a>(samples: &[Sample<'a>]) -> Vec<HistogramSeries<'a>> {
    let mut series: Vec<HistogramSeries<'a>> = Vec::new();
    for sample in samples {
        // Compared in place: the labels are copied only for a series not seen yet.
        let identity = || sample.labels.iter().filter(|(k, _)| k != "le");
        let idx = match series.iter().position(|s| s.labels.iter().eq(identity())) {
            Some(idx) => idx,
            None => {
                series.push(HistogramSeries {
                    labels: identity().cloned().collect(),
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
        assert_eq!(exp.family("broken").map(|f| f.samples.len()), Some(0));
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
    fn openmetrics_with_exemplars_created_and_eof() {
        let text = "# TYPE rpc_seconds histogram\r\n# UNIT rpc_seconds seconds\r\n# HELP rpc_seconds rpc latency\r\nrpc_seconds_bucket{le=\"0.1\"} 3 # {trace_id=\"a\"} 0.05 1.7e9\r\nrpc_seconds_bucket{le=\"+Inf\"} 4\r\nrpc_seconds_count 4\r\nrpc_seconds_sum 0.9\r\nrpc_seconds_created 1.7e9\r\n# TYPE jobs counter\r\njobs_total{kind=\"a\"} 7 1700000000.5\r\njobs_created{kind=\"a\"} 1.7e9\r\n\r\n# EOF\r\n";
        let exp = Exposition::parse(text);
        assert!(exp.problems.is_empty(), "{:?}", exp.problems);
        assert_eq!(exp.families.len(), 2, "{:?}", exp.families);
        let h = &exp.histograms("rpc_seconds")[0];
        assert_eq!((h.buckets.len(), h.count, h.sum), (2, Some(4.0), Some(0.9)));
        let jobs = exp.family("jobs").unwrap();
        assert_eq!((jobs.kind, jobs.samples.len()), (MetricKind::Counter, 1));
        assert_eq!(jobs.samples[0].value, 7.0);
    }

    #[test]
    fn help_after_type_samples_before_headers_and_no_headers() {
        let text = "up 1\n# TYPE x summary\nx{quantile=\"0.5\"} 2\n# HELP x after its type\nx_sum 10\nx_count 5\n# some comment\nlate_total 3\n# TYPE late_total counter\n";
        let exp = Exposition::parse(text);
        assert!(exp.problems.is_empty(), "{:?}", exp.problems);
        assert_eq!(exp.family("up").map(|f| f.kind), Some(MetricKind::Untyped));
        let x = exp.family("x").unwrap();
        assert_eq!(x.kind, MetricKind::Summary);
        let roles: Vec<SampleRole> = x.samples.iter().map(|s| s.role).collect();
        assert_eq!(
            roles,
            [SampleRole::Value, SampleRole::Sum, SampleRole::Count]
        );
        let late = exp.family("late_total").unwrap();
        assert_eq!((late.kind, late.samples.len()), (MetricKind::Counter, 1));
    }

    #[test]
    fn only_the_families_asked_for_are_parsed_and_reported() {
        let text = format!(
            "{MIXED}# TYPE other gauge\nother{{x=\"1\" 5\nrequest_predict_seconds_bucket{{le=\"1\" 9\nrequest_predict_seconds_bucket{{le=\"2\" 9\n"
        );
        let exp = Exposition::parse_only(&text, &["request_predict_seconds"]);
        assert_eq!(exp.families.len(), 1);
        assert_eq!(exp.families[0].samples.len(), 5);
        // The bad lines of the family asked for are one problem; `other`'s are not looked at.
        assert_eq!(exp.problems.len(), 1, "{:?}", exp.problems);
        assert!(
            exp.problems[0].contains("request_predict_seconds_bucket")
                && exp.problems[0].contains("2 such lines"),
            "{:?}",
            exp.problems
        );
        let all = Exposition::parse(&text);
        assert_eq!(all.problems.len(), 2, "{:?}", all.problems);
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
        assert!(parse_float("fast").is_nan());
        assert_eq!(parse_float("+Inf"), f64::INFINITY);
        assert_eq!(parse_float("-Inf"), f64::NEG_INFINITY);
        assert_eq!(parse_float("1.5e3"), 1500.0);
    }
}
