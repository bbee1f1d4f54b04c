//! Scaled dot-product attention (`kernels/attention.cu`).

use super::check_len;
use crate::device::{addr, arg, Gpu};
use crate::launch::{ceil_div, to_i32, LaunchConfig, MAX_GRID_YZ};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

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
    let (pq, pk, pv, po) = (addr(q), addr(k), addr(v), addr(o));
    let (bh, s, d) = (to_i32("bh", shape.bh), to_i32("s", shape.s), to_i32("d", shape.d));
    let (scale, causal) = (shape.scale(), shape.causal as i32);
    match version {
        Attention::V1Naive { block } => {
            check_len("attention", "workspace", workspace, version.workspace_len(shape));
            let pp = addr(workspace);
            let rows = to_i32("rows", shape.bh * shape.s);
            unsafe {
                gpu.launch(
                    Family::Attention,
                    "attn_v1_scores",
                    LaunchConfig::one_d(shape.bh * shape.s * shape.s, block),
                    &[arg(&pq), arg(&pk), arg(&pp), arg(&bh), arg(&s), arg(&d), arg(&scale), arg(&causal)],
                )?;
                gpu.launch(
                    Family::Attention,
                    "attn_v1_softmax",
                    LaunchConfig::one_d(shape.bh * shape.s, block),
                    &[arg(&pp), arg(&rows), arg(&s)],
                )?;
                gpu.launch(
                    Family::Attention,
                    "attn_v1_pv",
                    LaunchConfig::one_d(shape.len(), block),
                    &[arg(&pp), arg(&pv), arg(&po), arg(&bh), arg(&s), arg(&d)],
                )
            }
        }
        Attention::V2Flash { warps } => {
            assert!(shape.d <= FLASH_MAX_D, "attention v2: head dim {} exceeds {FLASH_MAX_D}", shape.d);
            let kernel = if warps == 4 { "attn_v2_flash_w4" } else { "attn_v2_flash_w8" };
            unsafe {
                gpu.launch(
                    Family::Attention,
                    kernel,
                    Attention::flash_config(warps, shape),
                    &[arg(&pq), arg(&pk), arg(&pv), arg(&po), arg(&s), arg(&d), arg(&scale), arg(&causal)],
                )
            }
        }
    }
}
