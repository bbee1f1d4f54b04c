//! What the linear-model tests share: the scikit-learn fixtures and the real datasets.
#![allow(dead_code)]

use kindling_tensor::Tensor;
use serde_json::Value;
use std::path::PathBuf;

/// `fixtures/linear/<file>`, parsed.
pub fn fixture(file: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/linear").join(file);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap()
}

pub fn floats(v: &Value) -> Vec<f64> {
    match v {
        Value::Array(items) => items.iter().flat_map(floats).collect(),
        other => vec![other.as_f64().unwrap_or_else(|| panic!("not a number: {other}"))],
    }
}

pub fn ints(v: &Value) -> Vec<i64> {
    v.as_array().unwrap().iter().map(|x| x.as_i64().unwrap()).collect()
}

pub fn indices(v: &Value) -> Vec<usize> {
    v.as_array().unwrap().iter().map(|x| x.as_u64().unwrap() as usize).collect()
}

/// A JSON list of rows as a `[rows, cols]` tensor.
pub fn matrix(v: &Value) -> Tensor<f64> {
    let rows = v.as_array().unwrap();
    let cols = rows[0].as_array().unwrap().len();
    Tensor::from_vec(floats(v), [rows.len(), cols])
}

/// Panics naming the first entry where `|got − want| > atol + rtol·|want|`.
pub fn assert_close(what: &str, got: &[f64], want: &[f64], atol: f64, rtol: f64) {
    assert_eq!(got.len(), want.len(), "{what}: {} values, expected {}", got.len(), want.len());
    for (i, (g, w)) in got.iter().zip(want).enumerate() {
        assert!(
            (g - w).abs() <= atol + rtol * w.abs(),
            "{what}[{i}]: got {g}, scikit-learn {w} (diff {:e})",
            (g - w).abs()
        );
    }
}

pub fn max_abs_diff(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0.0, f64::max)
}

/// The datasets folder, or `None` after saying loudly that the test is skipped.
pub fn datasets() -> Option<PathBuf> {
    match std::env::var_os("KINDLING_DATASETS") {
        Some(dir) => Some(PathBuf::from(dir)),
        None => {
            eprintln!("skipped: KINDLING_DATASETS is unset (point it at the shared datasets folder)");
            None
        }
    }
}

/// A numeric CSV with a header: features (all columns but the last) and the last column.
pub fn read_csv(path: PathBuf) -> (Vec<Vec<f64>>, Vec<f64>) {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for line in text.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        let mut values: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        ys.push(values.pop().unwrap());
        xs.push(values);
    }
    (xs, ys)
}

/// The iris file: four measurements and the species as 0, 1, 2 (sorted names).
pub fn read_iris(path: PathBuf) -> (Vec<Vec<f64>>, Vec<f64>) {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let rows: Vec<Vec<&str>> =
        text.lines().map(|l| l.split(',').collect::<Vec<_>>()).filter(|r| r.len() == 5).collect();
    let mut names: Vec<&str> = rows.iter().map(|r| r[4]).collect();
    names.sort_unstable();
    names.dedup();
    let xs = rows.iter().map(|r| r[..4].iter().map(|v| v.parse().unwrap()).collect()).collect();
    let ys = rows.iter().map(|r| names.iter().position(|n| *n == r[4]).unwrap() as f64).collect();
    (xs, ys)
}

/// A headerless numeric CSV (optdigits): features and the last column.
pub fn read_plain_csv(path: PathBuf) -> (Vec<Vec<f64>>, Vec<f64>) {
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let mut xs = Vec::new();
    let mut ys = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let mut values: Vec<f64> = line.split(',').map(|v| v.trim().parse().unwrap()).collect();
        ys.push(values.pop().unwrap());
        xs.push(values);
    }
    (xs, ys)
}

/// The rows at `idx`, as a tensor.
pub fn take(xs: &[Vec<f64>], idx: &[usize]) -> Tensor<f64> {
    let p = xs[0].len();
    Tensor::from_vec(idx.iter().flat_map(|&i| xs[i].clone()).collect(), [idx.len(), p])
}

/// Standardises both parts with the training part's statistics (kindling_data's
/// StandardScaler, population deviation, as scikit-learn's).
pub fn standardise(train: &Tensor<f64>, test: &Tensor<f64>) -> (Tensor<f64>, Tensor<f64>) {
    use kindling_data::preprocess::{StandardScaler, Transform};
    let mut scaler = StandardScaler::new();
    let train = scaler.fit_transform(train);
    (train, scaler.transform(test))
}
