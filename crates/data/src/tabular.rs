//! The small tables of classic machine learning (re-exported from [`crate::datasets`]), read in `f64` as scikit-learn reads them:
//! breast cancer, wine, diabetes and the 8×8 digits (the CSV exports in
//! `$KINDLING_DATASETS/sklearn-small/`), and the full optical-digits set with its own
//! train/test split (`$KINDLING_DATASETS/optdigits/`).
//!
//! ```text
//! $KINDLING_DATASETS/
//!   sklearn-small/  breast_cancer.csv  wine.csv  diabetes.csv  digits.csv   (header row, label in `target`)
//!   optdigits/      optdigits.tra  optdigits.tes                            (64 pixel counts and the digit, no header)
//! ```
//!
//! ```no_run
//! use kindling_data::datasets;
//! let dir = kindling_data::datasets_dir()?.join("sklearn-small");
//! let wine = datasets::wine(&dir)?;
//! assert_eq!(wine.features.shape(), &[178, 13]);
//! # Ok::<(), kindling_data::DataError>(())
//! ```

use crate::csv::{parse_csv, CsvOptions};
use crate::datasets::{LabeledTable, Split};
use crate::error::DataError;
use kindling_tensor::Tensor;
use std::path::{Path, PathBuf};

/// Numeric features with one real-valued target per row (a regression problem).
#[derive(Clone, Debug)]
pub struct RegressionTable {
    /// `[N, features]`.
    pub features: Tensor<f64>,
    /// `[N]` targets.
    pub targets: Tensor<f64>,
    /// The feature names.
    pub feature_names: Vec<String>,
}

/// The name of the label column in the scikit-learn CSV exports.
pub const TARGET_COLUMN: &str = "target";

/// Breast Cancer Wisconsin (Diagnostic): 569 tumours × 30 features, label 0 malignant, 1 benign.
/// `dir` is the `sklearn-small` folder.
pub fn breast_cancer(dir: impl AsRef<Path>) -> Result<LabeledTable<f64>, DataError> {
    classification_csv(dir.as_ref(), "breast_cancer.csv", &["malignant", "benign"])
}

/// Wine: 178 wines × 13 chemical measurements, three cultivars (labels 0, 1, 2).
/// `dir` is the `sklearn-small` folder.
pub fn wine(dir: impl AsRef<Path>) -> Result<LabeledTable<f64>, DataError> {
    classification_csv(dir.as_ref(), "wine.csv", &["class_0", "class_1", "class_2"])
}

/// scikit-learn's 8×8 digits: 1,797 images × 64 pixel counts (0 to 16), labels 0 to 9 (the
/// test part of the optical-digits set). `dir` is the `sklearn-small` folder.
pub fn digits_small(dir: impl AsRef<Path>) -> Result<LabeledTable<f64>, DataError> {
    classification_csv(dir.as_ref(), "digits.csv", &DIGIT_NAMES)
}

/// Diabetes: 442 patients × 10 features (mean-centred and scaled as scikit-learn ships them),
/// target the disease progression one year later. `dir` is the `sklearn-small` folder.
pub fn diabetes(dir: impl AsRef<Path>) -> Result<RegressionTable, DataError> {
    let (path, table, names) = read_export(dir.as_ref(), "diabetes.csv")?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let features = table.to_tensor(&refs)?;
    let targets = table.numeric(TARGET_COLUMN)?.to_vec();
    let n = targets.len();
    if n == 0 {
        return Err(DataError::malformed(&path, "at least one data row", "only the header"));
    }
    Ok(RegressionTable { features, targets: Tensor::from_vec(targets, [n]), feature_names: names })
}

const DIGIT_NAMES: [&str; 10] = ["0", "1", "2", "3", "4", "5", "6", "7", "8", "9"];

/// The file names of the optical-digits split: 3,823 training and 1,797 test images.
pub fn optdigits_file_name(split: Split) -> &'static str {
    match split {
        Split::Train => "optdigits.tra",
        Split::Test => "optdigits.tes",
    }
}

/// UCI Optical Recognition of Handwritten Digits, one split: 64 pixel counts (0 to 16, an 8×8
/// image row by row) and the digit per line, no header. `dir` is the `optdigits` folder.
pub fn optdigits(dir: impl AsRef<Path>, split: Split) -> Result<LabeledTable<f64>, DataError> {
    let path = dir.as_ref().join(optdigits_file_name(split));
    let text = read_existing(&path, "the UCI optdigits file (64 integers and a label per line)")?;
    let (mut features, mut labels) = (Vec::new(), Vec::new());
    for (number, line) in text.lines().enumerate().filter(|(_, l)| !l.trim().is_empty()) {
        let at = || format!("line {}", number + 1);
        let cells: Vec<&str> = line.trim().split(',').collect();
        if cells.len() != 65 {
            return Err(DataError::malformed_at(
                &path,
                at(),
                "65 comma-separated integers (64 pixel counts, then the digit)",
                format!("{} values", cells.len()),
            ));
        }
        for (column, cell) in cells.iter().enumerate() {
            let value: i64 = cell.trim().parse().map_err(|_| {
                DataError::malformed_at(
                    &path,
                    format!("{}, value {}", at(), column + 1),
                    "an integer",
                    format!("{cell:?}"),
                )
            })?;
            let limit = if column == 64 { 9 } else { 16 };
            if !(0..=limit).contains(&value) {
                return Err(DataError::malformed_at(
                    &path,
                    format!("{}, value {}", at(), column + 1),
                    format!("an integer in 0..={limit}"),
                    value.to_string(),
                ));
            }
            if column == 64 {
                labels.push(value);
            } else {
                features.push(value as f64);
            }
        }
    }
    let n = labels.len();
    if n == 0 {
        return Err(DataError::malformed(&path, "at least one image", "an empty file"));
    }
    let feature_names = (0..64).map(|i| format!("pixel_{}_{}", i / 8, i % 8)).collect();
    Ok(LabeledTable {
        features: Tensor::from_vec(features, [n, 64]),
        labels: Tensor::from_vec(labels, [n]),
        classes: DIGIT_NAMES.iter().map(|s| s.to_string()).collect(),
        feature_names,
    })
}

/// Reads a whole file, turning "not there" into an error that says what belongs there.
fn read_existing(path: &Path, what: &str) -> Result<String, DataError> {
    if !path.is_file() {
        return Err(DataError::malformed(
            path,
            what,
            "no such file: point the loader at the right folder (in the Kindling workspace, the \
             sklearn-small/ or optdigits/ folder of ../shared/datasets, which KINDLING_DATASETS names)",
        ));
    }
    crate::text::read_text(path)
}

/// Reads one scikit-learn export: its path, the parsed table and the feature columns (every
/// column but `target`, in file order).
fn read_export(dir: &Path, file: &str) -> Result<(PathBuf, crate::csv::CsvTable, Vec<String>), DataError> {
    let path = dir.join(file);
    let text = read_existing(&path, "a CSV exported from scikit-learn (a header row, the label in `target`)")?;
    let table = parse_csv(&text, &path, &CsvOptions::new().header(true).deny_missing(true))?;
    table.numeric(TARGET_COLUMN)?;
    let names: Vec<String> = table.names().iter().filter(|n| *n != TARGET_COLUMN).cloned().collect();
    Ok((path, table, names))
}

fn classification_csv(dir: &Path, file: &str, classes: &[&str]) -> Result<LabeledTable<f64>, DataError> {
    let (path, table, names) = read_export(dir, file)?;
    let refs: Vec<&str> = names.iter().map(String::as_str).collect();
    let features = table.to_tensor(&refs)?;
    let mut labels = Vec::with_capacity(table.rows());
    for (row, &value) in table.numeric(TARGET_COLUMN)?.iter().enumerate() {
        if value.fract() != 0.0 || value < 0.0 || value >= classes.len() as f64 {
            return Err(DataError::malformed_at(
                &path,
                format!("data row {} (counting from 1), column \"target\"", row + 1),
                format!("a class label in 0..={}", classes.len() - 1),
                value.to_string(),
            ));
        }
        labels.push(value as i64);
    }
    let n = labels.len();
    if n == 0 {
        return Err(DataError::malformed(&path, "at least one data row", "only the header"));
    }
    Ok(LabeledTable {
        features,
        labels: Tensor::from_vec(labels, [n]),
        classes: classes.iter().map(|s| s.to_string()).collect(),
        feature_names: names,
    })
}
