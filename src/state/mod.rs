//! The console's state: one owner (the app loop), changed only by `update`, read by views.

pub mod canary;
pub mod cluster;
pub mod figures;
pub mod gpu;
pub mod group_rollout;
pub mod line;
pub mod lists;
pub mod logs;
pub mod probe_batch;
pub mod rollout;
pub mod service_columns;
pub mod service_kind;
pub mod service_order;
#[cfg(test)]
mod service_order_tests;
pub mod services;
pub mod session;
pub mod store;
pub mod trained;
pub mod ui;
pub mod yaml_doc;

use crate::domain::config_warning::ConfigWarning;
use crate::domain::keymap::Keymap;
use crate::domain::settings::Config;
use chrono::{DateTime, Utc};
use session::Session;
use std::sync::Arc;
use ui::{Route, UiState};

/// Views of the data that are expensive enough to keep between frames; brought up to date
/// once before each frame (`app::update::settle`) or before input that reads them: all of
/// them when `dirty` is set, else only the rows of the services in `touched`.
#[derive(Debug, Clone, Default)]
pub struct Derived {
    /// The services list order after filter and sort.
    pub services: Vec<crate::domain::key::ObjectKey>,
    /// Why the services filter could not be applied (a bad selector).
    pub services_filter_error: Option<String>,
    /// How many of `services` are Ready (the list's title).
    pub services_ready: usize,
    /// The listed services whose canary fails its thresholds while serving (the title).
    pub failing_canaries: std::collections::BTreeSet<crate::domain::key::ObjectKey>,
    /// Every service with a canary in progress, listed or not (their figures are always
    /// read), sorted by key.
    pub canaries: Vec<crate::domain::key::ObjectKey>,
    /// Everything must be derived again (the filter, the sort or many services changed).
    pub dirty: bool,
    /// Only these services changed (a watch event, their figures): only their rows move.
    pub touched: std::collections::HashSet<crate::domain::key::ObjectKey>,
    /// Each service's place, kept so that a change moves only its row.
    pub order: service_order::Order,
    /// The latency targets may have changed (the screen, the open views or the pods did).
    pub targets_dirty: bool,
    /// A pod of a service whose pods are read changed since the targets were chosen.
    pub target_pods_dirty: bool,
    /// The services the latency targets were last chosen for.
    pub targets_read: ReadServices,
}

/// The services the latency targets were last chosen for, with the connection epoch: the
/// same services with no pod of theirs changed since (`Derived::target_pods_dirty`) have
/// the same targets, so a key that moves the cursor builds none.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ReadServices {
    pub epoch: u64,
    pub every_round: Vec<crate::domain::key::ObjectKey>,
    pub background: Vec<crate::domain::key::ObjectKey>,
}

impl Derived {
    /// Notes that the service at `key` changed (nothing to note while all is to be derived).
    pub fn touch(&mut self, key: &crate::domain::key::ObjectKey) {
        if !self.dirty {
            self.touched.insert(key.clone());
        }
    }

    /// Whether a derive is pending.
    pub fn pending(&self) -> bool {
        self.dirty || !self.touched.is_empty()
    }

    /// The position of `key` in `services`, if listed.
    pub fn position(&self, key: &crate::domain::key::ObjectKey) -> Option<usize> {
        self.order.position(&self.services, key)
    }
}

/// Everything the console knows. Views read it; only `update` changes it.
#[derive(Debug, Clone)]
pub struct State {
    /// The time of the last tick; views compute ages from it so drawing stays pure.
    pub now: DateTime<Utc>,
    pub ui: UiState,
    pub session: Session,
    pub cluster: cluster::ClusterState,
    pub figures: figures::Figures,
    pub derived: Derived,
    /// Local and cluster GPUs.
    pub gpu: gpu::GpuState,
    /// Estimated cost per service (list prices), with the reasons when unknown.
    pub costs:
        std::collections::HashMap<crate::domain::key::ObjectKey, crate::domain::cost::CostEstimate>,
    /// GPUs on nodes that no pod requests, most expensive first.
    pub idle_gpus: Vec<crate::domain::cost::IdleGpus>,
    /// The instance price table (shipped, patched by the config's [prices]).
    pub prices: Arc<crate::domain::cost::PriceTable>,
    /// Canary guards per service, and the services the user switched the guard on for.
    pub guards:
        std::collections::HashMap<crate::domain::key::ObjectKey, crate::domain::guard::Guard>,
    pub guarded: std::collections::HashSet<crate::domain::key::ObjectKey>,
    /// The latest guard alarm, shown in the header until dismissed or rolled back.
    pub guard_alarm: Option<(crate::domain::key::ObjectKey, String)>,
    /// The rollout in the dialog, if any.
    pub rollout: Option<rollout::RolloutFlow>,
    /// Counter for rollout ids.
    pub rollout_ids: u64,
    /// The LLM routing-group change in the dialog, if any.
    pub group_rollout: Option<group_rollout::GroupFlow>,
    /// kdeck's spec history per service, once loaded.
    pub histories: std::collections::HashMap<
        crate::domain::key::ObjectKey,
        Vec<crate::domain::rollout::history::HistoryEntry>,
    >,
    /// The object the YAML view shows, as read from the API server.
    pub yaml: Option<yaml_doc::YamlDoc>,
    /// The open logs view, if any.
    pub logs: Option<logs::LogView>,
    /// Counter for log sessions (each set of streams gets a new one).
    pub log_sessions: u64,
    /// The last log lines of failing containers, fetched for "why isn't it ready?":
    /// (pod, container, line) by service.
    pub diagnostics:
        std::collections::HashMap<crate::domain::key::ObjectKey, Vec<(String, String, String)>>,
    pub keymap: Arc<Keymap>,
    pub config: Arc<Config>,
    /// Problems in user files, shown in the warnings view.
    pub warnings: Vec<ConfigWarning>,
    /// The pods the latency source was last asked to read.
    pub latency_targets: crate::domain::latency::TargetSet,
    /// Something visible changed since the last frame.
    pub dirty: bool,
    /// Test hook (`KDECK_DEBUG_PANIC_KEY`): this key panics inside update, to check that
    /// the terminal is restored after a panic.
    pub debug_panic_key: Option<char>,
}

impl State {
    pub fn new(keymap: Keymap, config: Config, session: Session, now: DateTime<Utc>) -> State {
        let mut state = State {
            now,
            ui: UiState {
                stack: vec![Route::Services],
                width: 80,
                height: 24,
                ..UiState::default()
            },
            session,
            cluster: cluster::ClusterState::default(),
            figures: figures::Figures::default(),
            derived: Derived::default(),
            logs: None,
            log_sessions: 0,
            gpu: gpu::GpuState::default(),
            costs: Default::default(),
            idle_gpus: Vec::new(),
            prices: Arc::new(crate::domain::cost::PriceTable::shipped().0),
            guards: Default::default(),
            guarded: Default::default(),
            guard_alarm: None,
            rollout: None,
            rollout_ids: 0,
            group_rollout: None,
            histories: Default::default(),
            yaml: None,
            diagnostics: Default::default(),
            keymap: Arc::new(keymap),
            config: Arc::new(config),
            warnings: Vec::new(),
            latency_targets: Default::default(),
            dirty: true,
            debug_panic_key: None,
        };
        state
            .ui
            .list(crate::domain::keymap::Scope::Services)
            .sort_column = services::ServiceColumn::index(services::ServiceColumn::DEFAULT_SORT);
        state
    }
}

impl State {
    /// Shows a one-line message in the status bar.
    pub fn notify(&mut self, level: crate::domain::notice::NoticeLevel, text: String) {
        self.ui.notice = Some(ui::Notice {
            level,
            text,
            at: self.now,
        });
        self.dirty = true;
    }

    /// Namespaces known from the cluster, sorted, for completion.
    pub fn known_namespaces(&self) -> Vec<String> {
        self.cluster.known_namespaces()
    }

    /// Recomputes derived views if something they depend on changed. The selection follows
    /// the selected service when rows move. Returns whether anything was recomputed.
    pub fn refresh_derived(&mut self) -> bool {
        if !self.derived.pending() {
            return false;
        }
        let selected = self.selected_service().cloned();
        if !service_order::refresh(self) {
            return false;
        }
        let touched = self
            .ui
            .list_view(crate::domain::keymap::Scope::Services)
            .cursor
            .touched;
        if let Some(key) = selected.filter(|_| touched)
            && let Some(index) = self.derived.position(&key)
        {
            self.ui
                .list(crate::domain::keymap::Scope::Services)
                .cursor
                .selected = index;
        }
        true
    }

    /// The service under the cursor in the services list.
    pub fn selected_service(&self) -> Option<&crate::domain::key::ObjectKey> {
        let cursor = self
            .ui
            .list_view(crate::domain::keymap::Scope::Services)
            .cursor;
        self.derived.services.get(cursor.selected)
    }

    /// The services list's rows on screen: from the cursor's offset, as many as fit.
    pub fn services_on_screen(&self) -> &[crate::domain::key::ObjectKey] {
        let offset = self
            .ui
            .list_view(crate::domain::keymap::Scope::Services)
            .cursor
            .offset;
        let rows = &self.derived.services;
        let start = offset.min(rows.len());
        let end = start.saturating_add(self.ui.list_rows()).min(rows.len());
        &rows[start..end]
    }
}
