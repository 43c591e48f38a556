//! Which cluster and namespace the console looks at, and how far the connection got.

use chrono::{DateTime, Utc};

/// The namespaces in view.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub enum NamespaceScope {
    #[default]
    All,
    One(String),
}

impl NamespaceScope {
    /// `all` or the namespace name, as shown in the header.
    pub fn label(&self) -> &str {
        match self {
            NamespaceScope::All => "all",
            NamespaceScope::One(ns) => ns,
        }
    }

    /// Whether objects of namespace `ns` are in view.
    pub fn contains(&self, ns: &str) -> bool {
        match self {
            NamespaceScope::All => true,
            NamespaceScope::One(own) => own == ns,
        }
    }
}

/// How far connecting to the cluster got.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Connection {
    /// No kubeconfig or no current context: kdeck runs without a cluster.
    NotConfigured {
        reason: String,
    },
    Connecting {
        since: DateTime<Utc>,
    },
    Connected {
        server: String,
    },
    Failed {
        error: String,
        since: DateTime<Utc>,
    },
}

/// The target of every action: context, namespace and safety settings.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    pub context: Option<String>,
    pub contexts: Vec<String>,
    pub namespace: NamespaceScope,
    /// The namespace kubeconfig names for the context (where `-n` was not given).
    pub default_namespace: String,
    pub readonly: bool,
    pub protected: bool,
    pub connection: Connection,
    /// Who acts (kubeconfig user and local user), for audit records.
    pub user: String,
    /// What the API requests of the connection actually do (the header's word).
    pub api_health: crate::domain::api_health::ApiHealth,
}

impl Default for Session {
    fn default() -> Self {
        Session {
            context: None,
            contexts: Vec::new(),
            namespace: NamespaceScope::All,
            default_namespace: "default".to_string(),
            readonly: false,
            protected: false,
            connection: Connection::NotConfigured {
                reason: "no cluster connected".to_string(),
            },
            user: String::new(),
            api_health: crate::domain::api_health::ApiHealth::Connected,
        }
    }
}
