//! Problems found in user files. They never stop kdeck: each becomes a warning shown in the UI
//! (and in the log), and the default is used instead — except that a problem with a safety
//! setting makes kdeck read-only (see `config::SafetyLock`).

use std::fmt;

/// One problem in a user file: which file, which key, what is wrong and what was done instead.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigWarning {
    pub file: String,
    pub key: Option<String>,
    /// The line in the file (1-based), where known.
    pub line: Option<usize>,
    pub message: String,
}

impl ConfigWarning {
    pub fn new(file: impl Into<String>, key: Option<&str>, message: impl Into<String>) -> Self {
        ConfigWarning {
            file: file.into(),
            key: key.map(str::to_string),
            line: None,
            message: message.into(),
        }
    }
}

impl fmt::Display for ConfigWarning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.file)?;
        if let Some(line) = self.line {
            write!(f, ":{line}")?;
        }
        match &self.key {
            Some(key) => write!(f, ": {}: {}", key, self.message),
            None => write!(f, ": {}", self.message),
        }
    }
}
