//! Naive reductions: visit every input element once, in order, and fold it into the output
//! slot it maps to (its index with the reduced axes set to 0). One thread, any layout.

use super::{ArgOp, ReduceOp};
use crate::dtype::Numeric;
use crate::ops::elementwise::naive::for_each_index;
use crate::shape::contiguous_strides;
use crate::tensor::Tensor;

/// The shape with every axis in `axes` set to 1.
pub fn kept_shape(shape: &[usize], axes: &[usize]) -> Vec<usize> {
    shape.iter().enumerate().map(|(i, &d)| if axes.contains(&i) { 1 } else { d }).collect()
}

/// Reduces `x` over `axes` (sorted, unique); the result keeps them as size-1 axes.
pub fn reduce<T: Numeric>(op: ReduceOp, x: &Tensor<T>, axes: &[usize]) -> Tensor<T> {
    let out_shape = kept_shape(x.shape(), axes);
    let out_strides = contiguous_strides(&out_shape);
    let mut out = vec![op.identity::<T>(); out_shape.iter().product()];
    for_each_index(x.shape(), |idx| {
        let slot: usize =
            idx.iter().enumerate().map(|(i, &v)| if axes.contains(&i) { 0 } else { v * out_strides[i] }).sum();
        out[slot] = op.combine(out[slot], x.get(idx));
    });
    Tensor::from_vec(out, out_shape)
}

/// The extreme value along `axis` and its index (first on ties, NaN wins); both results keep
/// `axis` with size 1.
pub fn arg_reduce<T: Numeric>(op: ArgOp, x: &Tensor<T>, axis: usize) -> (Tensor<T>, Tensor<i64>) {
    let out_shape = kept_shape(x.shape(), &[axis]);
    let (mut values, mut indices) = (Vec::new(), Vec::new());
    for_each_index(&out_shape, |idx| {
        let mut at = idx.to_vec();
        let mut best = x.get(&at);
        let mut best_i = 0;
        for l in 1..x.shape()[axis] {
            at[axis] = l;
            let v = x.get(&at);
            if op.better(v, best) {
                best = v;
                best_i = l;
            }
        }
        values.push(best);
        indices.push(best_i as i64);
    });
    (Tensor::from_vec(values, out_shape.clone()), Tensor::from_vec(indices, out_shape))
}

/// Running sum along `axis`.
pub fn cumsum<T: Numeric>(x: &Tensor<T>, axis: usize) -> Tensor<T> {
    let strides = contiguous_strides(x.shape());
    let mut out = vec![T::ZERO; x.numel()];
    for_each_index(x.shape(), |idx| {
        let slot: usize = idx.iter().zip(&strides).map(|(i, s)| i * s).sum();
        let prev = if idx[axis] > 0 { out[slot - strides[axis]] } else { T::ZERO };
        out[slot] = prev + x.get(idx);
    });
    Tensor::from_vec(out, x.shape())
}
