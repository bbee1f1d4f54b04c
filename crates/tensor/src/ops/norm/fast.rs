//! Fast layer normalisation over the rows of a contiguous `[rows, n]` buffer.
//!
//! # Version catalogue
//!
//! f32, the tiny GPT's shape [2048, 128] (batch 32 × context 64, width 128), forward + backward,
//! 1 thread, on the 2-core Zen 4 VM. Bench: `cargo run --release -p kindling-nn --example
//! gpt_step_profile -- --layer-norm` (times both versions in one run, alternating). How each
//! step works: `crates/tensor/NOTES.md`, "LayerNorm".
//!
//! - v0 composed ops (before this family): mean, var, sub, add, sqrt, div, mul, add as separate
//!   recorded ops, each a pass over [rows, n] and a buffer; backward through all of them.
//! - v1 naive (`naive.rs`): one row at a time, plain loops, two passes for the statistics.
//! - v2 rows (this file): lane-parallel sums (`LANES` accumulators folded as a tree) so the
//!   statistics and the backward's two row sums vectorize; x̂ recomputed from the saved mean and
//!   rstd instead of being stored; γ and β folded into one multiply-add per element.
//! - v3 threads: rows split across the pool above `PAR_THRESHOLD`; the backward's dγ and dβ are
//!   summed per fixed block of `BLOCK_ROWS` rows, then the blocks in order, so the bits do not
//!   depend on the thread count.

use crate::dtype::{downcast_slice, downcast_slice_mut, Float};
use crate::ops::simd::{multiversion, threads_for, SimdFloat};
use rayon::prelude::*;

/// Accumulators in the row sums (one AVX-512 register of f32).
const LANES: usize = 16;
/// Rows per block of the backward's dγ/dβ partial sums (fixed: the result must not depend on
/// how many threads ran).
const BLOCK_ROWS: usize = 32;
/// Cost of a row element in the forward (two reads for the statistics, one write), for the
/// threading threshold.
const FORWARD_COST: usize = 3;
/// Cost of a row element in the backward.
const BACKWARD_COST: usize = 6;

/// The statistics and output of [`super::naive::layer_norm_forward`], computed row-parallel.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_forward<T: Float>(
    x: &[T],
    n: usize,
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    eps: f64,
    y: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
) {
    macro_rules! run {
        ($F:ty) => {
            if let (Some(x), Some(y), Some(mean), Some(rstd)) = (
                downcast_slice::<T, $F>(x),
                downcast_slice_mut::<T, $F>(y),
                downcast_slice_mut::<T, $F>(mean),
                downcast_slice_mut::<T, $F>(rstd),
            ) {
                let weight = weight.map(|w| downcast_slice::<T, $F>(w).expect("same type as x"));
                let bias = bias.map(|b| downcast_slice::<T, $F>(b).expect("same type as x"));
                return forward_simd(x, n, weight, bias, eps as $F, y, mean, rstd);
            }
        };
    }
    run!(f32);
    run!(f64);
    unreachable!("Float is implemented only for f32 and f64");
}

/// The gradients of [`super::naive::layer_norm_backward`], computed row-parallel; `dx` is always
/// written, `dweight` and `dbias` when given.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward<T: Float>(
    dy: &[T],
    x: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    weight: Option<&[T]>,
    dx: &mut [T],
    dweight: Option<&mut [T]>,
    dbias: Option<&mut [T]>,
) {
    macro_rules! run {
        ($F:ty) => {
            if let (Some(dy), Some(x), Some(mean), Some(rstd), Some(dx)) = (
                downcast_slice::<T, $F>(dy),
                downcast_slice::<T, $F>(x),
                downcast_slice::<T, $F>(mean),
                downcast_slice::<T, $F>(rstd),
                downcast_slice_mut::<T, $F>(dx),
            ) {
                let weight = weight.map(|w| downcast_slice::<T, $F>(w).expect("same type as x"));
                let dweight = dweight.map(|w| downcast_slice_mut::<T, $F>(w).expect("same type as x"));
                let dbias = dbias.map(|b| downcast_slice_mut::<T, $F>(b).expect("same type as x"));
                return backward_simd(dy, x, mean, rstd, n, weight, dx, dweight, dbias);
            }
        };
    }
    run!(f32);
    run!(f64);
    unreachable!("Float is implemented only for f32 and f64");
}

/// Rows per parallel chunk: all of them on one thread, else a few chunks per thread.
fn rows_per_chunk(rows: usize, work: usize) -> usize {
    let threads = threads_for(work);
    if threads <= 1 {
        rows.max(1)
    } else {
        rows.div_ceil(threads * 4).max(1)
    }
}

#[allow(clippy::too_many_arguments)]
fn forward_simd<F: SimdFloat>(
    x: &[F],
    n: usize,
    weight: Option<&[F]>,
    bias: Option<&[F]>,
    eps: F,
    y: &mut [F],
    mean: &mut [F],
    rstd: &mut [F],
) {
    let rows = mean.len();
    if rows == 0 || n == 0 {
        return;
    }
    let per = rows_per_chunk(rows, x.len() * FORWARD_COST);
    if per >= rows {
        return forward_rows(x, n, weight, bias, eps, y, mean, rstd);
    }
    y.par_chunks_mut(per * n).zip(mean.par_chunks_mut(per)).zip(rstd.par_chunks_mut(per)).enumerate().for_each(
        |(i, ((y, mean), rstd))| {
            let x = &x[i * per * n..i * per * n + y.len()];
            forward_rows(x, n, weight, bias, eps, y, mean, rstd);
        },
    );
}

#[allow(clippy::too_many_arguments)]
fn backward_simd<F: SimdFloat>(
    dy: &[F],
    x: &[F],
    mean: &[F],
    rstd: &[F],
    n: usize,
    weight: Option<&[F]>,
    dx: &mut [F],
    dweight: Option<&mut [F]>,
    dbias: Option<&mut [F]>,
) {
    let rows = mean.len();
    let want_params = dweight.is_some() || dbias.is_some();
    if rows == 0 || n == 0 {
        for out in [dweight, dbias].into_iter().flatten() {
            out.fill(F::ZERO);
        }
        return;
    }
    let blocks = rows.div_ceil(BLOCK_ROWS);
    // Per block: Σ dy·x̂ (n values) then Σ dy (n values).
    let mut partial = if want_params { vec![F::ZERO; blocks * 2 * n] } else { Vec::new() };
    let block_work = |b: usize, dx: &mut [F], partial: &mut [F]| {
        let r0 = b * BLOCK_ROWS;
        let r1 = (r0 + BLOCK_ROWS).min(rows);
        let span = r0 * n..r1 * n;
        backward_rows(&dy[span.clone()], &x[span], &mean[r0..r1], &rstd[r0..r1], n, weight, dx, partial);
    };
    let per_blocks = rows_per_chunk(blocks, x.len() * BACKWARD_COST);
    if per_blocks >= blocks {
        for (b, dxb) in dx.chunks_mut(BLOCK_ROWS * n).enumerate() {
            let p = if want_params { &mut partial[b * 2 * n..(b + 1) * 2 * n] } else { &mut [][..] };
            block_work(b, dxb, p);
        }
    } else if want_params {
        dx.par_chunks_mut(BLOCK_ROWS * n)
            .zip(partial.par_chunks_mut(2 * n))
            .enumerate()
            .with_min_len(per_blocks)
            .for_each(|(b, (dxb, p))| block_work(b, dxb, p));
    } else {
        dx.par_chunks_mut(BLOCK_ROWS * n)
            .enumerate()
            .with_min_len(per_blocks)
            .for_each(|(b, dxb)| block_work(b, dxb, &mut []));
    }
    if want_params {
        sum_blocks(&partial, n, dweight, dbias);
    }
}

/// Adds the blocks' partial sums in block order into `dweight` and `dbias`.
fn sum_blocks<F: SimdFloat>(partial: &[F], n: usize, dweight: Option<&mut [F]>, dbias: Option<&mut [F]>) {
    for (k, out) in [dweight, dbias].into_iter().enumerate() {
        if let Some(out) = out {
            out.fill(F::ZERO);
            for block in partial.chunks_exact(2 * n) {
                add_assign(out, &block[k * n..(k + 1) * n]);
            }
        }
    }
}

multiversion! {
    fn add_assign<F: SimdFloat>(acc: &mut [F], xs: &[F]) {
        for (a, &v) in acc.iter_mut().zip(xs) {
            *a += v;
        }
    }
}

/// Σ over `xs` of `f(j, xs[j])` in `LANES` accumulators folded pairwise, so the loop vectorizes.
#[inline(always)]
fn lane_sum<F: SimdFloat>(len: usize, f: impl Fn(usize) -> F) -> F {
    let mut acc = [F::ZERO; LANES];
    let full = len / LANES * LANES;
    let mut j = 0;
    while j < full {
        for (l, a) in acc.iter_mut().enumerate() {
            *a += f(j + l);
        }
        j += LANES;
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for l in 0..width {
            acc[l] += acc[l + width];
        }
    }
    (full..len).fold(acc[0], |s, j| s + f(j))
}

multiversion! {
    fn forward_rows<F: SimdFloat>(
        x: &[F],
        n: usize,
        weight: Option<&[F]>,
        bias: Option<&[F]>,
        eps: F,
        y: &mut [F],
        mean: &mut [F],
        rstd: &mut [F],
    ) {
        let count = F::from_f64(n as f64);
        for (r, (xr, yr)) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)).enumerate() {
            let mu = lane_sum(n, |j| xr[j]) / count;
            let var = lane_sum(n, |j| (xr[j] - mu) * (xr[j] - mu)) / count;
            let inv = F::ONE / (var + eps).sqrt();
            // The four cases keep the affine-free paths free of loads of ones and zeros.
            match (weight, bias) {
                (Some(w), Some(b)) => {
                    for j in 0..n {
                        yr[j] = (xr[j] - mu) * inv * w[j] + b[j];
                    }
                }
                (Some(w), None) => {
                    for j in 0..n {
                        yr[j] = (xr[j] - mu) * inv * w[j];
                    }
                }
                (None, Some(b)) => {
                    for j in 0..n {
                        yr[j] = (xr[j] - mu) * inv + b[j];
                    }
                }
                (None, None) => {
                    for j in 0..n {
                        yr[j] = (xr[j] - mu) * inv;
                    }
                }
            }
            mean[r] = mu;
            rstd[r] = inv;
        }
    }
}

multiversion! {
    /// dx of a block of rows, and (when `partial` is not empty) the block's Σ dy·x̂ and Σ dy.
    fn backward_rows<F: SimdFloat>(
        dy: &[F],
        x: &[F],
        mean: &[F],
        rstd: &[F],
        n: usize,
        weight: Option<&[F]>,
        dx: &mut [F],
        partial: &mut [F],
    ) {
        let count = F::from_f64(n as f64);
        let ones;
        let w = match weight {
            Some(w) => w,
            None => {
                ones = vec![F::ONE; n];
                &ones[..]
            }
        };
        for (r, ((dyr, xr), dxr)) in dy.chunks_exact(n).zip(x.chunks_exact(n)).zip(dx.chunks_exact_mut(n)).enumerate() {
            let (mu, inv) = (mean[r], rstd[r]);
            let mean_g = lane_sum(n, |j| dyr[j] * w[j]) / count;
            let mean_gx = lane_sum(n, |j| dyr[j] * w[j] * ((xr[j] - mu) * inv)) / count;
            for j in 0..n {
                let x_hat = (xr[j] - mu) * inv;
                dxr[j] = inv * (dyr[j] * w[j] - mean_g - x_hat * mean_gx);
            }
            if !partial.is_empty() {
                let (dw, db) = partial.split_at_mut(n);
                for j in 0..n {
                    dw[j] += dyr[j] * ((xr[j] - mu) * inv);
                    db[j] += dyr[j];
                }
            }
        }
    }
}

#[cfg(test)]
mod tests;
