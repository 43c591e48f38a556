//! The object the YAML view shows. The console keeps no JSON copy of the objects it watches
//! (about 2 KB a service): opening the view reads the object from the API server, and the
//! answer is kept here as YAML text, ready to draw and search, until the view closes. While
//! the view is open, a watched change of the object reads it again.

use crate::domain::key::ObjectKey;

/// Where the fetch of the shown object stands.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum YamlText {
    /// Asked for; no answer yet.
    Loading,
    /// The object as YAML, and the resourceVersion it was read at.
    Ready {
        text: String,
        resource_version: String,
    },
    /// What went wrong and what to do.
    Failed(String),
}

/// The YAML of one object.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct YamlDoc {
    pub key: ObjectKey,
    pub text: YamlText,
    /// A newer read is on its way (the watched object changed); the text stays shown.
    pub refreshing: bool,
}

impl YamlDoc {
    /// A document being read for the first time.
    pub fn loading(key: ObjectKey) -> YamlDoc {
        YamlDoc {
            key,
            text: YamlText::Loading,
            refreshing: false,
        }
    }

    /// The YAML text once read.
    pub fn text(&self) -> Option<&str> {
        match &self.text {
            YamlText::Ready { text, .. } => Some(text),
            _ => None,
        }
    }
}
