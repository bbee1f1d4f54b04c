//! What happened in each epoch: [`EpochLog`] (one epoch's named values) and [`History`]
//! (every epoch's), saved as JSON or CSV and plotted by [`crate::plot`].
//!
//! Names follow Keras: `loss` and each metric's name for the training pass, the same with the
//! prefix `val_` for the validation pass, plus `lr` (the learning rate used in the epoch) and
//! `seconds`. Callbacks may add their own.

use crate::MetricsError;
use serde_json::{json, Map, Value};
use std::path::Path;

/// The named values of one epoch, in the order they were set.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct EpochLog {
    /// The epoch's index, counted from 0.
    pub epoch: usize,
    values: Vec<(String, f64)>,
}

impl EpochLog {
    /// An empty log for epoch `epoch` (counted from 0).
    pub fn new(epoch: usize) -> Self {
        EpochLog { epoch, values: Vec::new() }
    }

    /// Sets `name` (replacing an earlier value of the same name).
    pub fn set(&mut self, name: impl Into<String>, value: f64) {
        let name = name.into();
        match self.values.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = value,
            None => self.values.push((name, value)),
        }
    }

    /// The value of `name`, if set.
    pub fn get(&self, name: &str) -> Option<f64> {
        self.values.iter().find(|(n, _)| n == name).map(|(_, v)| *v)
    }

    /// Every (name, value), in the order they were set.
    pub fn values(&self) -> &[(String, f64)] {
        &self.values
    }

    /// `loss 0.4123 · accuracy 0.8912 · val_loss ...` for progress lines.
    pub fn summary(&self) -> String {
        self.values
            .iter()
            .filter(|(n, _)| n != "seconds")
            .map(|(n, v)| format!("{n} {}", format_value(*v)))
            .collect::<Vec<_>>()
            .join(" · ")
    }
}

/// Four significant digits, switching to scientific notation for very small values (rates).
fn format_value(v: f64) -> String {
    if v != 0.0 && v.abs() < 1e-3 {
        format!("{v:.3e}")
    } else {
        format!("{v:.4}")
    }
}

/// Every epoch's log: a table with one row per epoch and one column per name.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct History {
    names: Vec<String>,
    epochs: Vec<usize>,
    rows: Vec<Vec<f64>>,
}

impl History {
    /// An empty history.
    pub fn new() -> Self {
        Self::default()
    }

    /// Appends one epoch. Names not seen before become new columns (NaN in earlier epochs).
    pub fn push(&mut self, log: &EpochLog) {
        for (name, _) in log.values() {
            if !self.names.contains(name) {
                self.names.push(name.clone());
                for row in &mut self.rows {
                    row.push(f64::NAN);
                }
            }
        }
        let row = self.names.iter().map(|n| log.get(n).unwrap_or(f64::NAN)).collect();
        self.epochs.push(log.epoch);
        self.rows.push(row);
    }

    /// The number of epochs recorded.
    pub fn len(&self) -> usize {
        self.rows.len()
    }

    /// Whether no epoch was recorded.
    pub fn is_empty(&self) -> bool {
        self.rows.is_empty()
    }

    /// The column names, in order of first appearance.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The epoch indices (from 0) of the rows.
    pub fn epochs(&self) -> &[usize] {
        &self.epochs
    }

    /// Every epoch's value of `name` (NaN where an epoch lacks it), or `None` for an unknown
    /// name.
    pub fn get(&self, name: &str) -> Option<Vec<f64>> {
        let col = self.names.iter().position(|n| n == name)?;
        Some(self.rows.iter().map(|r| r[col]).collect())
    }

    /// The last epoch's value of `name`.
    pub fn last(&self, name: &str) -> Option<f64> {
        self.get(name)?.last().copied().filter(|v| !v.is_nan())
    }

    /// One epoch as a log.
    pub fn epoch_log(&self, row: usize) -> EpochLog {
        let mut log = EpochLog::new(self.epochs[row]);
        for (n, &v) in self.names.iter().zip(&self.rows[row]) {
            if !v.is_nan() {
                log.set(n.clone(), v);
            }
        }
        log
    }

    /// The history as JSON: `{"names": [...], "epochs": [{"epoch": 0, "loss": ...}, ...]}`
    /// (missing values are `null`; epochs counted from 0).
    pub fn to_json(&self) -> String {
        let epochs: Vec<Value> = (0..self.len())
            .map(|i| {
                let mut row = Map::new();
                row.insert("epoch".into(), json!(self.epochs[i]));
                for (n, &v) in self.names.iter().zip(&self.rows[i]) {
                    row.insert(n.clone(), if v.is_finite() { json!(v) } else { Value::Null });
                }
                Value::Object(row)
            })
            .collect();
        serde_json::to_string_pretty(&json!({ "names": self.names, "epochs": epochs })).expect("valid JSON")
    }

    /// Reads what [`History::to_json`] wrote.
    pub fn from_json(text: &str) -> Result<History, MetricsError> {
        let bad = |reason: String| MetricsError::Format { what: "history JSON".into(), reason };
        let value: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let names: Vec<String> = value["names"]
            .as_array()
            .ok_or_else(|| bad("no `names` array".into()))?
            .iter()
            .map(|n| n.as_str().map(str::to_string).ok_or_else(|| bad("a name is not a string".into())))
            .collect::<Result<_, _>>()?;
        let mut history = History { names: names.clone(), ..Default::default() };
        for row in value["epochs"].as_array().ok_or_else(|| bad("no `epochs` array".into()))? {
            let epoch = row["epoch"].as_u64().ok_or_else(|| bad("an epoch has no `epoch` number".into()))?;
            history.epochs.push(epoch as usize);
            history.rows.push(names.iter().map(|n| row[n].as_f64().unwrap_or(f64::NAN)).collect());
        }
        Ok(history)
    }

    /// The history as CSV: a header `epoch,loss,...`, then one line per epoch (empty cells
    /// for missing values).
    pub fn to_csv(&self) -> String {
        let mut out = String::from("epoch");
        for n in &self.names {
            out.push(',');
            out.push_str(n);
        }
        out.push('\n');
        for (e, row) in self.epochs.iter().zip(&self.rows) {
            out.push_str(&e.to_string());
            for v in row {
                out.push(',');
                if !v.is_nan() {
                    out.push_str(&v.to_string());
                }
            }
            out.push('\n');
        }
        out
    }

    /// Writes [`History::to_json`] to `path`, atomically.
    pub fn save_json(&self, path: impl AsRef<Path>) -> Result<(), MetricsError> {
        crate::write_atomic(path.as_ref(), self.to_json().as_bytes())
    }

    /// Writes [`History::to_csv`] to `path`, atomically.
    pub fn save_csv(&self, path: impl AsRef<Path>) -> Result<(), MetricsError> {
        crate::write_atomic(path.as_ref(), self.to_csv().as_bytes())
    }

    /// Reads a file written by [`History::save_json`].
    pub fn load_json(path: impl AsRef<Path>) -> Result<History, MetricsError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|e| MetricsError::io(path, "read", e))?;
        History::from_json(&text)
    }

    /// Drops every epoch from `len` on (resuming from an earlier checkpoint).
    pub fn truncate(&mut self, len: usize) {
        self.rows.truncate(len);
        self.epochs.truncate(len);
    }

    /// A history from its table: column names, epoch numbers and one row of values per epoch
    /// (how a checkpoint rebuilds the history it saved).
    pub fn from_parts(names: Vec<String>, epochs: Vec<usize>, rows: Vec<Vec<f64>>) -> Self {
        assert_eq!(epochs.len(), rows.len(), "History::from_parts: {} epochs but {} rows", epochs.len(), rows.len());
        History { names, epochs, rows }
    }

    /// The table's rows, one per epoch, in the order of [`History::names`] (NaN where an
    /// epoch had no value).
    pub fn rows(&self) -> &[Vec<f64>] {
        &self.rows
    }
}
