//! Layer norm forward (`kernels/layernorm.cu`).

use super::check_len;
use super::softmax::warp_per_row_config;
use crate::device::{addr, arg, Gpu};
use crate::launch::{to_i32, LaunchConfig};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

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

    /// The PTX entry point.
    pub fn kernel(self) -> &'static str {
        match self {
            LayerNorm::V1Naive { .. } => "layernorm_v1_naive",
            LayerNorm::V2Warp { .. } => "layernorm_v2_warp",
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
    let ptrs = [addr(bufs.x), addr(bufs.gamma), addr(bufs.beta), addr(bufs.y), addr(bufs.mean), addr(bufs.rstd)];
    let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
    let mut args: Vec<_> = ptrs.iter().map(arg).collect();
    args.extend([arg(&r), arg(&c), arg(&eps)]);
    unsafe { gpu.launch(Family::LayerNorm, version.kernel(), version.config(rows), &args) }
}
