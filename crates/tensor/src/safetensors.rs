//! Named tensors on disk in the [safetensors] format, so weights move to and from PyTorch.
//!
//! A file is an 8-byte little-endian header length, a JSON header that maps each name to its
//! dtype, shape and byte range, then the raw little-endian data, row-major. Nothing in it can
//! execute code (unlike pickle), and a reader can check every byte range before trusting it.
//!
//! [`StateDict`] is the in-memory side: an insertion-ordered list of named tensors of any
//! element type ([`AnyTensor`]). Modules and optimizers fill one; [`StateDict::save`] writes it
//! atomically (a temporary file in the same folder, then a rename), so an interrupted save
//! never leaves a half-written checkpoint behind.
//!
//! ```
//! use kindling_tensor::safetensors::StateDict;
//! use kindling_tensor::Tensor;
//!
//! let mut dict = StateDict::new();
//! dict.insert("fc.weight", Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]));
//! dict.insert("steps", Tensor::scalar(7i64));
//! let bytes = dict.to_bytes();
//! let back = StateDict::from_bytes(&bytes).unwrap();
//! assert_eq!(back.get("fc.weight").unwrap().cast::<f32>().to_vec(), vec![1.0, 2.0, 3.0, 4.0]);
//! assert_eq!(back.get("steps").unwrap().cast::<i64>().item(), 7);
//! ```
//!
//! [safetensors]: https://huggingface.co/docs/safetensors

use crate::{DType, Element, Tensor};
use serde_json::{Map, Value};
use std::collections::BTreeMap;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};

/// A tensor of any element type, as stored in a [`StateDict`].
#[derive(Clone, Debug)]
pub enum AnyTensor {
    Bool(Tensor<bool>),
    U8(Tensor<u8>),
    I32(Tensor<i32>),
    I64(Tensor<i64>),
    F32(Tensor<f32>),
    F64(Tensor<f64>),
}

macro_rules! each_variant {
    ($value:expr, $t:ident => $body:expr) => {
        match $value {
            AnyTensor::Bool($t) => $body,
            AnyTensor::U8($t) => $body,
            AnyTensor::I32($t) => $body,
            AnyTensor::I64($t) => $body,
            AnyTensor::F32($t) => $body,
            AnyTensor::F64($t) => $body,
        }
    };
}

impl AnyTensor {
    pub fn dtype(&self) -> DType {
        match self {
            AnyTensor::Bool(_) => DType::Bool,
            AnyTensor::U8(_) => DType::U8,
            AnyTensor::I32(_) => DType::I32,
            AnyTensor::I64(_) => DType::I64,
            AnyTensor::F32(_) => DType::F32,
            AnyTensor::F64(_) => DType::F64,
        }
    }

    pub fn shape(&self) -> &[usize] {
        each_variant!(self, t => t.shape())
    }

    /// The values as `T`, converted the way `as` would (a PyTorch checkpoint's int64 counter
    /// reads fine into an f32 buffer, and the other way round).
    pub fn cast<T: Element>(&self) -> Tensor<T> {
        each_variant!(self, t => t.cast::<T>())
    }

    fn to_le_bytes(&self) -> Vec<u8> {
        each_variant!(self, t => t.to_vec().iter().flat_map(|x| LittleEndian::to_le(*x)).collect())
    }
}

impl<T: Element> From<Tensor<T>> for AnyTensor {
    fn from(t: Tensor<T>) -> Self {
        // T is one of the six element types; `Any` recovers which one without copying.
        fn same<A: Element, B: Element>(t: Tensor<A>) -> Tensor<B> {
            let boxed: Box<dyn std::any::Any> = Box::new(t);
            *boxed.downcast::<Tensor<B>>().expect("dtype matches type")
        }
        match T::DTYPE {
            DType::Bool => AnyTensor::Bool(same(t)),
            DType::U8 => AnyTensor::U8(same(t)),
            DType::I32 => AnyTensor::I32(same(t)),
            DType::I64 => AnyTensor::I64(same(t)),
            DType::F32 => AnyTensor::F32(same(t)),
            DType::F64 => AnyTensor::F64(same(t)),
        }
    }
}

/// Little-endian encoding of one element.
trait LittleEndian: Sized {
    fn to_le(self) -> Vec<u8>;
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! little_endian {
    ($($t:ty),*) => {$(
        impl LittleEndian for $t {
            fn to_le(self) -> Vec<u8> {
                self.to_le_bytes().to_vec()
            }
            fn from_le(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("element width"))
            }
        }
    )*};
}
little_endian!(u8, i32, i64, f32, f64);

impl LittleEndian for bool {
    fn to_le(self) -> Vec<u8> {
        vec![self as u8]
    }
    fn from_le(bytes: &[u8]) -> Self {
        bytes[0] != 0
    }
}

fn decode<T: Element + LittleEndian>(bytes: &[u8], shape: Vec<usize>) -> Tensor<T> {
    let width = T::DTYPE.size_in_bytes();
    Tensor::from_vec(bytes.chunks_exact(width).map(T::from_le).collect(), shape)
}

fn dtype_tag(dtype: DType) -> &'static str {
    match dtype {
        DType::Bool => "BOOL",
        DType::U8 => "U8",
        DType::I32 => "I32",
        DType::I64 => "I64",
        DType::F32 => "F32",
        DType::F64 => "F64",
    }
}

fn dtype_from_tag(tag: &str) -> Option<DType> {
    Some(match tag {
        "BOOL" => DType::Bool,
        "U8" => DType::U8,
        "I32" => DType::I32,
        "I64" => DType::I64,
        "F32" => DType::F32,
        "F64" => DType::F64,
        _ => return None,
    })
}

/// Named tensors in insertion order, plus free-form string metadata (`__metadata__`).
#[derive(Clone, Debug, Default)]
pub struct StateDict {
    entries: Vec<(String, AnyTensor)>,
    metadata: BTreeMap<String, String>,
}

impl StateDict {
    pub fn new() -> Self {
        Self::default()
    }

    /// Adds `name`, or replaces its tensor in place (keeping its position).
    pub fn insert(&mut self, name: impl Into<String>, tensor: impl Into<AnyTensor>) {
        let name = name.into();
        let tensor = tensor.into();
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(slot) => slot.1 = tensor,
            None => self.entries.push((name, tensor)),
        }
    }

    pub fn get(&self, name: &str) -> Option<&AnyTensor> {
        self.entries.iter().find(|(n, _)| n == name).map(|(_, t)| t)
    }

    pub fn remove(&mut self, name: &str) -> Option<AnyTensor> {
        let at = self.entries.iter().position(|(n, _)| n == name)?;
        Some(self.entries.remove(at).1)
    }

    pub fn contains_key(&self, name: &str) -> bool {
        self.get(name).is_some()
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.entries.iter().map(|(n, _)| n.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &AnyTensor)> {
        self.entries.iter().map(|(n, t)| (n.as_str(), t))
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    pub fn metadata(&self) -> &BTreeMap<String, String> {
        &self.metadata
    }

    pub fn set_metadata(&mut self, key: impl Into<String>, value: impl Into<String>) {
        self.metadata.insert(key.into(), value.into());
    }

    /// The entries whose names start with `prefix.`, with the prefix removed (a submodule's
    /// part of a model's dict).
    pub fn sub(&self, prefix: &str) -> StateDict {
        let dotted = format!("{prefix}.");
        let entries = self
            .entries
            .iter()
            .filter_map(|(n, t)| n.strip_prefix(&dotted).map(|rest| (rest.to_string(), t.clone())))
            .collect();
        StateDict { entries, metadata: BTreeMap::new() }
    }

    /// The file's bytes: header length, JSON header (padded with spaces to 8 bytes, as the
    /// reference implementation does), data.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut header = Map::new();
        if !self.metadata.is_empty() {
            let meta = self.metadata.iter().map(|(k, v)| (k.clone(), Value::String(v.clone()))).collect();
            header.insert("__metadata__".to_string(), Value::Object(meta));
        }
        let mut data = Vec::new();
        for (name, tensor) in &self.entries {
            let bytes = tensor.to_le_bytes();
            let begin = data.len();
            data.extend_from_slice(&bytes);
            let mut info = Map::new();
            info.insert("dtype".into(), Value::from(dtype_tag(tensor.dtype())));
            info.insert("shape".into(), Value::from(tensor.shape().to_vec()));
            info.insert("data_offsets".into(), Value::from(vec![begin, data.len()]));
            header.insert(name.clone(), Value::Object(info));
        }
        let mut json = Value::Object(header).to_string().into_bytes();
        while !json.len().is_multiple_of(8) {
            json.push(b' ');
        }
        let mut out = Vec::with_capacity(8 + json.len() + data.len());
        out.extend_from_slice(&(json.len() as u64).to_le_bytes());
        out.extend_from_slice(&json);
        out.extend_from_slice(&data);
        out
    }

    /// Parses a safetensors file's bytes, checking every header field and byte range.
    pub fn from_bytes(bytes: &[u8]) -> Result<StateDict, SafetensorsError> {
        let bad = |reason: String| SafetensorsError::Format { path: None, reason };
        if bytes.len() < 8 {
            return Err(bad(format!("{} bytes is too short for the 8-byte header length", bytes.len())));
        }
        let header_len = u64::from_le_bytes(bytes[..8].try_into().expect("8 bytes"));
        let rest = bytes.len() as u64 - 8;
        if header_len > rest {
            return Err(bad(format!("the header claims {header_len} bytes but only {rest} follow (truncated file?)")));
        }
        let header_end = 8 + header_len as usize;
        let header: Value = serde_json::from_slice(&bytes[8..header_end])
            .map_err(|e| bad(format!("the header is not valid JSON: {e}")))?;
        let Value::Object(header) = header else {
            return Err(bad("the header is not a JSON object".into()));
        };
        let data = &bytes[header_end..];
        let mut dict = StateDict::new();
        let mut ranges = Vec::new();
        for (name, info) in header {
            if name == "__metadata__" {
                let Value::Object(meta) = info else {
                    return Err(bad("__metadata__ is not an object of strings".into()));
                };
                for (k, v) in meta {
                    let Value::String(v) = v else {
                        return Err(bad(format!("__metadata__ value of `{k}` is not a string")));
                    };
                    dict.metadata.insert(k, v);
                }
                continue;
            }
            let field = |key: &str| info.get(key).ok_or_else(|| bad(format!("`{name}` has no `{key}`")));
            let tag = field("dtype")?.as_str().ok_or_else(|| bad(format!("`{name}`: dtype is not a string")))?;
            let dtype = dtype_from_tag(tag).ok_or_else(|| {
                bad(format!("`{name}` has dtype {tag}; Kindling reads BOOL, U8, I32, I64, F32 and F64"))
            })?;
            let as_usizes = |key: &str| -> Result<Vec<usize>, SafetensorsError> {
                field(key)?
                    .as_array()
                    .and_then(|a| a.iter().map(|v| v.as_u64().map(|u| u as usize)).collect::<Option<Vec<_>>>())
                    .ok_or_else(|| bad(format!("`{name}`: {key} is not a list of non-negative integers")))
            };
            let shape = as_usizes("shape")?;
            let offsets = as_usizes("data_offsets")?;
            let &[begin, end] = offsets.as_slice() else {
                return Err(bad(format!("`{name}`: data_offsets must be [begin, end]")));
            };
            let numel = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
            let expected = numel.and_then(|n| n.checked_mul(dtype.size_in_bytes()));
            if begin > end || end > data.len() {
                return Err(bad(format!(
                    "`{name}`: byte range {begin}..{end} lies outside the {} data bytes (truncated file?)",
                    data.len()
                )));
            }
            if expected != Some(end - begin) {
                return Err(bad(format!(
                    "`{name}`: shape {shape:?} of {tag} needs {} bytes but its range holds {}",
                    expected.map_or("too many".to_string(), |e| e.to_string()),
                    end - begin
                )));
            }
            ranges.push((begin, end, name.clone()));
            let raw = &data[begin..end];
            let tensor = match dtype {
                DType::Bool => AnyTensor::Bool(decode(raw, shape)),
                DType::U8 => AnyTensor::U8(decode(raw, shape)),
                DType::I32 => AnyTensor::I32(decode(raw, shape)),
                DType::I64 => AnyTensor::I64(decode(raw, shape)),
                DType::F32 => AnyTensor::F32(decode(raw, shape)),
                DType::F64 => AnyTensor::F64(decode(raw, shape)),
            };
            dict.entries.push((name, tensor));
        }
        ranges.sort();
        for pair in ranges.windows(2) {
            if pair[1].0 < pair[0].1 {
                return Err(bad(format!("the byte ranges of `{}` and `{}` overlap", pair[0].2, pair[1].2)));
            }
        }
        // JSON objects have no order; keep the file's data order, which is the writer's order.
        dict.entries.sort_by_key(|(name, _)| ranges.iter().position(|r| &r.2 == name));
        Ok(dict)
    }

    /// Writes the dict to `path` atomically: a temporary file beside it, flushed to disk, then
    /// renamed over the target. A failure leaves any previous file untouched.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SafetensorsError> {
        let path = path.as_ref();
        let io = |action: &'static str, source| SafetensorsError::Io { path: path.to_path_buf(), action, source };
        let dir = match path.parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
            _ => PathBuf::from("."),
        };
        let file_name = path.file_name().ok_or_else(|| {
            io("name", std::io::Error::new(std::io::ErrorKind::InvalidInput, "the path has no file name"))
        })?;
        let tmp = dir.join(format!(".{}.tmp-{}", file_name.to_string_lossy(), std::process::id()));
        let write = || -> std::io::Result<()> {
            let mut file = std::fs::File::create(&tmp)?;
            file.write_all(&self.to_bytes())?;
            file.sync_all()
        };
        if let Err(e) = write() {
            let _ = std::fs::remove_file(&tmp);
            return Err(io("write", e));
        }
        std::fs::rename(&tmp, path).map_err(|e| {
            let _ = std::fs::remove_file(&tmp);
            io("rename into place", e)
        })
    }

    /// Reads a safetensors file written by Kindling, PyTorch (`safetensors.torch.save_file`)
    /// or any other writer of the format.
    pub fn load(path: impl AsRef<Path>) -> Result<StateDict, SafetensorsError> {
        let path = path.as_ref();
        let bytes = std::fs::read(path).map_err(|source| SafetensorsError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        StateDict::from_bytes(&bytes).map_err(|e| match e {
            SafetensorsError::Format { reason, .. } => {
                SafetensorsError::Format { path: Some(path.to_path_buf()), reason }
            }
            other => other,
        })
    }
}

/// Why a file could not be saved or loaded.
#[derive(Debug)]
pub enum SafetensorsError {
    /// The file system refused (missing folder, permissions, disk full).
    Io { path: PathBuf, action: &'static str, source: std::io::Error },
    /// The bytes are not a valid safetensors file.
    Format { path: Option<PathBuf>, reason: String },
}

impl fmt::Display for SafetensorsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SafetensorsError::Io { path, action, source } => write!(
                f,
                "could not {action} {}: {source} (check that the folder exists and is writable)",
                path.display()
            ),
            SafetensorsError::Format { path, reason } => {
                let file = path.as_ref().map_or("the data".to_string(), |p| p.display().to_string());
                write!(f, "{file} is not a valid safetensors file: {reason}")
            }
        }
    }
}

impl std::error::Error for SafetensorsError {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            SafetensorsError::Io { source, .. } => Some(source),
            SafetensorsError::Format { .. } => None,
        }
    }
}
