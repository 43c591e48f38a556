//! Which cluster and namespace the console looks at, and how far the connection got.

use crate::domain::scope::NamespaceScope;
use chrono::{DateTime, Utc};

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
