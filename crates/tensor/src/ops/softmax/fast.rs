//! Fast softmax, log-softmax and logsumexp over the middle axis of a contiguous
//! `[outer, len, inner]` block.
//!
//! # Version catalogue
//!
//! f32 [2048, 2048], GB/s read + written, 1 thread (1T) unless noted, on the 2-core Zen 4 VM. Bench:
//! `cargo run --release -- bench memory` (rows "softmax along rows", "softmax along columns");
//! criterion twin `cargo bench -p kindling-tensor --bench memory -- softmax`. Only the last version
//! runs today; how each step works and what did not pay: `crates/tensor/NOTES.md`, "Softmax".
//!
//! - v1 naive (`naive.rs`): three strided passes per row, libm exp twice per element: 0.6 GB/s.
//! - v2 rows: vector max, one exp per element stored while summed, then a scale: ≈ 22 GB/s.
//! - v3 columns (`inner > 1`): the three passes vectorized across wide column tiles: ≈ 12 GB/s.
//! - v4 threads: rows or fixed 64K blocks across the pool, same bits on any count: ≈ 21 GB/s 2T.
//! - v5 AVX-512 pass 2 (`math::avx512::exp_sum`, same sums in the same order): ≈ 23 GB/s, 45 2T.
//! - v6 a cheaper exp for x - max <= 0, the max as a plain loop: 21-23 → 23-25 GB/s, 2T → 47-50.
//! - v7 `exp_rel`: max folded into the log2 e multiply, `vreduceps` split: 23.9 → 27.6 GB/s.
//! - v8 columns in two passes (`cols_max_sum`, `cols_exp_scale`), streaming stores: 12-13 → 14-18.
//! - v9 table-driven `exp_rel`, 8 vector ops per 16 floats instead of 9: rows at 57-75% of copy.
//! - v10 one `[len, inner]` block split across threads: columns on 2T 8 → 12-19 GB/s.
//!
//! A row that is entirely -inf has no finite max: softmax and log-softmax give NaN there
//! (-inf - -inf), exactly like the naive kernel and PyTorch; logsumexp gives -inf.

use crate::dtype::{downcast_slice, downcast_slice_mut, Float};
use crate::ops::simd::{fold_pairwise, level, math, multiversion, par_chunks_mut, threads_for, Level, SimdFloat};
use rayon::prelude::*;

/// Accumulators in the lane folds (4 AVX-512 registers of f32).
const LANES: usize = 64;
/// Long rows are processed in blocks of this many elements (see v4).
const ROW_BLOCK: usize = 1 << 16;
/// Columns processed together when `inner > 1`. Wide, so every pass streams whole contiguous
/// rows: narrow tiles make each pass jump a full row (and a page) per 256 bytes, which the
/// prefetcher and TLB handle badly (measured: 64 columns 4.9 GB/s, 1024 6.7, whole rows 9+).
const COL_TILE: usize = 8192;
/// Floats per row block in the first pass over a column tile (see [`cols_max_sum`]): 256 KiB,
/// a quarter of Zen 4's L2.
const COL_BLOCK: usize = 1 << 16;
/// Column softmax over blocks at least this large writes its output with streaming stores,
/// which skip reading each output line into the cache first (the output is far bigger than L2
/// and pass 1 already filled the cache with the input): 0.66 → 0.55 ns/element at 4M floats.
const STREAM_MIN_BYTES: usize = 8 << 20;
/// An exp costs about this many plain streaming ops (for the threading threshold).
const EXP_COST: usize = 4;

/// Softmax (or log-softmax when `log`) along the middle axis; `out` has the shape of `x`.
pub fn softmax<T: Float>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T], log: bool) {
    assert_eq!(x.len(), outer * len * inner, "softmax: input is not [outer, len, inner]");
    assert_eq!(out.len(), x.len(), "softmax: output and input lengths differ");
    if let (Some(x), Some(out)) = (downcast_slice::<T, f32>(x), downcast_slice_mut::<T, f32>(out)) {
        return softmax_simd(x, outer, len, inner, out, log);
    }
    if let (Some(x), Some(out)) = (downcast_slice::<T, f64>(x), downcast_slice_mut::<T, f64>(out)) {
        return softmax_simd(x, outer, len, inner, out, log);
    }
    unreachable!("Float is implemented only for f32 and f64");
}

/// `ln Σ exp(x)` along the middle axis into `out` of shape `[outer, inner]`.
pub fn logsumexp<T: Float>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    assert_eq!(x.len(), outer * len * inner, "logsumexp: input is not [outer, len, inner]");
    assert_eq!(out.len(), outer * inner, "logsumexp: output is not [outer, inner]");
    if let (Some(x), Some(out)) = (downcast_slice::<T, f32>(x), downcast_slice_mut::<T, f32>(out)) {
        return logsumexp_simd(x, outer, len, inner, out);
    }
    if let (Some(x), Some(out)) = (downcast_slice::<T, f64>(x), downcast_slice_mut::<T, f64>(out)) {
        return logsumexp_simd(x, outer, len, inner, out);
    }
    unreachable!("Float is implemented only for f32 and f64");
}

fn softmax_simd<F: SimdFloat>(x: &[F], outer: usize, len: usize, inner: usize, out: &mut [F], log: bool) {
    let work = x.len() * EXP_COST;
    if x.is_empty() {
        return;
    }
    if inner > 1 {
        let block = len * inner;
        if outer >= threads_for(work) {
            // Enough blocks for every thread: each block runs on one.
            return par_chunks_mut(out, block, work, |start, out| {
                for (xb, ob) in x[start..start + out.len()].chunks_exact(block).zip(out.chunks_exact_mut(block)) {
                    softmax_cols(xb, len, inner, ob, log, 0);
                }
            });
        }
        // Fewer blocks than threads: each block's passes are split across the pool instead.
        for (xb, ob) in x.chunks_exact(block).zip(out.chunks_exact_mut(block)) {
            softmax_cols(xb, len, inner, ob, log, work);
        }
        return;
    }
    let blocks = len.div_ceil(ROW_BLOCK);
    if blocks > 1 && outer < threads_for(work) {
        // A few very long rows: every pass runs over the row's blocks in parallel.
        for (xr, or) in x.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
            softmax_long_row(xr, or, log, work);
        }
        return;
    }
    par_chunks_mut(out, len, work, |start, out| softmax_rows(&x[start..start + out.len()], len, out, log));
}

fn logsumexp_simd<F: SimdFloat>(x: &[F], outer: usize, len: usize, inner: usize, out: &mut [F]) {
    let work = x.len() * EXP_COST;
    if inner > 1 {
        return par_chunks_mut(out, 1, work, |start, out| logsumexp_cols(x, len, inner, start, out));
    }
    let blocks = len.div_ceil(ROW_BLOCK);
    if blocks > 1 && outer < threads_for(work) {
        for (xr, o) in x.chunks_exact(len).zip(out.iter_mut()) {
            *o = finish_logsumexp(xr, long_row_max_sum(xr, None, work));
        }
        return;
    }
    par_chunks_mut(out, 1, work, |start, out| logsumexp_rows(&x[start * len..(start + out.len()) * len], len, out));
}

/// NaN-propagating max (as `Numeric::max_of`), in a form that vectorizes to max + select.
#[inline(always)]
fn max_nan<F: SimdFloat>(a: F, b: F) -> F {
    a.max_of(b)
}

/// Max that ignores NaN (one `vmaxps`): the rows' NaNs are caught later, because e^(NaN - max)
/// makes the sum NaN, and that makes every output NaN, as the reference's NaN max would.
#[inline(always)]
fn max_skip_nan<F: SimdFloat>(a: F, b: F) -> F {
    if b > a {
        b
    } else {
        a
    }
}

/// Lane-parallel max of `xs`, NaNs skipped.
#[inline(always)]
fn block_max<F: SimdFloat>(xs: &[F]) -> F {
    let mut acc = [F::NEG_INFINITY; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] = max_skip_nan(acc[j], c[j]);
        }
    }
    tail.iter().fold(fold_pairwise(acc, max_skip_nan), |a, &b| max_skip_nan(a, b))
}

/// Σ e^(x - max + k) over `xs` in lane accumulators (`shift` and k from
/// `SimdFloat::exp_rel_consts(max)`), also storing each term in `out` when given.
#[inline(always)]
fn block_exp_sum<F: SimdFloat>(xs: &[F], shift: F, mut out: Option<&mut [F]>) -> F {
    #[cfg(target_arch = "x86_64")]
    if let (Some(xs32), Level::Avx512) = (downcast_slice::<F, f32>(xs), level()) {
        let o32 = out.as_deref_mut().map(|o| downcast_slice_mut::<F, f32>(o).expect("F is f32"));
        // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F and DQ.
        // (f32 → f64 → f32 round trips are exact.)
        return F::from_f64(unsafe { math::avx512::exp_sum(xs32, shift.to_f64() as f32, o32) } as f64);
    }
    let mut acc = [F::ZERO; LANES];
    let mut tail_sum = F::ZERO;
    match out {
        Some(out) => {
            let mut oc = out.chunks_exact_mut(LANES);
            let mut xc = xs.chunks_exact(LANES);
            for (o, c) in (&mut oc).zip(&mut xc) {
                for j in 0..LANES {
                    let e = c[j].exp_rel_v(shift);
                    o[j] = e;
                    acc[j] += e;
                }
            }
            for (o, &v) in oc.into_remainder().iter_mut().zip(xc.remainder()) {
                let e = v.exp_rel_v(shift);
                *o = e;
                tail_sum += e;
            }
        }
        None => {
            let xc = xs.chunks_exact(LANES);
            for &v in xc.remainder() {
                tail_sum += v.exp_rel_v(shift);
            }
            for c in xc {
                for j in 0..LANES {
                    acc[j] += c[j].exp_rel_v(shift);
                }
            }
        }
    }
    fold_pairwise(acc, |a, b| a + b) + tail_sum
}

/// Pass 2 over one row of a column tile: `sum[i] += exp_rel(x[i], shift[i])`, also stored in
/// `out[i]` when given.
#[inline(always)]
fn cols_exp_sum<F: SimdFloat>(xs: &[F], shift: &[F], sum: &mut [F], mut out: Option<&mut [F]>) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(xs32), Level::Avx512) = (downcast_slice::<F, f32>(xs), level()) {
        let shift32 = downcast_slice::<F, f32>(shift).expect("F is f32");
        let sum32 = downcast_slice_mut::<F, f32>(sum).expect("F is f32");
        let o32 = out.as_deref_mut().map(|o| downcast_slice_mut::<F, f32>(o).expect("F is f32"));
        // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F and DQ.
        return unsafe { math::avx512::exp_rel_accumulate(xs32, shift32, sum32, o32) };
    }
    match out {
        Some(out) => {
            for ((s, o), (&v, &c)) in sum.iter_mut().zip(out).zip(xs.iter().zip(shift)) {
                let e = v.exp_rel_v(c);
                *o = e;
                *s += e;
            }
        }
        None => {
            for ((s, &v), &c) in sum.iter_mut().zip(xs).zip(shift) {
                *s += v.exp_rel_v(c);
            }
        }
    }
}

/// Pass 3: scale the terms in `out` by 1/sum (their common factor e^k cancels), or write
/// log-softmax from `x` (k is taken out of ln Σ).
#[inline(always)]
fn block_finish<F: SimdFloat>(xs: &[F], (max, sum, k): (F, F, F), out: &mut [F], log: bool) {
    if log {
        let shift = sum.ln() - k;
        for (o, &v) in out.iter_mut().zip(xs) {
            *o = (v - max) - shift;
        }
    } else {
        let inv = F::ONE / sum;
        for o in out.iter_mut() {
            *o = *o * inv;
        }
    }
}

/// `max + ln(sum) - k`; `max` came from [`block_max`], which skips NaN.
#[inline(always)]
fn finish_logsumexp<F: SimdFloat>(xs: &[F], (max, sum, k): (F, F, F)) -> F {
    if max.is_finite() {
        max + (sum.ln() - k) // a NaN in the row made the sum NaN
    } else if xs.iter().any(|v| v.is_nan()) {
        F::NAN
    } else {
        max // -inf for an empty or all -inf row, +inf when the row has one
    }
}

/// `(max, sum, k)` of a row: its max and Σ e^(x - max + k), block by block (the same blocks as
/// the parallel path), with k from `SimdFloat::exp_rel_consts`.
#[inline(always)]
fn row_max_sum<F: SimdFloat>(xs: &[F], mut out: Option<&mut [F]>) -> (F, F, F) {
    // A plain loop, not `Iterator::fold`: fold is a separate generic function that is not
    // inlined into the caller's `#[target_feature]` copy, so the max ran as SSE code (4x slower).
    let mut max = F::NEG_INFINITY;
    for b in xs.chunks(ROW_BLOCK) {
        max = max_skip_nan(max, block_max(b));
    }
    let (shift, k) = F::exp_rel_consts(max);
    let mut sum = F::ZERO;
    for (i, b) in xs.chunks(ROW_BLOCK).enumerate() {
        let o = out.as_deref_mut().map(|o| &mut o[i * ROW_BLOCK..i * ROW_BLOCK + b.len()]);
        sum += block_exp_sum(b, shift, o);
    }
    (max, sum, k)
}

multiversion! {
    fn softmax_rows<F: SimdFloat>(x: &[F], len: usize, out: &mut [F], log: bool) {
        for (xr, or) in x.chunks_exact(len).zip(out.chunks_exact_mut(len)) {
            // (Log-softmax is written from x in pass 3, but storing the terms in pass 2 anyway
            // brings the output's cache lines in while the core is busy with exp: measured
            // faster, 22 → 27 GB/s.)
            let stats = row_max_sum(xr, Some(&mut *or));
            block_finish(xr, stats, or, log);
        }
    }
}

multiversion! {
    fn logsumexp_rows<F: SimdFloat>(x: &[F], len: usize, out: &mut [F]) {
        if len == 0 {
            out.fill(F::NEG_INFINITY);
            return;
        }
        for (xr, o) in x.chunks_exact(len).zip(out.iter_mut()) {
            *o = finish_logsumexp(xr, row_max_sum(xr, None));
        }
    }
}

multiversion! {
    fn max_blocks<F: SimdFloat>(x: &[F], out: &mut [F]) {
        for (o, b) in out.iter_mut().zip(x.chunks(ROW_BLOCK)) {
            *o = block_max(b);
        }
    }
}

multiversion! {
    fn exp_sum_blocks<F: SimdFloat>(x: &[F], shift: F, out: Option<&mut [F]>, sums: &mut [F]) {
        match out {
            Some(out) => {
                for ((s, b), o) in sums.iter_mut().zip(x.chunks(ROW_BLOCK)).zip(out.chunks_mut(ROW_BLOCK)) {
                    *s = block_exp_sum(b, shift, Some(o));
                }
            }
            None => {
                for (s, b) in sums.iter_mut().zip(x.chunks(ROW_BLOCK)) {
                    *s = block_exp_sum(b, shift, None);
                }
            }
        }
    }
}

multiversion! {
    fn finish_blocks<F: SimdFloat>(x: &[F], stats: (F, F, F), out: &mut [F], log: bool) {
        block_finish(x, stats, out, log);
    }
}

/// [`row_max_sum`] of one long row with its blocks spread over the pool; when `out` is given,
/// it receives the terms e^(x - max + k).
fn long_row_max_sum<F: SimdFloat>(x: &[F], out: Option<&mut [F]>, work: usize) -> (F, F, F) {
    let blocks = x.len().div_ceil(ROW_BLOCK);
    let mut part = vec![F::ZERO; blocks];
    par_chunks_mut(&mut part, 1, work, |b0, p| {
        max_blocks(&x[b0 * ROW_BLOCK..x.len().min((b0 + p.len()) * ROW_BLOCK)], p)
    });
    let max = part.iter().fold(F::NEG_INFINITY, |m, &b| max_skip_nan(m, b));
    let (shift, k) = F::exp_rel_consts(max);
    match out {
        Some(out) => {
            // Split the output by blocks alongside the partial sums.
            let mut pieces: Vec<(&mut [F], F)> = out.chunks_mut(ROW_BLOCK).map(|o| (o, F::ZERO)).collect();
            par_chunks_mut(&mut pieces, 1, work, |b0, ps| {
                for (k, (o, s)) in ps.iter_mut().enumerate() {
                    let b = b0 + k;
                    let xb = &x[b * ROW_BLOCK..x.len().min((b + 1) * ROW_BLOCK)];
                    exp_sum_blocks(xb, shift, Some(&mut **o), std::slice::from_mut(s));
                }
            });
            for (p, (_, s)) in part.iter_mut().zip(&pieces) {
                *p = *s;
            }
        }
        None => par_chunks_mut(&mut part, 1, work, |b0, p| {
            exp_sum_blocks(&x[b0 * ROW_BLOCK..x.len().min((b0 + p.len()) * ROW_BLOCK)], shift, None, p)
        }),
    }
    let sum = part.iter().fold(F::ZERO, |s, &b| s + b);
    (max, sum, k)
}

fn softmax_long_row<F: SimdFloat>(x: &[F], out: &mut [F], log: bool, work: usize) {
    let stats = long_row_max_sum(x, if log { None } else { Some(&mut *out) }, work);
    par_chunks_mut(out, ROW_BLOCK, work, |start, o| finish_blocks(&x[start..start + o.len()], stats, o, log));
}

/// Rows per block of [`cols_max_sum`] in a `[len, inner]` block: about [`COL_BLOCK`] floats of
/// a tile as wide as the rows (up to [`COL_TILE`]). It depends on `inner` alone, not on how the
/// columns are split into tiles, so each column's sum is rounded the same way whatever the
/// thread count.
fn col_block_rows(inner: usize) -> usize {
    (COL_BLOCK / inner.min(COL_TILE)).max(1)
}

/// Pass 1 over the columns `i0..i0 + n` of the `[len, inner]` block `xb`: each column's max
/// `m`, the shift its terms were taken relative to, and their sum, in one read of the tile.
/// Rows go in blocks of `rows` ([`col_block_rows`]): the block's max first (from memory), then,
/// where a column's max grew, its sum so far is rescaled by 2^(old shift - new shift) (once per
/// block, not per element), and the block's terms are added (the block is still in L2).
/// `maxf` is [`max_skip_nan`] for softmax (a NaN poisons the sum) or [`max_nan`] for logsumexp
/// (whose result must be NaN even where the max is +inf). While a column has seen only -inf
/// its shift is 0, so its terms are 0 (or NaN), not -inf - -inf.
#[inline(always)]
fn cols_max_sum<F: SimdFloat>(
    xb: &[F],
    len: usize,
    inner: usize,
    (i0, rows): (usize, usize),
    (m, shift, sum, newm): (&mut [F], &mut [F], &mut [F], &mut [F]),
    maxf: impl Fn(F, F) -> F,
) {
    let n = m.len();
    m.fill(F::NEG_INFINITY);
    shift.fill(F::ZERO);
    sum.fill(F::ZERO);
    let mut l0 = 0;
    while l0 < len {
        let l1 = (l0 + rows).min(len);
        newm.copy_from_slice(m);
        for l in l0..l1 {
            for (a, &v) in newm.iter_mut().zip(&xb[l * inner + i0..][..n]) {
                *a = maxf(*a, v);
            }
        }
        for (((m, s), sum), &nm) in m.iter_mut().zip(shift.iter_mut()).zip(sum.iter_mut()).zip(&*newm) {
            if nm > *m {
                let new_shift = F::exp_rel_consts(nm).0;
                // e^(old max - new max) in the terms' units; a column that was all -inf had
                // only zero terms (or NaN, which the multiply keeps).
                let factor = if *m == F::NEG_INFINITY { F::ZERO } else { F::ZERO.exp_rel_v(new_shift - *s) };
                *sum = *sum * factor;
                *s = new_shift;
            }
            *m = nm;
        }
        for l in l0..l1 {
            cols_exp_sum(&xb[l * inner + i0..][..n], shift, sum, None);
        }
        l0 = l1;
    }
}

/// Pass 2 over one row of a column tile: `out[i] = exp_rel(x[i], shift[i]) * scale[i]`, with
/// streaming stores when `stream` (AVX-512 only; the values are the same).
#[inline(always)]
fn cols_exp_scale<F: SimdFloat>(xs: &[F], shift: &[F], scale: &[F], out: &mut [F], stream: bool) {
    #[cfg(target_arch = "x86_64")]
    if let (Some(xs32), Level::Avx512) = (downcast_slice::<F, f32>(xs), level()) {
        let shift32 = downcast_slice::<F, f32>(shift).expect("F is f32");
        let scale32 = downcast_slice::<F, f32>(scale).expect("F is f32");
        let o32 = downcast_slice_mut::<F, f32>(out).expect("F is f32");
        // SAFETY: `level()` only reports AVX-512 when the CPU has AVX-512F and DQ.
        return unsafe { math::avx512::exp_rel_scale(xs32, shift32, scale32, o32, stream) };
    }
    let _ = stream;
    for ((o, &v), (&c, &k)) in out.iter_mut().zip(xs).zip(shift.iter().zip(scale)) {
        *o = v.exp_rel_v(c) * k;
    }
}

/// Softmax (or log-softmax) of one `[len, inner]` block along `len`, vectorized across columns.
/// Pass 1 ([`cols_stats`]) reads the block once for every column's max and sum, in tiles of
/// columns; pass 2 ([`cols_write`]) reads it again, row by row, and writes each output once.
/// With `work` above the threading threshold the tiles of pass 1 and the rows of pass 2 are
/// split across the pool (a `[2048, 2048]` softmax along axis 0 is one block: without the split
/// it ran on one thread). The results do not depend on the split.
fn softmax_cols<F: SimdFloat>(xb: &[F], len: usize, inner: usize, ob: &mut [F], log: bool, work: usize) {
    let threads = threads_for(work);
    let tile = inner.div_ceil(threads).next_multiple_of(16).min(COL_TILE);
    let rows = col_block_rows(inner);
    let (mut m, mut shift, mut scale) = (vec![F::ZERO; inner], vec![F::ZERO; inner], vec![F::ZERO; inner]);
    let stats = |k: usize, ((m, shift), scale): ((&mut [F], &mut [F]), &mut [F])| {
        cols_stats(xb, len, inner, (k * tile, rows), m, shift, scale, log)
    };
    if threads > 1 {
        let tiles = m.par_chunks_mut(tile).zip(shift.par_chunks_mut(tile)).zip(scale.par_chunks_mut(tile));
        tiles.enumerate().for_each(|(k, t)| stats(k, t));
    } else {
        let tiles = m.chunks_mut(tile).zip(shift.chunks_mut(tile)).zip(scale.chunks_mut(tile));
        tiles.enumerate().for_each(|(k, t)| stats(k, t));
    }
    let stream = len * inner * std::mem::size_of::<F>() >= STREAM_MIN_BYTES;
    par_chunks_mut(ob, inner, work, |start, o| {
        cols_write(&xb[start..start + o.len()], (&m, &shift, &scale), o, log, stream)
    });
}

multiversion! {
    /// Pass 1 of [`softmax_cols`] for the columns `i0..i0 + m.len()`, `cols = (i0, rows)`:
    /// each column's max, its shift, and the factor pass 2 applies (1/Σ, or ln Σ - k for
    /// log-softmax).
    fn cols_stats<F: SimdFloat>(
        xb: &[F],
        len: usize,
        inner: usize,
        cols: (usize, usize),
        m: &mut [F],
        shift: &mut [F],
        scale: &mut [F],
        log: bool,
    ) {
        let mut newm = vec![F::ZERO; m.len()];
        cols_max_sum(xb, len, inner, cols, (&mut *m, &mut *shift, &mut *scale, &mut newm), max_skip_nan);
        // One ln or one division per column, then a subtract or an exp and a multiply per element.
        for (s, &m) in scale.iter_mut().zip(&*m) {
            *s = if log { s.ln_v() - F::exp_rel_consts(m).1 } else { F::ONE / *s };
        }
    }
}

multiversion! {
    /// Pass 2 of [`softmax_cols`] over whole rows `x` (each `m.len()` long): e^(x - max + k) / Σ,
    /// or x - max - (ln Σ - k).
    fn cols_write<F: SimdFloat>(x: &[F], stats: (&[F], &[F], &[F]), out: &mut [F], log: bool, stream: bool) {
        let (m, shift, scale) = stats;
        let inner = m.len();
        for (xs, o) in x.chunks_exact(inner).zip(out.chunks_exact_mut(inner)) {
            if log {
                for ((o, &v), (&m, &lse)) in o.iter_mut().zip(xs).zip(m.iter().zip(scale)) {
                    *o = (v - m) - lse;
                }
            } else {
                cols_exp_scale(xs, shift, scale, o, stream);
            }
        }
    }
}

multiversion! {
    /// The flat `[outer, inner]` output range `start..start + out.len()` with `inner > 1`.
    fn logsumexp_cols<F: SimdFloat>(x: &[F], len: usize, inner: usize, start: usize, out: &mut [F]) {
        let w = inner.min(COL_TILE);
        let mut scratch = vec![F::ZERO; 3 * w];
        let mut pos = start;
        let mut rest = out;
        while !rest.is_empty() {
            let (o, i0) = (pos / inner, pos % inner);
            let n = (inner - i0).min(COL_TILE).min(rest.len());
            let (acc, tail) = rest.split_at_mut(n);
            let (m, more) = scratch.split_at_mut(w);
            let (shift, newm) = more.split_at_mut(w);
            let (m, shift, newm) = (&mut m[..n], &mut shift[..n], &mut newm[..n]);
            let xb = &x[o * len * inner..(o + 1) * len * inner];
            cols_max_sum(xb, len, inner, (i0, col_block_rows(inner)), (&mut *m, shift, &mut *acc, newm), max_nan);
            for (s, &m) in acc.iter_mut().zip(&*m) {
                *s = if m.is_finite() { m + (s.ln_v() - F::exp_rel_consts(m).1) } else { m };
            }
            rest = tail;
            pos += n;
        }
    }
}

#[cfg(test)]
mod tests;
