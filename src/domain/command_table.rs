//! The `:` commands: names, aliases, what their argument completes from, and descriptions.
//! Read by the command line (completion, running) and by the help panel.

/// What a command's argument completes from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ArgKind {
    None,
    Namespace,
    Context,
}

/// One `:` command.
#[derive(Debug, Clone, Copy)]
pub struct CommandSpec {
    pub name: &'static str,
    pub aliases: &'static [&'static str],
    pub arg: ArgKind,
    pub desc: &'static str,
}

/// Every command, in the order help lists them.
pub const COMMANDS: &[CommandSpec] = &[
    CommandSpec {
        name: "services",
        aliases: &["svc", "isvc", "inferenceservices"],
        arg: ArgKind::None,
        desc: "InferenceServices",
    },
    CommandSpec {
        name: "pods",
        aliases: &["po"],
        arg: ArgKind::None,
        desc: "Pods of the services",
    },
    CommandSpec {
        name: "events",
        aliases: &["ev"],
        arg: ArgKind::None,
        desc: "Recent events",
    },
    CommandSpec {
        name: "nodes",
        aliases: &["no"],
        arg: ArgKind::None,
        desc: "Nodes with GPUs and instance types",
    },
    CommandSpec {
        name: "runtimes",
        aliases: &["sr", "servingruntimes"],
        arg: ArgKind::None,
        desc: "ServingRuntimes and ClusterServingRuntimes",
    },
    CommandSpec {
        name: "graphs",
        aliases: &["ig", "inferencegraphs"],
        arg: ArgKind::None,
        desc: "InferenceGraphs",
    },
    CommandSpec {
        name: "gpu",
        aliases: &["gpus"],
        arg: ArgKind::None,
        desc: "Local GPUs (NVML) and cluster GPUs (DCGM exporter)",
    },
    CommandSpec {
        name: "cost",
        aliases: &["costs"],
        arg: ArgKind::None,
        desc: "Estimated $/hour and $ per 1k requests per service",
    },
    CommandSpec {
        name: "warnings",
        aliases: &[],
        arg: ArgKind::None,
        desc: "Problems found in config, keymap and theme files",
    },
    CommandSpec {
        name: "help",
        aliases: &["h"],
        arg: ArgKind::None,
        desc: "Help for the current view",
    },
    CommandSpec {
        name: "ns",
        aliases: &["namespace"],
        arg: ArgKind::Namespace,
        desc: "Switch namespace (ns NAME, ns all)",
    },
    CommandSpec {
        name: "ctx",
        aliases: &["context"],
        arg: ArgKind::Context,
        desc: "Switch kubeconfig context (ctx NAME)",
    },
    CommandSpec {
        name: "quit",
        aliases: &["q", "q!", "exit"],
        arg: ArgKind::None,
        desc: "Quit kdeck",
    },
];
