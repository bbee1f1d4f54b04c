//! Fast attention (being written): for now the naive kernels.

use super::{naive, AttentionForward, AttentionGrads, Problem};
use crate::{Float, Tensor};

/// The forward pass.
pub(crate) fn forward<T: Float>(p: &Problem<T>) -> AttentionForward<T> {
    naive::forward(p)
}

/// The backward pass.
pub(crate) fn backward<T: Float>(p: &Problem<T>, _fwd: &AttentionForward<T>, d_out: &Tensor<T>) -> AttentionGrads<T> {
    naive::backward(p, d_out)
}
