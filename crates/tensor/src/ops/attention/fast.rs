//! Fast attention: a tiled online-softmax ("flash") forward and backward that never hold an
//! `L × S` matrix, so memory grows linearly with the context.
//!
//! # Version catalogue
//!
//! The GPT shape of issue 19: q, k, v `[32, 4, 64, 32]` f32, causal, strided views of a
//! `[B, T, 3C]` projection; forward (F) and forward + backward (FB) against PyTorch 2.15's
//! `scaled_dot_product_attention` on the same shape (`tools/peers/attention_torch.py`), one
//! thread, on the 2-core Zen 4 VM while other jobs kept both cores busy, so the figures are the
//! thread's CPU time (the wall clock moved 2-5× between runs). Bench: `cargo bench -p
//! kindling-tensor --bench attention -- <group>` (`naive_*_gpt_1t`, `fast_*_gpt_1t`, `*_2t`,
//! `*_context`); peak memory: `cargo run --release -p kindling-tensor --example
//! attention_memory`. Only v1 and the last version run today; the story and the experiments
//! that did not pay are in `crates/tensor/NOTES.md`, "Attention".
//!
//! - v1 naive (`naive.rs`): scores, masks, softmax, dropout and both products materialised
//!   per head, one strided element at a time, one thread. F 77 ms, FB 312 ms (wall; PyTorch
//!   1.1 / 9.2 ms wall in the same minutes).
//! - v2 flash structure on the packed GEMM: query tiles of [`BQ`] rows against key tiles of
//!   [`BK`] keys, a running max and sum per row, the output rescaled by e^(m_old − m_new), the
//!   row's log-sum-exp saved; the backward recomputes each tile's probabilities from it
//!   (D_i = rowsum(dO ∘ O); dV += Pᵀ dO; dP = dO Vᵀ; dS = P ∘ (dP − D_i); dQ += scale·dS K;
//!   dK += scale·dSᵀ Q); causal tiles above the diagonal skipped; every product a
//!   `gemm_serial` call. F 27 ms wall: the row passes ran one float at a time, and e^-inf
//!   (the first rescale of every row) took the subnormal path.
//! - v3 register-tiled products (`tile.rs`): Kᵀ and V tiles packed once per tile pair, 4 rows ×
//!   32 columns of accumulators in 8 AVX-512 registers (intrinsics, f32; plain loops for f64
//!   and other levels). F 2.4 ms, FB 5.9 ms CPU (PyTorch 1.24 / 6.4).
//! - v4 vectorized row passes: scale, mask, max, exp and sum over the fixed 32-wide slot of a
//!   score row with selects and pairwise folds (a loop over the run-time visible length was
//!   scalar); no rescale before a row's first visible key. F 1.70 ms, FB 4.9 ms CPU
//!   (PyTorch 1.20-1.35 / 5.25-5.45): 0.75× PyTorch's speed forward, 1.08× forward + backward.
//! - v5 threads: batch-heads split across the rayon pool (a head's tiles on one thread, so dK
//!   and dV accumulate without sharing).
//! - v6 no transposes in the backward: dV += Pᵀ dO and dK += dSᵀ Q read the score tile
//!   transposed in place (a stride along the inner index of the tile product) instead of
//!   copying 32 × 32 tiles element by element. One thread, CPU time: F 1.50 ms, FB 3.70 ms
//!   against PyTorch's 1.05-1.12 / 3.77-4.06: **0.72× PyTorch's speed forward, 1.02-1.10×
//!   forward + backward**. Two threads, wall clock, in a minute when the second core was free:
//!   F 0.95 ms, FB 2.34 ms against 0.59 / 2.41 (0.62×, 1.03×).
//!
//! Strided q, k, v whose rows are dense (the last axis has stride 1, as in a view of a packed
//! projection) are read in place; others are copied once.

use super::tile::{ab_acc, abt, pack_padded, pack_transposed, W};
use super::{AttentionForward, AttentionGrads, Mats, Problem};
use crate::dtype::{downcast_slice, downcast_slice_mut};
use crate::ops::simd::{fold_pairwise, multiversion, threads_for, SimdFloat};
use crate::storage::zeroed_buffer;
use crate::{Element, Float, Tensor};
use rayon::prelude::*;

pub use super::tile::BK;
/// Query rows per tile.
pub const BQ: usize = 32;

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

    /// Where row `r` of head `n` starts.
    #[inline(always)]
    fn at(&self, n: usize, r: usize) -> usize {
        self.bases[n] + r * self.row
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

    /// Scales the raw products of row `i` (keys `j0 ..`) and applies every mask. Returns how
    /// many leading keys the causal mask leaves; the rest of the row is set to 0 (their weight)
    /// and needs no exp.
    #[inline(always)]
    fn scale_and_mask(&self, n: usize, i: usize, j0: usize, bk: usize, slot: &mut [F; BK]) -> usize {
        let visible = if self.causal { bk.min((i + 1).saturating_sub(j0)) } else { bk };
        for (j, x) in slot.iter_mut().enumerate() {
            // Hidden entries become 0: harmless in the exp that follows (its result is dropped).
            *x = if j < visible { *x * self.scale } else { F::ZERO };
        }
        let row = &mut slot[..visible];
        if let Some(a) = &self.additive {
            for (c, x) in row.iter_mut().enumerate() {
                *x += a.get(n, i, j0 + c);
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
        visible
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

/// Per-thread scratch tiles (score rows have stride [`BK`]).
struct Scratch<F> {
    /// Scores, then probabilities.
    s: Vec<F>,
    /// Dropped probabilities, then dP and dS.
    p: Vec<F>,
    /// K and V tiles transposed `[E][BK]`, `[Ev][BK]`.
    kt: Vec<F>,
    vt: Vec<F>,
    /// K, V, Q and dO tiles with rows padded to a multiple of [`W`].
    kp: Vec<F>,
    vp: Vec<F>,
    qp: Vec<F>,
    dop: Vec<F>,
    max: Vec<F>,
    sum: Vec<F>,
    d_rows: Vec<F>,
}

impl<F: SimdFloat> Scratch<F> {
    fn new(e: usize, ev: usize) -> Self {
        let pad = |x: usize| x.div_ceil(W).max(1) * W;
        let z = |n: usize| vec![F::ZERO; n];
        Scratch {
            s: z(BQ * BK),
            p: z(BQ * BK),
            kt: z(e * BK),
            vt: z(ev * BK),
            kp: z(BK * pad(e)),
            vp: z(BK * pad(ev)),
            qp: z(BQ * pad(e)),
            dop: z(BQ * pad(ev)),
            max: z(BQ),
            sum: z(BQ),
            d_rows: z(BQ),
        }
    }
}

#[inline(always)]
fn max_skip_nan<F: SimdFloat>(a: F, b: F) -> F {
    if b > a {
        b
    } else {
        a
    }
}

/// The max of the first `visible` entries of a score row. Every loop runs over the whole
/// fixed-size slot with selects, so it is vectorized (a loop over a run-time length of at
/// most 32 ran one float at a time).
#[inline(always)]
fn row_max<F: SimdFloat>(slot: &[F; BK], visible: usize) -> F {
    let pick = |j: usize| if j < visible { slot[j] } else { F::NEG_INFINITY };
    let mut acc = [F::NEG_INFINITY; BK / 2];
    for (j, a) in acc.iter_mut().enumerate() {
        *a = max_skip_nan(pick(j), pick(j + BK / 2));
    }
    fold_pairwise(acc, max_skip_nan)
}

/// `x = e^(x - m)` on the first `visible` entries of a score row, 0 after them; returns the
/// row's sum.
#[inline(always)]
fn row_exp<F: SimdFloat>(slot: &mut [F; BK], visible: usize, m: F) -> F {
    for (j, x) in slot.iter_mut().enumerate() {
        let e = (*x - m).exp_v();
        *x = if j < visible { e } else { F::ZERO };
    }
    let mut acc = [F::ZERO; BK / 2];
    for (j, a) in acc.iter_mut().enumerate() {
        *a = slot[j] + slot[j + BK / 2];
    }
    fold_pairwise(acc, |a, b| a + b)
}

/// A score row's full slot in a `[rows][BK]` scratch tile.
#[inline(always)]
fn slot<F>(tile: &mut [F], r: usize) -> &mut [F; BK] {
    (&mut tile[r * BK..(r + 1) * BK]).try_into().expect("a BK-wide row")
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
        let Scratch { s, kt, vp, max, sum, .. } = scratch;
        for i0 in (0..inp.l).step_by(BQ) {
            let bq = BQ.min(inp.l - i0);
            let acc = &mut out[i0 * ev..(i0 + bq) * ev];
            acc.iter_mut().for_each(|x| *x = F::ZERO);
            max.iter_mut().for_each(|x| *x = F::NEG_INFINITY);
            sum.iter_mut().for_each(|x| *x = F::ZERO);
            let key_end = inp.key_end(i0, bq);
            for j0 in (0..key_end).step_by(BK) {
                let bk = BK.min(key_end - j0);
                pack_transposed(inp.k.buf, inp.k.at(n, j0), inp.k.row, bk, e, kt);
                abt(inp.q.buf, inp.q.at(n, i0), inp.q.row, bq, e, kt, s);
                for r in 0..bq {
                    let i = i0 + r;
                    let row = slot(s, r);
                    let visible = inp.scale_and_mask(n, i, j0, bk, row);
                    let tile_max = row_max(row, visible);
                    let new_max = if tile_max > max[r] { tile_max } else { max[r] };
                    if new_max == F::NEG_INFINITY {
                        // Nothing visible yet on this row: its weights here are all zero.
                        row.iter_mut().for_each(|x| *x = F::ZERO);
                        continue;
                    }
                    let row_sum = row_exp(row, visible, new_max);
                    if new_max != max[r] {
                        // The first visible keys of a row need no rescale (its sum and output
                        // are 0), and e^-inf would go through the slow subnormal path.
                        if max[r] != F::NEG_INFINITY {
                            let alpha = (max[r] - new_max).exp_v();
                            sum[r] = sum[r] * alpha;
                            acc[r * ev..(r + 1) * ev].iter_mut().for_each(|x| *x = *x * alpha);
                        }
                        max[r] = new_max;
                    }
                    sum[r] += row_sum;
                    inp.drop_row(n, i, j0, &mut row[..visible]);
                }
                let width = pack_padded(inp.v.buf, inp.v.at(n, j0), inp.v.row, bk, ev, vp);
                ab_acc(s, BK, 1, bq, bk, vp, width, ev, acc, ev);
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
        for (n, ((gq, gk), gv)) in dq.chunks_mut(pq).zip(dk.chunks_mut(pk)).zip(dv.chunks_mut(pv)).enumerate() {
            backward_head(inp, n, saved, gq, gk, gv, &mut scratch);
        }
        return;
    }
    dq.par_chunks_mut(pq).zip(dk.par_chunks_mut(pk)).zip(dv.par_chunks_mut(pv)).enumerate().for_each_init(
        || Scratch::new(inp.e, inp.ev),
        |scratch, (n, ((gq, gk), gv))| backward_head(inp, n, saved, gq, gk, gv, scratch),
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
    ) {
        let (l, e, ev) = (inp.l, inp.e, inp.ev);
        let o = &saved.o[n * l * ev..(n + 1) * l * ev];
        let d_o = &saved.d_o[n * l * ev..(n + 1) * l * ev];
        let lse = &saved.lse[n * l..(n + 1) * l];
        let Scratch { s: probs, p: dp, kt, vt, kp, qp, dop, d_rows, .. } = scratch;
        for i0 in (0..l).step_by(BQ) {
            let bq = BQ.min(l - i0);
            // D_i = rowsum(dO ∘ O) = rowsum(P ∘ dP), the softmax backward's subtrahend.
            for (r, d) in d_rows[..bq].iter_mut().enumerate() {
                let at = (i0 + r) * ev;
                *d = o[at..at + ev].iter().zip(&d_o[at..at + ev]).fold(F::ZERO, |acc, (&a, &b)| acc + a * b);
            }
            let ev_width = pack_padded(d_o, i0 * ev, ev, bq, ev, dop);
            let e_width = pack_padded(inp.q.buf, inp.q.at(n, i0), inp.q.row, bq, e, qp);
            let key_end = inp.key_end(i0, bq);
            for j0 in (0..key_end).step_by(BK) {
                let bk = BK.min(key_end - j0);
                pack_transposed(inp.k.buf, inp.k.at(n, j0), inp.k.row, bk, e, kt);
                abt(inp.q.buf, inp.q.at(n, i0), inp.q.row, bq, e, kt, probs);
                for r in 0..bq {
                    let row = slot(probs, r);
                    let visible = inp.scale_and_mask(n, i0 + r, j0, bk, row);
                    row_exp(row, visible, lse[i0 + r]);
                }
                // dV += dropout(P)ᵀ dO, reading the tile transposed in place.
                let dropped = if inp.dropout.is_some() {
                    dp.copy_from_slice(probs);
                    for r in 0..bq {
                        inp.drop_row(n, i0 + r, j0, &mut dp[r * BK..r * BK + bk]);
                    }
                    &dp[..]
                } else {
                    &probs[..]
                };
                ab_acc(dropped, 1, BK, bk, bq, dop, ev_width, ev, &mut dv[j0 * ev..], ev);
                // dP = (dO Vᵀ) through the dropout mask; then dS = scale · P ∘ (dP − D_i).
                pack_transposed(inp.v.buf, inp.v.at(n, j0), inp.v.row, bk, ev, vt);
                abt(d_o, i0 * ev, ev, bq, ev, vt, dp);
                for r in 0..bq {
                    let dp_row = &mut dp[r * BK..r * BK + bk];
                    inp.drop_row(n, i0 + r, j0, dp_row);
                    let d = d_rows[r];
                    for (g, &pr) in dp_row.iter_mut().zip(&probs[r * BK..r * BK + bk]) {
                        *g = pr * (*g - d) * inp.scale;
                    }
                }
                let k_width = pack_padded(inp.k.buf, inp.k.at(n, j0), inp.k.row, bk, e, kp);
                ab_acc(dp, BK, 1, bq, bk, kp, k_width, e, &mut dq[i0 * e..], e);
                ab_acc(dp, 1, BK, bk, bq, qp, e_width, e, &mut dk[j0 * e..], e);
            }
        }
    }
}
