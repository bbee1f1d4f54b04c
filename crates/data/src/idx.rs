//! The IDX format of MNIST and Fashion-MNIST, plain or gzip-compressed.
//!
//! An IDX file is a 4-byte magic number `00 00 TT NN` (TT the element type, NN the number of
//! dimensions), then NN big-endian `u32` sizes, then the elements in row-major order, each
//! big-endian. MNIST's image files have magic 2051 (`0x0803`: unsigned bytes, 3 dims) and shape
//! `[N, 28, 28]`; its label files have magic 2049 (`0x0801`: unsigned bytes, 1 dim).
//!
//! Files that start with the gzip signature `1f 8b` are decompressed first, whatever their
//! name. Every way a file can be wrong (not gzip after all, a bad magic number, fewer or more
//! bytes than the header promises) is a [`DataError`] naming the file.

use crate::error::DataError;
use flate2::read::GzDecoder;
use kindling_tensor::Tensor;
use std::io::Read;
use std::path::Path;

/// The contents of an IDX file, by element type (`i8` and `i16` widen to `i32`).
#[derive(Clone, Debug)]
pub enum IdxTensor {
    /// Type code `0x08`: unsigned bytes (MNIST pixels and labels).
    U8(Tensor<u8>),
    /// Type codes `0x09`, `0x0B`, `0x0C`: signed integers of 1, 2 or 4 bytes.
    I32(Tensor<i32>),
    /// Type code `0x0D`: 4-byte floats.
    F32(Tensor<f32>),
    /// Type code `0x0E`: 8-byte floats.
    F64(Tensor<f64>),
}

impl IdxTensor {
    /// The element type the file was read as: "u8", "i32", "f32" or "f64".
    pub fn element_name(&self) -> &'static str {
        match self {
            IdxTensor::U8(_) => "u8",
            IdxTensor::I32(_) => "i32",
            IdxTensor::F32(_) => "f32",
            IdxTensor::F64(_) => "f64",
        }
    }

    /// The shape from the header.
    pub fn shape(&self) -> &[usize] {
        match self {
            IdxTensor::U8(t) => t.shape(),
            IdxTensor::I32(t) => t.shape(),
            IdxTensor::F32(t) => t.shape(),
            IdxTensor::F64(t) => t.shape(),
        }
    }
}

/// Reads a whole file, decompressing it if it starts with the gzip signature.
pub(crate) fn read_maybe_gzip(path: &Path) -> Result<Vec<u8>, DataError> {
    let raw = std::fs::read(path).map_err(|e| DataError::io(path, "read", e))?;
    if raw.starts_with(&[0x1f, 0x8b]) {
        let mut out = Vec::with_capacity(raw.len() * 4);
        GzDecoder::new(raw.as_slice())
            .read_to_end(&mut out)
            .map_err(|e| DataError::malformed(path, "a valid gzip stream", format!("a broken one ({e})")))?;
        Ok(out)
    } else {
        Ok(raw)
    }
}

/// Reads an IDX file (plain or gzip).
pub fn read_idx(path: impl AsRef<Path>) -> Result<IdxTensor, DataError> {
    let path = path.as_ref();
    parse_idx(&read_maybe_gzip(path)?, path)
}

/// Reads an IDX file of unsigned bytes (MNIST images and labels); any other element type is
/// an error.
pub fn read_idx_u8(path: impl AsRef<Path>) -> Result<Tensor<u8>, DataError> {
    let path = path.as_ref();
    match read_idx(path)? {
        IdxTensor::U8(t) => Ok(t),
        other => Err(DataError::malformed(
            path,
            "unsigned bytes (IDX type code 0x08)",
            format!("elements read as {}", other.element_name()),
        )),
    }
}

/// Parses the bytes of an (uncompressed) IDX file; `source` names it in errors.
pub fn parse_idx(bytes: &[u8], source: impl AsRef<Path>) -> Result<IdxTensor, DataError> {
    let source = source.as_ref();
    if bytes.len() < 4 {
        return Err(DataError::malformed(
            source,
            "a 4-byte IDX magic number",
            format!("a file of {} byte(s)", bytes.len()),
        ));
    }
    let magic = u32::from_be_bytes([bytes[0], bytes[1], bytes[2], bytes[3]]);
    let (code, rank) = (bytes[2], bytes[3] as usize);
    let elem = match code {
        0x08 | 0x09 => 1,
        0x0B => 2,
        0x0C | 0x0D => 4,
        0x0E => 8,
        _ => 0,
    };
    if bytes[0] != 0 || bytes[1] != 0 || elem == 0 {
        return Err(DataError::malformed_at(
            source,
            "byte 0",
            "an IDX magic number 00 00 TT NN with type code TT in {08, 09, 0B, 0C, 0D, 0E}",
            format!("{:02x} {:02x} {:02x} {:02x} (magic {magic})", bytes[0], bytes[1], bytes[2], bytes[3]),
        ));
    }
    let header = 4 + 4 * rank;
    if bytes.len() < header {
        return Err(DataError::malformed_at(
            source,
            "byte 4",
            format!("{rank} big-endian u32 dimension sizes ({} bytes)", 4 * rank),
            format!("{} byte(s)", bytes.len() - 4),
        ));
    }
    let shape: Vec<usize> = (0..rank)
        .map(|d| u32::from_be_bytes(bytes[4 + 4 * d..8 + 4 * d].try_into().expect("4 bytes")) as usize)
        .collect();
    let count = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d));
    // A tensor's strides multiply the sizes with zeros counted as ones: an empty shape such as
    // [0, 2^32-1, 2^32-1] holds nothing, yet its strides would overflow.
    let strides_fit = shape.iter().try_fold(1usize, |acc, &d| acc.checked_mul(d.max(1))).is_some();
    let need = count.filter(|_| strides_fit).and_then(|c| c.checked_mul(elem)).ok_or_else(|| {
        DataError::malformed_at(source, "byte 4", "dimension sizes whose product fits in memory", format!("{shape:?}"))
    })?;
    let count = need / elem;
    let body = &bytes[header..];
    if body.len() != need {
        let what = if body.len() < need { "truncated data" } else { "extra bytes after the data" };
        return Err(DataError::malformed_at(
            source,
            format!("byte {header}"),
            format!("{need} bytes of data for shape {shape:?} ({elem} byte(s) each)"),
            format!("{} bytes ({what})", body.len()),
        ));
    }
    let chunks = body.chunks_exact(elem.max(1));
    Ok(match code {
        0x08 => IdxTensor::U8(Tensor::from_vec(body.to_vec(), shape)),
        0x09 => IdxTensor::I32(Tensor::from_vec(body.iter().map(|&b| b as i8 as i32).collect(), shape)),
        0x0B => {
            IdxTensor::I32(Tensor::from_vec(chunks.map(|c| i16::from_be_bytes([c[0], c[1]]) as i32).collect(), shape))
        }
        0x0C => IdxTensor::I32(Tensor::from_vec(
            chunks.map(|c| i32::from_be_bytes(c.try_into().expect("4 bytes"))).collect(),
            shape,
        )),
        0x0D => IdxTensor::F32(Tensor::from_vec(
            chunks.map(|c| f32::from_be_bytes(c.try_into().expect("4 bytes"))).collect(),
            shape,
        )),
        _ => {
            debug_assert_eq!(count, body.len() / 8);
            IdxTensor::F64(Tensor::from_vec(
                chunks.map(|c| f64::from_be_bytes(c.try_into().expect("8 bytes"))).collect(),
                shape,
            ))
        }
    })
}

/// Encodes a tensor of bytes as an IDX file (type code `0x08`), for writing fixtures and
/// exporting data in the MNIST format.
pub fn encode_idx_u8(t: &Tensor<u8>) -> Vec<u8> {
    let mut out = vec![0, 0, 0x08, t.rank() as u8];
    for &d in t.shape() {
        out.extend_from_slice(&(d as u32).to_be_bytes());
    }
    out.extend(t.to_vec());
    out
}
