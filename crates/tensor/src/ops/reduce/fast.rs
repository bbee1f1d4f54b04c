//! Fast reductions over a contiguous `[outer, len, inner]` block.
//!
//! # Version catalogue
//!
//! f32 [2048, 2048], GB/s read + written, 1 thread (1T) unless noted, on the 2-core Zen 4 VM. Bench:
//! `cargo run --release -- bench memory` (rows "sum/max along rows/columns"); criterion twin
//! `cargo bench -p kindling-tensor --bench memory -- sum` (or `-- max`). Only the last version runs
//! today; how each step works: `crates/tensor/NOTES.md`, "Reductions".
//!
//! - v1 naive (`naive.rs`): one output at a time, a strided walk, one accumulator: sum rows/cols ≈ 0.6 GB/s.
//! - v2 rows: 64 lane accumulators folded pairwise at the end: sum rows ≈ 57-70, max rows ≈ 55 GB/s.
//! - v3 columns: whole inner rows added into an accumulator tile, naive's order: sum cols ≈ 45 GB/s.
//! - v4 threads: rows, columns or fixed 64K blocks, same bits on any count: sum rows ≈ 60-150 GB/s 2T.
//! - v5 max/min columns on AVX-512 (`fold_cols_extreme_f32`): max cols 25-29 → 56-63 GB/s, 2T → 79-83.
//!
//! Max/min use the same loops with the NaN-propagating `max_of`/`min_of`; arg-max/min find the
//! extreme value with v2/v3 and then the first index holding it; cumsum is a sequential scan
//! per row (threads across rows) and vertical adds across columns.

use super::{ArgOp, ReduceOp};
use crate::dtype::{downcast_slice, downcast_slice_mut, Numeric};
use crate::ops::simd::{level, multiversion, par_chunks_mut, threads_for, Level};

/// Independent accumulators in a row reduction: 4 AVX-512 registers of f32.
const LANES: usize = 64;
/// A long row is reduced in blocks of this many elements, combined in order. Fixed, so the
/// result does not depend on how many threads share the blocks.
const ROW_BLOCK: usize = 1 << 16;
/// Output columns accumulated together in a column reduction (16 KiB of f32: stays in L1
/// while the reduced axis streams past).
const COL_TILE: usize = 4096;
/// Threads split a column reduction into pieces of at least this many output columns, so each
/// strided read stays a long contiguous run (4 KiB of f32) that the prefetcher can follow.
const COL_SPLIT: usize = 1024;

/// Reduces the middle axis of the contiguous block `x` of shape `[outer, len, inner]` into
/// `out` of shape `[outer, inner]`.
pub fn reduce<T: Numeric>(op: ReduceOp, x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    assert_eq!(x.len(), outer * len * inner, "{}: input is not [outer, len, inner]", op.name());
    assert_eq!(out.len(), outer * inner, "{}: output is not [outer, inner]", op.name());
    let work = x.len();
    if inner == 1 {
        let blocks = len.div_ceil(ROW_BLOCK);
        if blocks > 1 && outer < threads_for(work) {
            // A few very long rows: reduce all their blocks in parallel, combine in order.
            let mut partial = vec![op.identity::<T>(); outer * blocks];
            par_chunks_mut(&mut partial, 1, work, |start, chunk| {
                for (k, p) in chunk.iter_mut().enumerate() {
                    let (o, b) = ((start + k) / blocks, (start + k) % blocks);
                    let row = &x[o * len..(o + 1) * len];
                    *p = reduce_lanes(op, &row[b * ROW_BLOCK..len.min((b + 1) * ROW_BLOCK)]);
                }
            });
            for (o, p) in out.iter_mut().zip(partial.chunks_exact(blocks)) {
                *o = p.iter().fold(op.identity(), |acc, &v| op.combine(acc, v));
            }
        } else {
            par_chunks_mut(out, 1, work, |start, out| {
                reduce_rows(op, &x[start * len..(start + out.len()) * len], len, out)
            });
        }
    } else {
        par_chunks_mut(out, COL_SPLIT, work, |start, out| reduce_cols(op, x, len, inner, start, out));
    }
}

/// Folds `xs` with `f` into `LANES` independent accumulators, then pairwise, then the tail.
#[inline(always)]
fn fold_lanes<T: Copy>(xs: &[T], identity: T, f: impl Fn(T, T) -> T) -> T {
    let mut acc = [identity; LANES];
    let chunks = xs.chunks_exact(LANES);
    let tail = chunks.remainder();
    for c in chunks {
        for j in 0..LANES {
            acc[j] = f(acc[j], c[j]);
        }
    }
    let mut width = LANES;
    while width > 1 {
        width /= 2;
        for j in 0..width {
            acc[j] = f(acc[j], acc[j + width]);
        }
    }
    tail.iter().fold(acc[0], |a, &v| f(a, v))
}

multiversion! {
    /// One block of a row, with the op's lane fold.
    fn reduce_lanes<T: Numeric>(op: ReduceOp, xs: &[T]) -> T {
        reduce_lanes_inline(op, xs)
    }
}

#[inline(always)]
fn reduce_lanes_inline<T: Numeric>(op: ReduceOp, xs: &[T]) -> T {
    match op {
        ReduceOp::Sum => fold_lanes(xs, T::ZERO, |a, b| a + b),
        ReduceOp::Prod => fold_lanes(xs, T::ONE, |a, b| a * b),
        ReduceOp::Max => fold_lanes(xs, T::LOWEST, |a, b| a.max_of(b)),
        ReduceOp::Min => fold_lanes(xs, T::HIGHEST, |a, b| a.min_of(b)),
    }
}

/// A whole row: blocks of `ROW_BLOCK` folded in order, as the parallel path does.
#[inline(always)]
fn reduce_row_inline<T: Numeric>(op: ReduceOp, row: &[T]) -> T {
    if row.len() <= ROW_BLOCK {
        op.combine(op.identity(), reduce_lanes_inline(op, row))
    } else {
        row.chunks(ROW_BLOCK).fold(op.identity(), |acc, b| op.combine(acc, reduce_lanes_inline(op, b)))
    }
}

multiversion! {
    /// `out[r]` = reduction of row `r` of `x` (rows of `len`).
    fn reduce_rows<T: Numeric>(op: ReduceOp, x: &[T], len: usize, out: &mut [T]) {
        if len == 0 {
            out.fill(op.identity());
            return;
        }
        for (o, row) in out.iter_mut().zip(x.chunks_exact(len)) {
            *o = reduce_row_inline(op, row);
        }
    }
}

/// Calls `f(o, i0, out_seg)` for every piece of the flat `[outer, inner]` output range
/// `start..start + out.len()` that lies in one outer index and one column tile.
#[inline(always)]
fn for_col_tiles<T>(inner: usize, start: usize, out: &mut [T], mut f: impl FnMut(usize, usize, &mut [T])) {
    let mut pos = start;
    let mut rest = out;
    while !rest.is_empty() {
        let (o, i0) = (pos / inner, pos % inner);
        let n = (inner - i0).min(COL_TILE).min(rest.len());
        let (seg, tail) = rest.split_at_mut(n);
        f(o, i0, seg);
        rest = tail;
        pos += n;
    }
}

/// Vertical fold: `acc[j] = f(acc[j], x[o, l, i0 + j])` for l = 0..len, in order.
#[inline(always)]
fn fold_cols<T: Copy>(x: &[T], len: usize, inner: usize, o: usize, i0: usize, acc: &mut [T], f: impl Fn(T, T) -> T) {
    let n = acc.len();
    for l in 0..len {
        let row = &x[(o * len + l) * inner + i0..][..n];
        for (a, &v) in acc.iter_mut().zip(row) {
            *a = f(*a, v);
        }
    }
}

/// [`fold_cols`] for f32 max (or min) with `max_of`'s exact semantics in two instructions per
/// 16 columns instead of four: `k = v is not NaN`, then a masked `vmaxps(v, acc)` whose
/// lanes outside `k` take `v`. So a NaN in `v` enters the accumulator, and a NaN accumulator
/// stays (vmaxps returns its second operand when either is NaN, and on ties, so ±0 ties keep
/// the accumulator as `max_of` does): the same bits as the generic fold. The generic select
/// `if b > a || b.is_nan()` compiles to two compares, a mask or and a blend.
///
/// # Safety
///
/// The CPU must support AVX-512F.
#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx512f")]
fn fold_cols_extreme_f32(x: &[f32], len: usize, inner: usize, o: usize, i0: usize, acc: &mut [f32], max: bool) {
    use std::arch::x86_64::*;
    #[inline(always)]
    fn step(v: __m512, a: __m512, max: bool) -> __m512 {
        // SAFETY: only called from this AVX-512F function.
        unsafe {
            let ordered = _mm512_cmp_ps_mask::<_CMP_ORD_Q>(v, v);
            if max {
                _mm512_mask_max_ps(v, ordered, v, a)
            } else {
                _mm512_mask_min_ps(v, ordered, v, a)
            }
        }
    }
    let n = acc.len();
    let full = n / 16 * 16;
    for l in 0..len {
        let row = &x[(o * len + l) * inner + i0..][..n];
        for j in (0..full).step_by(16) {
            // SAFETY: `j + 16 <= full <= n`, the length of both `row` and `acc`.
            unsafe {
                let a = _mm512_loadu_ps(acc.as_ptr().add(j));
                let v = _mm512_loadu_ps(row.as_ptr().add(j));
                _mm512_storeu_ps(acc.as_mut_ptr().add(j), step(v, a, max));
            }
        }
        for (a, &v) in acc[full..].iter_mut().zip(&row[full..]) {
            *a = if max { a.max_of(v) } else { a.min_of(v) };
        }
    }
}

multiversion! {
    /// The flat output range `start..start + out.len()` of a reduction with `inner > 1`.
    fn reduce_cols<T: Numeric>(op: ReduceOp, x: &[T], len: usize, inner: usize, start: usize, out: &mut [T]) {
        for_col_tiles(inner, start, out, |o, i0, acc| {
            acc.fill(op.identity());
            #[cfg(target_arch = "x86_64")]
            if let (ReduceOp::Max | ReduceOp::Min, Some(x32), Level::Avx512) =
                (op, downcast_slice::<T, f32>(x), level())
            {
                let acc32 = downcast_slice_mut::<T, f32>(acc).expect("T is f32");
                // SAFETY: `level()` only reports AVX-512F when the CPU has it.
                return unsafe { fold_cols_extreme_f32(x32, len, inner, o, i0, acc32, op == ReduceOp::Max) };
            }
            match op {
                ReduceOp::Sum => fold_cols(x, len, inner, o, i0, acc, |a, b| a + b),
                ReduceOp::Prod => fold_cols(x, len, inner, o, i0, acc, |a, b| a * b),
                ReduceOp::Max => fold_cols(x, len, inner, o, i0, acc, |a, b| a.max_of(b)),
                ReduceOp::Min => fold_cols(x, len, inner, o, i0, acc, |a, b| a.min_of(b)),
            }
        });
    }
}

/// Like [`reduce`] for max/min, also writing the index along the reduced axis of the first
/// extreme value (a NaN counts as the extreme, as in PyTorch).
#[allow(clippy::too_many_arguments)]
pub fn arg_reduce<T: Numeric>(
    op: ArgOp,
    x: &[T],
    outer: usize,
    len: usize,
    inner: usize,
    values: &mut [T],
    indices: &mut [i64],
) {
    assert_eq!(x.len(), outer * len * inner, "arg_reduce: input is not [outer, len, inner]");
    assert!(
        values.len() == outer * inner && indices.len() == outer * inner,
        "arg_reduce: output is not [outer, inner]"
    );
    assert!(len > 0 || values.is_empty(), "arg_reduce: cannot take the arg-extreme of an empty axis");
    // Values and indices are split at the same places: zip them into one output.
    let mut pairs: Vec<(T, i64)> = vec![(T::ZERO, 0); values.len()];
    let unit = if inner == 1 { 1 } else { COL_SPLIT };
    par_chunks_mut(&mut pairs, unit, x.len(), |start, out| {
        if inner == 1 {
            arg_rows(op, &x[start * len..(start + out.len()) * len], len, out)
        } else {
            arg_cols(op, x, len, inner, start, out)
        }
    });
    for ((v, i), (pv, pi)) in values.iter_mut().zip(indices.iter_mut()).zip(pairs) {
        *v = pv;
        *i = pi;
    }
}

multiversion! {
    /// Arg-extreme of each row: the extreme value by a vectorized fold, then the first index
    /// holding it (equal under `==`, or the first NaN when the extreme is NaN).
    fn arg_rows<T: Numeric>(op: ArgOp, x: &[T], len: usize, out: &mut [(T, i64)]) {
        for (o, row) in out.iter_mut().zip(x.chunks_exact(len)) {
            let best = match op {
                ArgOp::Max => reduce_lanes_inline(ReduceOp::Max, row),
                ArgOp::Min => reduce_lanes_inline(ReduceOp::Min, row),
            };
            let at = if best.is_nan() {
                row.iter().position(|v| v.is_nan())
            } else {
                row.iter().position(|&v| v == best)
            };
            let at = at.unwrap_or(0);
            *o = (row[at], at as i64);
        }
    }
}

multiversion! {
    /// Arg-extreme down the columns: a running (best, index) per column, updated by selects.
    fn arg_cols<T: Numeric>(op: ArgOp, x: &[T], len: usize, inner: usize, start: usize, out: &mut [(T, i64)]) {
        for_col_tiles(inner, start, out, |o, i0, acc| {
            let n = acc.len();
            let first = &x[o * len * inner + i0..][..n];
            for (a, &v) in acc.iter_mut().zip(first) {
                *a = (v, 0);
            }
            for l in 1..len {
                let row = &x[(o * len + l) * inner + i0..][..n];
                for (a, &v) in acc.iter_mut().zip(row) {
                    let take = op.better(v, a.0);
                    *a = if take { (v, l as i64) } else { *a };
                }
            }
        });
    }
}

/// Inclusive cumulative sum along the middle axis of `[outer, len, inner]`; `out` has the same
/// shape as `x`.
pub fn cumsum<T: Numeric>(x: &[T], outer: usize, len: usize, inner: usize, out: &mut [T]) {
    assert_eq!(x.len(), outer * len * inner, "cumsum: input is not [outer, len, inner]");
    assert_eq!(out.len(), x.len(), "cumsum: output and input lengths differ");
    let block = len * inner;
    if block == 0 {
        return;
    }
    par_chunks_mut(out, block, x.len(), |start, out| cumsum_blocks(&x[start..start + out.len()], len, inner, out));
}

multiversion! {
    /// Whole `[len, inner]` blocks: row l = row l-1 + x row l (vertical adds when inner > 1, a
    /// scalar scan when inner == 1). Same order as the naive loop: bit-identical.
    fn cumsum_blocks<T: Numeric>(x: &[T], len: usize, inner: usize, out: &mut [T]) {
        for (xb, ob) in x.chunks_exact(len * inner).zip(out.chunks_exact_mut(len * inner)) {
            for (a, &v) in ob[..inner].iter_mut().zip(&xb[..inner]) {
                *a = T::ZERO + v;
            }
            for l in 1..len {
                let (done, rest) = ob.split_at_mut(l * inner);
                let prev = &done[(l - 1) * inner..];
                for ((o, &p), &v) in rest[..inner].iter_mut().zip(prev).zip(&xb[l * inner..(l + 1) * inner]) {
                    *o = p + v;
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ops::simd::testing::{Lcg, AWKWARD_LENGTHS};

    /// `[outer, len, inner]` shapes: rows, columns, degenerate axes, and some above the threading
    /// threshold (including a single row long enough to be split into blocks).
    const SHAPES: [(usize, usize, usize); 14] = [
        (1, 1, 1),
        (3, 1, 5),
        (1, 7, 1),
        (5, 63, 1),
        (2, 65, 3),
        (1, 257, 7),
        (4, 1, 1),
        (7, 3, 65),
        (1, 4099, 1),
        (3, 5, 4099),
        (1, 200_003, 1),
        (3, 70_001, 1),
        (2, 300, 130),
        (200, 400, 1),
    ];
    /// Float sums may differ from the sequential sum by this many epsilons per element, relative
    /// to Σ|x| (the classical bound for any summation order).
    const SUM_EPS_PER_ELEMENT: f64 = 1.0;

    fn reference<T: Numeric>(op: ReduceOp, x: &[T], (outer, len, inner): (usize, usize, usize)) -> Vec<T> {
        let mut out = vec![op.identity::<T>(); outer * inner];
        for o in 0..outer {
            for l in 0..len {
                for i in 0..inner {
                    out[o * inner + i] = op.combine(out[o * inner + i], x[(o * len + l) * inner + i]);
                }
            }
        }
        out
    }

    fn abs_sum<T: Numeric>(x: &[T], (outer, len, inner): (usize, usize, usize), o: usize, i: usize) -> f64 {
        let _ = outer;
        (0..len).map(|l| x[(o * len + l) * inner + i].to_f64().abs()).sum()
    }

    fn check<T: Numeric>(x: &[T], shape: (usize, usize, usize), eps: f64) {
        let (outer, len, inner) = shape;
        for op in [ReduceOp::Sum, ReduceOp::Prod, ReduceOp::Max, ReduceOp::Min] {
            let mut out = vec![T::ZERO; outer * inner];
            reduce(op, x, outer, len, inner, &mut out);
            let want = reference(op, x, shape);
            for (k, (&g, &w)) in out.iter().zip(&want).enumerate() {
                let ok = match op {
                    _ if !w.to_f64().is_finite() => g == w || (g.is_nan() && w.is_nan()),
                    ReduceOp::Sum if eps > 0.0 => {
                        let bound = SUM_EPS_PER_ELEMENT * eps * len as f64 * abs_sum(x, shape, k / inner, k % inner);
                        (g.to_f64() - w.to_f64()).abs() <= bound
                    }
                    ReduceOp::Prod if eps > 0.0 => {
                        (g.to_f64() - w.to_f64()).abs() <= SUM_EPS_PER_ELEMENT * eps * len as f64 * w.to_f64().abs()
                    }
                    _ => g == w || (g.is_nan() && w.is_nan()),
                };
                assert!(ok, "{} {} shape {shape:?} at {k}: got {g} want {w}", op.name(), T::DTYPE);
            }
        }
        for op in [ArgOp::Max, ArgOp::Min] {
            if len == 0 {
                continue;
            }
            let (mut values, mut indices) = (vec![T::ZERO; outer * inner], vec![0i64; outer * inner]);
            arg_reduce(op, x, outer, len, inner, &mut values, &mut indices);
            for o in 0..outer {
                for i in 0..inner {
                    let at = |l: usize| x[(o * len + l) * inner + i];
                    let (mut best, mut idx) = (at(0), 0);
                    for l in 1..len {
                        if op.better(at(l), best) {
                            (best, idx) = (at(l), l);
                        }
                    }
                    let k = o * inner + i;
                    assert_eq!(indices[k], idx as i64, "arg {op:?} {} shape {shape:?} at {k}", T::DTYPE);
                    assert!(values[k] == best || (best.is_nan() && values[k].is_nan()));
                }
            }
        }
        let mut out = vec![T::ZERO; x.len()];
        cumsum(x, outer, len, inner, &mut out);
        for o in 0..outer {
            for i in 0..inner {
                let mut acc = T::ZERO;
                for l in 0..len {
                    let at = (o * len + l) * inner + i;
                    acc += x[at];
                    assert!(
                        out[at] == acc || (acc.is_nan() && out[at].is_nan()),
                        "cumsum {} shape {shape:?} at {at}",
                        T::DTYPE
                    );
                }
            }
        }
    }

    /// Values in [-1, 1) rounded to multiples of 1/8, so ties are frequent (argmax tie-breaking),
    /// plus NaN and infinities in some rows.
    fn data_f64(n: usize, seed: u64, specials: bool) -> Vec<f64> {
        let mut rng = Lcg::new(seed);
        (0..n)
            .map(|k| match k % 997 {
                13 if specials => f64::NAN,
                500 if specials => f64::INFINITY,
                _ => (rng.uniform(-1.0, 1.0) * 8.0).round() / 8.0 + 1.0,
            })
            .collect()
    }

    #[test]
    fn reductions_match_reference_for_every_shape_and_type() {
        for (s, &shape) in SHAPES.iter().enumerate() {
            let n = shape.0 * shape.1 * shape.2;
            let x = data_f64(n, s as u64, false);
            check(&x, shape, f64::EPSILON);
            let x32: Vec<f32> = x.iter().map(|&v| v as f32).collect();
            check(&x32, shape, f32::EPSILON as f64);
            // Integers in {-1, 0, 1} (so products cannot overflow), and scaled for i64.
            let xi: Vec<i32> = x.iter().map(|&v| (v * 8.0) as i32 % 3 - 1).collect();
            check(&xi, shape, 0.0);
            let xl: Vec<i64> = xi.iter().map(|&v| v as i64).collect();
            check(&xl, shape, 0.0);
        }
    }

    #[test]
    fn nan_propagates_and_wins_argmax() {
        for &shape in &SHAPES[..10] {
            let n = shape.0 * shape.1 * shape.2;
            let x32: Vec<f32> = data_f64(n, 99, true).iter().map(|&v| v as f32).collect();
            check(&x32, shape, f32::EPSILON as f64);
        }
    }

    /// Column max/min (the AVX-512 masked fold) give `max_of`/`min_of`'s exact bits: NaN first,
    /// last and in between, signed zeros in both orders, infinities, 16-lane bodies and tails.
    #[test]
    fn column_extremes_are_bit_identical_to_the_sequential_fold() {
        let (nan, inf) = (f32::NAN, f32::INFINITY);
        let vals = [nan, -0.0, 0.0, 1.0, -1.0, inf, -inf, f32::from_bits(0x7fc0_1234), 2.5, -0.0];
        let (len, inner) = (5, 37);
        // Column i takes values from `vals` in an order that depends on i, so every pair of
        // specials meets in both orders somewhere.
        let x: Vec<f32> =
            (0..len * inner).map(|k| vals[((k % inner) * 7 + (k / inner) * (k % inner + 3)) % vals.len()]).collect();
        for op in [ReduceOp::Max, ReduceOp::Min] {
            let mut out = vec![0f32; inner];
            reduce(op, &x, 1, len, inner, &mut out);
            let want = reference(op, &x, (1, len, inner));
            for (i, (g, w)) in out.iter().zip(&want).enumerate() {
                assert!(
                    g.to_bits() == w.to_bits(),
                    "{} column {i}: {g:?} ({:#x}) vs {w:?} ({:#x})",
                    op.name(),
                    g.to_bits(),
                    w.to_bits()
                );
            }
        }
    }

    #[test]
    fn awkward_row_lengths() {
        for len in AWKWARD_LENGTHS {
            let x: Vec<f32> = data_f64(len * 2, len as u64, false).iter().map(|&v| v as f32).collect();
            check(&x, (2, len, 1), f32::EPSILON as f64);
            check(&x, (1, 2, len), f32::EPSILON as f64);
        }
    }

    #[test]
    fn results_do_not_depend_on_the_thread_count() {
        let x: Vec<f32> = Lcg::new(5).vec_f32(300_001, -1.0, 1.0);
        for (outer, len) in [(1, 300_001), (300_001, 1)] {
            let run = |threads| {
                let mut out = vec![0f32; outer];
                rayon::ThreadPoolBuilder::new()
                    .num_threads(threads)
                    .build()
                    .unwrap()
                    .install(|| reduce(ReduceOp::Sum, &x, outer, len, 1, &mut out));
                out.iter().map(|v| v.to_bits()).collect::<Vec<_>>()
            };
            assert_eq!(run(1), run(3));
        }
    }
}
