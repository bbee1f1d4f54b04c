//! Fast reductions over a contiguous `[outer, len, inner]` block (placeholder loops).

use super::{ArgOp, ReduceOp};
use crate::dtype::Numeric;

/// Reduces the middle axis of the contiguous block `x` of shape `[outer, len, inner]` into
/// `out` of shape `[outer, inner]`.
pub fn reduce<T: Numeric>(op: ReduceOp, x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = op.identity::<T>();
            for l in 0..len {
                acc = op.combine(acc, x[(o * len + l) * inner + i]);
            }
            out[o * inner + i] = acc;
        }
    }
}

/// Like [`reduce`] for max/min, also writing the index along the reduced axis of the first
/// extreme value (a NaN counts as the extreme, as in PyTorch).
#[allow(clippy::too_many_arguments)]
pub fn arg_reduce<T: Numeric>(
    op: ArgOp,
    x: &[T],
    outer: usize,
    len: usize,
    inner: usize,
    values: &mut [T],
    indices: &mut [i64],
) {
    for o in 0..outer {
        for i in 0..inner {
            let (mut best, mut at) = (x[o * len * inner + i], 0usize);
            for l in 1..len {
                let v = x[(o * len + l) * inner + i];
                if op.better(v, best) {
                    best = v;
                    at = l;
                }
            }
            values[o * inner + i] = best;
            indices[o * inner + i] = at as i64;
        }
    }
}

/// Inclusive cumulative sum along the middle axis of `[outer, len, inner]`; `out` has the same
/// shape as `x`.
pub fn cumsum<T: Numeric>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    for o in 0..outer {
        for i in 0..inner {
            let mut acc = T::ZERO;
            for l in 0..len {
                let at = (o * len + l) * inner + i;
                acc += x[at];
                out[at] = acc;
            }
        }
    }
}
