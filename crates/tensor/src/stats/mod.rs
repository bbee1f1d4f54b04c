//! Statistics on tensors: ordering (sort, argsort, top-k, unique, bincount, searchsorted),
//! descriptive statistics (median, quantiles, mode, covariance, correlation, entropy), the
//! special functions they need, and probability [`distributions`] sampled from the explicit
//! seeded [`Rng`](crate::Rng).
//!
//! ```
//! use kindling_tensor::{stats, Tensor};
//!
//! let x = Tensor::from([3.0f64, 1.0, 4.0, 1.0, 5.0]);
//! assert_eq!(stats::sort(&x, 0).to_vec(), vec![1.0, 1.0, 3.0, 4.0, 5.0]);
//! assert_eq!(stats::median(&x, 0).item(), 3.0);
//! assert_eq!(stats::quantile(&x, &[0.25], 0).to_vec(), vec![1.0]);
//! ```
//!
//! Conventions follow NumPy and SciPy so their results can serve as references: quantiles use
//! NumPy's default "linear" method, [`cov`] treats rows as variables like `np.cov`, [`mode`]
//! returns the smallest of tied values like `scipy.stats.mode`, and NaN sorts last. Every
//! function reads any layout (transposed or sliced views included) and returns a contiguous
//! tensor. Axis, shape and argument mistakes panic with the function's name and the shapes.

mod describe;
pub mod distributions;
mod order;
mod radix;
pub mod special;
mod unique;

pub use describe::{corrcoef, cov, entropy, kl_divergence, median, mode, percentile, quantile};
pub use order::{argsort, searchsorted, sort, sort_descending, topk, Side};
pub use unique::{bincount, bincount_weighted, unique, Unique};

use crate::dtype::{Element, Numeric};
use crate::shape::normalize_axis;
use crate::Tensor;
use std::cmp::Ordering;

/// NumPy's sort order: numbers ascending, NaN after everything.
pub(crate) fn total_cmp<T: Numeric>(a: &T, b: &T) -> Ordering {
    match a.partial_cmp(b) {
        Some(o) => o,
        None => a.is_nan().cmp(&b.is_nan()),
    }
}

/// A tensor's elements regrouped as lanes along one axis: `data` holds lanes of `len`
/// elements each, the chosen axis moved last and the other axes kept in order.
pub(crate) struct Lanes<T: Element> {
    pub data: Vec<T>,
    pub len: usize,
    /// The axis, normalised.
    pub axis: usize,
    /// The input's shape without the lane axis (what a reduction along it returns).
    pub reduced_shape: Vec<usize>,
}

impl<T: Element> Lanes<T> {
    pub fn new(op: &str, x: &Tensor<T>, axis: isize) -> Self {
        if x.rank() == 0 {
            panic!("{op}: needs at least one axis, got a scalar (shape [])");
        }
        let a = normalize_axis(op, axis, x.shape());
        let mut order: Vec<isize> = (0..x.rank() as isize).filter(|&i| i != a as isize).collect();
        order.push(a as isize);
        let moved = x.permute(order.as_slice());
        let mut reduced_shape = x.shape().to_vec();
        reduced_shape.remove(a);
        Lanes { data: moved.to_vec(), len: x.shape()[a], axis: a, reduced_shape }
    }

    pub fn lanes(&self) -> impl Iterator<Item = &[T]> {
        // An empty axis still has lanes (each empty); count them from the reduced shape.
        let count: usize = self.reduced_shape.iter().product();
        (0..count).map(move |i| &self.data[i * self.len..(i + 1) * self.len])
    }

    /// Lanes of new values (`new_len` per lane) put back with the lane axis where it was.
    pub fn restore<U: Element>(&self, values: Vec<U>, new_len: usize) -> Tensor<U> {
        let mut moved_shape = self.reduced_shape.clone();
        moved_shape.push(new_len);
        let rank = moved_shape.len();
        // Inverse of "move axis last": the last axis goes back to position `axis`.
        let mut order: Vec<isize> = (0..rank as isize - 1).collect();
        order.insert(self.axis, rank as isize - 1);
        Tensor::from_vec(values, moved_shape).permute(order.as_slice()).contiguous()
    }
}
