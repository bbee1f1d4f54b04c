//! Sum reduction (`kernels/reduce.cu`).

use super::check_len;
use crate::device::{addr, arg, Gpu};
use crate::launch::{ceil_div, to_i32, LaunchConfig};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

/// Resident blocks per SM the grid-stride versions aim for.
pub const BLOCKS_PER_SM: usize = 4;

/// Versions of the sum.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sum {
    /// One `atomicAdd` per element.
    V1Atomic {
        /// Threads per block.
        block: u32,
    },
    /// Grid-stride partials, shared-memory tree, one atomic per block (block a power of two).
    V2SharedTree {
        /// Threads per block.
        block: u32,
    },
    /// `float4` grid-stride partials, warp-shuffle block reduction, one atomic per block.
    V3WarpShuffle {
        /// Threads per block.
        block: u32,
    },
}

impl Sum {
    /// Every version at every validated block size.
    pub fn all() -> Vec<Sum> {
        let blocks = super::BLOCKS_1D;
        let mut v: Vec<Sum> = blocks.iter().map(|&block| Sum::V1Atomic { block }).collect();
        v.extend(blocks.iter().map(|&block| Sum::V2SharedTree { block }));
        v.extend(blocks.iter().map(|&block| Sum::V3WarpShuffle { block }));
        v
    }

    /// The PTX entry point.
    pub fn kernel(self) -> &'static str {
        match self {
            Sum::V1Atomic { .. } => "sum_v1_atomic",
            Sum::V2SharedTree { .. } => "sum_v2_shared_tree",
            Sum::V3WarpShuffle { .. } => "sum_v3_warp_shuffle",
        }
    }

    /// Launch configuration for `n` elements on a GPU with `sms` multiprocessors: v1 covers
    /// `n`; v2 and v3 use at most [`BLOCKS_PER_SM`] blocks per SM and loop.
    pub fn config(self, n: usize, sms: u32) -> LaunchConfig {
        let cap = (sms.max(1) as usize) * BLOCKS_PER_SM;
        match self {
            Sum::V1Atomic { block } => LaunchConfig::one_d(n, block),
            Sum::V2SharedTree { block } => {
                assert!(block.is_power_of_two(), "sum v2: block {block} is not a power of two");
                let mut cfg = LaunchConfig::one_d(n, block);
                cfg.grid.0 = cfg.grid.0.min(cap as u32);
                cfg
            }
            Sum::V3WarpShuffle { block } => {
                assert!(block.is_multiple_of(32), "sum v3: block {block} is not a multiple of 32");
                let mut cfg = LaunchConfig::one_d(ceil_div(n, 4), block);
                cfg.grid.0 = cfg.grid.0.min(cap as u32);
                cfg
            }
        }
    }
}

impl fmt::Display for Sum {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sum::V1Atomic { block } => write!(f, "sum v1 atomics (block {block})"),
            Sum::V2SharedTree { block } => write!(f, "sum v2 shared tree (block {block})"),
            Sum::V3WarpShuffle { block } => write!(f, "sum v3 warp shuffle (block {block})"),
        }
    }
}

/// Sets the first `n` values of `out` to `value`.
pub fn fill(gpu: &Gpu, out: &mut DeviceBuffer<f32>, n: usize, value: f32) -> Result<()> {
    check_len("fill", "out", out, n);
    let (po, n32) = (addr(out), to_i32("n", n));
    unsafe { gpu.launch(Family::Reduce, "fill_f32", LaunchConfig::one_d(n, 256), &[arg(&po), arg(&value), arg(&n32)]) }
}

/// `out[0] = sum(x[..n])` (clears `out[0]` first).
pub fn sum(gpu: &Gpu, version: Sum, x: &DeviceBuffer<f32>, n: usize, out: &mut DeviceBuffer<f32>) -> Result<()> {
    check_len("sum", "x", x, n);
    fill(gpu, out, 1, 0.0)?;
    let (px, po, n32) = (addr(x), addr(out), to_i32("n", n));
    let cfg = version.config(n, gpu.info().multiprocessors);
    unsafe { gpu.launch(Family::Reduce, version.kernel(), cfg, &[arg(&px), arg(&po), arg(&n32)]) }
}
