//! Scaled dot-product attention (`kernels/attention.cu`).

use super::check_len;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut};
use crate::launch::{ceil_div, to_i32, LaunchConfig, MAX_GRID_YZ};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Attention;
    /// v1, first kernel: `P = Q K^T * scale` (masked to -inf above the diagonal when causal).
    pub const ATTN_V1_SCORES = attn_v1_scores(
        Q: DevicePtr<f32>,
        K: DevicePtr<f32>,
        P: DevicePtrMut<f32>,
        BH: i32,
        S: i32,
        D: i32,
        scale: f32,
        causal: i32,
    );
    /// v1, second kernel: softmax of each row of `P`, in place.
    pub const ATTN_V1_SOFTMAX = attn_v1_softmax(P: DevicePtrMut<f32>, rows: i32, S: i32);
    /// v1, third kernel: `O = P V`.
    pub const ATTN_V1_PV =
        attn_v1_pv(P: DevicePtr<f32>, V: DevicePtr<f32>, O: DevicePtrMut<f32>, BH: i32, S: i32, D: i32);
    /// v2, 4 query rows (warps) per block.
    pub const ATTN_V2_FLASH_W4 = attn_v2_flash_w4(
        Q: DevicePtr<f32>,
        K: DevicePtr<f32>,
        V: DevicePtr<f32>,
        O: DevicePtrMut<f32>,
        S: i32,
        D: i32,
        scale: f32,
        causal: i32,
    );
    /// v2, 8 query rows (warps) per block.
    pub const ATTN_V2_FLASH_W8 = attn_v2_flash_w8(
        Q: DevicePtr<f32>,
        K: DevicePtr<f32>,
        V: DevicePtr<f32>,
        O: DevicePtrMut<f32>,
        S: i32,
        D: i32,
        scale: f32,
        causal: i32,
    );
}

/// The largest head dimension the flash kernels take.
pub const FLASH_MAX_D: usize = 128;

/// Sizes of an attention problem: `bh` independent `[s, d]` heads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AttentionShape {
    /// Batch x heads.
    pub bh: usize,
    /// Sequence length.
    pub s: usize,
    /// Head dimension.
    pub d: usize,
    /// Whether query i only sees keys `0..=i`.
    pub causal: bool,
}

impl AttentionShape {
    /// Values in each of Q, K, V and O.
    pub fn len(&self) -> usize {
        self.bh * self.s * self.d
    }

    /// Whether the problem is empty.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `4 * bh * s^2 * d` (QK^T and PV, full square even when causal).
    pub fn flops(&self) -> f64 {
        4.0 * (self.bh * self.s * self.s * self.d) as f64
    }

    /// The softmax scale, `1 / sqrt(d)`.
    pub fn scale(&self) -> f32 {
        1.0 / (self.d as f32).sqrt()
    }
}

/// Versions of attention.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Attention {
    /// Scores, softmax and P.V as three kernels over an `[bh, s, s]` buffer.
    V1Naive {
        /// Threads per block of each of the three kernels.
        block: u32,
    },
    /// Tiled online softmax, a warp per query row, `warps` rows per block (4 or 8).
    V2Flash {
        /// Warps (query rows) per block: 4 or 8.
        warps: u32,
    },
}

impl Attention {
    /// Every version at every validated configuration.
    pub fn all() -> Vec<Attention> {
        vec![
            Attention::V1Naive { block: 128 },
            Attention::V1Naive { block: 256 },
            Attention::V2Flash { warps: 4 },
            Attention::V2Flash { warps: 8 },
        ]
    }

    /// Scratch values the version needs ([`attention`]'s `workspace`).
    pub fn workspace_len(self, shape: &AttentionShape) -> usize {
        match self {
            Attention::V1Naive { .. } => shape.bh * shape.s * shape.s,
            Attention::V2Flash { .. } => 0,
        }
    }

    /// Launch configuration of the flash kernel.
    pub fn flash_config(warps: u32, shape: &AttentionShape) -> LaunchConfig {
        assert!(warps == 4 || warps == 8, "attention v2: {warps} warps per block has no kernel (4 or 8)");
        assert!(shape.bh <= MAX_GRID_YZ as usize, "attention v2: bh = {} exceeds grid.y's {MAX_GRID_YZ}", shape.bh);
        LaunchConfig {
            grid: (ceil_div(shape.s.max(1), warps as usize) as u32, shape.bh.max(1) as u32, 1),
            block: (warps * 32, 1, 1),
            shared_bytes: 0,
        }
    }
}

impl fmt::Display for Attention {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Attention::V1Naive { block } => write!(f, "attention v1 naive 3 kernels (block {block})"),
            Attention::V2Flash { warps } => write!(f, "attention v2 flash, warp/row ({warps} rows/block)"),
        }
    }
}

/// `o = softmax(q k^T / sqrt(d) [+ mask]) v` per head; `workspace` must hold
/// [`Attention::workspace_len`] values.
#[allow(clippy::too_many_arguments)]
pub fn attention(
    gpu: &Gpu,
    version: Attention,
    shape: &AttentionShape,
    q: &DeviceBuffer<f32>,
    k: &DeviceBuffer<f32>,
    v: &DeviceBuffer<f32>,
    o: &mut DeviceBuffer<f32>,
    workspace: &mut DeviceBuffer<f32>,
) -> Result<()> {
    for (what, buf) in [("q", q), ("k", k), ("v", v), ("o", &*o)] {
        check_len("attention", what, buf, shape.len());
    }
    if shape.is_empty() {
        // Nothing to write. (The flash grid always has a row of blocks, which with bh = 0 would
        // read head 0 of buffers that hold nothing.)
        return Ok(());
    }
    let (bh, s, d) = (to_i32("bh", shape.bh), to_i32("s", shape.s), to_i32("d", shape.d));
    let (scale, causal) = (shape.scale(), shape.causal as i32);
    match version {
        Attention::V1Naive { block } => {
            check_len("attention", "workspace", workspace, version.workspace_len(shape));
            let p = DevicePtrMut::of(workspace);
            let rows = to_i32("rows", shape.bh * shape.s);
            let scores = (DevicePtr::of(q), DevicePtr::of(k), p, bh, s, d, scale, causal);
            // SAFETY: thread idx < bh * s * s (its `if (idx >= total) return`) writes P[idx]
            // and reads row (b, i) and row (b, j) of Q and K, d floats each, with b < bh and
            // i, j < s; check_len above made sure the workspace holds bh * s * s floats and
            // Q and K bh * s * d.
            unsafe { gpu.launch(ATTN_V1_SCORES, LaunchConfig::one_d(shape.bh * shape.s * shape.s, block), scores)? };
            // SAFETY: thread r < rows = bh * s (its `if (r >= rows) return`) rewrites the s
            // floats of row r of P, inside the bh * s * s floats check_len found.
            unsafe { gpu.launch(ATTN_V1_SOFTMAX, LaunchConfig::one_d(shape.bh * shape.s, block), (p, rows, s))? };
            let pv = (p.as_const(), DevicePtr::of(v), DevicePtrMut::of(o), bh, s, d);
            // SAFETY: thread idx < bh * s * d (its `if (idx >= total) return`) writes O[idx]
            // and reads row (b, i) of P (s floats) and column d of head b of V (s floats,
            // stride d), with b < bh, i < s; check_len above made sure O and V hold
            // bh * s * d floats and P bh * s * s.
            unsafe { gpu.launch(ATTN_V1_PV, LaunchConfig::one_d(shape.len(), block), pv) }
        }
        Attention::V2Flash { warps } => {
            assert!(shape.d <= FLASH_MAX_D, "attention v2: head dim {} exceeds {FLASH_MAX_D}", shape.d);
            let kernel = if warps == 4 { ATTN_V2_FLASH_W4 } else { ATTN_V2_FLASH_W8 };
            let cfg = Attention::flash_config(warps, shape);
            let args = (DevicePtr::of(q), DevicePtr::of(k), DevicePtr::of(v), DevicePtrMut::of(o), s, d, scale, causal);
            // SAFETY: block (x, b) has b < grid.y = bh and touches only head b of Q, K, V and
            // O (bh * s * d floats each, checked above): query rows i < s (`active`), key
            // rows j < s (`ok`, `j < S`), columns below d. Its shared tiles are sized for
            // d <= FLASH_MAX_D (asserted above) and for W query rows, and `flash_config`
            // launches W * 32 threads for the W of the kernel chosen here (4 or 8, asserted).
            unsafe { gpu.launch(kernel, cfg, args) }
        }
    }
}
