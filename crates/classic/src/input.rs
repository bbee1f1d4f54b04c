//! Checks and conversions every estimator shares: reading a `[samples, features]` tensor,
//! refusing NaN, encoding labels, row-wise log-sum-exp and argmax, reading a saved state.

use crate::ClassicError;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// The rows of `x` as one row-major buffer, with its shape. Panics unless `x` is 2-D.
pub(crate) fn matrix(op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize, usize) {
    assert!(x.rank() == 2, "{op}: x must be [samples, features], got shape {:?}", x.shape());
    (x.contiguous().to_vec(), x.shape()[0], x.shape()[1])
}

/// Panics when `y` does not hold one target per row.
pub(crate) fn check_targets(op: &str, rows: usize, targets: usize) {
    assert!(rows == targets, "{op}: x has {rows} rows but y has {targets} values");
}

/// Panics when prediction rows do not have the fitted number of features.
pub(crate) fn check_features(op: &str, fitted: usize, given: usize) {
    assert!(fitted == given, "{op}: the model was fitted on {fitted} features but x has {given}");
}

/// `Err` naming the first NaN or infinity (row and column), which would silently poison every
/// sum and distance downstream.
pub(crate) fn check_finite(estimator: &'static str, values: &[f64], cols: usize) -> Result<(), ClassicError> {
    match values.iter().position(|v| !v.is_finite()) {
        None => Ok(()),
        Some(at) => Err(ClassicError::data(
            estimator,
            format!(
                "x holds {} at row {}, column {}; impute or drop missing values first",
                values[at],
                at / cols.max(1),
                at % cols.max(1)
            ),
        )),
    }
}

/// `Err` unless there is at least one sample.
pub(crate) fn check_not_empty(estimator: &'static str, rows: usize) -> Result<(), ClassicError> {
    if rows == 0 {
        return Err(ClassicError::data(estimator, "x has no rows; fit needs at least one sample"));
    }
    Ok(())
}

/// The sorted distinct labels and, for each sample, the position of its label among them.
pub(crate) fn encode_labels(y: &[i64]) -> (Vec<i64>, Vec<usize>) {
    let mut classes = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    let codes = y.iter().map(|label| classes.binary_search(label).expect("label is among the classes")).collect();
    (classes, codes)
}

/// Each row's `log Σ exp`, computed around the row's maximum so that no term overflows.
pub(crate) fn log_sum_exp_rows(values: &[f64], cols: usize) -> Vec<f64> {
    values
        .chunks(cols)
        .map(|row| {
            let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            if top == f64::NEG_INFINITY {
                return top;
            }
            top + row.iter().map(|v| (v - top).exp()).sum::<f64>().ln()
        })
        .collect()
}

/// The position of each row's largest value, the first one on a tie (NumPy's `argmax`).
pub(crate) fn argmax_rows(values: &[f64], cols: usize) -> Vec<usize> {
    values
        .chunks(cols)
        .map(|row| {
            let mut best = 0;
            for (j, v) in row.iter().enumerate() {
                if *v > row[best] {
                    best = j;
                }
            }
            best
        })
        .collect()
}

/// A saved f64 tensor, or a message naming what is missing.
pub(crate) fn state_f64(state: &StateDict, name: &str) -> Result<Tensor<f64>, String> {
    state.get(name).map(|t| t.cast::<f64>()).ok_or_else(|| format!("the tensor {name:?} is missing"))
}

/// A saved i64 tensor's values, or a message naming what is missing.
pub(crate) fn state_i64(state: &StateDict, name: &str) -> Result<Vec<i64>, String> {
    state.get(name).map(|t| t.cast::<i64>().to_vec()).ok_or_else(|| format!("the tensor {name:?} is missing"))
}

/// A saved hyperparameter parsed from the metadata, or a message naming what is wrong.
pub(crate) fn state_meta<V: std::str::FromStr>(state: &StateDict, key: &str) -> Result<V, String> {
    let text = state.metadata().get(key).ok_or_else(|| format!("the metadata {key:?} is missing"))?;
    text.parse().map_err(|_| format!("the metadata {key:?} = {text:?} does not parse"))
}
