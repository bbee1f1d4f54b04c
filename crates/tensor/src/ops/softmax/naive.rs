//! Naive softmax: for every lane along the axis, read the values one by one, subtract their
//! maximum, exponentiate, divide by the sum. The maximum changes nothing mathematically
//! (it cancels) but keeps e^x from overflowing for large logits.

use crate::dtype::Float;
use crate::ops::elementwise::naive::for_each_index;
use crate::ops::reduce::naive::kept_shape;
use crate::shape::contiguous_strides;
use crate::tensor::Tensor;

/// Softmax (or log-softmax when `log`) along `axis`.
pub fn softmax<T: Float>(x: &Tensor<T>, axis: usize, log: bool) -> Tensor<T> {
    let strides = contiguous_strides(x.shape());
    let mut out = vec![T::ZERO; x.numel()];
    let n = x.shape()[axis];
    for_each_index(&kept_shape(x.shape(), &[axis]), |idx| {
        let mut at = idx.to_vec();
        let lane: Vec<T> = (0..n)
            .map(|l| {
                at[axis] = l;
                x.get(&at)
            })
            .collect();
        let max = lane.iter().fold(T::NEG_INFINITY, |m, &v| m.max_of(v));
        let sum = lane.iter().fold(T::ZERO, |s, &v| s + (v - max).exp());
        for (l, &v) in lane.iter().enumerate() {
            at[axis] = l;
            let slot: usize = at.iter().zip(&strides).map(|(i, s)| i * s).sum();
            out[slot] = if log { v - max - sum.ln() } else { (v - max).exp() / sum };
        }
    });
    Tensor::from_vec(out, x.shape())
}

/// ln Σ e^x along `axis`, kept as a size-1 axis. A lane of all −∞ gives −∞.
pub fn logsumexp<T: Float>(x: &Tensor<T>, axis: usize) -> Tensor<T> {
    let shape = kept_shape(x.shape(), &[axis]);
    let mut out = Vec::new();
    for_each_index(&shape, |idx| {
        let mut at = idx.to_vec();
        let lane: Vec<T> = (0..x.shape()[axis])
            .map(|l| {
                at[axis] = l;
                x.get(&at)
            })
            .collect();
        let max = lane.iter().fold(T::NEG_INFINITY, |m, &v| m.max_of(v));
        if !max.is_finite() {
            out.push(max);
            return;
        }
        let sum = lane.iter().fold(T::ZERO, |s, &v| s + (v - max).exp());
        out.push(max + sum.ln());
    });
    Tensor::from_vec(out, shape)
}
