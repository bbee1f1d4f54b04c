//! Fast elementwise kernels over contiguous slices (placeholder loops; SIMD versions to come).

use super::{BinaryOp, UnaryOp};
use crate::dtype::{Float, Numeric};

/// `out[i] = op(x[i])`. `x` and `out` have the same length.
pub fn unary<T: Float>(op: UnaryOp, x: &[T], out: &mut [T]) {
    for (o, &v) in out.iter_mut().zip(x) {
        *o = op.apply(v);
    }
}

/// `out[i] = op(a[i], b[i])`. All three have the same length.
pub fn binary<T: Numeric>(op: BinaryOp, a: &[T], b: &[T], out: &mut [T]) {
    for ((o, &x), &y) in out.iter_mut().zip(a).zip(b) {
        *o = op.apply(x, y);
    }
}

/// `out[i] = op(a[i], b)`: the right operand is broadcast.
pub fn binary_scalar_rhs<T: Numeric>(op: BinaryOp, a: &[T], b: T, out: &mut [T]) {
    for (o, &x) in out.iter_mut().zip(a) {
        *o = op.apply(x, b);
    }
}

/// `out[i] = op(a, b[i])`: the left operand is broadcast.
pub fn binary_scalar_lhs<T: Numeric>(op: BinaryOp, a: T, b: &[T], out: &mut [T]) {
    for (o, &y) in out.iter_mut().zip(b) {
        *o = op.apply(a, y);
    }
}
