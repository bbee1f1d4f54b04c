//! v6: products with a handful of rows (`a` of at most [`SKINNY_MAX_ROWS`] rows), as in decoding
//! one token at a time with a KV cache, where `x · Wᵀ` has one row per sequence.
//!
//! The packed path copies all of `b` into panels before it multiplies, and with one row of
//! `a` that copy costs as much as the product. Here `b` is read in place: when its columns are
//! contiguous (a transposed weight, `Wᵀ`), each output is a dot product of two contiguous
//! vectors; when its rows are contiguous, each output row is a sum of scaled rows of `b`. Other
//! layouts take the packed path.

use super::super::MatRef;
use crate::ops::simd::{fold_pairwise, multiversion, SimdFloat};
use rayon::prelude::*;

/// At most this many rows of `a` go through this path.
pub const SKINNY_MAX_ROWS: usize = 4;

/// Lanes of the dot product's accumulator: independent sums that the compiler keeps in vector
/// registers, and the same on every instruction set (so results do not depend on the machine).
const LANES: usize = 16;

/// Output columns per task when one row is spread over threads.
const COLUMNS_PER_TASK: usize = 64;

/// `c = a · b` without packing when `a` has at most [`SKINNY_MAX_ROWS`] contiguous rows and `b`
/// has contiguous columns or rows; returns false (and leaves `c` alone) otherwise.
pub(crate) fn gemm<T: SimdFloat>(a: MatRef<T>, b: MatRef<T>, c: &mut [T], threads: usize) -> bool {
    let (m, n, k) = (a.rows, b.cols, a.cols);
    if m > SKINNY_MAX_ROWS || (a.col_stride != 1 && k > 1) {
        return false;
    }
    let a_row = |i: usize| &a.data[a.offset + i * a.row_stride..][..k];
    if b.row_stride == 1 || k == 1 {
        // Column j of b is contiguous: c[i, j] = a_i · b_j.
        let b_col = |j: usize| &b.data[b.offset + j * b.col_stride..][..k];
        let threaded = m == 1 && threads > 1 && n * k >= super::THREAD_MIN_MACS;
        if threaded {
            c[..n].par_chunks_mut(COLUMNS_PER_TASK).enumerate().for_each(|(t, chunk)| {
                for (jj, out) in chunk.iter_mut().enumerate() {
                    *out = dot(a_row(0), b_col(t * COLUMNS_PER_TASK + jj));
                }
            });
        } else {
            for i in 0..m {
                let out = &mut c[i * n..][..n];
                let mut quads = out.chunks_exact_mut(4);
                for (q, four) in quads.by_ref().enumerate() {
                    let j = 4 * q;
                    four.copy_from_slice(&dot4(a_row(i), [b_col(j), b_col(j + 1), b_col(j + 2), b_col(j + 3)]));
                }
                let done = n - quads.into_remainder().len();
                for (j, out) in out.iter_mut().enumerate().skip(done) {
                    *out = dot(a_row(i), b_col(j));
                }
            }
        }
        true
    } else if b.col_stride == 1 {
        // Row p of b is contiguous: c_i = Σ_p a[i, p] · b_p.
        for i in 0..m {
            let out = &mut c[i * n..][..n];
            out.fill(T::ZERO);
            for (p, &x) in a_row(i).iter().enumerate() {
                axpy(x, &b.data[b.offset + p * b.row_stride..][..n], out);
            }
        }
        true
    } else {
        false
    }
}

multiversion! {
    fn dot<T: SimdFloat>(x: &[T], y: &[T]) -> T {
        let mut acc = [T::ZERO; LANES];
        let (xc, yc) = (x.chunks_exact(LANES), y.chunks_exact(LANES));
        let (xr, yr) = (xc.remainder(), yc.remainder());
        for (xs, ys) in xc.zip(yc) {
            for l in 0..LANES {
                acc[l] += xs[l] * ys[l];
            }
        }
        for (l, (&xv, &yv)) in xr.iter().zip(yr).enumerate() {
            acc[l] += xv * yv;
        }
        fold_pairwise(acc, |a, b| a + b)
    }
}

multiversion! {
    /// Four of [`dot`] at once, each with the same sums in the same order (so the same bits):
    /// one dot product is a single chain of dependent additions, and four independent chains
    /// keep the adder busy while each waits for its last result (3-4× faster on one row).
    fn dot4<T: SimdFloat>(x: &[T], ys: [&[T]; 4]) -> [T; 4] {
        let mut acc = [[T::ZERO; LANES]; 4];
        let k = x.len();
        let full = k / LANES * LANES;
        let ys = ys.map(|y| &y[..k]);
        for p in (0..full).step_by(LANES) {
            let xs = &x[p..p + LANES];
            for (acc, y) in acc.iter_mut().zip(&ys) {
                let ys = &y[p..p + LANES];
                for l in 0..LANES {
                    acc[l] += xs[l] * ys[l];
                }
            }
        }
        for (acc, y) in acc.iter_mut().zip(&ys) {
            for (l, p) in (full..k).enumerate() {
                acc[l] += x[p] * y[p];
            }
        }
        acc.map(|a| fold_pairwise(a, |a, b| a + b))
    }
}

multiversion! {
    fn axpy<T: SimdFloat>(alpha: T, x: &[T], y: &mut [T]) {
        for (yv, &xv) in y.iter_mut().zip(x) {
            *yv += alpha * xv;
        }
    }
}
