//! The safetensors reader and writer: round trips of every dtype, a file written by the
//! reference implementation, and every kind of broken file giving an error, never a panic.

use kindling_tensor::io::write_atomic_with;
use kindling_tensor::safetensors::{AnyTensor, SafetensorsError, StateDict};
use kindling_tensor::{DType, Tensor};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

fn scratch_dir(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("kindling-safetensors-{test}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn sample() -> StateDict {
    let mut dict = StateDict::new();
    // A transposed view: the writer must store the logical (row-major) order.
    dict.insert("w", Tensor::from([[1.0f32, 2.0, 3.0], [4.0, 5.0, 6.0]]).t());
    dict.insert("b", Tensor::from([0.5f64, -0.25]));
    dict.insert("count", Tensor::scalar(3i64));
    dict.insert("idx", Tensor::from([7i32, -8]));
    dict.insert("img", Tensor::from([0u8, 200]));
    dict.insert("mask", Tensor::from([true, false]));
    dict.insert("empty", Tensor::<f32>::zeros([0, 4]));
    dict
}

#[test]
fn round_trip_keeps_every_dtype_shape_value_and_order() {
    let mut dict = sample();
    dict.set_metadata("format", "pt");
    let back = StateDict::from_bytes(&dict.to_bytes()).unwrap();
    assert_eq!(back.keys().collect::<Vec<_>>(), ["w", "b", "count", "idx", "img", "mask", "empty"]);
    let w = back.get("w").unwrap();
    assert_eq!((w.dtype(), w.shape()), (DType::F32, &[3, 2][..]));
    assert_eq!(w.cast::<f32>().to_vec(), vec![1.0, 4.0, 2.0, 5.0, 3.0, 6.0]);
    assert_eq!(back.get("b").unwrap().cast::<f64>().to_vec(), vec![0.5, -0.25]);
    let count = back.get("count").unwrap();
    assert_eq!((count.dtype(), count.shape()), (DType::I64, &[][..]));
    assert_eq!(back.get("idx").unwrap().cast::<i32>().to_vec(), vec![7, -8]);
    assert_eq!(back.get("img").unwrap().cast::<u8>().to_vec(), vec![0, 200]);
    assert!(matches!(back.get("mask").unwrap(), AnyTensor::Bool(m) if m.to_vec() == vec![true, false]));
    assert_eq!(back.get("empty").unwrap().shape(), &[0, 4]);
    assert_eq!(back.metadata().get("format").map(String::as_str), Some("pt"));
}

#[test]
fn header_is_padded_to_eight_bytes() {
    let bytes = sample().to_bytes();
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    assert_eq!(header_len % 8, 0);
}

#[test]
fn insert_replaces_in_place_and_sub_strips_a_prefix() {
    let mut dict = StateDict::new();
    dict.insert("a.weight", Tensor::from([1.0f32]));
    dict.insert("a.bias", Tensor::from([2.0f32]));
    dict.insert("b.weight", Tensor::from([3.0f32]));
    dict.insert("a.weight", Tensor::from([9.0f32]));
    assert_eq!(dict.keys().collect::<Vec<_>>(), ["a.weight", "a.bias", "b.weight"]);
    let a = dict.sub("a");
    assert_eq!(a.keys().collect::<Vec<_>>(), ["weight", "bias"]);
    assert_eq!(a.get("weight").unwrap().cast::<f32>().to_vec(), vec![9.0]);
    assert!(dict.remove("a.bias").is_some());
    assert!(!dict.contains_key("a.bias"));
    assert_eq!(dict.len(), 2);
}

#[test]
fn reads_a_file_written_by_the_reference_implementation() {
    // Written by tests/fixtures/make_safetensors_fixture.py with `safetensors.numpy`.
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/reference.safetensors");
    let dict = StateDict::load(&path).unwrap();
    let w = dict.get("layer.weight").unwrap();
    assert_eq!((w.dtype(), w.shape()), (DType::F32, &[2, 3][..]));
    assert_eq!(w.cast::<f32>().to_vec(), vec![0.0, 0.25, 0.5, 0.75, 1.0, 1.25]);
    assert_eq!(dict.get("layer.bias").unwrap().cast::<f64>().to_vec(), vec![-1.5, 2.25]);
    assert_eq!(dict.get("bn.num_batches_tracked").unwrap().cast::<i64>().item(), 12);
    assert_eq!(dict.get("labels").unwrap().cast::<i32>().to_vec(), vec![1, 2, 3, 4]);
    assert_eq!(dict.get("pixels").unwrap().cast::<u8>().to_vec(), vec![0, 128, 255]);
    assert_eq!(dict.get("mask").unwrap().cast::<bool>().to_vec(), vec![true, false, true]);
    assert_eq!(dict.metadata().get("format").map(String::as_str), Some("np"));
    // Written back by us, it reads the same.
    let again = StateDict::from_bytes(&dict.to_bytes()).unwrap();
    assert_eq!(again.get("layer.weight").unwrap().cast::<f32>().to_vec(), w.cast::<f32>().to_vec());
}

fn format_error(bytes: &[u8]) -> String {
    match StateDict::from_bytes(bytes) {
        Err(e @ SafetensorsError::Format { .. }) => e.to_string(),
        other => panic!("expected a format error, got {other:?}"),
    }
}

fn with_header(header: &str, data: &[u8]) -> Vec<u8> {
    let mut out = (header.len() as u64).to_le_bytes().to_vec();
    out.extend_from_slice(header.as_bytes());
    out.extend_from_slice(data);
    out
}

#[test]
fn broken_files_are_errors_that_say_what_is_wrong() {
    assert!(format_error(&[1, 2, 3]).contains("too short"));
    let good = sample().to_bytes();
    assert!(format_error(&good[..good.len() - 3]).contains("truncated file?"));
    assert!(format_error(&good[..20]).contains("truncated file?"));
    assert!(format_error(&with_header("{not json", &[])).contains("not valid JSON"));
    assert!(format_error(&with_header("[1, 2]", &[])).contains("not a JSON object"));
    let f16 = r#"{"x":{"dtype":"F16","shape":[1],"data_offsets":[0,2]}}"#;
    assert!(format_error(&with_header(f16, &[0, 0])).contains("`x` has dtype F16"));
    let short = r#"{"x":{"dtype":"F32","shape":[2],"data_offsets":[0,4]}}"#;
    assert!(format_error(&with_header(short, &[0; 4])).contains("needs 8 bytes but its range holds 4"));
    let overlap = r#"{"x":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"y":{"dtype":"F32","shape":[1],"data_offsets":[2,6]}}"#;
    assert!(format_error(&with_header(overlap, &[0; 8])).contains("overlap"));
    let no_shape = r#"{"x":{"dtype":"F32","data_offsets":[0,4]}}"#;
    assert!(format_error(&with_header(no_shape, &[0; 4])).contains("`x` has no `shape`"));
    let negative = r#"{"x":{"dtype":"F32","shape":[-1],"data_offsets":[0,4]}}"#;
    assert!(format_error(&with_header(negative, &[0; 4])).contains("not a list of non-negative integers"));
    let huge = r#"{"x":{"dtype":"F64","shape":[4294967296,4294967296],"data_offsets":[0,8]}}"#;
    assert!(format_error(&with_header(huge, &[0; 8])).contains("needs too many bytes"));
}

#[test]
fn save_then_load_through_a_file() {
    let dir = scratch_dir("file");
    let path = dir.join("model.safetensors");
    sample().save(&path).unwrap();
    let back = StateDict::load(&path).unwrap();
    assert_eq!(back.len(), sample().len());
    // No temporary file is left beside it.
    let names: Vec<_> = std::fs::read_dir(&dir).unwrap().map(|e| e.unwrap().file_name()).collect();
    assert_eq!(names, vec![std::ffi::OsString::from("model.safetensors")]);
    std::fs::remove_dir_all(dir).unwrap();
}

/// A writer that fails after `left` bytes, like a disk that fills up mid-save.
struct FailAfter<'a> {
    inner: &'a mut dyn Write,
    left: usize,
}

impl Write for FailAfter<'_> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::Error::other("no space left on device (simulated)"));
        }
        let n = self.inner.write(&buf[..buf.len().min(self.left)])?;
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.inner.flush()
    }
}

fn file_names(dir: &Path) -> Vec<String> {
    let mut names: Vec<_> =
        std::fs::read_dir(dir).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    names.sort();
    names
}

#[test]
fn a_save_that_fails_at_any_byte_leaves_the_previous_file_intact() {
    let dir = scratch_dir("atomic");
    let path = dir.join("model.safetensors");
    let mut first = StateDict::new();
    first.insert("w", Tensor::from([1.0f32, 2.0]));
    first.save(&path).unwrap();
    let second = sample();
    let len = second.to_bytes().len();
    // Every cut in the header, then every 13th byte of the data, and the last one.
    let cuts = (0..64).chain((64..len).step_by(13)).chain([len - 1]);
    for cut in cuts {
        let err =
            write_atomic_with(&path, |out| second.write_to(&mut FailAfter { inner: out, left: cut })).unwrap_err();
        assert!(err.to_string().contains("simulated"), "{err}");
        let kept = StateDict::load_verified(&path).unwrap();
        assert_eq!(kept.get("w").unwrap().cast::<f32>().to_vec(), vec![1.0, 2.0], "after a failure at byte {cut}");
        assert_eq!(file_names(&dir), ["model.safetensors"], "a temporary file was left after byte {cut}");
    }
    // Given all its bytes, the same save replaces the file.
    write_atomic_with(&path, |out| second.write_to(&mut FailAfter { inner: out, left: len })).unwrap();
    assert_eq!(StateDict::load_verified(&path).unwrap().len(), second.len());
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn a_save_blocked_by_the_file_system_is_an_error_naming_the_file() {
    let dir = scratch_dir("blocked");
    // A folder in the target's place cannot be replaced by a file.
    let path = dir.join("model.safetensors");
    std::fs::create_dir(&path).unwrap();
    let err = sample().save(&path).unwrap_err();
    assert!(matches!(err, SafetensorsError::Io { action: "write", .. }), "{err}");
    assert!(err.to_string().contains("model.safetensors"), "{err}");
    assert_eq!(file_names(&dir), ["model.safetensors"], "the temporary file was not removed");
    std::fs::remove_dir_all(dir).unwrap();
}

const SAVE_FOREVER: &str = "KINDLING_TEST_SAVE_FOREVER";

fn filled(value: f32) -> StateDict {
    let mut dict = StateDict::new();
    dict.insert("w", Tensor::full([1 << 21], value));
    dict
}

#[test]
fn a_process_killed_mid_save_leaves_a_whole_file() {
    if let Ok(path) = std::env::var(SAVE_FOREVER) {
        // The child: alternate two versions of an 8 MB file until killed.
        let (one, two) = (filled(1.0), filled(2.0));
        loop {
            one.save(&path).unwrap();
            two.save(&path).unwrap();
        }
    }
    let dir = scratch_dir("killed");
    let path = dir.join("model.safetensors");
    filled(0.0).save(&path).unwrap();
    for delay_ms in [5, 40, 90, 150, 230, 320, 450, 600] {
        let mut child = Command::new(std::env::current_exe().unwrap())
            .args(["--exact", "safetensors::a_process_killed_mid_save_leaves_a_whole_file"])
            .env(SAVE_FOREVER, &path)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        child.kill().unwrap();
        child.wait().unwrap();
        let kept = StateDict::load_verified(&path).unwrap_or_else(|e| panic!("killed after {delay_ms} ms: {e}"));
        let values = kept.get("w").unwrap().cast::<f32>().to_vec();
        assert!(values.iter().all(|&v| v == values[0]), "killed after {delay_ms} ms: a mix of two saves");
    }
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn every_single_bit_flip_is_caught_when_the_checksum_is_required() {
    let mut dict = sample();
    dict.set_metadata("format", "pt");
    let good = dict.to_bytes();
    let mut bytes = good.clone();
    for bit in 0..good.len() * 8 {
        bytes[bit / 8] ^= 1 << (bit % 8);
        assert!(StateDict::from_bytes_verified(&bytes).is_err(), "flipping bit {bit} went unnoticed");
        bytes[bit / 8] ^= 1 << (bit % 8);
    }
    assert!(StateDict::from_bytes_verified(&good).is_ok());
}

#[test]
fn a_flipped_data_bit_is_reported_as_corruption() {
    let good = sample().to_bytes();
    let mut bytes = good.clone();
    *bytes.last_mut().unwrap() ^= 0x10;
    let err = format_error(&bytes);
    assert!(err.contains("checksum does not match") && err.contains("corrupted"), "{err}");
    // A file from another writer has no checksum: accepted, unless one is required.
    let foreign = with_header(r#"{"x":{"dtype":"U8","shape":[2],"data_offsets":[0,2]}}"#, &[1, 2]);
    assert!(StateDict::from_bytes(&foreign).is_ok());
    let err = StateDict::from_bytes_verified(&foreign).unwrap_err().to_string();
    assert!(err.contains("has no `kindling.checksum`"), "{err}");
}

#[test]
fn duplicate_names_gaps_and_trailing_bytes_are_errors() {
    let twice =
        r#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"x":{"dtype":"U8","shape":[1],"data_offsets":[1,2]}}"#;
    assert!(format_error(&with_header(twice, &[1, 2])).contains("`x` appears twice"));
    let meta_twice = r#"{"__metadata__":{"a":"1","a":"2"}}"#;
    assert!(format_error(&with_header(meta_twice, &[])).contains("metadata key `a` appears twice"));
    let gap =
        r#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]},"y":{"dtype":"U8","shape":[1],"data_offsets":[2,3]}}"#;
    assert!(format_error(&with_header(gap, &[1, 2, 3])).contains("data bytes 1..2 belong to no tensor"));
    let one = r#"{"x":{"dtype":"U8","shape":[1],"data_offsets":[0,1]}}"#;
    assert!(format_error(&with_header(one, &[1, 2, 3])).contains("2 bytes follow the last tensor"));
    let mut appended = sample().to_bytes();
    appended.extend_from_slice(b"extra");
    assert!(format_error(&appended).contains("5 bytes follow the last tensor"));
    let bad_meta = r#"{"__metadata__":"text"}"#;
    assert!(format_error(&with_header(bad_meta, &[])).contains("not a JSON object"));
}

#[test]
fn missing_files_and_folders_are_io_errors_naming_the_path() {
    let err = StateDict::load("/nonexistent/kindling/model.safetensors").unwrap_err();
    assert!(err.to_string().starts_with("could not read /nonexistent/kindling/model.safetensors"), "{err}");
    let err = sample().save("/nonexistent/kindling/model.safetensors").unwrap_err();
    assert!(err.to_string().contains("check that the folder exists"), "{err}");
    let dir = scratch_dir("garbage");
    let path = dir.join("garbage.safetensors");
    std::fs::write(&path, b"definitely not a safetensors file").unwrap();
    let err = StateDict::load(&path).unwrap_err();
    assert!(err.to_string().starts_with(&format!("{} is not a valid safetensors file", path.display())), "{err}");
    std::fs::remove_dir_all(dir).unwrap();
}
