//! Distinct values and counting: `unique` and `bincount`.

use super::total_cmp;
use crate::dtype::{Float, Numeric};
use crate::shape::dims_str;
use crate::Tensor;

/// What [`unique`] returns (`np.unique(x, return_inverse=True, return_counts=True)`).
#[derive(Clone, Debug)]
pub struct Unique<T: Numeric> {
    /// The distinct values, ascending (1-D).
    pub values: Tensor<T>,
    /// How often each distinct value occurs (1-D, same length as `values`).
    pub counts: Tensor<i64>,
    /// For each input element, the position of its value in `values` (the input's shape), so
    /// `values[inverse]` rebuilds the input.
    pub inverse: Tensor<i64>,
}

/// The sorted distinct values of all elements, with their counts and the inverse indices.
/// NaNs are all kept as one value, last (NumPy's `equal_nan=True`).
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let labels = Tensor::from([[2i64, 0], [2, 7]]);
/// let u = stats::unique(&labels);
/// assert_eq!(u.values.to_vec(), vec![0, 2, 7]);
/// assert_eq!(u.counts.to_vec(), vec![1, 2, 1]);
/// assert_eq!(u.inverse.to_vec(), vec![1, 0, 1, 2]);
/// assert_eq!(u.inverse.shape(), &[2, 2]);
/// ```
pub fn unique<T: Numeric>(x: &Tensor<T>) -> Unique<T> {
    let data = x.to_vec();
    let mut order: Vec<usize> = (0..data.len()).collect();
    order.sort_by(|&i, &j| total_cmp(&data[i], &data[j]));
    let same = |a: T, b: T| a == b || (a.is_nan() && b.is_nan());
    let mut values: Vec<T> = Vec::new();
    let mut counts: Vec<i64> = Vec::new();
    let mut inverse = vec![0i64; data.len()];
    for &i in &order {
        match values.last() {
            Some(&last) if same(last, data[i]) => *counts.last_mut().expect("a count per value") += 1,
            _ => {
                values.push(data[i]);
                counts.push(1);
            }
        }
        inverse[i] = values.len() as i64 - 1;
    }
    let n = values.len();
    Unique {
        values: Tensor::from_vec(values, [n]),
        counts: Tensor::from_vec(counts, [n]),
        inverse: Tensor::from_vec(inverse, x.shape()),
    }
}

/// `x` as a dense 1-D tensor (no copy when it already is one), checked for negative values;
/// and the number of bins it needs.
fn check_bins(op: &str, x: &Tensor<i64>, minlength: usize) -> (Tensor<i64>, usize) {
    if x.rank() != 1 {
        panic!("{op}: expects a 1-D tensor of non-negative integers, got shape {}", dims_str(x.shape()));
    }
    let dense = x.contiguous();
    let values = dense.as_slice().expect("contiguous");
    if let Some((i, v)) = values.iter().enumerate().find(|(_, &v)| v < 0) {
        panic!("{op}: values must be non-negative, but element {i} is {v}");
    }
    let bins = values.iter().max().map_or(0, |&m| m as usize + 1).max(minlength);
    (dense, bins)
}

/// How often each of `0, 1, …, max(x)` occurs in the 1-D `x`, padded with zeros to at least
/// `minlength` bins (like `np.bincount`). Panics on negative values.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([1i64, 3, 1, 0]);
/// assert_eq!(stats::bincount(&x, 0).to_vec(), vec![1, 2, 0, 1]);
/// assert_eq!(stats::bincount(&x, 6).to_vec(), vec![1, 2, 0, 1, 0, 0]);
/// ```
pub fn bincount(x: &Tensor<i64>, minlength: usize) -> Tensor<i64> {
    let (dense, bins) = check_bins("bincount", x, minlength);
    let mut counts = vec![0i64; bins];
    for &v in dense.as_slice().expect("contiguous") {
        counts[v as usize] += 1;
    }
    Tensor::from_vec(counts, [bins])
}

/// The sum of `weights` falling in each bin `0, 1, …, max(x)` (like
/// `np.bincount(x, weights)`); `weights` has the shape of `x`.
///
/// ```
/// use kindling_tensor::{stats, Tensor};
/// let x = Tensor::from([1i64, 3, 1]);
/// let w = Tensor::from([0.5f64, 2.0, 0.25]);
/// assert_eq!(stats::bincount_weighted(&x, &w, 0).to_vec(), vec![0.0, 0.75, 0.0, 2.0]);
/// ```
pub fn bincount_weighted<T: Float>(x: &Tensor<i64>, weights: &Tensor<T>, minlength: usize) -> Tensor<T> {
    let (dense, bins) = check_bins("bincount_weighted", x, minlength);
    if weights.shape() != x.shape() {
        panic!(
            "bincount_weighted: weights of shape {} do not match x of shape {}",
            dims_str(weights.shape()),
            dims_str(x.shape())
        );
    }
    let mut sums = vec![T::ZERO; bins];
    for (&v, w) in dense.as_slice().expect("contiguous").iter().zip(weights.to_vec()) {
        sums[v as usize] += w;
    }
    Tensor::from_vec(sums, [bins])
}
