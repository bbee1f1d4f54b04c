//! Sum reduction (`kernels/reduce.cu`).

use super::check_len;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel};
use crate::launch::{ceil_div, to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Reduce;
    /// Sets `out[..n]` to `value`.
    pub const FILL_F32 = fill_f32(out: DevicePtrMut<f32>, value: f32, n: i32);
    /// v1: one `atomicAdd` into `out[0]` per element.
    pub const SUM_V1_ATOMIC = sum_v1_atomic(x: DevicePtr<f32>, out: DevicePtrMut<f32>, n: i32);
    /// v2: grid-stride partials, shared-memory tree (block a power of two), an atomic per block.
    pub const SUM_V2_SHARED_TREE = sum_v2_shared_tree(x: DevicePtr<f32>, out: DevicePtrMut<f32>, n: i32);
    /// v3: `float4` grid-stride partials, warp shuffles (block a multiple of 32), an atomic per block.
    pub const SUM_V3_WARP_SHUFFLE = sum_v3_warp_shuffle(x: DevicePtr<f32>, out: DevicePtrMut<f32>, n: i32);
}

/// The parameters every sum kernel takes: `(x, out, n)`.
pub type SumArgs = (DevicePtr<f32>, DevicePtrMut<f32>, i32);

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

    /// The kernel.
    pub fn kernel(self) -> Kernel<SumArgs> {
        match self {
            Sum::V1Atomic { .. } => SUM_V1_ATOMIC,
            Sum::V2SharedTree { .. } => SUM_V2_SHARED_TREE,
            Sum::V3WarpShuffle { .. } => SUM_V3_WARP_SHUFFLE,
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
    let args = (DevicePtrMut::of(out), value, to_i32("n", n));
    // SAFETY: fill_f32 writes out[i] only for i < n (its `if (i < n)`), and check_len above
    // made sure `out` holds at least n floats.
    unsafe { gpu.launch(FILL_F32, LaunchConfig::one_d(n, 256), args) }
}

/// `out[0] = sum(x[..n])` (clears `out[0]` first).
pub fn sum(gpu: &Gpu, version: Sum, x: &DeviceBuffer<f32>, n: usize, out: &mut DeviceBuffer<f32>) -> Result<()> {
    check_len("sum", "x", x, n);
    fill(gpu, out, 1, 0.0)?;
    let cfg = version.config(n, gpu.info().multiprocessors);
    let args = (DevicePtr::of(x), DevicePtrMut::of(out), to_i32("n", n));
    // SAFETY: every version reads x[i] only for i < n (v3 reads float4 groups i < n / 4 of the
    // 256-byte aligned allocation, then the scalar tail below n), and `x` holds at least n
    // floats (check_len above); it writes only out[0], which `fill` checked exists. v2's
    // shared array holds 1024 floats indexed by thread and v3's 32 indexed by warp, and
    // `one_d` caps a block at 1024 threads; v3's full-mask warp shuffles need whole warps,
    // which `config` asserts (a block that is a multiple of 32).
    unsafe { gpu.launch(version.kernel(), cfg, args) }
}
