//! Which namespaces are in view: all of them or one.

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
