//! What one round of latency measurements says: figures per service, per revision and per
//! LLM service, with the pods that could not be read worded for the user. The latency source
//! produces it; the console folds it into its figures.

use crate::domain::key::ObjectKey;

/// Latency and rate per service and per revision, from one round of scrapes.
#[derive(Debug, Clone, Default)]
pub struct Measurements {
    pub at: chrono::DateTime<chrono::Utc>,
    pub services: Vec<(ObjectKey, crate::domain::figures::RevisionFigures)>,
    pub revisions: Vec<(ObjectKey, String, crate::domain::figures::RevisionFigures)>,
    /// vLLM figures per LLMInferenceService (each group member is one).
    pub llm: Vec<(ObjectKey, crate::domain::llm::window::LlmFigures)>,
    /// The transformer → predictor split of services with a transformer.
    pub chains: Vec<(
        ObjectKey,
        crate::domain::latency::chain_window::ChainFigures,
    )>,
    /// Pods that could not be read this round, worded for the user.
    pub problems: Vec<String>,
}
