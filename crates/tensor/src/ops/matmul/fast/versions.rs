//! The five f32 versions of the catalogue in `fast.rs`, each callable on its own so the bench
//! table and the tests can run every step of the story. Same contract as [`super::gemm`].

use super::super::{naive, MatRef};
use super::kernels::{self, MicroKernel};
use super::{check_shapes, gemm_packed};
use crate::dtype::Numeric;

/// v1: the textbook i-j-k triple loop (the naive kernel itself).
pub fn v1_naive(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32]) {
    naive::gemm(a, b, c)
}

/// v2: i-p-j loop order, so the inner loop runs along rows of B and C.
pub fn v2_loop_order(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32]) {
    loop_order(a, b, c)
}

/// v3: v2 tiled so that a `V3_KC × V3_NC` block of B stays in L2 and a row segment of C in
/// L1, each pass over that segment adding four rows of B.
pub fn v3_blocked(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32]) {
    blocked(a, b, c)
}

/// v4: packed panels and the best SIMD microkernel this CPU has, on the calling thread.
pub fn v4_packed_simd(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32]) {
    #[cfg(target_arch = "x86_64")]
    {
        if kernels::Avx512F32::available() {
            return gemm_packed::<kernels::Avx512F32>(a, b, c);
        }
        if kernels::Avx2F32::available() {
            return gemm_packed::<kernels::Avx2F32>(a, b, c);
        }
    }
    gemm_packed::<kernels::Portable<f32, 4, 16>>(a, b, c)
}

/// v5: v4 on every thread of the current rayon pool (one thread below a size threshold).
pub fn v5_threaded(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32]) {
    super::gemm_f32(a, b, c, rayon::current_num_threads())
}

/// Which f32 microkernel v4/v5 use on this CPU (`avx512f`, `avx2,fma` or `portable`).
pub fn f32_kernel_name() -> &'static str {
    #[cfg(target_arch = "x86_64")]
    {
        if kernels::Avx512F32::available() {
            return kernels::Avx512F32::NAME;
        }
        if kernels::Avx2F32::available() {
            return kernels::Avx2F32::NAME;
        }
    }
    kernels::Portable::<f32, 4, 16>::NAME
}

/// f32 FMA peak of one core in GFLOP/s, measured with a register-only FMA loop of the ISA v4
/// uses (~20 ms). `None` for the portable kernel, whose peak has no such simple probe.
pub fn fma_peak_gflops() -> Option<f64> {
    #[cfg(target_arch = "x86_64")]
    {
        let (run, flops_per_iter): (fn(usize) -> f32, f64) = if kernels::Avx512F32::available() {
            // SAFETY: the CPU supports avx512f (checked just above).
            (|n| unsafe { kernels::fma_loop_avx512(n) }, 24.0 * 16.0 * 2.0)
        } else if kernels::Avx2F32::available() {
            // SAFETY: the CPU supports avx2 and fma (checked just above).
            (|n| unsafe { kernels::fma_loop_avx2(n) }, 12.0 * 8.0 * 2.0)
        } else {
            return None;
        };
        let iters = 200_000;
        let mut best = f64::INFINITY;
        for _ in 0..5 {
            let t = std::time::Instant::now();
            std::hint::black_box(run(std::hint::black_box(iters)));
            best = best.min(t.elapsed().as_secs_f64());
        }
        Some(iters as f64 * flops_per_iter / best / 1e9)
    }
    #[cfg(not(target_arch = "x86_64"))]
    None
}

/// The i-p-j loop for any numeric type: `c[i,:] += a[i,p] · b[p,:]`.
pub(crate) fn loop_order<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    check_shapes(&a, &b, c);
    let (m, n) = (a.rows, b.cols);
    if n == 0 {
        return;
    }
    for (i, c_row) in c[..m * n].chunks_exact_mut(n).enumerate() {
        c_row.fill(T::ZERO);
        row_update(a, b, i, 0..a.cols, c_row, 0);
    }
}

/// `c_row += Σ_{p in ps} a[i,p] · b[p, j0..j0+len]`, the inner two loops of v2 and v3.
#[inline(always)]
fn row_update<T: Numeric>(
    a: MatRef<T>,
    b: MatRef<T>,
    i: usize,
    ps: std::ops::Range<usize>,
    c_row: &mut [T],
    j0: usize,
) {
    let len = c_row.len();
    for p in ps {
        let aip = a.at(i, p);
        let start = b.offset + p * b.row_stride + j0 * b.col_stride;
        if b.col_stride == 1 {
            // Contiguous: this is the loop the compiler vectorizes.
            for (cv, &bv) in c_row.iter_mut().zip(&b.data[start..start + len]) {
                *cv += aip * bv;
            }
        } else {
            for (j, cv) in c_row.iter_mut().enumerate() {
                *cv += aip * b.data[start + j * b.col_stride];
            }
        }
    }
}

/// Depth of a v3 block of B.
const V3_KC: usize = 64;
/// Width of a v3 block of B: `V3_KC × V3_NC` f32 is 256 KiB (a quarter of a Zen 4 L2), and
/// the C segment a row updates (4 KiB) stays in L1. A short, wide block measured best on Zen 4
/// among (KC, NC) = (64, 1024), (128, 512), (256, 256), (256, 1024), (512, 128).
const V3_NC: usize = 1024;

fn blocked<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    check_shapes(&a, &b, c);
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if n == 0 {
        return;
    }
    let c = &mut c[..m * n];
    c.fill(T::ZERO);
    for jc in (0..n).step_by(V3_NC) {
        let nc = V3_NC.min(n - jc);
        for pc in (0..k).step_by(V3_KC) {
            let kc = V3_KC.min(k - pc);
            // Every row of A sweeps the same B block while it is hot in L2.
            for (i, c_row) in c.chunks_exact_mut(n).enumerate() {
                let c_seg = &mut c_row[jc..jc + nc];
                let mut p = pc;
                if b.col_stride == 1 {
                    // Four rows of B per pass: one load and one store of C per four
                    // multiply-adds instead of per one (v2 is bound by those).
                    let row = |q: usize| &b.data[b.offset + q * b.row_stride + jc..][..nc];
                    while p + 4 <= pc + kc {
                        let (a0, a1, a2, a3) = (a.at(i, p), a.at(i, p + 1), a.at(i, p + 2), a.at(i, p + 3));
                        let rows = c_seg.iter_mut().zip(row(p)).zip(row(p + 1)).zip(row(p + 2)).zip(row(p + 3));
                        for ((((cv, &b0), &b1), &b2), &b3) in rows {
                            *cv += a0 * b0 + a1 * b1 + a2 * b2 + a3 * b3;
                        }
                        p += 4;
                    }
                }
                row_update(a, b, i, p..pc + kc, c_seg, jc);
            }
        }
    }
}
