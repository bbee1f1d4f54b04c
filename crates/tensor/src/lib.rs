//! Kindling's tensor: an N-d strided array over shared storage, with a naive and a fast
//! implementation of every kernel family.
//!
//! ```
//! use kindling_tensor::Tensor;
//!
//! let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
//! let b = Tensor::from([[5.0f32, 6.0], [7.0, 8.0]]);
//! assert_eq!(a.matmul(&b).to_vec(), vec![19.0, 22.0, 43.0, 50.0]);
//! assert_eq!((&a + 1.0).sum_all(), 14.0);
//! ```
//!
//! - [`Tensor`] and its views (`reshape`, `permute`, `narrow`, `expand`, ...) share one
//!   buffer; only the layout (shape, strides, offset) differs.
//! - Element types: `f32` (working type), `f64` (gradient checks), `i64`/`i32`/`u8` (labels,
//!   indices, image bytes) and `bool` (masks); see [`Element`].
//! - Every kernel family lives in `src/ops/` as `naive.rs` + `fast.rs`; [`set_kernel_mode`] or
//!   `KINDLING_KERNELS=naive` switches the whole process to the naive kernels.
//! - Shape, axis and type mistakes panic with a message that names the op and the shapes.
//!
//! # What is public
//!
//! - The crate root: everything a model, a loss or a training loop needs ([`Tensor`], the
//!   element types, [`Rng`], [`Shape`] and [`Axes`], the kernel switch, [`Tolerance`]), plus the
//!   modules [`shape`] (axis and broadcasting helpers), [`linalg`], [`stats`] (sorting,
//!   quantiles, covariance, probability distributions), [`conv`], [`pool`] and
//!   [`attention`] (convolution, pooling and attention on plain tensors), [`safetensors`], [`io`] (files written
//!   all-or-nothing) and [`tolerance`].
//! - [`kernel_api`]: buffers, the GEMM, SIMD math and the slice-level fast kernels, for people
//!   who write kernels. Unstable: it follows the kernels' insides.
//! - `testing` (behind the `testing` cargo feature): proptest strategies for strided layouts,
//!   awkward lengths and shape tables, shared by the test suites of every crate.

mod create;
mod device;
mod display;
mod dtype;
mod index;
pub mod io;
pub mod kernel_api;
mod kernels;
/// Dense linear algebra: decompositions, solvers and norms (see [`ops::linalg`]).
pub mod linalg {
    pub use crate::ops::linalg::*;
}
mod ops;
mod random;
mod rearrange;
pub mod safetensors;
pub mod shape;
pub mod stats;
mod storage;
mod tensor;
#[cfg(any(test, feature = "testing"))]
pub mod testing;
pub mod tolerance;
mod view;

/// Scaled dot-product attention on plain tensors (the differentiable version is
/// `kindling_autograd::attention`), with PyTorch's `scaled_dot_product_attention` semantics:
/// boolean and additive masks, causal masking, key padding, dropout on the weights, a custom
/// scale. [`forward`](attention::forward) and [`backward`](attention::backward) are the kernel
/// calls autograd records (naive or fast by the kernel mode).
pub mod attention {
    pub use crate::ops::attention::{
        attention_weights, backward, dropout_keep, forward, weights_backward, AttentionConfig, AttentionForward,
        AttentionGrads, AttentionMask,
    };
}

/// Convolutions on plain tensors, without a graph (the differentiable versions are
/// `kindling_autograd::conv`): 1-D, 2-D and transposed, with PyTorch's options and sizes. Their
/// kernels (naive loops, im2col + GEMM, direct AVX-512) are in [`kernel_api::conv`].
pub mod conv {
    pub use crate::ops::conv::{
        conv1d, conv2d, conv_transpose2d, Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Padding, Padding1d,
    };
}

/// Pooling on plain tensors, without a graph (the differentiable versions are
/// `kindling_autograd::pool`): max and average in one and two dimensions, adaptive average.
/// Their kernels are in [`kernel_api::pool`].
pub mod pool {
    pub use crate::ops::pool::{
        adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, pool_output_len, Pool1dOptions,
        Pool2dOptions,
    };
}

/// Layer normalisation on plain tensors as one fused kernel, forward (returning the per-row
/// mean and rstd) and backward (the differentiable version is `Variable::layer_norm` in
/// `kindling_autograd`). Its kernels are in [`kernel_api::norm`].
pub mod norm {
    pub use crate::ops::norm::{layer_norm, layer_norm_backward, LayerNormForward, LayerNormGrads};
}

/// Recurrent layers on plain tensors (the differentiable version is
/// `kindling_autograd::recurrent`): one RNN, LSTM or GRU layer in one direction over a whole
/// sequence, forward and backpropagation through time, padded batches included.
pub mod recurrent {
    pub use crate::ops::recurrent::{
        backward, fast, forward, CellKind, RecurrentForward, RecurrentGeometry, RecurrentGrads, RecurrentInput,
        RecurrentTape, RecurrentWeights,
    };
}

pub use device::Device;
pub use dtype::{DType, Element, Float, Numeric};
pub use kernels::{kernel_mode, set_kernel_mode, with_kernel_mode, KernelMode, KERNELS_ENV};
pub use random::Rng;
pub use shape::{Axes, Shape};
pub use storage::{cached_buffer_bytes, live_buffers, release_cached_buffers};
pub use tensor::Tensor;
pub use tolerance::{assert_close, Tolerance};
