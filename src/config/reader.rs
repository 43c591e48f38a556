//! Reads typed settings out of a TOML table one key at a time, so that one bad value becomes
//! a warning (with file and dotted key) instead of rejecting the whole file. Keys left over
//! when a section is finished are reported as unknown settings.

use super::warning::ConfigWarning;
use std::time::Duration;

/// A cursor over one TOML table of a config file.
pub struct TableReader<'w> {
    file: String,
    prefix: String,
    table: toml::Table,
    warnings: &'w mut Vec<ConfigWarning>,
}

impl<'w> TableReader<'w> {
    pub fn new(
        file: &str,
        prefix: &str,
        table: toml::Table,
        warnings: &'w mut Vec<ConfigWarning>,
    ) -> Self {
        TableReader {
            file: file.to_string(),
            prefix: prefix.to_string(),
            table,
            warnings,
        }
    }

    fn path(&self, key: &str) -> String {
        if self.prefix.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.prefix)
        }
    }

    fn warn(&mut self, key: &str, message: String) {
        let path = self.path(key);
        self.warnings
            .push(ConfigWarning::new(&self.file, Some(&path), message));
    }

    /// The keys still unread, in file order.
    pub fn keys(&self) -> Vec<String> {
        self.table.keys().cloned().collect()
    }

    fn take<T>(
        &mut self,
        key: &str,
        expected: &str,
        convert: impl FnOnce(&toml::Value) -> Option<T>,
    ) -> Option<T> {
        let value = self.table.remove(key)?;
        let converted = convert(&value);
        if converted.is_none() {
            self.warn(
                key,
                format!("expected {expected}, found {value}; using the default"),
            );
        }
        converted
    }

    pub fn string(&mut self, key: &str) -> Option<String> {
        self.take(key, "a string", |v| v.as_str().map(str::to_string))
    }

    pub fn bool(&mut self, key: &str) -> Option<bool> {
        self.take(key, "true or false", toml::Value::as_bool)
    }

    pub fn positive_usize(&mut self, key: &str) -> Option<usize> {
        self.take(key, "a positive whole number", |v| {
            v.as_integer()
                .filter(|n| *n > 0)
                .and_then(|n| usize::try_from(n).ok())
        })
    }

    pub fn non_negative_f64(&mut self, key: &str) -> Option<f64> {
        self.take(key, "a number ≥ 0", |v| {
            v.as_float()
                .or_else(|| v.as_integer().map(|n| n as f64))
                .filter(|n| n.is_finite() && *n >= 0.0)
        })
    }

    pub fn duration(&mut self, key: &str) -> Option<Duration> {
        self.take(key, "a duration such as \"500ms\", \"5s\" or \"1m\"", |v| {
            v.as_str()
                .and_then(|s| humantime::parse_duration(s).ok())
                .filter(|d| !d.is_zero())
        })
    }

    pub fn string_list(&mut self, key: &str) -> Option<Vec<String>> {
        self.take(key, "a list of strings", |v| {
            v.as_array()?
                .iter()
                .map(|item| item.as_str().map(str::to_string))
                .collect()
        })
    }

    /// A sub-table as its own reader; `None` (with a warning) if the key is not a table.
    pub fn section(&mut self, key: &str) -> Option<TableReader<'_>> {
        let value = self.table.remove(key)?;
        match value {
            toml::Value::Table(table) => {
                let prefix = self.path(key);
                Some(TableReader {
                    file: self.file.clone(),
                    prefix,
                    table,
                    warnings: self.warnings,
                })
            }
            other => {
                self.warn(
                    key,
                    format!("expected a [{key}] table, found {other}; ignored"),
                );
                None
            }
        }
    }

    /// Reports every key that nobody read as an unknown setting.
    pub fn finish(self) {
        for key in self.table.keys() {
            let path = if self.prefix.is_empty() {
                key.clone()
            } else {
                format!("{}.{key}", self.prefix)
            };
            self.warnings.push(ConfigWarning::new(
                &self.file,
                Some(&path),
                "unknown setting, ignored",
            ));
        }
    }
}
