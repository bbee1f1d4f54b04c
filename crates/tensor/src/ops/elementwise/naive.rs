//! Naive elementwise kernels: visit every index of the result in order, read each operand
//! through its strides (index 0 along a broadcast axis), apply the op. One element at a time,
//! one thread, no special cases: the oracle the fast kernels are checked against.

use super::{BinaryOp, UnaryOp};
use crate::dtype::{Float, Numeric};
use crate::shape::broadcast_shapes;
use crate::tensor::Tensor;

/// Calls `f` with every multi-index of `shape`, in row-major order.
pub fn for_each_index(shape: &[usize], mut f: impl FnMut(&[usize])) {
    if shape.contains(&0) {
        return;
    }
    let mut idx = vec![0; shape.len()];
    loop {
        f(&idx);
        // Odometer: bump the last axis, carry into the ones before it.
        let mut axis = shape.len();
        loop {
            if axis == 0 {
                return;
            }
            axis -= 1;
            idx[axis] += 1;
            if idx[axis] < shape[axis] {
                break;
            }
            idx[axis] = 0;
        }
    }
}

/// The index into an operand of shape `dims` that broadcasts to the result index `out_idx`.
pub fn broadcast_index(out_idx: &[usize], dims: &[usize], into: &mut Vec<usize>) {
    let skip = out_idx.len() - dims.len();
    into.clear();
    into.extend(dims.iter().enumerate().map(|(i, &d)| if d == 1 { 0 } else { out_idx[skip + i] }));
}

pub fn unary<T: Float>(op: UnaryOp, x: &Tensor<T>) -> Tensor<T> {
    let mut out = Vec::with_capacity(x.numel());
    for_each_index(x.shape(), |idx| out.push(op.apply(x.get(idx))));
    Tensor::from_vec(out, x.shape())
}

pub fn binary<T: Numeric>(op: BinaryOp, a: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    let shape = broadcast_shapes(op.name(), a.shape(), b.shape());
    let mut out = Vec::with_capacity(shape.iter().product());
    let (mut ia, mut ib) = (Vec::new(), Vec::new());
    for_each_index(&shape, |idx| {
        broadcast_index(idx, a.shape(), &mut ia);
        broadcast_index(idx, b.shape(), &mut ib);
        out.push(op.apply(a.get(&ia), b.get(&ib)));
    });
    Tensor::from_vec(out, shape)
}
