//! Plumbing shared by AdaBoost and gradient boosting: input checks, label codes, row-wise
//! softmax, seeded subsampling and saving a list of trees inside one model file.

pub(crate) use crate::input::{argmax_rows, matrix, state_i64, state_meta};
use crate::ClassicError;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

/// Panics unless `x` is `[samples, fitted]`.
pub(crate) fn check_features(op: &str, fitted: usize, x: &Tensor<f64>) {
    assert!(x.rank() == 2, "{op}: x must be [samples, features], got shape {:?}", x.shape());
    let given = x.shape()[1];
    assert!(fitted == given, "{op}: fitted on {fitted} features but x has {given}");
}

/// The checks every boosting `fit` makes before touching the data: one target per row (a
/// panic), then at least one row, finite values and sensible weights (errors).
pub(crate) fn check_fit_input(
    name: &'static str,
    x: &Tensor<f64>,
    targets: usize,
    sample_weight: Option<&[f64]>,
) -> Result<(), ClassicError> {
    let (values, rows, cols) = matrix(&format!("{name}::fit"), x);
    assert!(rows == targets, "{name}::fit: x has {rows} rows but y has {targets} values");
    if let Some(w) = sample_weight {
        assert!(w.len() == rows, "{name}::fit: x has {rows} rows but sample_weight has {} values", w.len());
        if let Some(bad) = w.iter().position(|v| !v.is_finite() || *v < 0.0) {
            return Err(ClassicError::data(
                name,
                format!("sample_weight[{bad}] is {}; weights must be finite and non-negative", w[bad]),
            ));
        }
        if w.iter().sum::<f64>() <= 0.0 {
            return Err(ClassicError::data(name, "sample_weight sums to zero; give some rows a positive weight"));
        }
    }
    if rows == 0 {
        return Err(ClassicError::data(name, "x has no rows; fit needs at least one sample"));
    }
    if let Some(at) = values.iter().position(|v| !v.is_finite()) {
        return Err(ClassicError::data(
            name,
            format!(
                "x holds {} at row {}, column {}; impute or drop missing values first",
                values[at],
                at / cols.max(1),
                at % cols.max(1)
            ),
        ));
    }
    Ok(())
}

/// `Err` unless `value` is finite and strictly positive.
pub(crate) fn check_positive(name: &'static str, param: &'static str, value: f64) -> Result<(), ClassicError> {
    if value.is_finite() && value > 0.0 {
        Ok(())
    } else {
        Err(ClassicError::param(name, param, format!("must be a positive number, got {value}")))
    }
}

/// The sorted distinct labels and each row's position among them; `Err` for fewer than two.
pub(crate) fn encode_classes(name: &'static str, y: &[i64]) -> Result<(Vec<i64>, Vec<usize>), ClassicError> {
    let mut classes = y.to_vec();
    classes.sort_unstable();
    classes.dedup();
    if classes.len() < 2 {
        return Err(ClassicError::data(
            name,
            format!("y holds a single class ({:?}); a classifier needs at least two", classes.first()),
        ));
    }
    let codes = y.iter().map(|label| classes.binary_search(label).expect("label is a class")).collect();
    Ok((classes, codes))
}

/// Softmax of each row of `values` (`cols` wide), in place, computed around the row maximum.
pub(crate) fn softmax_rows(values: &mut [f64], cols: usize) {
    for row in values.chunks_mut(cols) {
        let top = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let mut total = 0.0;
        for v in row.iter_mut() {
            *v = (*v - top).exp();
            total += *v;
        }
        row.iter_mut().for_each(|v| *v /= total);
    }
}

/// A mask with exactly `chosen` of `rows` set, drawn without replacement.
pub(crate) fn sample_mask(rows: usize, chosen: usize, rng: &mut Rng) -> Vec<bool> {
    let mut order: Vec<usize> = (0..rows).collect();
    for i in 0..chosen.min(rows) {
        let j = i + rng.below((rows - i) as u64) as usize;
        order.swap(i, j);
    }
    let mut mask = vec![false; rows];
    order[..chosen.min(rows)].iter().for_each(|&i| mask[i] = true);
    mask
}

/// Copies `inner` (tensors and metadata) into `outer` under `prefix.`.
pub(crate) fn nest_state(outer: &mut StateDict, prefix: &str, inner: &StateDict) {
    for (name, tensor) in inner.iter() {
        outer.insert(format!("{prefix}.{name}"), tensor.clone());
    }
    for (key, value) in inner.metadata() {
        outer.set_metadata(format!("{prefix}.{key}"), value.clone());
    }
}

/// The part of `outer` that [`nest_state`] put under `prefix.`, metadata included.
pub(crate) fn unnest_state(outer: &StateDict, prefix: &str) -> StateDict {
    let mut inner = outer.sub(prefix);
    let dotted = format!("{prefix}.");
    for (key, value) in outer.metadata() {
        if let Some(rest) = key.strip_prefix(&dotted) {
            inner.set_metadata(rest, value.clone());
        }
    }
    inner
}

/// A saved f64 tensor's values, or a message naming what is missing.
pub(crate) fn state_f64(state: &StateDict, name: &str) -> Result<Vec<f64>, String> {
    state.get(name).map(|t| t.cast::<f64>().to_vec()).ok_or_else(|| format!("the tensor {name:?} is missing"))
}
