//! Comparing floating-point results: `|actual − expected| ≤ atol + rtol·|expected|`.
//!
//! Tests across the workspace use these named presets instead of magic numbers, and a failure
//! names the first mismatching index with both values.

use crate::dtype::Element;
use crate::shape::{dims_str, unravel_index};
use crate::tensor::Tensor;

/// An absolute plus relative tolerance.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Tolerance {
    pub atol: f64,
    pub rtol: f64,
}

impl Tolerance {
    /// For f64 results that should agree to rounding: exact fixtures, f64 kernels.
    pub const STRICT: Tolerance = Tolerance { atol: 1e-12, rtol: 1e-12 };
    /// For f32 kernels that reorder sums (fast against naive) and short f32 computations.
    pub const DEFAULT: Tolerance = Tolerance { atol: 1e-5, rtol: 1e-5 };
    /// For long f32 accumulations (large matmuls, big reductions) and approximated math.
    pub const RELAXED: Tolerance = Tolerance { atol: 1e-3, rtol: 1e-3 };
    /// For figures printed with 3-4 significant digits (the course notes).
    pub const PRINTED: Tolerance = Tolerance { atol: 1e-3, rtol: 0.0 };

    pub fn new(atol: f64, rtol: f64) -> Self {
        Tolerance { atol, rtol }
    }

    /// Whether `actual` is close enough to `expected`. NaN matches NaN; infinities must be
    /// equal.
    pub fn accepts(&self, actual: f64, expected: f64) -> bool {
        if actual.is_nan() || expected.is_nan() {
            return actual.is_nan() && expected.is_nan();
        }
        if actual.is_infinite() || expected.is_infinite() {
            return actual == expected;
        }
        (actual - expected).abs() <= self.atol + self.rtol * expected.abs()
    }
}

/// The first mismatch, or `None` when every element is within tolerance.
pub fn first_mismatch<T: Element>(actual: &Tensor<T>, expected: &Tensor<T>, tol: Tolerance) -> Option<String> {
    if actual.shape() != expected.shape() {
        return Some(format!("shapes differ: {} vs {}", dims_str(actual.shape()), dims_str(expected.shape())));
    }
    let (a, e) = (actual.to_vec(), expected.to_vec());
    let bad: Vec<usize> = (0..a.len()).filter(|&i| !tol.accepts(a[i].to_f64(), e[i].to_f64())).collect();
    let &i = bad.first()?;
    let idx = unravel_index(i, actual.shape());
    Some(format!(
        "{} of {} elements differ beyond atol {:e} + rtol {:e}; first at index {idx:?}: actual {}, expected {} (diff {:e})",
        bad.len(),
        a.len(),
        tol.atol,
        tol.rtol,
        a[i],
        e[i],
        (a[i].to_f64() - e[i].to_f64()).abs()
    ))
}

/// Panics with the first mismatching index unless `actual` matches `expected` within `tol`.
#[track_caller]
pub fn assert_close<T: Element>(actual: &Tensor<T>, expected: &Tensor<T>, tol: Tolerance) {
    if let Some(msg) = first_mismatch(actual, expected, tol) {
        panic!("assert_close: {msg}");
    }
}

impl<T: Element> Tensor<T> {
    /// Whether every element is within `tol` of `other`'s (same shape required).
    pub fn allclose(&self, other: &Tensor<T>, tol: Tolerance) -> bool {
        first_mismatch(self, other, tol).is_none()
    }
}
