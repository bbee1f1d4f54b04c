//! What the classic tests share: reading the scikit-learn fixtures and the real datasets.
#![allow(dead_code)]

use kindling_tensor::Tensor;
use serde_json::Value;
use std::path::{Path, PathBuf};

/// `tests/fixtures/<path>`, parsed.
pub fn read_fixture(path: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures").join(path);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// `fixtures/linear/<file>`, parsed.
pub fn fixture(file: &str) -> Value {
    read_fixture(&format!("linear/{file}"))
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

/// [`assert_close`] with one relative tolerance: `|got − want| ≤ tol · (1 + |want|)`.
pub fn assert_close_rel(what: &str, got: &[f64], want: &[f64], tol: f64) {
    assert_close(what, got, want, tol, tol)
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

/// One of the real datasets, read through kindling-data's loaders, as rows of features and
/// the target (the class label as a float for the classifiers): `"diabetes"`, `"iris"`,
/// `"breast_cancer"`, `"wine"`, `"optdigits_train"` or `"optdigits_test"`.
pub fn load(dir: &Path, name: &str) -> (Vec<Vec<f64>>, Vec<f64>) {
    use kindling_data::datasets::{self, Split};
    let rows = |t: &Tensor<f64>| t.to_vec().chunks(t.shape()[1]).map(<[f64]>::to_vec).collect::<Vec<_>>();
    let small = dir.join("sklearn-small");
    let table = match name {
        "diabetes" => {
            let table = datasets::diabetes(&small).unwrap();
            return (rows(&table.features), table.targets.to_vec());
        }
        "iris" => datasets::iris_f64(dir.join("iris")),
        "breast_cancer" => datasets::breast_cancer(&small),
        "wine" => datasets::wine(&small),
        "optdigits_train" => datasets::optdigits(dir.join("optdigits"), Split::Train),
        "optdigits_test" => datasets::optdigits(dir.join("optdigits"), Split::Test),
        other => panic!("no dataset {other:?}"),
    }
    .unwrap();
    (rows(&table.features), table.labels.to_vec().into_iter().map(|l| l as f64).collect())
}

/// optdigits' own training and test files as (features, labels), or `None` after a loud skip.
pub fn optdigits_raw() -> Option<[(Tensor<f64>, Vec<i64>); 2]> {
    use kindling_data::datasets::{self, Split};
    let dir = datasets()?;
    let read = |split| {
        let table = datasets::optdigits(dir.join("optdigits"), split).unwrap();
        (table.features, table.labels.to_vec())
    };
    Some([read(Split::Train), read(Split::Test)])
}

/// [`optdigits_raw`] with both parts standardised by the training part's statistics.
pub fn optdigits_standardised() -> Option<[(Tensor<f64>, Vec<i64>); 2]> {
    let [(x_train, y_train), (x_test, y_test)] = optdigits_raw()?;
    let (x_train, x_test) = standardise(&x_train, &x_test);
    Some([(x_train, y_train), (x_test, y_test)])
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
