//! The services list's cells for an LLMInferenceService row: an `[LLM]` badge on the name,
//! readiness from KServe's condition tree, `vLLM` (and its topology) as the runtime, the
//! routing group's share as the traffic, and vLLM's figures (TTFT p99, tokens/s, waiting
//! requests, KV cache). A member that breaches the [canary] thresholds is marked failing.

use crate::config::slot::Slot;
use crate::domain::k8s::age;
use crate::domain::llm::Llm;
use crate::state::service_kind::Svc;
use crate::state::services::ServiceColumn;
use crate::ui::format;
use crate::ui::symbols::Symbols;
use crate::ui::table::Cell;
use crate::ui::views::services::Row;

pub use crate::state::service_columns::{LLM_BADGE, group_label};

/// One cell of an LLM row.
pub fn cell(row: &Row, sym: &Symbols, llm: &Llm, column: ServiceColumn) -> Cell {
    let (state, key) = (row.state(), row.key());
    let f = state.figures.llm.get(key);
    let svc = row.figures();
    let dim = |text: String| Cell::styled(text, Slot::TextDim);
    let value = |v: Option<f64>, text: &dyn Fn(f64) -> String, slot: Slot, stale: bool| match v {
        Some(v) if stale => dim(format!("~{}", text(v))),
        Some(v) => Cell::styled(text(v), slot),
        None => dim(sym.dash.to_string()),
    };
    let llm_stale = f.is_some_and(|f| f.stale);
    match column {
        ServiceColumn::Name => {
            let text = format!("{}{LLM_BADGE}", key.name);
            if llm.problems.is_empty() {
                Cell::plain(text)
            } else {
                Cell::styled(format!("{} {text}", sym.warn), Slot::TextWarning)
            }
        }
        ServiceColumn::Namespace => Cell::styled(&key.namespace, Slot::TextDim),
        ServiceColumn::Ready => super::services::ready_cell(state, sym, key),
        ServiceColumn::Mode => Cell::styled("LLM", Slot::RevisionCanary),
        ServiceColumn::Runtime => Cell::plain(Svc::Llm(llm).runtime_label()),
        ServiceColumn::Traffic => super::services::traffic_cell(state, sym, key),
        ServiceColumn::Replicas => super::services::replicas_cell(row.replicas()),
        ServiceColumn::Gpus => row.gpus_cell(llm.gpus_per_replica(), sym),
        ServiceColumn::Age => dim(age(llm.meta.created, state.now)),
        ServiceColumn::P50 => value(
            svc.and_then(|s| s.p50_ms),
            &format::millis,
            Slot::Base,
            svc.is_some_and(|s| s.stale || s.cumulative || s.partial),
        ),
        ServiceColumn::P99 => value(
            svc.and_then(|s| s.p99_ms),
            &format::millis,
            Slot::Base,
            svc.is_some_and(|s| s.stale || s.cumulative || s.partial),
        ),
        ServiceColumn::Rps => value(
            svc.and_then(|s| s.rps),
            &format::rate,
            Slot::Base,
            svc.is_some_and(|s| s.stale || s.cumulative || s.partial),
        ),
        ServiceColumn::GpuPct => value(
            svc.and_then(|s| s.gpu_util_pct),
            &format::percent,
            Slot::GaugeGpu,
            false,
        ),
        ServiceColumn::Err => match f.and_then(|f| f.error_share) {
            None => dim(sym.dash.to_string()),
            Some(e) if e > state.config.canary.error_ratio => {
                Cell::styled(crate::domain::canary::percent(e), Slot::StatusFailed)
            }
            Some(e) => Cell::plain(crate::domain::canary::percent(e)),
        },
        ServiceColumn::Ttft99 => {
            let over = f
                .and_then(|f| f.ttft_p99_ms)
                .is_some_and(|v| v > state.config.canary.ttft_p99_ms);
            let slot = if over { Slot::StatusFailed } else { Slot::Base };
            value(
                f.and_then(|f| f.ttft_p99_ms),
                &format::millis,
                slot,
                llm_stale,
            )
        }
        ServiceColumn::TokPerS => value(
            f.and_then(|f| f.generation_tokens_per_s),
            &format::rate,
            Slot::Base,
            llm_stale,
        ),
        ServiceColumn::Waiting => value(
            f.and_then(|f| f.waiting),
            &|v| format!("{v:.0}"),
            Slot::Base,
            llm_stale,
        ),
        ServiceColumn::KvCache => value(
            f.and_then(|f| f.kv_cache),
            &|v| format::percent(v * 100.0),
            Slot::GaugeGpu,
            llm_stale,
        ),
        ServiceColumn::Models => dim(sym.dash.to_string()),
    }
}
