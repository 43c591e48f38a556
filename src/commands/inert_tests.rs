//! Property test of the headless output boundary: hostile strings (OSC 52 clipboard writes,
//! OSC 0 titles, CSI, C1 controls, BEL, bidi controls, random control bytes) are put into
//! every place cluster text reaches a headless formatter — status table, wide and JSON, the
//! rollout plan, log lines, the probe table, the snapshot Markdown, error lines — and what
//! would be printed must hold no ESC, BEL, C1 or bidi control except kdeck's own colours.

use super::out::{Paint, Styled, as_printed, json_as_printed};
use crate::domain::inert::{inert, is_unsafe_char, sanitize};
use crate::domain::key::ObjectKey;
use crate::domain::kind::{self, Kind};
use crate::domain::rollout::{RolloutAction, plan};
use crate::domain::scope::NamespaceScope;
use crate::domain::watch::WatchEvent;
use crate::state::State;
use crate::state::session::Session;
use rand::rngs::SmallRng;
use rand::{Rng, SeedableRng};
use serde_json::{Value, json};

const PIECES: &[&str] = &[
    "\x1b]52;c;cHduZWQ=\x07",
    "\x1b]0;owned title\x07",
    "\x1b]8;;https://evil.example/\x1b\\",
    "\x1b[2J\x1b[H",
    "\x1b[31m",
    "\x1bP1$r\x1b\\",
    "\u{9b}2J",
    "\u{9d}52;c;x\u{9c}",
    "\x07",
    "\x08\x7f",
    "\r",
    "\u{202e}",
    "\u{2066}",
    "\u{200f}",
    "\u{61c}",
    "plain",
    " ",
    "ünïcødé",
    "\x1b",
];

/// A hostile string: pieces above plus random characters from the dangerous ranges.
fn hostile(rng: &mut SmallRng) -> String {
    let mut s = String::new();
    for _ in 0..rng.random_range(1..8) {
        match rng.random_range(0..4) {
            0 => s.push(char::from(rng.random_range(0u8..0x20))),
            1 => s.push(char::from_u32(rng.random_range(0x80..0xa0)).unwrap_or('?')),
            _ => s.push_str(PIECES[rng.random_range(0..PIECES.len())]),
        }
    }
    s
}

/// kdeck's own SGR colour sequences removed; what is left must be inert.
fn without_own_colours(text: &str) -> String {
    let own = regex::Regex::new(r"\x1b\[[0-9]{1,2}m").expect("regex");
    own.replace_all(text, "").into_owned()
}

fn assert_inert(what: &str, printed: &str, hostile: &str) {
    let rest = without_own_colours(printed);
    let bad = rest
        .chars()
        .find(|c| *c != '\n' && *c != '\t' && is_unsafe_char(*c));
    assert!(
        bad.is_none(),
        "{what}: {bad:?} leaked from {hostile:?}:\n{printed:?}"
    );
}

fn hostile_isvc(h: &str) -> Value {
    json!({
        "metadata": {"name": "fraud", "namespace": "ml", "resourceVersion": "42", "generation": 2,
            "annotations": {"serving.kserve.io/deploymentMode": "Serverless", "note": h}},
        "spec": {"predictor": {"canaryTrafficPercent": 10,
            "model": {"modelFormat": {"name": h}, "runtime": h, "storageUri": format!("s3://m/{h}")}}},
        "status": {"deploymentMode": "Knative", "url": h,
            "conditions": [{"type": "Ready", "status": "False", "reason": h, "message": h},
                {"type": "PredictorReady", "status": "False", "reason": h, "message": h}],
            "components": {"predictor": {
                "latestCreatedRevision": "fraud-predictor-00002", "latestReadyRevision": "fraud-predictor-00002",
                "latestRolledoutRevision": "fraud-predictor-00001",
                "traffic": [
                    {"revisionName": "fraud-predictor-00002", "latestRevision": true, "percent": 10, "tag": h},
                    {"revisionName": "fraud-predictor-00001", "latestRevision": false, "percent": 90, "tag": "prev"}]}}}
    })
}

fn state_with(isvc: &Value, events: &[Value]) -> State {
    let (keymap, _) = crate::config::keymap::Keymap::load(None);
    let session = Session {
        namespace: NamespaceScope::All,
        ..Session::default()
    };
    let mut state = State::new(
        keymap,
        crate::config::Config::default(),
        session,
        chrono::Utc::now(),
    );
    let upsert = |kind: Kind, v: &Value| WatchEvent::Upsert(kind::parse(kind, v));
    state.cluster.apply(
        Kind::InferenceService,
        vec![upsert(Kind::InferenceService, isvc)],
    );
    state.cluster.apply(
        Kind::Event,
        events.iter().map(|e| upsert(Kind::Event, e)).collect(),
    );
    state.derived.dirty = true;
    state.refresh_derived();
    state
}

fn hostile_event(h: &str) -> Value {
    json!({"apiVersion": "v1", "kind": "Event",
        "metadata": {"name": "e1", "namespace": "ml"},
        "involvedObject": {"kind": "InferenceService", "name": "fraud", "namespace": "ml"},
        "reason": h, "message": h, "type": "Warning", "count": 1,
        "lastTimestamp": "2026-12-04T10:00:00Z"})
}

#[test]
fn no_hostile_text_leaves_any_headless_formatter_live() {
    let mut rng = SmallRng::seed_from_u64(14);
    let sym = crate::ui::symbols::Symbols::UNICODE;
    for _ in 0..200 {
        let h = hostile(&mut rng);
        let raw = hostile_isvc(&h);
        let state = state_with(&raw, &[hostile_event(&h)]);
        assert_eq!(state.derived.services.len(), 1, "{h:?}");
        // kdeck status: table and wide, and JSON (data kept exactly).
        for wide in [false, true] {
            let table = super::status::render_table(&state, &sym, wide, true);
            assert_inert("status table", &as_printed(&table), &h);
        }
        let text = super::status::render_json(&state);
        let printed = json_as_printed(&text);
        assert_inert("status json", &printed, &h);
        let back: Value = serde_json::from_str(&printed).expect("still JSON");
        let original: Value = serde_json::from_str(&text).expect("JSON");
        assert_eq!(back, original, "JSON data changed for {h:?}");
        // The rollout plan printed before the confirmation prompt, with colour on.
        let p = plan(&raw, RolloutAction::Rollback, &[]).expect("a rollback plan");
        for line in super::rollout::plan_lines(&p, &h, true) {
            assert_inert("plan", line.as_str(), &h);
        }
        // Log lines (sanitised at the source, printed with a coloured pod prefix).
        let line = Styled::new(true)
            .paint(Paint::Indexed(36), &h)
            .plain(format_args!(" {h} {}", sanitize(h.as_bytes()).text));
        assert_inert("logs", line.as_str(), &h);
        // The incident snapshot's Markdown, as written.
        let key = ObjectKey::new("ml", "fraud");
        let request = crate::app::update::incident::request(&state, &key).expect("snapshot");
        assert_inert("snapshot", &inert(&request.header), &h);
        // The probe table (model name and error messages come from the server).
        let mut summary = crate::domain::probe::stats::ProbeReport::default().summary(
            crate::domain::probe::Protocol::V2,
            &h,
            &h,
            1,
        );
        summary.error_examples.insert("http_5xx".into(), h.clone());
        summary.setup_error = Some(h.clone());
        assert_inert("probe", &as_printed(&super::probe::table(&summary)), &h);
        // Error lines on stderr.
        assert_inert("stderr", &as_printed(&format!("kdeck: API error: {h}")), &h);
    }
}
