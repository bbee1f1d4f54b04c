//! Building blocks for people who write kernels: **unstable**, and may change in any release.
//!
//! A model or a training loop never needs this module: [`Tensor`](crate::Tensor)'s methods and
//! the items at the crate root cover them. It exists for code that works below the tensor, on
//! raw slices: a convolution lowered onto the GEMM, a fused layer that calls the fast
//! elementwise kernels, a benchmark. Everything here is re-exported from where it lives inside
//! the crate, so its path can stay put while the insides move.
//!
//! - buffers: [`zeroed_buffer`], [`uninit_buffer`] (the cache-aware allocations every op uses),
//!   [`recycle_buffer`] (a kernel's scratch back to the cache);
//! - element types: [`downcast_slice`], [`downcast_slice_mut`] (take an f32 path inside a generic
//!   kernel without `unsafe`);
//! - matrix products: [`gemm`] (the fast GEMM) on [`MatRef`] strided views, [`naive_gemm`];
//! - SIMD: [`SimdFloat`] and [`math`] (branch-free exp, ln, tanh, sigmoid, erf and their AVX-512
//!   twins), [`level`] and [`with_level`] (the dispatched instruction set);
//! - threads: [`par_chunks_mut`], [`threads_for`] and the thresholds behind them;
//! - the fast kernels on contiguous slices: [`elementwise`], [`reduce`], [`softmax`], [`norm`];
//! - the convolution and pooling families below their tensor-level API: [`conv`], [`pool`]
//!   (resolved geometries, each pass as a kernel call, the naive/fast/direct versions).

pub use crate::dtype::{downcast_slice, downcast_slice_mut};
pub use crate::ops::elementwise::{map, unary_op, zip3_map, zip_map, BinaryOp, UnaryOp};
pub use crate::ops::matmul::fast::{gemm, PACKED_MIN_MACS, THREAD_MIN_MACS};
pub use crate::ops::matmul::naive::gemm as naive_gemm;
pub use crate::ops::matmul::MatRef;
pub use crate::ops::reduce::{ArgOp, ReduceOp};
pub use crate::ops::simd::{
    level, math, par_chunks_mut, threads_for, with_level, Level, SimdFloat, PAR_THRESHOLD, SIMD_ENV,
};
pub use crate::ops::walk::{RowWalk, PARALLEL_MIN_ELEMENTS};
pub use crate::shape::{coalesce, contiguous_strides, Layout, StridedOffsets};
pub use crate::storage::{recycle_buffer, uninit_buffer, zeroed_buffer, HUGE_PAGE_MIN_BYTES};

/// Fast elementwise kernels on contiguous slices (no broadcasting, no views), and the
/// tensor-level op that broadcasts first.
pub mod elementwise {
    pub use crate::ops::elementwise::binary_op;
    pub use crate::ops::elementwise::fast::{
        binary, binary_into, binary_scalar_lhs, binary_scalar_lhs_into, binary_scalar_rhs, binary_scalar_rhs_into,
        unary,
    };
}

/// Fast reductions over the middle axis of a contiguous `[outer, len, inner]` block.
pub mod reduce {
    pub use crate::ops::reduce::fast::{arg_reduce, cumsum, reduce};
}

/// Fast softmax, log-softmax and logsumexp over the middle axis of `[outer, len, inner]`.
pub mod softmax {
    pub use crate::ops::softmax::fast::{logsumexp, softmax};
}

/// Layer normalisation's kernels on contiguous `[rows, n]` slices: the `naive` oracle and the
/// `fast` row-parallel version.
pub mod norm {
    pub use crate::ops::norm::{fast, naive};
}

/// Convolution below [`crate::conv`]: a resolved [`ConvGeometry`](conv::ConvGeometry), the three
/// passes as tensor-level kernel calls (what autograd records), and the `naive`, `fast` and
/// `direct` kernel sets on slices.
pub mod conv {
    pub use crate::ops::conv::{
        add_channel_bias, backward_input, backward_weight, channel_sums, check_bias, direct, fast, forward, naive,
        ConvGeometry,
    };
}

/// Pooling below [`crate::pool`]: resolved geometries, forward and backward kernel calls, and
/// the `naive` and `fast` kernel sets on slices.
pub mod pool {
    pub use crate::ops::pool::{
        adaptive_avg_backward, avg_backward, avg_forward, fast, max_backward, max_forward, naive, AdaptiveGeometry,
        PoolGeometry,
    };
}

/// Every f32 GEMM version of the matmul catalogue, for the benches, the `kindling bench` table
/// and chapter 1; not an API.
#[doc(hidden)]
pub use crate::ops::matmul::fast::versions;
