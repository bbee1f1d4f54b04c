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
use serde::de::{Deserialize, Deserializer, MapAccess, Visitor};
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
        each_variant!(self, t => {
            let values = t.to_vec();
            let mut out = Vec::with_capacity(values.len() * t.dtype().size_in_bytes());
            values.iter().for_each(|x| x.write_le(&mut out));
            out
        })
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
    fn write_le(self, out: &mut Vec<u8>);
    fn from_le(bytes: &[u8]) -> Self;
}

macro_rules! little_endian {
    ($($t:ty),*) => {$(
        impl LittleEndian for $t {
            fn write_le(self, out: &mut Vec<u8>) {
                out.extend_from_slice(&self.to_le_bytes());
            }
            fn from_le(bytes: &[u8]) -> Self {
                <$t>::from_le_bytes(bytes.try_into().expect("element width"))
            }
        }
    )*};
}
little_endian!(u8, i32, i64, f32, f64);

impl LittleEndian for bool {
    fn write_le(self, out: &mut Vec<u8>) {
        out.push(self as u8);
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
    /// reference implementation does), data. The header's metadata carries a checksum of the
    /// contents under [`CHECKSUM_KEY`].
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut out = Vec::new();
        self.write_to(&mut out).expect("writing to memory cannot fail");
        out
    }

    /// Writes the file's bytes ([`StateDict::to_bytes`]) to `out`.
    pub fn write_to(&self, out: &mut dyn Write) -> std::io::Result<()> {
        let data: Vec<Vec<u8>> = self.entries.iter().map(|(_, t)| t.to_le_bytes()).collect();
        let contents = self
            .entries
            .iter()
            .zip(&data)
            .map(|((name, t), bytes)| (name.as_str(), t.dtype(), t.shape(), bytes.as_slice()));
        let mut metadata = self.metadata.clone();
        metadata.insert(CHECKSUM_KEY.to_string(), checksum(contents, &self.metadata));
        let mut header = Map::new();
        let meta = metadata.into_iter().map(|(k, v)| (k, Value::String(v))).collect();
        header.insert("__metadata__".to_string(), Value::Object(meta));
        let mut begin = 0;
        for ((name, tensor), bytes) in self.entries.iter().zip(&data) {
            let mut info = Map::new();
            info.insert("dtype".into(), Value::from(dtype_tag(tensor.dtype())));
            info.insert("shape".into(), Value::from(tensor.shape().to_vec()));
            info.insert("data_offsets".into(), Value::from(vec![begin, begin + bytes.len()]));
            header.insert(name.clone(), Value::Object(info));
            begin += bytes.len();
        }
        let mut json = Value::Object(header).to_string().into_bytes();
        while !json.len().is_multiple_of(8) {
            json.push(b' ');
        }
        out.write_all(&(json.len() as u64).to_le_bytes())?;
        out.write_all(&json)?;
        data.iter().try_for_each(|bytes| out.write_all(bytes))
    }

    /// Parses a safetensors file's bytes, checking every header field and byte range, and the
    /// checksum when the file has one (files from other writers usually do not).
    pub fn from_bytes(bytes: &[u8]) -> Result<StateDict, SafetensorsError> {
        parse(bytes, false)
    }

    /// Like [`StateDict::from_bytes`], but the checksum must be there (every file Kindling
    /// writes has one): for files that only Kindling writes, such as checkpoints, where a
    /// missing checksum means a damaged header.
    pub fn from_bytes_verified(bytes: &[u8]) -> Result<StateDict, SafetensorsError> {
        parse(bytes, true)
    }

    /// Writes the dict to `path` atomically ([`crate::io::write_atomic_with`]): a temporary
    /// file beside it, flushed to disk, then renamed over the target. A failure at any point
    /// leaves any previous file untouched.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), SafetensorsError> {
        let path = path.as_ref();
        crate::io::write_atomic_with(path, |out| self.write_to(out)).map_err(|source| SafetensorsError::Io {
            path: path.to_path_buf(),
            action: "write",
            source,
        })
    }

    /// Reads a safetensors file written by Kindling, PyTorch (`safetensors.torch.save_file`)
    /// or any other writer of the format.
    pub fn load(path: impl AsRef<Path>) -> Result<StateDict, SafetensorsError> {
        load_file(path.as_ref(), false)
    }

    /// Like [`StateDict::load`], but the file must carry Kindling's checksum
    /// ([`StateDict::from_bytes_verified`]).
    pub fn load_verified(path: impl AsRef<Path>) -> Result<StateDict, SafetensorsError> {
        load_file(path.as_ref(), true)
    }
}

/// The metadata key under which Kindling stores a checksum of a file's contents: `crc32:` and
/// 8 hex digits, over every tensor's name, dtype, shape and bytes (in file order) and every
/// other metadata entry. Loading recomputes it, so a flipped bit anywhere that matters is an
/// error instead of a silently changed weight.
///
/// CRC-32 (the checksum of zip, gzip and PNG) catches every error of one to three flipped
/// bits and every burst of up to 32, and misses random damage once in four billion; it
/// guards against disks and copies, not against someone forging a file. It runs at several
/// GB/s, a small part of a save.
pub const CHECKSUM_KEY: &str = "kindling.checksum";

fn checksum<'a>(
    contents: impl Iterator<Item = (&'a str, DType, &'a [usize], &'a [u8])>,
    metadata: &BTreeMap<String, String>,
) -> String {
    // Every field is length-prefixed, so no two different contents hash the same bytes.
    fn field(hash: &mut crc32fast::Hasher, bytes: &[u8]) {
        hash.update(&(bytes.len() as u64).to_le_bytes());
        hash.update(bytes);
    }
    let mut hash = crc32fast::Hasher::new();
    for (name, dtype, shape, bytes) in contents {
        field(&mut hash, name.as_bytes());
        field(&mut hash, dtype_tag(dtype).as_bytes());
        hash.update(&(shape.len() as u64).to_le_bytes());
        shape.iter().for_each(|&d| hash.update(&(d as u64).to_le_bytes()));
        field(&mut hash, bytes);
    }
    for (key, value) in metadata.iter().filter(|(k, _)| *k != CHECKSUM_KEY) {
        field(&mut hash, key.as_bytes());
        field(&mut hash, value.as_bytes());
    }
    format!("crc32:{:08x}", hash.finalize())
}

/// A JSON object's entries in file order, duplicates kept (serde_json's own map would let the
/// last of two equal names win without a word).
struct Pairs(Vec<(String, Value)>);

/// The header: tensor entries, and the `__metadata__` object's entries if there is one.
struct Header {
    tensors: Pairs,
    metadata: Option<Pairs>,
}

impl<'de> Deserialize<'de> for Pairs {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Pairs;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Pairs, A::Error> {
                let mut pairs = Vec::new();
                while let Some(entry) = map.next_entry()? {
                    pairs.push(entry);
                }
                Ok(Pairs(pairs))
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

impl<'de> Deserialize<'de> for Header {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        struct Visit;
        impl<'de> Visitor<'de> for Visit {
            type Value = Header;
            fn expecting(&self, f: &mut fmt::Formatter) -> fmt::Result {
                f.write_str("a JSON object of tensors and `__metadata__`")
            }
            fn visit_map<A: MapAccess<'de>>(self, mut map: A) -> Result<Header, A::Error> {
                let mut header = Header { tensors: Pairs(Vec::new()), metadata: None };
                while let Some(key) = map.next_key::<String>()? {
                    if key != "__metadata__" {
                        header.tensors.0.push((key, map.next_value()?));
                    } else if header.metadata.replace(map.next_value()?).is_some() {
                        return Err(serde::de::Error::custom("`__metadata__` appears twice"));
                    }
                }
                Ok(header)
            }
        }
        deserializer.deserialize_map(Visit)
    }
}

fn first_duplicate<'a>(names: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    let mut seen = std::collections::HashSet::new();
    names.into_iter().find(|n| !seen.insert(*n))
}

fn load_file(path: &Path, require_checksum: bool) -> Result<StateDict, SafetensorsError> {
    let bytes = std::fs::read(path).map_err(|source| SafetensorsError::Io {
        path: path.to_path_buf(),
        action: "read",
        source,
    })?;
    parse(&bytes, require_checksum).map_err(|e| match e {
        SafetensorsError::Format { reason, .. } => SafetensorsError::Format { path: Some(path.to_path_buf()), reason },
        other => other,
    })
}

fn parse(bytes: &[u8], require_checksum: bool) -> Result<StateDict, SafetensorsError> {
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
    let header: Header = serde_json::from_slice(&bytes[8..header_end]).map_err(|e| {
        if e.is_data() {
            bad(format!("the header is not a JSON object of tensors and metadata: {e}"))
        } else {
            bad(format!("the header is not valid JSON: {e}"))
        }
    })?;
    if let Some(name) = first_duplicate(header.tensors.0.iter().map(|(n, _)| n.as_str())) {
        return Err(bad(format!("`{name}` appears twice in the header; a file names each tensor once")));
    }
    let mut dict = StateDict::new();
    let mut checksum_found = None;
    let metadata = header.metadata.map_or(Vec::new(), |m| m.0);
    if let Some(key) = first_duplicate(metadata.iter().map(|(k, _)| k.as_str())) {
        return Err(bad(format!("the metadata key `{key}` appears twice")));
    }
    for (key, value) in metadata {
        let Value::String(value) = value else {
            return Err(bad(format!("__metadata__ value of `{key}` is not a string")));
        };
        if key == CHECKSUM_KEY {
            checksum_found = Some(value);
        } else {
            dict.metadata.insert(key, value);
        }
    }
    let data = &bytes[header_end..];
    // Every range is checked before any tensor is decoded: no header can make the reader
    // allocate more than the data it carries.
    let mut specs = Vec::new();
    for (name, info) in header.tensors.0 {
        let field = |key: &str| info.get(key).ok_or_else(|| bad(format!("`{name}` has no `{key}`")));
        let tag = field("dtype")?.as_str().ok_or_else(|| bad(format!("`{name}`: dtype is not a string")))?;
        let dtype = dtype_from_tag(tag)
            .ok_or_else(|| bad(format!("`{name}` has dtype {tag}; Kindling reads BOOL, U8, I32, I64, F32 and F64")))?;
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
        specs.push(Spec { begin, end, name, dtype, shape });
    }
    // JSON objects have no order; keep the file's data order, which is the writer's order.
    specs.sort_by_key(|s| (s.begin, s.end));
    check_coverage(&specs, data.len()).map_err(bad)?;
    for Spec { begin, end, name, dtype, shape } in &specs {
        let (raw, shape) = (&data[*begin..*end], shape.clone());
        let tensor = match dtype {
            DType::Bool => AnyTensor::Bool(decode(raw, shape)),
            DType::U8 => AnyTensor::U8(decode(raw, shape)),
            DType::I32 => AnyTensor::I32(decode(raw, shape)),
            DType::I64 => AnyTensor::I64(decode(raw, shape)),
            DType::F32 => AnyTensor::F32(decode(raw, shape)),
            DType::F64 => AnyTensor::F64(decode(raw, shape)),
        };
        dict.entries.push((name.clone(), tensor));
    }
    match checksum_found {
        Some(stored) => {
            let contents = specs.iter().map(|s| (s.name.as_str(), s.dtype, s.shape.as_slice(), &data[s.begin..s.end]));
            if checksum(contents, &dict.metadata) != stored {
                return Err(bad("its checksum does not match its contents: the file is corrupted (a disk or copy \
                     error, or an edit); restore it from a backup or save it again"
                    .into()));
            }
        }
        None if require_checksum => {
            return Err(bad(format!(
                "it has no `{CHECKSUM_KEY}` in its metadata; Kindling writes one into every file, so \
                 the header is damaged or another program wrote the file"
            )))
        }
        None => {}
    }
    Ok(dict)
}

/// One tensor's header entry, checked.
struct Spec {
    begin: usize,
    end: usize,
    name: String,
    dtype: DType,
    shape: Vec<usize>,
}

/// The tensors' byte ranges (sorted) must tile the data exactly, as the format requires: a gap or a
/// tail no tensor owns means the header and the data disagree.
fn check_coverage(sorted: &[Spec], data_len: usize) -> Result<(), String> {
    let mut covered = 0;
    for (i, spec) in sorted.iter().enumerate() {
        if spec.begin < covered {
            let other = sorted[..i].iter().rev().find(|s| s.end > spec.begin).map_or("another tensor", |s| &s.name);
            return Err(format!("the byte ranges of `{other}` and `{}` overlap", spec.name));
        }
        if spec.begin > covered {
            return Err(format!("data bytes {covered}..{} belong to no tensor (a damaged header?)", spec.begin));
        }
        covered = spec.end;
    }
    if covered < data_len {
        return Err(format!(
            "{} bytes follow the last tensor's data ({covered} of {data_len} data bytes are used): \
             the file was damaged or appended to",
            data_len - covered
        ));
    }
    Ok(())
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
