//! Layer norm forward (`kernels/layernorm.cu`).

use super::check_len;
use super::softmax::warp_per_row_config;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel};
use crate::launch::{to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: LayerNorm;
    /// v1: a thread per row, three passes.
    pub const LAYERNORM_V1_NAIVE = layernorm_v1_naive(
        x: DevicePtr<f32>,
        gamma: DevicePtr<f32>,
        beta: DevicePtr<f32>,
        y: DevicePtrMut<f32>,
        mean_out: DevicePtrMut<f32>,
        rstd_out: DevicePtrMut<f32>,
        rows: i32,
        cols: i32,
        eps: f32,
    );
    /// v2: a warp per row, shuffle reductions.
    pub const LAYERNORM_V2_WARP = layernorm_v2_warp(
        x: DevicePtr<f32>,
        gamma: DevicePtr<f32>,
        beta: DevicePtr<f32>,
        y: DevicePtrMut<f32>,
        mean_out: DevicePtrMut<f32>,
        rstd_out: DevicePtrMut<f32>,
        rows: i32,
        cols: i32,
        eps: f32,
    );
}

/// The parameters of both layer norm kernels: `(x, gamma, beta, y, mean_out, rstd_out, rows,
/// cols, eps)`.
pub type LayerNormArgs = (
    DevicePtr<f32>,
    DevicePtr<f32>,
    DevicePtr<f32>,
    DevicePtrMut<f32>,
    DevicePtrMut<f32>,
    DevicePtrMut<f32>,
    i32,
    i32,
    f32,
);

/// Versions of layer norm forward.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LayerNorm {
    /// A thread per row, three passes.
    V1Naive {
        /// Threads per block.
        block: u32,
    },
    /// A warp per row, shuffle reductions.
    V2Warp {
        /// Threads per block (a multiple of 32).
        block: u32,
    },
}

impl LayerNorm {
    /// Every version at every validated block size.
    pub fn all() -> Vec<LayerNorm> {
        let mut v: Vec<LayerNorm> = super::BLOCKS_1D.iter().map(|&block| LayerNorm::V1Naive { block }).collect();
        v.extend(super::BLOCKS_WARP.iter().map(|&block| LayerNorm::V2Warp { block }));
        v
    }

    /// The kernel.
    pub fn kernel(self) -> Kernel<LayerNormArgs> {
        match self {
            LayerNorm::V1Naive { .. } => LAYERNORM_V1_NAIVE,
            LayerNorm::V2Warp { .. } => LAYERNORM_V2_WARP,
        }
    }

    /// Launch configuration for `rows` rows.
    pub fn config(self, rows: usize) -> LaunchConfig {
        match self {
            LayerNorm::V1Naive { block } => LaunchConfig::one_d(rows, block),
            LayerNorm::V2Warp { block } => warp_per_row_config(rows, block),
        }
    }
}

impl fmt::Display for LayerNorm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LayerNorm::V1Naive { block } => write!(f, "layernorm v1 naive (block {block})"),
            LayerNorm::V2Warp { block } => write!(f, "layernorm v2 warp/row (block {block})"),
        }
    }
}

/// The device buffers of a layer norm forward over `[rows, cols]`.
pub struct LayerNormBuffers<'a> {
    /// Input `[rows, cols]`.
    pub x: &'a DeviceBuffer<f32>,
    /// Scale `[cols]`.
    pub gamma: &'a DeviceBuffer<f32>,
    /// Shift `[cols]`.
    pub beta: &'a DeviceBuffer<f32>,
    /// Output `[rows, cols]`.
    pub y: &'a mut DeviceBuffer<f32>,
    /// Per-row mean `[rows]`.
    pub mean: &'a mut DeviceBuffer<f32>,
    /// Per-row `1 / sqrt(var + eps)` `[rows]`.
    pub rstd: &'a mut DeviceBuffer<f32>,
}

/// `y = (x - mean) * rstd * gamma + beta` per row, also writing `mean` and `rstd`.
pub fn forward(
    gpu: &Gpu,
    version: LayerNorm,
    bufs: LayerNormBuffers<'_>,
    rows: usize,
    cols: usize,
    eps: f32,
) -> Result<()> {
    check_len("layernorm", "x", bufs.x, rows * cols);
    check_len("layernorm", "y", bufs.y, rows * cols);
    check_len("layernorm", "gamma", bufs.gamma, cols);
    check_len("layernorm", "beta", bufs.beta, cols);
    check_len("layernorm", "mean", bufs.mean, rows);
    check_len("layernorm", "rstd", bufs.rstd, rows);
    let args = (
        DevicePtr::of(bufs.x),
        DevicePtr::of(bufs.gamma),
        DevicePtr::of(bufs.beta),
        DevicePtrMut::of(bufs.y),
        DevicePtrMut::of(bufs.mean),
        DevicePtrMut::of(bufs.rstd),
        to_i32("rows", rows),
        to_i32("cols", cols),
        eps,
    );
    // SAFETY: each version handles rows r < rows only (a thread or a warp per row; the others
    // return): it reads x[r * cols + c], gamma[c], beta[c] and writes y[r * cols + c] for
    // c < cols, and mean[r], rstd[r]; check_len above made sure x and y hold rows * cols
    // floats, gamma and beta cols, mean and rstd rows. v2's full-mask shuffles need whole
    // warps: `warp_per_row_config` asserts the block is a multiple of 32.
    unsafe { gpu.launch(version.kernel(), version.config(rows), args) }
}
