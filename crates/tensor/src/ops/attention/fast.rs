//! Fast attention: a tiled online-softmax ("flash") forward and backward that never hold an
//! `L × S` matrix, so memory grows linearly with the context.
//!
//! # Version catalogue
//!
//! The GPT shape of issue 19: q, k, v `[32, 4, 64, 32]` f32, causal, strided views of a
//! `[B, T, 3C]` projection; forward and forward + backward time as a ratio to PyTorch 2.15's
//! `scaled_dot_product_attention` on the same shape and threads (`tools/peers/attention_torch.py`),
//! on the 2-core Zen 4 VM. Bench: `cargo bench -p kindling-tensor --bench attention -- <group>`
//! with the group named on each line; peak memory: `cargo run --release -p kindling-tensor
//! --example attention_memory`. Only v1 and the last version run today; the story is in
//! `crates/tensor/NOTES.md`, "Attention".
//!
//! - v1 naive (`naive.rs`, `naive_*` in the bench): scores, mask, softmax, dropout and the
//!   products materialised per head, one strided element at a time, one thread.
//! - v2 tiles: query tiles of [`BQ`] rows against key tiles of [`BK`] keys, every product a
//!   call of the packed GEMM (`gemm_serial`) on a tile, causal tiles above the diagonal skipped.
//! - v3 online softmax: a running max and sum per query row, the accumulated output rescaled
//!   by e^(m_old − m_new) when the max grows, the row's log-sum-exp saved for the backward pass;
//!   the backward recomputes each tile's probabilities from it (D_i = rowsum(dO ∘ O); dV += Pᵀ
//!   dO; dP = dO Vᵀ; dS = P ∘ (dP − D_i); dQ += scale·dS K; dK += scale·dSᵀ Q).
//! - v4 SIMD: the row passes (scale, max, exp, sum, rescale) in one multiversioned body
//!   (`SimdFloat::exp_v`, AVX-512 / AVX2 dispatch).
//! - v5 threads: batch-heads split across the rayon pool (each head's tiles on one thread, so
//!   dK and dV accumulate without sharing).
//!
//! Figures for each step: `fast_*` groups of the bench (see NOTES.md).
//!
//! Strided q, k, v whose rows are dense (the last axis has stride 1, as in a view of a packed
//! projection) are read in place; others are copied once.

use super::{AttentionForward, AttentionGrads, Mats, Problem};
use crate::dtype::{downcast_slice, downcast_slice_mut};
use crate::ops::matmul::fast::gemm_serial;
use crate::ops::matmul::MatRef;
use crate::ops::simd::{multiversion, threads_for, SimdFloat};
use crate::storage::zeroed_buffer;
use crate::{Element, Float, Tensor};
use rayon::prelude::*;

/// Query rows per tile.
pub const BQ: usize = 32;
/// Keys per tile.
pub const BK: usize = 64;

/// One operand (or mask) as per-head matrices over a typed slice.
#[derive(Clone, Copy)]
struct MatSlice<'a, E> {
    buf: &'a [E],
    bases: &'a [usize],
    row: usize,
    col: usize,
}

impl<'a, E: Element> MatSlice<'a, E> {
    fn of<T: Element>(m: &'a Mats<T>) -> Self {
        MatSlice {
            buf: downcast_slice::<T, E>(m.buf()).expect("the element type was checked"),
            bases: &m.bases,
            row: m.row,
            col: m.col,
        }
    }

    #[inline(always)]
    fn get(&self, n: usize, r: usize, c: usize) -> E {
        self.buf[self.bases[n] + r * self.row + c * self.col]
    }

    /// Rows `r0 .. r0 + rows` of head `n` as a GEMM operand (`cols` wide).
    #[inline(always)]
    fn tile(&self, n: usize, r0: usize, rows: usize, cols: usize) -> MatRef<'a, E> {
        MatRef {
            data: self.buf,
            offset: self.bases[n] + r0 * self.row,
            rows,
            cols,
            row_stride: self.row,
            col_stride: self.col,
        }
    }
}

/// The problem with typed slices, for a kernel over `F`.
struct Inputs<'a, F> {
    l: usize,
    s: usize,
    e: usize,
    ev: usize,
    q: MatSlice<'a, F>,
    k: MatSlice<'a, F>,
    v: MatSlice<'a, F>,
    allow: Option<MatSlice<'a, bool>>,
    additive: Option<MatSlice<'a, F>>,
    padding: Option<MatSlice<'a, bool>>,
    causal: bool,
    scale: F,
    dropout: Option<super::Dropout>,
    keep_scale: F,
}

impl<'a, F: SimdFloat> Inputs<'a, F> {
    fn new<T: Float>(p: &'a Problem<T>, q: &'a Mats<T>, k: &'a Mats<T>, v: &'a Mats<T>) -> Self {
        Inputs {
            l: p.l,
            s: p.s,
            e: p.e,
            ev: p.ev,
            q: MatSlice::of(q),
            k: MatSlice::of(k),
            v: MatSlice::of(v),
            allow: p.allow.as_ref().map(MatSlice::of),
            additive: p.additive.as_ref().map(MatSlice::of),
            padding: p.padding.as_ref().map(MatSlice::of),
            causal: p.causal,
            scale: F::from_f64(p.scale.to_f64()),
            dropout: p.dropout,
            keep_scale: F::from_f64(p.dropout.map_or(1.0, |d| d.keep_scale)),
        }
    }

    /// The keys query tile `i0 .. i0 + bq` can see: all, or up to its last row when causal.
    #[inline(always)]
    fn key_end(&self, i0: usize, bq: usize) -> usize {
        if self.causal {
            self.s.min(i0 + bq)
        } else {
            self.s
        }
    }

    /// Scales the raw products of row `i` (keys `j0 ..`) and applies every mask.
    #[inline(always)]
    fn scale_and_mask(&self, n: usize, i: usize, j0: usize, row: &mut [F]) {
        for x in row.iter_mut() {
            *x = *x * self.scale;
        }
        if let Some(a) = &self.additive {
            for (c, x) in row.iter_mut().enumerate() {
                *x = *x + a.get(n, i, j0 + c);
            }
        }
        if let Some(m) = &self.allow {
            for (c, x) in row.iter_mut().enumerate() {
                if !m.get(n, i, j0 + c) {
                    *x = F::NEG_INFINITY;
                }
            }
        }
        if let Some(m) = &self.padding {
            for (c, x) in row.iter_mut().enumerate() {
                if m.get(n, i, j0 + c) {
                    *x = F::NEG_INFINITY;
                }
            }
        }
        if self.causal && j0 + row.len() > i + 1 {
            let first = (i + 1).saturating_sub(j0);
            row[first..].iter_mut().for_each(|x| *x = F::NEG_INFINITY);
        }
    }

    /// Dropout on one row of probabilities (keys `j0 ..`) in place.
    #[inline(always)]
    fn drop_row(&self, n: usize, i: usize, j0: usize, row: &mut [F]) {
        if let Some(d) = &self.dropout {
            let key = d.row_key(n, i);
            for (c, x) in row.iter_mut().enumerate() {
                *x = if d.keep(key, j0 + c) { *x * self.keep_scale } else { F::ZERO };
            }
        }
    }
}

/// Per-thread scratch tiles.
struct Scratch<F> {
    s: Vec<F>,
    p: Vec<F>,
    tmp: Vec<F>,
    max: Vec<F>,
    sum: Vec<F>,
}

impl<F: SimdFloat> Scratch<F> {
    fn new(e: usize, ev: usize) -> Self {
        let wide = e.max(ev).max(1);
        Scratch {
            s: vec![F::ZERO; BQ * BK],
            p: vec![F::ZERO; BQ * BK],
            tmp: vec![F::ZERO; BQ.max(BK) * wide],
            max: vec![F::ZERO; BQ],
            sum: vec![F::ZERO; BQ],
        }
    }
}

/// `acc[..] += add[..]`.
#[inline(always)]
fn add_into<F: SimdFloat>(acc: &mut [F], add: &[F]) {
    for (a, &b) in acc.iter_mut().zip(add) {
        *a = *a + b;
    }
}

/// The forward pass.
pub(crate) fn forward<T: Float>(p: &Problem<T>) -> AttentionForward<T> {
    let (q, k, v) = dense_operands(p);
    let mut out = zeroed_buffer::<T>(p.n * p.l * p.ev);
    let mut lse = zeroed_buffer::<T>(p.n * p.l);
    if let (Some(o), Some(m)) = (downcast_slice_mut::<T, f32>(&mut out), downcast_slice_mut::<T, f32>(&mut lse)) {
        forward_typed(&Inputs::<f32>::new(p, &q, &k, &v), p.n, o, m);
    } else if let (Some(o), Some(m)) = (downcast_slice_mut::<T, f64>(&mut out), downcast_slice_mut::<T, f64>(&mut lse))
    {
        forward_typed(&Inputs::<f64>::new(p, &q, &k, &v), p.n, o, m);
    } else {
        unreachable!("Float is implemented only for f32 and f64");
    }
    let mut lse_shape = p.lead.clone();
    lse_shape.push(p.l);
    AttentionForward { out: Tensor::from_vec(out, p.out_shape()), lse: Tensor::from_vec(lse, lse_shape) }
}

/// q, k, v with dense rows (copied once if a view has none).
fn dense_operands<T: Float>(p: &Problem<T>) -> (Mats<T>, Mats<T>, Mats<T>) {
    (
        p.q.with_dense_rows(&p.lead, p.l, p.e),
        p.k.with_dense_rows(&p.lead, p.s, p.e),
        p.v().with_dense_rows(&p.lead, p.s, p.ev),
    )
}

/// Multiply-adds of one call, for the threading decision.
fn work<F>(inp: &Inputs<'_, F>, heads: usize) -> usize {
    heads * inp.l * inp.s * (inp.e + inp.ev)
}

fn forward_typed<F: SimdFloat>(inp: &Inputs<'_, F>, heads: usize, out: &mut [F], lse: &mut [F]) {
    let per_out = (inp.l * inp.ev).max(1);
    let per_lse = inp.l.max(1);
    if threads_for(work(inp, heads)) <= 1 || heads <= 1 {
        let mut scratch = Scratch::new(inp.e, inp.ev);
        for (n, (o, m)) in out.chunks_mut(per_out).zip(lse.chunks_mut(per_lse)).enumerate() {
            forward_head(inp, n, o, m, &mut scratch);
        }
        return;
    }
    out.par_chunks_mut(per_out)
        .zip(lse.par_chunks_mut(per_lse))
        .enumerate()
        .for_each_init(|| Scratch::new(inp.e, inp.ev), |scratch, (n, (o, m))| forward_head(inp, n, o, m, scratch));
}

multiversion! {
    /// Head `n`: `out` `[L, Ev]` and `lse` `[L]`, one query tile at a time, with the online
    /// softmax over its key tiles.
    fn forward_head<F: SimdFloat>(inp: &Inputs<'_, F>, n: usize, out: &mut [F], lse: &mut [F], scratch: &mut Scratch<F>) {
        let (e, ev) = (inp.e, inp.ev);
        for i0 in (0..inp.l).step_by(BQ) {
            let bq = BQ.min(inp.l - i0);
            let acc = &mut out[i0 * ev..(i0 + bq) * ev];
            acc.iter_mut().for_each(|x| *x = F::ZERO);
            let (max, sum) = (&mut scratch.max[..bq], &mut scratch.sum[..bq]);
            max.iter_mut().for_each(|x| *x = F::NEG_INFINITY);
            sum.iter_mut().for_each(|x| *x = F::ZERO);
            let key_end = inp.key_end(i0, bq);
            for j0 in (0..key_end).step_by(BK) {
                let bk = BK.min(key_end - j0);
                let s = &mut scratch.s[..bq * bk];
                gemm_serial(inp.q.tile(n, i0, bq, e), inp.k.tile(n, j0, bk, e).t(), s);
                for r in 0..bq {
                    let i = i0 + r;
                    let row = &mut s[r * bk..(r + 1) * bk];
                    inp.scale_and_mask(n, i, j0, row);
                    let tile_max = row.iter().fold(F::NEG_INFINITY, |m, &x| if x > m { x } else { m });
                    let new_max = if tile_max > max[r] { tile_max } else { max[r] };
                    if new_max == F::NEG_INFINITY {
                        // Nothing visible yet on this row: its weights here are all zero.
                        row.iter_mut().for_each(|x| *x = F::ZERO);
                        continue;
                    }
                    let mut row_sum = F::ZERO;
                    for x in row.iter_mut() {
                        *x = (*x - new_max).exp_v();
                        row_sum += *x;
                    }
                    if new_max != max[r] {
                        let alpha = (max[r] - new_max).exp_v();
                        sum[r] = sum[r] * alpha;
                        acc[r * ev..(r + 1) * ev].iter_mut().for_each(|x| *x = *x * alpha);
                        max[r] = new_max;
                    }
                    sum[r] += row_sum;
                    inp.drop_row(n, i, j0, row);
                }
                let pv = &mut scratch.tmp[..bq * ev];
                gemm_serial(MatRef::row_major(s, bq, bk), inp.v.tile(n, j0, bk, ev), pv);
                add_into(acc, pv);
            }
            for r in 0..bq {
                let row = &mut acc[r * ev..(r + 1) * ev];
                if sum[r] == F::ZERO {
                    row.iter_mut().for_each(|x| *x = F::ZERO);
                    lse[i0 + r] = F::INFINITY;
                } else {
                    let inv = F::ONE / sum[r];
                    row.iter_mut().for_each(|x| *x = *x * inv);
                    lse[i0 + r] = max[r] + sum[r].ln();
                }
            }
        }
    }
}

/// The backward pass from `fwd` (its output and row log-sum-exps) and the output's gradient.
pub(crate) fn backward<T: Float>(p: &Problem<T>, fwd: &AttentionForward<T>, d_out: &Tensor<T>) -> AttentionGrads<T> {
    let (q, k, v) = dense_operands(p);
    let (o, lse, d_o) = (fwd.out.contiguous(), fwd.lse.contiguous(), d_out.contiguous());
    let mut dq = zeroed_buffer::<T>(p.n * p.l * p.e);
    let mut dk = zeroed_buffer::<T>(p.n * p.s * p.e);
    let mut dv = zeroed_buffer::<T>(p.n * p.s * p.ev);
    fn saved<T: Float>(t: &Tensor<T>) -> &[T] {
        t.as_slice().expect("contiguous")
    }
    macro_rules! run {
        ($F:ty) => {
            if let (Some(gq), Some(gk), Some(gv)) = (
                downcast_slice_mut::<T, $F>(&mut dq),
                downcast_slice_mut::<T, $F>(&mut dk),
                downcast_slice_mut::<T, $F>(&mut dv),
            ) {
                let saved = Saved {
                    o: downcast_slice::<T, $F>(saved(&o)).expect("same type"),
                    lse: downcast_slice::<T, $F>(saved(&lse)).expect("same type"),
                    d_o: downcast_slice::<T, $F>(saved(&d_o)).expect("same type"),
                };
                backward_typed(&Inputs::<$F>::new(p, &q, &k, &v), p.n, &saved, gq, gk, gv);
                let shape = |rows: usize, cols: usize| {
                    let mut s = p.lead.clone();
                    s.extend([rows, cols]);
                    s
                };
                return AttentionGrads {
                    q: Tensor::from_vec(dq, shape(p.l, p.e)),
                    k: Tensor::from_vec(dk, shape(p.s, p.e)),
                    v: Tensor::from_vec(dv, shape(p.s, p.ev)),
                };
            }
        };
    }
    run!(f32);
    run!(f64);
    unreachable!("Float is implemented only for f32 and f64");
}

/// What the backward pass reads besides the operands, all contiguous.
struct Saved<'a, F> {
    o: &'a [F],
    lse: &'a [F],
    d_o: &'a [F],
}

fn backward_typed<F: SimdFloat>(
    inp: &Inputs<'_, F>,
    heads: usize,
    saved: &Saved<'_, F>,
    dq: &mut [F],
    dk: &mut [F],
    dv: &mut [F],
) {
    let (pq, pk, pv) = ((inp.l * inp.e).max(1), (inp.s * inp.e).max(1), (inp.s * inp.ev).max(1));
    if threads_for(2 * work(inp, heads)) <= 1 || heads <= 1 {
        let mut scratch = Scratch::new(inp.e, inp.ev);
        let mut d_rows = vec![F::ZERO; BQ];
        for (n, ((gq, gk), gv)) in dq.chunks_mut(pq).zip(dk.chunks_mut(pk)).zip(dv.chunks_mut(pv)).enumerate() {
            backward_head(inp, n, saved, gq, gk, gv, &mut scratch, &mut d_rows);
        }
        return;
    }
    dq.par_chunks_mut(pq).zip(dk.par_chunks_mut(pk)).zip(dv.par_chunks_mut(pv)).enumerate().for_each_init(
        || (Scratch::new(inp.e, inp.ev), vec![F::ZERO; BQ]),
        |(scratch, d_rows), (n, ((gq, gk), gv))| backward_head(inp, n, saved, gq, gk, gv, scratch, d_rows),
    );
}

multiversion! {
    /// Head `n`: its dQ `[L, E]`, dK `[S, E]` and dV `[S, Ev]`, recomputing each tile's
    /// probabilities from the saved log-sum-exps.
    fn backward_head<F: SimdFloat>(
        inp: &Inputs<'_, F>,
        n: usize,
        saved: &Saved<'_, F>,
        dq: &mut [F],
        dk: &mut [F],
        dv: &mut [F],
        scratch: &mut Scratch<F>,
        d_rows: &mut [F],
    ) {
        let (l, e, ev) = (inp.l, inp.e, inp.ev);
        let o = &saved.o[n * l * ev..(n + 1) * l * ev];
        let d_o = &saved.d_o[n * l * ev..(n + 1) * l * ev];
        let lse = &saved.lse[n * l..(n + 1) * l];
        for i0 in (0..l).step_by(BQ) {
            let bq = BQ.min(l - i0);
            // D_i = rowsum(dO ∘ O) = rowsum(P ∘ dP), the softmax backward's subtrahend.
            for r in 0..bq {
                let at = (i0 + r) * ev;
                d_rows[r] = o[at..at + ev].iter().zip(&d_o[at..at + ev]).fold(F::ZERO, |acc, (&a, &b)| acc + a * b);
            }
            let d_o_tile = MatRef::row_major(&d_o[i0 * ev..(i0 + bq) * ev], bq, ev);
            let key_end = inp.key_end(i0, bq);
            for j0 in (0..key_end).step_by(BK) {
                let bk = BK.min(key_end - j0);
                let (probs, dp) = (&mut scratch.s[..bq * bk], &mut scratch.p[..bq * bk]);
                gemm_serial(inp.q.tile(n, i0, bq, e), inp.k.tile(n, j0, bk, e).t(), probs);
                for r in 0..bq {
                    let row = &mut probs[r * bk..(r + 1) * bk];
                    inp.scale_and_mask(n, i0 + r, j0, row);
                    let m = lse[i0 + r];
                    row.iter_mut().for_each(|x| *x = (*x - m).exp_v());
                }
                // dV += dropout(P)ᵀ dO: the dropped probabilities go through `dp` for a moment.
                dp.copy_from_slice(probs);
                if inp.dropout.is_some() {
                    for r in 0..bq {
                        inp.drop_row(n, i0 + r, j0, &mut dp[r * bk..(r + 1) * bk]);
                    }
                }
                let tmp = &mut scratch.tmp[..bk * ev];
                gemm_serial(MatRef::row_major(dp, bq, bk).t(), d_o_tile, tmp);
                add_into(&mut dv[j0 * ev..(j0 + bk) * ev], tmp);
                // dP = (dO Vᵀ) through the dropout mask; then dS = scale · P ∘ (dP − D_i).
                gemm_serial(d_o_tile, inp.v.tile(n, j0, bk, ev).t(), dp);
                for r in 0..bq {
                    let dp_row = &mut dp[r * bk..(r + 1) * bk];
                    inp.drop_row(n, i0 + r, j0, dp_row);
                    let d = d_rows[r];
                    for (g, &pr) in dp_row.iter_mut().zip(&probs[r * bk..(r + 1) * bk]) {
                        *g = pr * (*g - d) * inp.scale;
                    }
                }
                let tmp = &mut scratch.tmp[..bq * e];
                gemm_serial(MatRef::row_major(dp, bq, bk), inp.k.tile(n, j0, bk, e), tmp);
                add_into(&mut dq[i0 * e..(i0 + bq) * e], tmp);
                let tmp = &mut scratch.tmp[..bk * e];
                gemm_serial(MatRef::row_major(dp, bq, bk).t(), inp.q.tile(n, i0, bq, e), tmp);
                add_into(&mut dk[j0 * e..(j0 + bk) * e], tmp);
            }
        }
    }
}
