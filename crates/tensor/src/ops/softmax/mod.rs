//! Softmax, log-softmax and logsumexp along one axis, computed stably (the max is subtracted
//! before exponentiating, so large logits do not overflow).

pub mod fast;
pub mod naive;

use crate::dtype::Float;
use crate::ops::reduce::{as_block, reduced_shape};
use crate::shape::{normalize_axes, normalize_axis, Axes};
use crate::storage::zeroed_buffer;
use crate::tensor::Tensor;

fn softmax_op<T: Float>(x: &Tensor<T>, axis: isize, log: bool) -> Tensor<T> {
    let a = normalize_axis(if log { "log_softmax" } else { "softmax" }, axis, x.shape());
    if !crate::kernels::use_fast() {
        return naive::softmax(x, a, log);
    }
    let b = as_block(x, &[a]);
    let mut out = zeroed_buffer(x.numel());
    fast::softmax(b.data.as_slice().expect("contiguous"), b.outer, b.len, b.inner, &mut out, log);
    Tensor::from_vec(out, x.shape())
}

impl<T: Float> Tensor<T> {
    /// e^x / Σ e^x along `axis`: each lane becomes a probability distribution.
    pub fn softmax(&self, axis: isize) -> Tensor<T> {
        softmax_op(self, axis, false)
    }

    /// ln softmax(x) along `axis`, computed as x − max − ln Σ e^(x − max) (never ln of 0).
    pub fn log_softmax(&self, axis: isize) -> Tensor<T> {
        softmax_op(self, axis, true)
    }

    /// ln Σ e^x over `axes`, stable for large values; a lane of all −∞ gives −∞.
    pub fn logsumexp(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        let axes = normalize_axes("logsumexp", &axes.into(), self.shape());
        let shape = reduced_shape(self.shape(), &axes, keepdim);
        // Several axes are merged into one lane first; a lane is all the reduction needs.
        let b = as_block(self, &axes);
        if !crate::kernels::use_fast() {
            let lanes = b.data.reshape(&[b.outer, b.len, b.inner][..]);
            return naive::logsumexp(&lanes, 1).reshape(shape);
        }
        let mut out = zeroed_buffer(b.outer * b.inner);
        fast::logsumexp(b.data.as_slice().expect("contiguous"), b.outer, b.len, b.inner, &mut out);
        Tensor::from_vec(out, shape)
    }
}
