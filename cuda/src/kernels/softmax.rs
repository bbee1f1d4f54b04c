//! Softmax and log-softmax over rows (`kernels/softmax.cu`).

use super::check_len;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel};
use crate::launch::{ceil_div, to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Softmax;
    /// v1 softmax: a thread per row, three passes.
    pub const SOFTMAX_V1_NAIVE = softmax_v1_naive(x: DevicePtr<f32>, y: DevicePtrMut<f32>, rows: i32, cols: i32);
    /// v1 log-softmax: a thread per row, three passes.
    pub const LOG_SOFTMAX_V1_NAIVE =
        log_softmax_v1_naive(x: DevicePtr<f32>, y: DevicePtrMut<f32>, rows: i32, cols: i32);
    /// v2 softmax: a warp per row, online (max, sum).
    pub const SOFTMAX_V2_ONLINE_WARP =
        softmax_v2_online_warp(x: DevicePtr<f32>, y: DevicePtrMut<f32>, rows: i32, cols: i32);
    /// v2 log-softmax: a warp per row, online (max, sum).
    pub const LOG_SOFTMAX_V2_ONLINE_WARP =
        log_softmax_v2_online_warp(x: DevicePtr<f32>, y: DevicePtrMut<f32>, rows: i32, cols: i32);
}

/// The parameters every softmax kernel takes: `(x, y, rows, cols)`.
pub type SoftmaxArgs = (DevicePtr<f32>, DevicePtrMut<f32>, i32, i32);

/// Versions of the row softmax.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Softmax {
    /// A thread per row, three passes.
    V1Naive {
        /// Threads per block.
        block: u32,
    },
    /// A warp per row, online max and sum in one pass, then a write pass.
    V2OnlineWarp {
        /// Threads per block (a multiple of 32: `block / 32` rows per block).
        block: u32,
    },
}

impl Softmax {
    /// Every version at every validated block size.
    pub fn all() -> Vec<Softmax> {
        let mut v: Vec<Softmax> = super::BLOCKS_1D.iter().map(|&block| Softmax::V1Naive { block }).collect();
        v.extend(super::BLOCKS_WARP.iter().map(|&block| Softmax::V2OnlineWarp { block }));
        v
    }

    /// The kernel, for softmax or (when `log`) log-softmax.
    pub fn kernel(self, log: bool) -> Kernel<SoftmaxArgs> {
        match (self, log) {
            (Softmax::V1Naive { .. }, false) => SOFTMAX_V1_NAIVE,
            (Softmax::V1Naive { .. }, true) => LOG_SOFTMAX_V1_NAIVE,
            (Softmax::V2OnlineWarp { .. }, false) => SOFTMAX_V2_ONLINE_WARP,
            (Softmax::V2OnlineWarp { .. }, true) => LOG_SOFTMAX_V2_ONLINE_WARP,
        }
    }

    /// Launch configuration for `rows` rows.
    pub fn config(self, rows: usize) -> LaunchConfig {
        match self {
            Softmax::V1Naive { block } => LaunchConfig::one_d(rows, block),
            Softmax::V2OnlineWarp { block } => warp_per_row_config(rows, block),
        }
    }
}

/// A warp per row: `block / 32` rows per block.
pub fn warp_per_row_config(rows: usize, block: u32) -> LaunchConfig {
    assert!(block >= 32 && block.is_multiple_of(32), "warp-per-row kernel: block {block} is not a multiple of 32");
    let rows_per_block = (block / 32) as usize;
    let mut cfg = LaunchConfig::one_d(1, block);
    cfg.grid.0 = ceil_div(rows.max(1), rows_per_block) as u32;
    cfg
}

impl fmt::Display for Softmax {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Softmax::V1Naive { block } => write!(f, "softmax v1 naive (block {block})"),
            Softmax::V2OnlineWarp { block } => write!(f, "softmax v2 online warp/row (block {block})"),
        }
    }
}

/// `y = softmax(x)` (or log-softmax when `log`) over each row of `[rows, cols]`.
pub fn softmax(
    gpu: &Gpu,
    version: Softmax,
    log: bool,
    x: &DeviceBuffer<f32>,
    y: &mut DeviceBuffer<f32>,
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_len("softmax", "x", x, rows * cols);
    check_len("softmax", "y", y, rows * cols);
    let args = (DevicePtr::of(x), DevicePtrMut::of(y), to_i32("rows", rows), to_i32("cols", cols));
    // SAFETY: each version handles rows r < rows only (a thread or a warp per row; the others
    // return) and reads x[r * cols + c], writes y[r * cols + c] for c < cols only, and
    // check_len above made sure x and y hold rows * cols floats. v2's full-mask shuffles need
    // whole warps: `warp_per_row_config` asserts the block is a multiple of 32, and a warp
    // leaves together (its row index is the same in all 32 lanes).
    unsafe { gpu.launch(version.kernel(log), version.config(rows), args) }
}
