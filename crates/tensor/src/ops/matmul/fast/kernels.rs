//! Register-blocked microkernels: `C[MR×NR] (+)= A[MR×kc] · B[kc×NR]`, on packed panels or on
//! row-major operands read in place.
//!
//! Each kernel keeps the whole `MR×NR` tile of C in vector registers for the `kc` loop, so the
//! only memory traffic per step is one row of the B panel (`NR` values, a few vector loads) and
//! `MR` broadcasts from A. The register budget picks the tile: AVX-512 has 32 zmm registers,
//! so 6×4 accumulators + 4 B vectors + 1 broadcast fit (6×64 f32: measured faster on Zen 4
//! than 12×32, 8×48 and 14×32); AVX2 has 16 ymm, so 6×2 accumulators (6×16 f32).

use crate::dtype::Element;

/// One microkernel and the cache blocking that suits it.
///
/// Packed layouts (see `pack_panel` in `pack.rs`): `a` holds `kc` groups of `MR` values (column
/// `p` of an `MR`-row panel of A), `b` holds `kc` groups of `NR` values (row `p` of an
/// `NR`-column panel of B).
pub trait MicroKernel {
    type T: Element;
    /// Rows of the C tile (broadcast from A).
    const MR: usize;
    /// Columns of the C tile (vector loads from B).
    const NR: usize;
    /// Depth of one packed block: an `MR×KC` A panel should sit in L1.
    const KC: usize;
    /// Rows of A packed at once.
    const MC: usize;
    /// Columns of one packed B block: `KC×NC` should sit in (half of) L2.
    const NC: usize;
    /// Read a row-major B in place, without packing, when C has at most this many rows. Pays
    /// for wide tiles (6×64 AVX-512: +2..5% up to 512 rows, slower from 1024); narrow ones
    /// (16 columns, one cache line per row of B) lose up to 20% to L1 set conflicts, so 0.
    const DIRECT_B_MAX_M: usize;
    /// For reports: which instruction set.
    const NAME: &'static str;

    /// Whether this CPU can run the kernel.
    fn available() -> bool;

    /// `C = A·B` (or `C += A·B` when `accumulate`) for an `MR×kc` block of A and a `kc×NR`
    /// block of B, C being `MR×NR` with row stride `ldc`.
    ///
    /// Element `(i, p)` of A is at `a + i*rsa + p*csa` (a packed panel has `rsa = 1`,
    /// `csa = MR`; a row-major matrix read in place has `rsa = lda`, `csa = 1`). Row `p` of B
    /// is the `NR` contiguous values at `b + p*ldb` (`ldb = NR` when packed).
    ///
    /// # Safety
    /// Every one of those elements of A and B must be readable, `c` must be valid for reads
    /// and writes of the `MR×NR` tile at row stride `ldc`, and [`Self::available`] must be true.
    #[allow(clippy::too_many_arguments)]
    unsafe fn run(
        kc: usize,
        a: *const Self::T,
        rsa: usize,
        csa: usize,
        b: *const Self::T,
        ldb: usize,
        c: *mut Self::T,
        ldc: usize,
        accumulate: bool,
    );
}

/// Portable kernel in plain Rust: fixed-size arrays the compiler unrolls and vectorizes
/// (SSE2 on any x86-64, NEON on aarch64). No `mul_add`: without FMA hardware it is a libm call.
pub struct Portable<T, const MR: usize, const NR: usize>(std::marker::PhantomData<T>);

macro_rules! portable_kernel {
    ($t:ty, $mr:literal, $nr:literal, $kc:literal, $mc:literal, $nc:literal) => {
        impl MicroKernel for Portable<$t, $mr, $nr> {
            type T = $t;
            const MR: usize = $mr;
            const NR: usize = $nr;
            const KC: usize = $kc;
            const MC: usize = $mc;
            const NC: usize = $nc;
            const DIRECT_B_MAX_M: usize = 0;
            const NAME: &'static str = "portable";

            fn available() -> bool {
                true
            }

            #[inline(never)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn run(
                kc: usize,
                a: *const $t,
                rsa: usize,
                csa: usize,
                b: *const $t,
                ldb: usize,
                c: *mut $t,
                ldc: usize,
                accumulate: bool,
            ) {
                let mut acc = [[0 as $t; $nr]; $mr];
                for p in 0..kc {
                    // SAFETY: the caller guarantees these elements of A and B are readable.
                    let (ap, bp) = unsafe {
                        let ap: [$t; $mr] = std::array::from_fn(|i| *a.add(i * rsa + p * csa));
                        (ap, &*(b.add(p * ldb) as *const [$t; $nr]))
                    };
                    for i in 0..$mr {
                        for j in 0..$nr {
                            acc[i][j] += ap[i] * bp[j];
                        }
                    }
                }
                for (i, row) in acc.iter().enumerate() {
                    // SAFETY: the caller guarantees the tile is valid at row stride `ldc`.
                    let c_row = unsafe { std::slice::from_raw_parts_mut(c.add(i * ldc), $nr) };
                    if accumulate {
                        for (cv, v) in c_row.iter_mut().zip(row) {
                            *cv += *v;
                        }
                    } else {
                        c_row.copy_from_slice(row);
                    }
                }
            }
        }
    };
}

portable_kernel!(f32, 4, 16, 256, 512, 1024);
portable_kernel!(f64, 4, 8, 256, 512, 512);

#[cfg(target_arch = "x86_64")]
pub use x86::*;

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::MicroKernel;
    use std::arch::x86_64::*;

    /// Stamps out one x86 kernel: `$mr` rows of `$nv` vectors of `$lanes` lanes.
    ///
    /// The accumulators are a local array indexed by constants; LLVM promotes it to registers
    /// once the `i` loop is unrolled (checked in the disassembly: no spills in the `kc` loop).
    macro_rules! x86_kernel {
        (
            $name:ident: $t:ty, feature $feat:literal, detect $detect:expr,
            tile $mr:literal rows x $nv:literal vectors x $lanes:literal lanes,
            KC $kc:literal, MC $mc:literal, NC $nc:literal, direct B up to $direct_b:literal rows,
            $vec:ty, $zero:ident, $load:ident, $store:ident, $set1:ident, $fma:ident, $add:ident
        ) => {
            pub struct $name;

            impl MicroKernel for $name {
                type T = $t;
                const MR: usize = $mr;
                const NR: usize = $nv * $lanes;
                const KC: usize = $kc;
                const MC: usize = $mc;
                const NC: usize = $nc;
                const DIRECT_B_MAX_M: usize = $direct_b;
                const NAME: &'static str = $feat;

                fn available() -> bool {
                    $detect
                }

                #[inline]
                #[allow(clippy::too_many_arguments)]
                unsafe fn run(
                    kc: usize,
                    a: *const $t,
                    rsa: usize,
                    csa: usize,
                    b: *const $t,
                    ldb: usize,
                    c: *mut $t,
                    ldc: usize,
                    accumulate: bool,
                ) {
                    // SAFETY: forwarded contract; `available()` is part of it.
                    unsafe { kernel(kc, a, rsa, csa, b, ldb, c, ldc, accumulate) }
                }
            }

            /// The microkernel body, compiled for the instruction set named below.
            ///
            /// # Safety
            ///
            /// The contract of [`MicroKernel::run`]: the CPU has that instruction set, and every
            /// addressed element of A, B and the C tile is valid.
            #[target_feature(enable = $feat)]
            #[allow(clippy::too_many_arguments)]
            unsafe fn kernel(
                kc: usize,
                a: *const $t,
                rsa: usize,
                csa: usize,
                b: *const $t,
                ldb: usize,
                c: *mut $t,
                ldc: usize,
                accumulate: bool,
            ) {
                let mut acc: [[$vec; $nv]; $mr] = [[$zero(); $nv]; $mr];
                // SAFETY: this block is the whole body. The caller guarantees (`MicroKernel::run`)
                // that the A and B elements addressed below are readable, that `c` is a valid
                // `MR×NR` tile at row stride `ldc`, and that the CPU has the enabled features.
                unsafe {
                    // Bring the C tile toward L1 while the products accumulate.
                    for i in 0..$mr {
                        for v in 0..$nv {
                            _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc + v * $lanes) as *const i8);
                            _mm_prefetch::<_MM_HINT_T0>(c.add(i * ldc + v * $lanes + $lanes - 1) as *const i8);
                        }
                    }
                    let (mut a, mut b) = (a, b);
                    for _ in 0..kc {
                        let mut bv = [$zero(); $nv];
                        for (v, x) in bv.iter_mut().enumerate() {
                            *x = $load(b.add(v * $lanes));
                        }
                        for i in 0..$mr {
                            let ai = $set1(*a.add(i * rsa));
                            for v in 0..$nv {
                                acc[i][v] = $fma(ai, bv[v], acc[i][v]);
                            }
                        }
                        a = a.add(csa);
                        b = b.add(ldb);
                    }
                    for (i, row) in acc.iter().enumerate() {
                        for (v, x) in row.iter().enumerate() {
                            let cv = c.add(i * ldc + v * $lanes);
                            if accumulate {
                                $store(cv, $add($load(cv), *x));
                            } else {
                                $store(cv, *x);
                            }
                        }
                    }
                }
            }
        };
    }

    pub mod avx512_f32 {
        use super::*;
        x86_kernel!(
            Avx512F32: f32, feature "avx512f", detect is_x86_feature_detected!("avx512f"),
            tile 6 rows x 4 vectors x 16 lanes,
            KC 256, MC 1152, NC 512, direct B up to 512 rows,
            __m512, _mm512_setzero_ps, _mm512_loadu_ps, _mm512_storeu_ps, _mm512_set1_ps, _mm512_fmadd_ps, _mm512_add_ps
        );
    }
    pub mod avx512_f64 {
        use super::*;
        x86_kernel!(
            Avx512F64: f64, feature "avx512f", detect is_x86_feature_detected!("avx512f"),
            tile 6 rows x 4 vectors x 8 lanes,
            KC 128, MC 1152, NC 512, direct B up to 512 rows,
            __m512d, _mm512_setzero_pd, _mm512_loadu_pd, _mm512_storeu_pd, _mm512_set1_pd, _mm512_fmadd_pd, _mm512_add_pd
        );
    }
    pub mod avx2_f32 {
        use super::*;
        x86_kernel!(
            Avx2F32: f32, feature "avx2,fma", detect is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            tile 6 rows x 2 vectors x 8 lanes,
            KC 256, MC 1152, NC 1024, direct B up to 0 rows,
            __m256, _mm256_setzero_ps, _mm256_loadu_ps, _mm256_storeu_ps, _mm256_set1_ps, _mm256_fmadd_ps, _mm256_add_ps
        );
    }
    pub mod avx2_f64 {
        use super::*;
        x86_kernel!(
            Avx2F64: f64, feature "avx2,fma", detect is_x86_feature_detected!("avx2") && is_x86_feature_detected!("fma"),
            tile 6 rows x 2 vectors x 4 lanes,
            KC 256, MC 1152, NC 512, direct B up to 0 rows,
            __m256d, _mm256_setzero_pd, _mm256_loadu_pd, _mm256_storeu_pd, _mm256_set1_pd, _mm256_fmadd_pd, _mm256_add_pd
        );
    }

    /// `iters` rounds of 24 independent FMAs on registers (no memory): the f32 FMA peak.
    ///
    /// # Safety
    /// The CPU must support avx512f.
    #[target_feature(enable = "avx512f")]
    pub fn fma_loop_avx512(iters: usize) -> f32 {
        let mut acc = [_mm512_set1_ps(0.0); 24];
        let (x, y) = (_mm512_set1_ps(0.999), _mm512_set1_ps(1e-3));
        for _ in 0..iters {
            for a in acc.iter_mut() {
                *a = _mm512_fmadd_ps(*a, x, y);
            }
        }
        let sum = acc.iter().fold(_mm512_set1_ps(0.0), |s, a| _mm512_add_ps(s, *a));
        _mm512_reduce_add_ps(sum)
    }

    /// As [`fma_loop_avx512`] with 12 ymm accumulators.
    ///
    /// # Safety
    /// The CPU must support avx2 and fma.
    #[target_feature(enable = "avx2,fma")]
    pub fn fma_loop_avx2(iters: usize) -> f32 {
        let mut acc = [_mm256_set1_ps(0.0); 12];
        let (x, y) = (_mm256_set1_ps(0.999), _mm256_set1_ps(1e-3));
        for _ in 0..iters {
            for a in acc.iter_mut() {
                *a = _mm256_fmadd_ps(*a, x, y);
            }
        }
        let sum = acc.iter().fold(_mm256_set1_ps(0.0), |s, a| _mm256_add_ps(s, *a));
        let mut out = [0f32; 8];
        // SAFETY: `out` holds 8 f32.
        unsafe { _mm256_storeu_ps(out.as_mut_ptr(), sum) };
        out.iter().sum()
    }

    pub use avx2_f32::Avx2F32;
    pub use avx2_f64::Avx2F64;
    pub use avx512_f32::Avx512F32;
    pub use avx512_f64::Avx512F64;
}
