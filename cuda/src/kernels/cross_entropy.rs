//! Cross-entropy forward and backward (`kernels/cross_entropy.cu`).

use super::check_len;
use super::softmax::warp_per_row_config;
use crate::device::{addr, arg, Gpu};
use crate::launch::{to_i32, LaunchConfig};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

/// Versions of cross-entropy (forward and backward come in pairs).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CrossEntropy {
    /// A thread per row.
    V1Naive {
        /// Threads per block.
        block: u32,
    },
    /// A warp per row, online logsumexp.
    V2Warp {
        /// Threads per block (a multiple of 32).
        block: u32,
    },
}

impl CrossEntropy {
    /// Every version at every validated block size.
    pub fn all() -> Vec<CrossEntropy> {
        let mut v: Vec<CrossEntropy> = super::BLOCKS_1D.iter().map(|&block| CrossEntropy::V1Naive { block }).collect();
        v.extend(super::BLOCKS_WARP.iter().map(|&block| CrossEntropy::V2Warp { block }));
        v
    }

    /// The PTX entry points (forward, backward).
    pub fn kernels(self) -> (&'static str, &'static str) {
        match self {
            CrossEntropy::V1Naive { .. } => ("cross_entropy_fwd_v1_naive", "cross_entropy_bwd_v1_naive"),
            CrossEntropy::V2Warp { .. } => ("cross_entropy_fwd_v2_warp", "cross_entropy_bwd_v2_warp"),
        }
    }

    /// Launch configuration for `rows` rows (both directions).
    pub fn config(self, rows: usize) -> LaunchConfig {
        match self {
            CrossEntropy::V1Naive { block } => LaunchConfig::one_d(rows, block),
            CrossEntropy::V2Warp { block } => warp_per_row_config(rows, block),
        }
    }
}

impl fmt::Display for CrossEntropy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CrossEntropy::V1Naive { block } => write!(f, "cross-entropy v1 naive (block {block})"),
            CrossEntropy::V2Warp { block } => write!(f, "cross-entropy v2 warp/row (block {block})"),
        }
    }
}

/// Uploads class labels after checking each lies in `0..classes` (the kernels trust them).
/// Panics naming the first bad label: a bad label is a programming error.
pub fn upload_targets(gpu: &Gpu, targets: &[i32], classes: usize) -> Result<DeviceBuffer<i32>> {
    if let Some((i, &t)) = targets.iter().enumerate().find(|(_, &t)| t < 0 || t as usize >= classes) {
        panic!("cross_entropy: target[{i}] = {t} is outside 0..{classes}");
    }
    gpu.upload(targets)
}

/// `loss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]]`.
pub fn forward(
    gpu: &Gpu,
    version: CrossEntropy,
    logits: &DeviceBuffer<f32>,
    targets: &DeviceBuffer<i32>,
    loss: &mut DeviceBuffer<f32>,
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_len("cross_entropy", "logits", logits, rows * cols);
    check_len("cross_entropy", "targets", targets, rows);
    check_len("cross_entropy", "loss", loss, rows);
    let (pl, pt, po) = (addr(logits), addr(targets), addr(loss));
    let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
    unsafe {
        gpu.launch(
            Family::CrossEntropy,
            version.kernels().0,
            version.config(rows),
            &[arg(&pl), arg(&pt), arg(&po), arg(&r), arg(&c)],
        )
    }
}

/// `dlogits[r, c] = scale * (softmax(logits[r, :])[c] - [c == targets[r]])`; `scale` is the
/// upstream gradient of each row's loss (`1 / rows` for a mean).
pub fn backward(
    gpu: &Gpu,
    version: CrossEntropy,
    logits: &DeviceBuffer<f32>,
    targets: &DeviceBuffer<i32>,
    dlogits: &mut DeviceBuffer<f32>,
    scale: f32,
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_len("cross_entropy_backward", "logits", logits, rows * cols);
    check_len("cross_entropy_backward", "targets", targets, rows);
    check_len("cross_entropy_backward", "dlogits", dlogits, rows * cols);
    let (pl, pt, pg) = (addr(logits), addr(targets), addr(dlogits));
    let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
    unsafe {
        gpu.launch(
            Family::CrossEntropy,
            version.kernels().1,
            version.config(rows),
            &[arg(&pl), arg(&pt), arg(&pg), arg(&scale), arg(&r), arg(&c)],
        )
    }
}
