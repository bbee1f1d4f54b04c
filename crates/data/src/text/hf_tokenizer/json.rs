//! Typed access to a `tokenizer.json` node, with errors that name the file and the field.

use crate::error::DataError;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::path::Path;

/// One JSON node of the file and where it sits (`normalizer.normalizers[1]`).
pub(super) struct Json<'a> {
    pub(super) value: &'a Value,
    pub(super) path: &'a Path,
    pub(super) at: String,
}

impl<'a> Json<'a> {
    pub(super) fn root(value: &'a Value, path: &'a Path) -> Json<'a> {
        Json { value, path, at: String::new() }
    }

    fn field_name(&self, key: &str) -> String {
        if self.at.is_empty() {
            key.to_string()
        } else {
            format!("{}.{key}", self.at)
        }
    }

    /// An error at `field` of this node.
    pub(super) fn malformed(&self, field: &str, expected: impl Into<String>, found: impl Into<String>) -> DataError {
        DataError::Malformed {
            path: self.path.to_path_buf(),
            location: Some(format!("field `{}`", self.field_name(field))),
            expected: expected.into(),
            found: found.into(),
        }
    }

    /// An error for a component (or option) that `HfTokenizer` does not implement.
    pub(super) fn unsupported(&self, found: &str, supported: &str) -> DataError {
        DataError::Malformed {
            path: self.path.to_path_buf(),
            location: Some(format!("`{}`", if self.at.is_empty() { "(top level)" } else { &self.at })),
            expected: format!("{supported} (what Kindling's HfTokenizer implements)"),
            found: format!("{found}, which it does not implement"),
        }
    }

    /// The child node `key`, `None` when absent or null.
    pub(super) fn child(&self, key: &str) -> Option<Json<'a>> {
        match self.value.get(key) {
            None | Some(Value::Null) => None,
            Some(value) => Some(Json { value, path: self.path, at: self.field_name(key) }),
        }
    }

    /// The component's `type`.
    pub(super) fn kind(&self) -> Result<&'a str, DataError> {
        self.value.get("type").and_then(Value::as_str).ok_or_else(|| self.malformed("type", "a component type", "none"))
    }

    pub(super) fn bool_or(&self, key: &str, default: bool) -> Result<bool, DataError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_bool().ok_or_else(|| self.malformed(key, "true or false", v.to_string())),
        }
    }

    pub(super) fn f64_or(&self, key: &str, default: f64) -> Result<f64, DataError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_f64().ok_or_else(|| self.malformed(key, "a number", v.to_string())),
        }
    }

    pub(super) fn usize_or(&self, key: &str, default: usize) -> Result<usize, DataError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(default),
            Some(v) => v.as_u64().map(|n| n as usize).ok_or_else(|| self.malformed(key, "a count", v.to_string())),
        }
    }

    pub(super) fn opt_str(&self, key: &str) -> Result<Option<&'a str>, DataError> {
        match self.value.get(key) {
            None | Some(Value::Null) => Ok(None),
            Some(v) => v.as_str().map(Some).ok_or_else(|| self.malformed(key, "a string", v.to_string())),
        }
    }

    pub(super) fn str_or(&self, key: &str, default: &'a str) -> Result<&'a str, DataError> {
        Ok(self.opt_str(key)?.unwrap_or(default))
    }

    /// The array `key` as nodes.
    pub(super) fn list(&self, key: &str) -> Result<Vec<Json<'a>>, DataError> {
        let items =
            self.value.get(key).and_then(Value::as_array).ok_or_else(|| self.malformed(key, "an array", "none"))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Json { value, path: self.path, at: format!("{}[{i}]", self.field_name(key)) })
            .collect())
    }

    /// This node as an array of nodes.
    pub(super) fn list_items(&self) -> Result<Vec<Json<'a>>, DataError> {
        let items = self.value.as_array().ok_or_else(|| self.malformed("", "an array", self.value.to_string()))?;
        Ok(items
            .iter()
            .enumerate()
            .map(|(i, value)| Json { value, path: self.path, at: format!("{}[{i}]", self.at) })
            .collect())
    }

    /// The object `key` of token → id.
    pub(super) fn vocab(&self, key: &str) -> Result<FxHashMap<String, u32>, DataError> {
        let map = self
            .value
            .get(key)
            .and_then(Value::as_object)
            .ok_or_else(|| self.malformed(key, "an object of token ids", "none"))?;
        map.iter()
            .map(|(token, id)| match id.as_u64() {
                Some(id) if id <= u32::MAX as u64 => Ok((token.clone(), id as u32)),
                _ => Err(self.malformed(key, "token ids", format!("{id} for {token:?}"))),
            })
            .collect()
    }

    /// BPE's merges, either `["a", "b"]` pairs or the older `"a b"` strings.
    pub(super) fn merges(&self, key: &str) -> Result<Vec<(String, String)>, DataError> {
        let items = self
            .value
            .get(key)
            .and_then(Value::as_array)
            .ok_or_else(|| self.malformed(key, "an array of merges", "none"))?;
        items
            .iter()
            .map(|item| {
                let pair = match item {
                    Value::String(s) => s.split_once(' ').map(|(a, b)| (a.to_string(), b.to_string())),
                    Value::Array(parts) => match parts.as_slice() {
                        [Value::String(a), Value::String(b)] => Some((a.clone(), b.clone())),
                        _ => None,
                    },
                    _ => None,
                };
                pair.ok_or_else(|| self.malformed(key, "merges of two tokens", item.to_string()))
            })
            .collect()
    }
}
