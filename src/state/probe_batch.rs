//! The results of the probes one press of the probe key started (one per revision, and
//! `:explain` where there is an explainer). They end in any order, so one notice says them
//! all, failing ones first, instead of the last one to end hiding the others.

use crate::domain::key::ObjectKey;

/// One press of the probe key: what it probes and the results so far.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ProbeBatch {
    pub key: ObjectKey,
    /// Probes started and not yet reported.
    pub pending: usize,
    parts: Vec<Part>,
}

/// One probe's result, worded without the leading `probe MODEL `.
#[derive(Debug, Clone, PartialEq, Eq)]
struct Part {
    /// Predictor revisions first (in revision order), then `:explain`.
    order: (bool, Option<String>),
    head: String,
    /// The whole line, for a press that started one probe.
    body: String,
    /// A few words, labelled, for a press that started several.
    brief: String,
    failed: bool,
}

/// One probe's result as the batch keeps it.
pub struct ProbeResult<'a> {
    pub explain: bool,
    pub revision: Option<&'a str>,
    /// The summary's line, `probe MODEL (PROTOCOL): …`.
    pub line: &'a str,
    /// The summary in a few words (`Summary::brief`).
    pub brief: &'a str,
    pub model: &'a str,
    pub failed: bool,
}

impl ProbeBatch {
    pub fn new(key: ObjectKey, pending: usize) -> Self {
        ProbeBatch {
            key,
            pending,
            parts: Vec::new(),
        }
    }

    /// Whether a result for `key` belongs to this batch (one is still expected).
    pub fn expects(&self, key: &ObjectKey) -> bool {
        self.pending > 0 && &self.key == key
    }

    /// Adds a result; the parts stay in their fixed order.
    pub fn add(&mut self, result: ProbeResult<'_>) {
        self.pending = self.pending.saturating_sub(1);
        let head = format!("probe {} ", result.model);
        let rest = result.line.strip_prefix(&head).unwrap_or(result.line);
        let label = match (result.explain, result.revision) {
            (true, _) => ":explain ".to_string(),
            (false, Some(rev)) => format!("{} ", crate::domain::isvc::short_revision(rev)),
            (false, None) => String::new(),
        };
        self.parts.push(Part {
            order: (result.explain, result.revision.map(str::to_string)),
            head,
            body: format!("{label}{rest}"),
            brief: format!("{label}{}", result.brief),
            failed: result.failed,
        });
        // A failing probe first, so a narrow status bar still shows it.
        self.parts
            .sort_by(|a, b| (!a.failed, &a.order).cmp(&(!b.failed, &b.order)));
    }

    /// Whether any result so far failed (setup error or a failed request).
    pub fn failed(&self) -> bool {
        self.parts.iter().any(|p| p.failed)
    }

    /// The notice: one probe's whole line, or for several `probe MODEL: ` then each in a
    /// few words (failing ones first), then how many are still running.
    pub fn text(&self) -> String {
        let head = self
            .parts
            .first()
            .map(|p| p.head.as_str())
            .unwrap_or("probe ");
        if let ([only], 0) = (self.parts.as_slice(), self.pending) {
            return format!("{head}{}", only.body);
        }
        let briefs: Vec<&str> = self.parts.iter().map(|p| p.brief.as_str()).collect();
        let mut text = format!("{}: {}", head.trim_end(), briefs.join(" │ "));
        if self.pending > 0 {
            text.push_str(&format!(" │ {} more probing…", self.pending));
        }
        text
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn result<'a>(explain: bool, revision: Option<&'a str>, brief: &'a str) -> ProbeResult<'a> {
        ProbeResult {
            explain,
            revision,
            line: "probe fraud (v1): whole line",
            brief,
            model: "fraud",
            failed: brief.contains("errors"),
        }
    }

    #[test]
    fn results_in_any_order_read_failing_first_then_in_a_fixed_order() {
        let key = ObjectKey::new("ml", "fraud");
        let mut batch = ProbeBatch::new(key.clone(), 3);
        assert!(batch.expects(&key) && !batch.expects(&ObjectKey::new("ml", "other")));
        batch.add(result(true, None, "20/20 ok"));
        assert_eq!(
            batch.text(),
            "probe fraud: :explain 20/20 ok │ 2 more probing…"
        );
        batch.add(result(false, Some("fraud-predictor-00001"), "20/20 ok"));
        batch.add(result(
            false,
            Some("fraud-predictor-00002"),
            "18/20 ok; errors: HTTP 500 2",
        ));
        assert_eq!(
            batch.text(),
            "probe fraud: r2 18/20 ok; errors: HTTP 500 2 │ r1 20/20 ok │ :explain 20/20 ok"
        );
        assert!(batch.failed() && !batch.expects(&key));
    }

    #[test]
    fn one_probe_keeps_its_whole_line() {
        let key = ObjectKey::new("ml", "fraud");
        let mut batch = ProbeBatch::new(key, 1);
        batch.add(result(true, None, "20/20 ok"));
        assert_eq!(batch.text(), "probe fraud :explain (v1): whole line");
    }
}
