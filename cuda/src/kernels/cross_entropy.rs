//! Cross-entropy forward and backward (`kernels/cross_entropy.cu`).

use super::check_len;
use super::softmax::warp_per_row_config;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel};
use crate::launch::{to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: CrossEntropy;
    /// v1 forward: a thread per row.
    pub const CROSS_ENTROPY_FWD_V1_NAIVE = cross_entropy_fwd_v1_naive(
        logits: DevicePtr<f32>,
        targets: DevicePtr<i32>,
        loss: DevicePtrMut<f32>,
        rows: i32,
        cols: i32,
    );
    /// v1 backward: a thread per row.
    pub const CROSS_ENTROPY_BWD_V1_NAIVE = cross_entropy_bwd_v1_naive(
        logits: DevicePtr<f32>,
        targets: DevicePtr<i32>,
        dlogits: DevicePtrMut<f32>,
        scale: f32,
        rows: i32,
        cols: i32,
    );
    /// v2 forward: a warp per row, online logsumexp.
    pub const CROSS_ENTROPY_FWD_V2_WARP = cross_entropy_fwd_v2_warp(
        logits: DevicePtr<f32>,
        targets: DevicePtr<i32>,
        loss: DevicePtrMut<f32>,
        rows: i32,
        cols: i32,
    );
    /// v2 backward: a warp per row, online logsumexp, then a coalesced gradient pass.
    pub const CROSS_ENTROPY_BWD_V2_WARP = cross_entropy_bwd_v2_warp(
        logits: DevicePtr<f32>,
        targets: DevicePtr<i32>,
        dlogits: DevicePtrMut<f32>,
        scale: f32,
        rows: i32,
        cols: i32,
    );
}

/// The parameters of the forward kernels: `(logits, targets, loss, rows, cols)`.
pub type ForwardArgs = (DevicePtr<f32>, DevicePtr<i32>, DevicePtrMut<f32>, i32, i32);

/// The parameters of the backward kernels: `(logits, targets, dlogits, scale, rows, cols)`.
pub type BackwardArgs = (DevicePtr<f32>, DevicePtr<i32>, DevicePtrMut<f32>, f32, i32, i32);

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

    /// The kernels (forward, backward).
    pub fn kernels(self) -> (Kernel<ForwardArgs>, Kernel<BackwardArgs>) {
        match self {
            CrossEntropy::V1Naive { .. } => (CROSS_ENTROPY_FWD_V1_NAIVE, CROSS_ENTROPY_BWD_V1_NAIVE),
            CrossEntropy::V2Warp { .. } => (CROSS_ENTROPY_FWD_V2_WARP, CROSS_ENTROPY_BWD_V2_WARP),
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

/// Class labels on the device, each checked to lie in `0..classes` on upload
/// ([`upload_targets`]). The forward kernels read `logits[r, targets[r]]` without a bounds
/// check, so only checked labels may reach them: this type is how [`forward`] knows they were.
pub struct Targets {
    buf: DeviceBuffer<i32>,
    classes: usize,
}

impl Targets {
    /// The labels.
    pub fn buffer(&self) -> &DeviceBuffer<i32> {
        &self.buf
    }

    /// The number of classes every label was checked against.
    pub fn classes(&self) -> usize {
        self.classes
    }

    /// Number of labels.
    pub fn len(&self) -> usize {
        self.buf.len()
    }

    /// Whether there are no labels.
    pub fn is_empty(&self) -> bool {
        self.buf.len() == 0
    }
}

/// Uploads class labels after checking each lies in `0..classes` (the kernels trust them).
/// Panics naming the first bad label: a bad label is a programming error.
pub fn upload_targets(gpu: &Gpu, targets: &[i32], classes: usize) -> Result<Targets> {
    if let Some((i, &t)) = targets.iter().enumerate().find(|(_, &t)| t < 0 || t as usize >= classes) {
        panic!("cross_entropy: target[{i}] = {t} is outside 0..{classes}");
    }
    Ok(Targets { buf: gpu.upload(targets)?, classes })
}

#[track_caller]
fn check_targets(op: &str, targets: &Targets, rows: usize, cols: usize) {
    check_len(op, "targets", targets.buffer(), rows);
    assert!(
        targets.classes() == cols,
        "{op}: targets were checked against {} classes, the logits have {cols} columns",
        targets.classes()
    );
}

/// `loss[r] = logsumexp(logits[r, :]) - logits[r, targets[r]]`.
pub fn forward(
    gpu: &Gpu,
    version: CrossEntropy,
    logits: &DeviceBuffer<f32>,
    targets: &Targets,
    loss: &mut DeviceBuffer<f32>,
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_len("cross_entropy", "logits", logits, rows * cols);
    check_targets("cross_entropy", targets, rows, cols);
    check_len("cross_entropy", "loss", loss, rows);
    let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
    let args = (DevicePtr::of(logits), DevicePtr::of(targets.buffer()), DevicePtrMut::of(loss), r, c);
    // SAFETY: each version handles rows r < rows only (a thread or a warp per row; the others
    // return): it reads logits[r * cols + c] for c < cols and targets[r], writes loss[r], and
    // check_len above made sure logits holds rows * cols floats, targets and loss rows. The
    // label-indexed read logits[r * cols + targets[r]] stays in row r because `Targets` holds
    // only labels checked to lie in 0..classes, and check_targets asserted classes == cols.
    // v2's full-mask shuffles need whole warps: `warp_per_row_config` asserts the block is a
    // multiple of 32.
    unsafe { gpu.launch(version.kernels().0, version.config(rows), args) }
}

/// `dlogits[r, c] = scale * (softmax(logits[r, :])[c] - [c == targets[r]])`; `scale` is the
/// upstream gradient of each row's loss (`1 / rows` for a mean).
pub fn backward(
    gpu: &Gpu,
    version: CrossEntropy,
    logits: &DeviceBuffer<f32>,
    targets: &Targets,
    dlogits: &mut DeviceBuffer<f32>,
    scale: f32,
    rows: usize,
    cols: usize,
) -> Result<()> {
    check_len("cross_entropy_backward", "logits", logits, rows * cols);
    check_targets("cross_entropy_backward", targets, rows, cols);
    check_len("cross_entropy_backward", "dlogits", dlogits, rows * cols);
    let (r, c) = (to_i32("rows", rows), to_i32("cols", cols));
    let args = (DevicePtr::of(logits), DevicePtr::of(targets.buffer()), DevicePtrMut::of(dlogits), scale, r, c);
    // SAFETY: each version handles rows r < rows only and, in a row, reads logits[r * cols + c]
    // and writes dlogits[r * cols + c] for c < cols, and reads targets[r] (the label is only
    // compared with c, never used as an index); check_len above made sure logits and dlogits
    // hold rows * cols floats and targets rows. v2's full-mask shuffles need whole warps:
    // `warp_per_row_config` asserts the block is a multiple of 32.
    unsafe { gpu.launch(version.kernels().1, version.config(rows), args) }
}
