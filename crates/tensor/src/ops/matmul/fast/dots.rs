//! v8: a small batch times a transposed weight, `x · Wᵀ` with W stored `[out, in]` (a linear
//! layer's forward on a few rows), as blocks of dot products read in place.
//!
//! Both operands run along `k` in memory, so every output is a dot product of two contiguous
//! lines. The packed path would first transpose all of W into panels, which at eight rows costs
//! as much as the product; the skinny path (v6) handles up to four rows with plain additions
//! (so its results do not depend on the machine). Here a block of [`ROWS`] rows of `x` and
//! [`COLS`] lines of W keeps `ROWS × COLS` sixteen-lane sums in registers, fed by fused
//! multiply-adds: each line is loaded once per block and used `ROWS` or `COLS` times, and the
//! sixteen independent sums keep both FMA units busy. f32 with AVX-512 only; elsewhere the
//! packed path runs. At 8 rows (the MLP's first layer on a batch of 8) this takes 32 µs where
//! packing took 57 on one thread, 24 against 97 on two.
//!
//! Each output sums its products in sixteen interleaved lanes and then adds the lanes, so the
//! rounding differs from the packed path's (which sums along `k` in order); the tests compare
//! against the naive loop with the usual depth-scaled tolerance.

use super::super::MatRef;

/// Rows of `a` per block: their lines stay in L1 while every line of W streams past them.
/// 4 × 4 sums measured best (x·Wᵀ, 8 × 784 · 784 × 256, one thread: 4×4 32 µs, 4×3 34,
/// 3×4 39, 8×3 48, 6×4 53; more sums than that spill registers).
pub const ROWS: usize = 4;
/// Lines of W per block.
pub const COLS: usize = 4;
/// Products with at most this many rows of `a` take this path. Above it the packed path wins
/// again: at 16 rows they tie on one thread and packing is faster on two, at 24 and 32 packing
/// is faster on both (W's lines are streamed once per block of four rows).
pub const DOTS_MAX_ROWS: usize = 12;

/// `c = a · b` when `a`'s rows and `b`'s columns are contiguous (`b = Wᵀ`), on AVX-512; returns
/// false (leaving `c` alone) otherwise.
pub(crate) fn gemm_f32(a: MatRef<f32>, b: MatRef<f32>, c: &mut [f32], threads: usize) -> bool {
    #[cfg(target_arch = "x86_64")]
    {
        use crate::ops::simd::{level, Level};
        let (m, n, k) = (a.rows, b.cols, a.cols);
        let contiguous = k == 1 || (a.col_stride == 1 && b.row_stride == 1);
        if level() != Level::Avx512 || !contiguous || m > DOTS_MAX_ROWS || m == 0 || n == 0 || k == 0 {
            return false;
        }
        // Every line must lie inside its slice (the kernel reads them through pointers).
        let a_end = a.offset + (m - 1) * a.row_stride + k;
        let b_end = b.offset + (n - 1) * b.col_stride + k;
        if a_end > a.data.len() || b_end > b.data.len() {
            return false;
        }
        let c = &mut c[..m * n];
        let run = |cols: std::ops::Range<usize>, c: &mut [f32]| {
            // SAFETY: AVX-512F is present (level()); the lines are in bounds (checked above).
            unsafe { x86::columns(a, b, cols, c, n) }
        };
        if threads > 1 && m * n * k >= super::THREAD_MIN_MACS {
            // Threads take whole column groups: each reads all of `a` (a few rows) and its
            // own lines of W.
            use rayon::prelude::*;
            let group = (n.div_ceil(threads * 2)).next_multiple_of(COLS);
            let ptr = super::threads::SendPtr(c.as_mut_ptr());
            (0..n.div_ceil(group)).into_par_iter().for_each(|g| {
                let cols = g * group..((g + 1) * group).min(n);
                // SAFETY: the column groups are disjoint, so no two tasks write the same
                // element of `c`, which outlives the loop; `columns` only writes c[i·n + j]
                // for i < m and j in its range.
                let c = unsafe { std::slice::from_raw_parts_mut(ptr.get(), m * n) };
                run(cols, c);
            });
        } else {
            run(0..n, c);
        }
        true
    }
    #[cfg(not(target_arch = "x86_64"))]
    {
        let _ = (a, b, c, threads);
        false
    }
}

#[cfg(target_arch = "x86_64")]
mod x86 {
    use super::{MatRef, COLS, ROWS};
    use std::arch::x86_64::*;

    const LANES: usize = 16;

    /// Outputs `c[i·ldc + j]` for every row `i` of `a` and every `j` in `cols`.
    ///
    /// # Safety
    /// AVX-512F must be available, and every row of `a` and column of `b` must lie inside its
    /// slice (`offset + (count − 1)·stride + k ≤ len`).
    #[target_feature(enable = "avx512f")]
    pub(super) unsafe fn columns(
        a: MatRef<f32>,
        b: MatRef<f32>,
        cols: std::ops::Range<usize>,
        c: &mut [f32],
        ldc: usize,
    ) {
        let (m, k) = (a.rows, a.cols);
        // Lines by slicing: bounds-checked here, read through pointers in `block`.
        let a_line = |i: usize| a.data[a.offset + i * a.row_stride..][..k].as_ptr();
        let b_line = |j: usize| b.data[b.offset + j * b.col_stride..][..k].as_ptr();
        let mut i = 0;
        while i < m {
            let nr = (m - i).min(ROWS);
            let xs: [*const f32; ROWS] = std::array::from_fn(|r| a_line(i + r.min(nr - 1)));
            let mut j = cols.start;
            while j < cols.end {
                let nc = (cols.end - j).min(COLS);
                let ws: [*const f32; COLS] = std::array::from_fn(|q| b_line(j + q.min(nc - 1)));
                // SAFETY: the lines hold k floats each (the caller's check).
                let sums = unsafe { block(xs, ws, k) };
                for r in 0..nr {
                    for q in 0..nc {
                        c[(i + r) * ldc + j + q] = sums[r][q];
                    }
                }
                j += nc;
            }
            i += nr;
        }
    }

    /// The ROWS × COLS dot products of `xs[r]` and `ws[q]`, each `k` long.
    ///
    /// # Safety
    /// AVX-512F must be available and every pointer valid for `k` reads.
    #[target_feature(enable = "avx512f")]
    unsafe fn block(xs: [*const f32; ROWS], ws: [*const f32; COLS], k: usize) -> [[f32; COLS]; ROWS] {
        let mut acc = [[_mm512_setzero_ps(); COLS]; ROWS];
        let full = k / LANES * LANES;
        let mut p = 0;
        while p < full {
            // SAFETY: p + 16 ≤ k.
            let w: [__m512; COLS] = std::array::from_fn(|q| unsafe { _mm512_loadu_ps(ws[q].add(p)) });
            for r in 0..ROWS {
                // SAFETY: as above.
                let x = unsafe { _mm512_loadu_ps(xs[r].add(p)) };
                for q in 0..COLS {
                    acc[r][q] = _mm512_fmadd_ps(x, w[q], acc[r][q]);
                }
            }
            p += LANES;
        }
        if p < k {
            let mask: __mmask16 = ((1u32 << (k - p)) - 1) as __mmask16;
            // SAFETY: the mask loads only the k − p elements that exist.
            let w: [__m512; COLS] = std::array::from_fn(|q| unsafe { _mm512_maskz_loadu_ps(mask, ws[q].add(p)) });
            for r in 0..ROWS {
                // SAFETY: as above.
                let x = unsafe { _mm512_maskz_loadu_ps(mask, xs[r].add(p)) };
                for q in 0..COLS {
                    acc[r][q] = _mm512_fmadd_ps(x, w[q], acc[r][q]);
                }
            }
        }
        acc.map(|row| row.map(|v| _mm512_reduce_add_ps(v)))
    }
}
