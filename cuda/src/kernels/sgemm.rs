//! SGEMM `C = A . B`, row-major (`kernels/sgemm.cu`).

use super::check_len;
use crate::device::Gpu;
use crate::kernel::{declare_kernels, DevicePtr, DevicePtrMut, Kernel};
use crate::launch::{to_i32, LaunchConfig};
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

declare_kernels! {
    family: Sgemm;
    /// v1: a thread per element of C.
    pub const SGEMM_V1_NAIVE =
        sgemm_v1_naive(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v2: 16x16 shared-memory tiles.
    pub const SGEMM_V2_SMEM_TILE16 =
        sgemm_v2_smem_tile16(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v2: 32x32 shared-memory tiles.
    pub const SGEMM_V2_SMEM_TILE32 =
        sgemm_v2_smem_tile32(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v3: 64x64 block tiles, 4x4 register tile per thread.
    pub const SGEMM_V3_REG_TILE64 =
        sgemm_v3_reg_tile64(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v3: 128x128 block tiles, 8x8 register tile per thread.
    pub const SGEMM_V3_REG_TILE128 =
        sgemm_v3_reg_tile128(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v4: 128x128x8 tiles, `float4` loads, double-buffered shared memory.
    pub const SGEMM_V4_VEC_DBUF =
        sgemm_v4_vec_dbuf(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
    /// v5: TF32 tensor cores, 128x128x16 tiles.
    pub const SGEMM_V5_TF32_MMA =
        sgemm_v5_tf32_mma(A: DevicePtr<f32>, B: DevicePtr<f32>, C: DevicePtrMut<f32>, M: i32, N: i32, K: i32);
}

/// The parameters every SGEMM kernel takes: `(A, B, C, M, N, K)`.
pub type SgemmArgs = (DevicePtr<f32>, DevicePtr<f32>, DevicePtrMut<f32>, i32, i32, i32);

/// Versions of SGEMM, each with its tile or block shape.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sgemm {
    /// A thread per element of C; `block x block` threads.
    V1Naive {
        /// Side of the square thread block (8, 16 or 32).
        block: u32,
    },
    /// Shared-memory tiles of `tile x tile`, one thread per element of C.
    V2Smem {
        /// Tile side: 16 or 32.
        tile: u32,
    },
    /// 2-D register blocking: a `tile x tile` block tile, 256 threads.
    V3Reg {
        /// Tile side: 64 (4x4 per thread) or 128 (8x8 per thread).
        tile: u32,
    },
    /// 128x128x8 tiles, `float4` loads, double-buffered shared memory.
    V4VecDbuf,
    /// TF32 tensor cores (`mma.sync.m16n8k8`), FP32 accumulation, 128x128x16 tiles.
    V5Tf32,
}

impl Sgemm {
    /// Every version at every validated configuration, slowest first.
    pub fn all() -> Vec<Sgemm> {
        vec![
            Sgemm::V1Naive { block: 8 },
            Sgemm::V1Naive { block: 16 },
            Sgemm::V1Naive { block: 32 },
            Sgemm::V2Smem { tile: 16 },
            Sgemm::V2Smem { tile: 32 },
            Sgemm::V3Reg { tile: 64 },
            Sgemm::V3Reg { tile: 128 },
            Sgemm::V4VecDbuf,
            Sgemm::V5Tf32,
        ]
    }

    /// The best FP32 (CUDA-core) version.
    pub const BEST_FP32: Sgemm = Sgemm::V4VecDbuf;

    /// Whether the version rounds its inputs to TF32 (needs the looser tolerance).
    pub fn is_tf32(self) -> bool {
        self == Sgemm::V5Tf32
    }

    /// The kernel. Panics on a tile size that has no kernel.
    pub fn kernel(self) -> Kernel<SgemmArgs> {
        match self {
            Sgemm::V1Naive { .. } => SGEMM_V1_NAIVE,
            Sgemm::V2Smem { tile: 16 } => SGEMM_V2_SMEM_TILE16,
            Sgemm::V2Smem { tile: 32 } => SGEMM_V2_SMEM_TILE32,
            Sgemm::V3Reg { tile: 64 } => SGEMM_V3_REG_TILE64,
            Sgemm::V3Reg { tile: 128 } => SGEMM_V3_REG_TILE128,
            Sgemm::V4VecDbuf => SGEMM_V4_VEC_DBUF,
            Sgemm::V5Tf32 => SGEMM_V5_TF32_MMA,
            other => panic!("sgemm: no kernel for {other:?}"),
        }
    }

    /// Launch configuration for `C[m, n]`: grid.x walks column tiles, grid.y row tiles.
    pub fn config(self, m: usize, n: usize) -> LaunchConfig {
        match self {
            Sgemm::V1Naive { block } => LaunchConfig::tiles_2d(n, m, block as usize, block as usize, (block, block)),
            Sgemm::V2Smem { tile } => LaunchConfig::tiles_2d(n, m, tile as usize, tile as usize, (tile, tile)),
            Sgemm::V3Reg { tile } => LaunchConfig::tiles_2d(n, m, tile as usize, tile as usize, (256, 1)),
            Sgemm::V4VecDbuf | Sgemm::V5Tf32 => LaunchConfig::tiles_2d(n, m, 128, 128, (256, 1)),
        }
    }
}

impl fmt::Display for Sgemm {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Sgemm::V1Naive { block } => write!(f, "sgemm v1 naive (block {block}x{block})"),
            Sgemm::V2Smem { tile } => write!(f, "sgemm v2 smem tiles ({tile}x{tile})"),
            Sgemm::V3Reg { tile } => write!(f, "sgemm v3 register blocking ({tile}x{tile})"),
            Sgemm::V4VecDbuf => write!(f, "sgemm v4 float4 + double buffer (128x128)"),
            Sgemm::V5Tf32 => write!(f, "sgemm v5 tensor cores TF32 (128x128)"),
        }
    }
}

/// `C = A . B` with `A` `[m, k]`, `B` `[k, n]`, `C` `[m, n]`, at device addresses that need not
/// be the starts of buffers (the convolution addresses one image inside a batch).
///
/// # Safety
/// `a`, `b` and `c` must point at `m * k`, `k * n` and `m * n` floats inside live allocations,
/// and be 16-byte aligned when their rows can be read or written as `float4` (v4 and v5 do
/// that for `a` when `k % 4 == 0`, for `b` and `c` when `n % 4 == 0`).
pub unsafe fn sgemm_raw(
    gpu: &Gpu,
    version: Sgemm,
    a: DevicePtr<f32>,
    b: DevicePtr<f32>,
    c: DevicePtrMut<f32>,
    m: usize,
    n: usize,
    k: usize,
) -> Result<()> {
    assert!(m > 0 && n > 0 && k > 0, "sgemm: empty product {m}x{k} . {k}x{n}");
    let args = (a, b, c, to_i32("m", m), to_i32("n", n), to_i32("k", k));
    // SAFETY: every version reads A[row * K + kk] and B[kk * N + col] only for row < M,
    // col < N, kk < K (tiles past an edge load zeros instead) and writes C[row * N + col] only
    // for row < M, col < N, so it stays inside the m * k, k * n and m * n floats the caller
    // guarantees, with the alignment the caller guarantees for the float4 paths.
    unsafe { gpu.launch(version.kernel(), version.config(m, n), args) }
}

/// `C = A . B` with `A` `[m, k]`, `B` `[k, n]`, `C` `[m, n]`, all row-major.
pub fn sgemm(
    gpu: &Gpu,
    version: Sgemm,
    a: &DeviceBuffer<f32>,
    b: &DeviceBuffer<f32>,
    c: &mut DeviceBuffer<f32>,
    m: usize,
    n: usize,
    k: usize,
) -> Result<()> {
    check_len("sgemm", "A", a, m * k);
    check_len("sgemm", "B", b, k * n);
    check_len("sgemm", "C", c, m * n);
    // SAFETY: check_len above made sure A, B and C hold m * k, k * n and m * n floats, and the
    // three addresses are allocation starts, which cuMemAlloc aligns to 256 bytes.
    unsafe { sgemm_raw(gpu, version, DevicePtr::of(a), DevicePtr::of(b), DevicePtrMut::of(c), m, n, k) }
}
