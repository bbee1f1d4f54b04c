//! v7: narrow products: many rows of `a` but at most [`NARROW_MAX_COLS`] columns of `c`, such
//! as distances to ten k-means centers or ten classes' logits. The packed microkernel's tile is
//! 32 columns wide in f64 (64 in f32), so a ten-column product spends most of it on padding;
//! here `b` is copied once into a `[k, 16]` panel that stays in L1, and each block of four rows
//! of `a` keeps its outputs in registers for the whole depth.
//!
//! The sum runs over `p` in the same order as the packed path (one fused multiply-add per
//! step, blocks of `kc` added together), so switching paths does not change a single bit on
//! the machines where both use FMA.

use super::super::MatRef;
use crate::ops::simd::{multiversion, SimdFloat};
use rayon::prelude::*;

/// Products with at most this many columns take this path.
pub const NARROW_MAX_COLS: usize = 16;

/// Rows of `a` that share each load of the panel.
const ROWS: usize = 4;

/// Rows per task when the product is spread over threads.
const ROWS_PER_TASK: usize = 256;

/// `c = a · b` for `b.cols <= NARROW_MAX_COLS` and rows of `a` that are contiguous; returns
/// false (leaving `c` alone) otherwise. `kc` is the packed path's block depth, whose grouping
/// of the sum this path repeats.
pub(crate) fn gemm<T: SimdFloat>(a: MatRef<T>, b: MatRef<T>, c: &mut [T], threads: usize, kc: usize) -> bool {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if n > NARROW_MAX_COLS || n == 0 || (a.col_stride != 1 && k > 1) {
        return false;
    }
    let mut panel = vec![T::ZERO; k * NARROW_MAX_COLS];
    for (p, row) in panel.chunks_exact_mut(NARROW_MAX_COLS).enumerate() {
        for (j, v) in row[..n].iter_mut().enumerate() {
            *v = b.data[b.offset + p * b.row_stride + j * b.col_stride];
        }
    }
    let a_data = &a.data[a.offset..];
    let c = &mut c[..m * n];
    let run = |first: usize, part: &mut [T]| {
        #[cfg(target_arch = "x86_64")]
        if avx512_f32::rows_block(a_data, a.row_stride, k, kc, first, &panel, part, n) {
            return;
        }
        rows_block(a_data, a.row_stride, k, kc, first, &panel, part, n);
    };
    if threads > 1 && m * n * k >= super::THREAD_MIN_MACS {
        c.par_chunks_mut(ROWS_PER_TASK * n).enumerate().for_each(|(t, part)| run(t * ROWS_PER_TASK, part));
    } else {
        run(0, c);
    }
    true
}

/// `rows_block` for f32 with AVX-512 written out: a row's 16 outputs are one register, and
/// eight rows share each load of the panel, so eight independent chains of fused
/// multiply-adds keep both FMA units busy. The generic version, compiled for AVX-512, split
/// each row into four 128-bit pieces and spilled them to the stack. Same order of sums.
#[cfg(target_arch = "x86_64")]
mod avx512_f32 {
    use super::NARROW_MAX_COLS;
    use crate::dtype::{downcast_slice, downcast_slice_mut, Element};
    use crate::ops::simd::{level, Level};
    use std::arch::x86_64::*;

    const ROWS: usize = 8;

    /// False (touching nothing) unless `T` is f32 and the CPU has AVX-512.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn rows_block<T: Element>(
        a: &[T],
        row_stride: usize,
        k: usize,
        kc: usize,
        first: usize,
        panel: &[T],
        c: &mut [T],
        n: usize,
    ) -> bool {
        let (Some(a), Some(panel), Some(c)) =
            (downcast_slice::<T, f32>(a), downcast_slice::<T, f32>(panel), downcast_slice_mut::<T, f32>(c))
        else {
            return false;
        };
        if level() != Level::Avx512 {
            return false;
        }
        // SAFETY: AVX-512F is present (checked just above).
        unsafe { run(a, row_stride, k, kc.max(1), first, panel, c, n) };
        true
    }

    #[target_feature(enable = "avx512f")]
    #[allow(clippy::too_many_arguments)]
    fn run(a: &[f32], row_stride: usize, k: usize, kc: usize, first: usize, panel: &[f32], c: &mut [f32], n: usize) {
        assert!(panel.len() >= k * NARROW_MAX_COLS);
        let rows = c.len() / n;
        let mask: __mmask16 = ((1u32 << n) - 1) as __mmask16;
        let mut i = 0;
        while i < rows {
            let r = (rows - i).min(ROWS);
            // A short last block repeats its last row rather than reading past `a`.
            let lines: [&[f32]; ROWS] = std::array::from_fn(|q| {
                let start = (first + i + q.min(r - 1)) * row_stride;
                &a[start..start + k]
            });
            let mut total = [_mm512_setzero_ps(); ROWS];
            for (block, p0) in (0..k).step_by(kc).enumerate() {
                let end = (p0 + kc).min(k);
                let mut acc = [_mm512_setzero_ps(); ROWS];
                for p in p0..end {
                    // SAFETY: p < k, and the panel holds k rows of 16 floats (asserted above).
                    let w = unsafe { _mm512_loadu_ps(panel.as_ptr().add(p * NARROW_MAX_COLS)) };
                    for (acc, line) in acc.iter_mut().zip(&lines) {
                        *acc = _mm512_fmadd_ps(_mm512_set1_ps(line[p]), w, *acc);
                    }
                }
                for q in 0..ROWS {
                    total[q] = if block == 0 { acc[q] } else { _mm512_add_ps(total[q], acc[q]) };
                }
            }
            for (q, t) in total.iter().enumerate().take(r) {
                let out = &mut c[(i + q) * n..(i + q + 1) * n];
                // SAFETY: the mask writes the first n ≤ 16 lanes, all inside `out`.
                unsafe { _mm512_mask_storeu_ps(out.as_mut_ptr(), mask, *t) };
            }
            i += r;
        }
    }
}

/// `acc += x · w`, one fused multiply-add per column.
#[inline(always)]
fn fma_row<T: SimdFloat>(acc: &mut [T; NARROW_MAX_COLS], x: T, w: &[T; NARROW_MAX_COLS]) {
    for (a, &wj) in acc.iter_mut().zip(w) {
        *a = x.mul_add_v(wj, *a);
    }
}

multiversion! {
    /// Rows `first..` of the product into `c` (`c.len() / n` rows).
    fn rows_block<T: SimdFloat>(a: &[T], row_stride: usize, k: usize, kc: usize, first: usize, panel: &[T], c: &mut [T], n: usize) {
        let rows = c.len() / n;
        let mut i = 0;
        while i < rows {
            let r = (rows - i).min(ROWS);
            // A short last block repeats its last row rather than reading past `a`.
            let starts: [usize; ROWS] = std::array::from_fn(|q| (first + i + q.min(r - 1)) * row_stride);
            let mut total = [[T::ZERO; NARROW_MAX_COLS]; ROWS];
            for (block, p0) in (0..k).step_by(kc.max(1)).enumerate() {
                let (mut acc0, mut acc1) = ([T::ZERO; NARROW_MAX_COLS], [T::ZERO; NARROW_MAX_COLS]);
                let (mut acc2, mut acc3) = ([T::ZERO; NARROW_MAX_COLS], [T::ZERO; NARROW_MAX_COLS]);
                let end = (p0 + kc).min(k);
                let (a0, a1) = (&a[starts[0] + p0..starts[0] + end], &a[starts[1] + p0..starts[1] + end]);
                let (a2, a3) = (&a[starts[2] + p0..starts[2] + end], &a[starts[3] + p0..starts[3] + end]);
                let weights = panel[p0 * NARROW_MAX_COLS..end * NARROW_MAX_COLS].chunks_exact(NARROW_MAX_COLS);
                for ((((w, &x0), &x1), &x2), &x3) in weights.zip(a0).zip(a1).zip(a2).zip(a3) {
                    let w: &[T; NARROW_MAX_COLS] = w.try_into().expect("panel row");
                    fma_row(&mut acc0, x0, w);
                    fma_row(&mut acc1, x1, w);
                    fma_row(&mut acc2, x2, w);
                    fma_row(&mut acc3, x3, w);
                }
                for (t, acc) in total.iter_mut().zip([acc0, acc1, acc2, acc3]) {
                    for (t, v) in t.iter_mut().zip(acc) {
                        *t = if block == 0 { v } else { *t + v };
                    }
                }
            }
            for q in 0..r {
                c[(i + q) * n..][..n].copy_from_slice(&total[q][..n]);
            }
            i += r;
        }
    }
}
