//! Semantic style slots: views ask for a meaning (`status.failed`), never for a colour.
//! Themes map each slot to a style in `themes/*.toml`.

use strum::{Display, EnumIter, EnumString, IntoStaticStr};

/// A meaning that a view can style.
#[derive(
    Debug,
    Clone,
    Copy,
    PartialEq,
    Eq,
    Hash,
    PartialOrd,
    Ord,
    Display,
    EnumIter,
    EnumString,
    IntoStaticStr,
)]
pub enum Slot {
    #[strum(serialize = "base")]
    Base,
    #[strum(serialize = "text.dim")]
    TextDim,
    #[strum(serialize = "text.strong")]
    TextStrong,
    #[strum(serialize = "text.key")]
    TextKey,
    #[strum(serialize = "text.error")]
    TextError,
    #[strum(serialize = "text.warning")]
    TextWarning,
    #[strum(serialize = "text.ok")]
    TextOk,
    #[strum(serialize = "header")]
    Header,
    #[strum(serialize = "header.context")]
    HeaderContext,
    #[strum(serialize = "header.protected")]
    HeaderProtected,
    #[strum(serialize = "title")]
    Title,
    #[strum(serialize = "border")]
    Border,
    #[strum(serialize = "border.focused")]
    BorderFocused,
    #[strum(serialize = "selection")]
    Selection,
    #[strum(serialize = "table.header")]
    TableHeader,
    #[strum(serialize = "status.ready")]
    StatusReady,
    #[strum(serialize = "status.progressing")]
    StatusProgressing,
    #[strum(serialize = "status.failed")]
    StatusFailed,
    #[strum(serialize = "status.unknown")]
    StatusUnknown,
    #[strum(serialize = "latency.ok")]
    LatencyOk,
    #[strum(serialize = "latency.warn")]
    LatencyWarn,
    #[strum(serialize = "latency.bad")]
    LatencyBad,
    #[strum(serialize = "gauge.gpu")]
    GaugeGpu,
    #[strum(serialize = "gauge.memory")]
    GaugeMemory,
    #[strum(serialize = "sparkline")]
    Sparkline,
    #[strum(serialize = "revision.stable")]
    RevisionStable,
    #[strum(serialize = "revision.canary")]
    RevisionCanary,
    #[strum(serialize = "log.error")]
    LogError,
    #[strum(serialize = "log.warn")]
    LogWarn,
    #[strum(serialize = "log.match")]
    LogMatch,
    #[strum(serialize = "yaml.key")]
    YamlKey,
    #[strum(serialize = "yaml.value")]
    YamlValue,
    #[strum(serialize = "yaml.comment")]
    YamlComment,
    #[strum(serialize = "diff.add")]
    DiffAdd,
    #[strum(serialize = "diff.remove")]
    DiffRemove,
    #[strum(serialize = "confirm.danger")]
    ConfirmDanger,
    #[strum(serialize = "stale")]
    Stale,
    #[strum(serialize = "cmdline")]
    Cmdline,
    #[strum(serialize = "cmdline.completion")]
    CmdlineCompletion,
    #[strum(serialize = "notice.info")]
    NoticeInfo,
    #[strum(serialize = "notice.error")]
    NoticeError,
}
