//! SGEMM `C = A . B`, row-major (`kernels/sgemm.cu`).

use super::check_len;
use crate::device::{addr, arg, Gpu};
use crate::launch::{to_i32, LaunchConfig};
use crate::ptx::Family;
use crate::Result;
use cust::memory::DeviceBuffer;
use std::fmt;

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

    /// The PTX entry point. Panics on a tile size that has no kernel.
    pub fn kernel(self) -> &'static str {
        match self {
            Sgemm::V1Naive { .. } => "sgemm_v1_naive",
            Sgemm::V2Smem { tile: 16 } => "sgemm_v2_smem_tile16",
            Sgemm::V2Smem { tile: 32 } => "sgemm_v2_smem_tile32",
            Sgemm::V3Reg { tile: 64 } => "sgemm_v3_reg_tile64",
            Sgemm::V3Reg { tile: 128 } => "sgemm_v3_reg_tile128",
            Sgemm::V4VecDbuf => "sgemm_v4_vec_dbuf",
            Sgemm::V5Tf32 => "sgemm_v5_tf32_mma",
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

/// `C = A . B` with `A` `[m, k]`, `B` `[k, n]`, `C` `[m, n]`, at raw device addresses (used by
/// the convolution to address one image inside a batch).
///
/// # Safety
/// The addresses must point at device buffers of at least those sizes.
pub unsafe fn sgemm_raw(gpu: &Gpu, version: Sgemm, a: u64, b: u64, c: u64, m: usize, n: usize, k: usize) -> Result<()> {
    assert!(m > 0 && n > 0 && k > 0, "sgemm: empty product {m}x{k} . {k}x{n}");
    let (m32, n32, k32) = (to_i32("m", m), to_i32("n", n), to_i32("k", k));
    gpu.launch(
        Family::Sgemm,
        version.kernel(),
        version.config(m, n),
        &[arg(&a), arg(&b), arg(&c), arg(&m32), arg(&n32), arg(&k32)],
    )
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
    unsafe { sgemm_raw(gpu, version, addr(a), addr(b), addr(c), m, n, k) }
}
