//! Fast recurrent layers: a whole sequence per call, forward and backpropagation through time.
//!
//! # Version catalogue
//!
//! The character-level language model step of chapter 10 (Embedding 65→64, LSTM 64→256,
//! Linear 256→65, batch 32 × 64 steps, Adam, clipping), tokens/s on one thread of the 2-core
//! Zen 4 VM. Bench: `cargo bench -p kindling-sequence --bench char_lm` (table beside PyTorch:
//! `tools/peers/torch_char_lm.py`).
//!
//! - v1 naive: the cell of `kindling-sequence` composed from differentiable ops once per step
//!   (`KINDLING_KERNELS=naive`): every gate is a graph node, every step allocates.
//! - v2 one op per sequence (this file): the input projection of all T steps is one GEMM
//!   `[T·B, I] × [I, G·H]`; each step does one GEMM against `W_hhᵀ`, transposed once per call
//!   so the product reads it in place, then one fused pass over the gates (SIMD sigmoid and
//!   tanh, the cell update, the output); backward walks the steps once, keeping only the
//!   state gradient per step, and leaves the weight gradients to three GEMMs over the stored
//!   gate gradients of all steps, where the sizes make the GEMM efficient.

use super::{CellKind, RecurrentForward, RecurrentGeometry, RecurrentGrads, RecurrentTape, RecurrentWeights};
use crate::ops::elementwise::fast::unary;
use crate::ops::elementwise::UnaryOp;
use crate::ops::matmul::fast::gemm;
use crate::ops::matmul::MatRef;
use crate::storage::{recycle_buffer, zeroed_buffer};
use crate::{Float, Tensor};

/// A row-major copy of the transpose of the row-major `rows × cols` matrix `w`.
fn transposed<T: Float>(w: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = zeroed_buffer(rows * cols);
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = w[r * cols + c];
        }
    }
    out
}

/// `c = a · b` for row-major operands.
fn matmul_into<T: Float>(a: &[T], b: &[T], m: usize, k: usize, n: usize, c: &mut [T]) {
    gemm(MatRef::row_major(a, m, k), MatRef::row_major(b, k, n), c);
}

/// A weight gradient summed over every step at once: `dᵀ · inputs` `[g, w]` for row-major
/// `d` `[rows, g]` and `inputs` `[rows, w]`. Computed as `(inputsᵀ · d)ᵀ`: the GEMM then packs
/// the narrower of the two transposed operands, and reads `d` in place.
fn weight_grad<T: Float>(d: &[T], inputs: &[T], rows: usize, g: usize, w: usize) -> Tensor<T> {
    let mut wg = zeroed_buffer(w * g);
    gemm(MatRef::row_major(inputs, rows, w).t(), MatRef::row_major(d, rows, g), &mut wg);
    let out = transposed(&wg, w, g);
    recycle_buffer(wg);
    Tensor::from_vec(out, [g, w])
}

/// The column sums of a row-major `[rows, cols]` matrix (a bias gradient).
fn column_sums<T: Float>(a: &[T], cols: usize) -> Vec<T> {
    let mut out = vec![T::ZERO; cols];
    for row in a.chunks_exact(cols) {
        for (o, &v) in out.iter_mut().zip(row) {
            *o += v;
        }
    }
    out
}

/// Slot `read` of a `[slots, width]` history borrowed shared, slot `write` mutably.
fn read_write<T>(buf: &mut [T], width: usize, read: usize, write: usize) -> (&[T], &mut [T]) {
    debug_assert_ne!(read, write);
    if read < write {
        let (lo, hi) = buf.split_at_mut(write * width);
        (&lo[read * width..(read + 1) * width], &mut hi[..width])
    } else {
        let (lo, hi) = buf.split_at_mut(read * width);
        (&hi[..width], &mut lo[write * width..(write + 1) * width])
    }
}

fn slice<T: Float>(t: &Tensor<T>) -> &[T] {
    t.as_slice().expect("recurrent: operands are made contiguous before the kernel")
}

pub(super) fn forward<T: Float>(
    g: RecurrentGeometry,
    x: Tensor<T>,
    h0: Option<Tensor<T>>,
    c0: Option<Tensor<T>>,
    w: RecurrentWeights<T>,
) -> RecurrentForward<T> {
    let (steps, batch, hid, out) = (g.steps, g.batch, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    let is_lstm = g.kind == CellKind::Lstm;

    // The input projection of every step at once, with the biases that can be folded into it:
    // both for the RNN and the LSTM, only b_ih for the GRU (b_hn sits inside r ⊙ (…)). Each
    // step then overwrites its rows with the gate activations, which the tape keeps.
    let wih_t = transposed(slice(&w.w_ih), gh, g.input);
    let mut gates = zeroed_buffer::<T>(steps * batch * gh);
    matmul_into(slice(&x), &wih_t, steps * batch, g.input, gh, &mut gates);
    recycle_buffer(wih_t);
    let mut folded = vec![T::ZERO; gh];
    let mut add_bias = |b: &Option<Tensor<T>>| {
        if let Some(b) = b {
            folded.iter_mut().zip(slice(b)).for_each(|(f, &v)| *f += v);
        }
    };
    add_bias(&w.b_ih);
    if g.kind != CellKind::Gru {
        add_bias(&w.b_hh);
    }
    if w.b_ih.is_some() || w.b_hh.is_some() {
        for row in gates.chunks_exact_mut(gh) {
            row.iter_mut().zip(&folded).for_each(|(v, &b)| *v += b);
        }
    }
    let b_hn = match (g.kind, &w.b_hh) {
        (CellKind::Gru, Some(b)) => Some(slice(b).to_vec()),
        _ => None,
    };
    let whh_t = transposed(slice(&w.w_hh), gh, out);
    let whr_t = w.w_hr.as_ref().map(|hr| transposed(slice(hr), out, hid));

    let mut states = zeroed_buffer::<T>((steps + 1) * batch * out);
    let first = g.slots(if g.reverse { steps - 1 } else { 0 }).0;
    if let Some(h0) = &h0 {
        states[first * batch * out..(first + 1) * batch * out].copy_from_slice(slice(h0));
    }
    let mut cells = Vec::new();
    if is_lstm {
        cells = zeroed_buffer::<T>((steps + 1) * batch * hid);
        if let Some(c0) = &c0 {
            cells[first * batch * hid..(first + 1) * batch * hid].copy_from_slice(slice(c0));
        }
    }
    let mut extra = if is_lstm || g.kind == CellKind::Gru { zeroed_buffer::<T>(steps * batch * hid) } else { Vec::new() };
    // The three results in one buffer: output, h_n, c_n.
    let (n_out, n_state) = (steps * batch * out, batch * out);
    let n_cell = if is_lstm { batch * hid } else { 0 };
    let mut flat = zeroed_buffer::<T>(n_out + n_state + n_cell);
    let mut hw = zeroed_buffer::<T>(batch * gh);
    let mut projected = vec![T::ZERO; if whr_t.is_some() { batch * hid } else { 0 }];

    for t in g.order() {
        let (prev, new) = g.slots(t);
        let (h_prev, h_new) = read_write(&mut states, batch * out, prev, new);
        matmul_into(h_prev, &whh_t, batch, out, gh, &mut hw);
        let gates_t = &mut gates[t * batch * gh..(t + 1) * batch * gh];
        let out_t = &mut flat[t * batch * out..(t + 1) * batch * out];
        match g.kind {
            CellKind::RnnTanh | CellKind::RnnRelu => {
                let op = if g.kind == CellKind::RnnTanh { UnaryOp::Tanh } else { UnaryOp::Relu };
                hw.iter_mut().zip(gates_t.iter()).for_each(|(a, &b)| *a += b);
                unary(op, &hw, gates_t);
                for b in 0..batch {
                    let rows = b * hid..(b + 1) * hid;
                    if g.is_real(t, b) {
                        h_new[rows.clone()].copy_from_slice(&gates_t[rows.clone()]);
                        out_t[rows.clone()].copy_from_slice(&gates_t[rows]);
                    } else {
                        h_new[rows.clone()].copy_from_slice(&h_prev[rows]);
                    }
                }
            }
            CellKind::Lstm => {
                let (c_prev, c_new) = read_write(&mut cells, batch * hid, prev, new);
                let tanh_c = &mut extra[t * batch * hid..(t + 1) * batch * hid];
                for b in 0..batch {
                    let pre = &mut hw[b * gh..(b + 1) * gh];
                    let act = &mut gates_t[b * gh..(b + 1) * gh];
                    pre.iter_mut().zip(act.iter()).for_each(|(a, &v)| *a += v);
                    unary(UnaryOp::Sigmoid, &pre[..2 * hid], &mut act[..2 * hid]);
                    unary(UnaryOp::Tanh, &pre[2 * hid..3 * hid], &mut act[2 * hid..3 * hid]);
                    unary(UnaryOp::Sigmoid, &pre[3 * hid..], &mut act[3 * hid..]);
                    let cells_b = b * hid..(b + 1) * hid;
                    if !g.is_real(t, b) {
                        c_new[cells_b.clone()].copy_from_slice(&c_prev[cells_b]);
                        if whr_t.is_none() {
                            h_new[b * out..(b + 1) * out].copy_from_slice(&h_prev[b * out..(b + 1) * out]);
                        }
                        continue;
                    }
                    let (i, rest) = act.split_at(hid);
                    let (f, rest) = rest.split_at(hid);
                    let (gg, o) = rest.split_at(hid);
                    let (cp, cn) = (&c_prev[cells_b.clone()], &mut c_new[cells_b.clone()]);
                    for j in 0..hid {
                        cn[j] = f[j] * cp[j] + i[j] * gg[j];
                    }
                    let tc = &mut tanh_c[cells_b.clone()];
                    unary(UnaryOp::Tanh, cn, tc);
                    let m: &mut [T] = match whr_t {
                        Some(_) => &mut projected[cells_b.clone()],
                        None => &mut h_new[cells_b.clone()],
                    };
                    for j in 0..hid {
                        m[j] = o[j] * tc[j];
                    }
                    if whr_t.is_none() {
                        out_t[cells_b.clone()].copy_from_slice(&h_new[cells_b]);
                    }
                }
                if let Some(whr_t) = &whr_t {
                    matmul_into(&projected, whr_t, batch, hid, out, h_new);
                    for b in 0..batch {
                        let rows = b * out..(b + 1) * out;
                        if g.is_real(t, b) {
                            out_t[rows.clone()].copy_from_slice(&h_new[rows]);
                        } else {
                            h_new[rows.clone()].copy_from_slice(&h_prev[rows]);
                        }
                    }
                }
            }
            CellKind::Gru => {
                let hn_t = &mut extra[t * batch * hid..(t + 1) * batch * hid];
                for b in 0..batch {
                    let hwb = &mut hw[b * gh..(b + 1) * gh];
                    if let Some(bias) = &b_hn {
                        hwb.iter_mut().zip(bias).for_each(|(a, &v)| *a += v);
                    }
                    hn_t[b * hid..(b + 1) * hid].copy_from_slice(&hwb[2 * hid..]);
                    let act = &mut gates_t[b * gh..(b + 1) * gh];
                    for j in 0..2 * hid {
                        hwb[j] += act[j];
                    }
                    unary(UnaryOp::Sigmoid, &hwb[..2 * hid], &mut act[..2 * hid]);
                    for j in 0..hid {
                        hwb[2 * hid + j] = act[2 * hid + j] + act[j] * hwb[2 * hid + j];
                    }
                    unary(UnaryOp::Tanh, &hwb[2 * hid..], &mut act[2 * hid..]);
                    let rows = b * hid..(b + 1) * hid;
                    if !g.is_real(t, b) {
                        h_new[rows.clone()].copy_from_slice(&h_prev[rows]);
                        continue;
                    }
                    let (z, n) = (&act[hid..2 * hid], &act[2 * hid..]);
                    let (hp, hn) = (&h_prev[rows.clone()], &mut h_new[rows.clone()]);
                    for j in 0..hid {
                        hn[j] = n[j] + z[j] * (hp[j] - n[j]);
                    }
                    out_t[rows.clone()].copy_from_slice(&h_new[rows]);
                }
            }
        }
    }
    recycle_buffer(hw);
    recycle_buffer(whh_t);

    let last = g.final_slot();
    flat[n_out..n_out + n_state].copy_from_slice(&states[last * n_state..(last + 1) * n_state]);
    if is_lstm {
        flat[n_out + n_state..].copy_from_slice(&cells[last * n_cell..(last + 1) * n_cell]);
    }
    let flat = Tensor::from_vec(flat, [n_out + n_state + n_cell]);
    let shaped = |start: usize, len: usize, shape: &[usize]| flat.narrow(0, start, len).reshape(shape);
    RecurrentForward {
        output: shaped(0, n_out, &[steps, batch, out]),
        h_n: shaped(n_out, n_state, &[batch, out]),
        c_n: is_lstm.then(|| shaped(n_out + n_state, n_cell, &[batch, hid])),
        flat: flat.clone(),
        tape: RecurrentTape { geometry: g, x, weights: w, states, cells, gates, extra },
    }
}

pub(super) fn backward<T: Float>(
    tape: &RecurrentTape<T>,
    d_output: Option<Tensor<T>>,
    d_h_n: Option<Tensor<T>>,
    d_c_n: Option<Tensor<T>>,
) -> RecurrentGrads<T> {
    let g = &tape.geometry;
    let w = &tape.weights;
    let (steps, batch, hid, out) = (g.steps, g.batch, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    let one = T::ONE;

    let mut dh = d_h_n.map_or_else(|| vec![T::ZERO; batch * out], |t| slice(&t).to_vec());
    let mut dc = match g.kind {
        CellKind::Lstm => d_c_n.map_or_else(|| vec![T::ZERO; batch * hid], |t| slice(&t).to_vec()),
        _ => Vec::new(),
    };
    let d_out = d_output.as_ref().map(slice);
    // Gradients of the gate pre-activations per step: on the input side, and (GRU only, where
    // the n gate's hidden product sits behind r) on the hidden side.
    let mut dx_pre = zeroed_buffer::<T>(steps * batch * gh);
    let mut dh_pre = if g.kind == CellKind::Gru { zeroed_buffer::<T>(steps * batch * gh) } else { Vec::new() };
    let projected = w.w_hr.is_some();
    let mut dh_stored = if projected { zeroed_buffer::<T>(steps * batch * out) } else { Vec::new() };
    let mut dm = vec![T::ZERO; if projected { batch * hid } else { 0 }];
    let mut dh_prev = vec![T::ZERO; batch * out];
    let mut direct = vec![T::ZERO; if g.kind == CellKind::Gru { batch * hid } else { 0 }];
    let whh = slice(&w.w_hh);

    let order: Vec<usize> = g.order().collect();
    for &t in order.iter().rev() {
        let (prev, _) = g.slots(t);
        if let Some(d_out) = d_out {
            for b in (0..batch).filter(|&b| g.is_real(t, b)) {
                let rows = b * out..(b + 1) * out;
                dh[rows.clone()].iter_mut().zip(&d_out[t * batch * out..][rows]).for_each(|(a, &v)| *a += v);
            }
        }
        let gates_t = &tape.gates[t * batch * gh..(t + 1) * batch * gh];
        let dx_t = &mut dx_pre[t * batch * gh..(t + 1) * batch * gh];
        match g.kind {
            CellKind::RnnTanh | CellKind::RnnRelu => {
                for b in (0..batch).filter(|&b| g.is_real(t, b)) {
                    for j in b * hid..(b + 1) * hid {
                        let a = gates_t[j];
                        dx_t[j] = match g.kind {
                            CellKind::RnnTanh => dh[j] * (one - a * a),
                            _ if a > T::ZERO => dh[j],
                            _ => T::ZERO,
                        };
                    }
                }
            }
            CellKind::Lstm => {
                if let Some(hr) = &w.w_hr {
                    let stored = &mut dh_stored[t * batch * out..(t + 1) * batch * out];
                    for b in (0..batch).filter(|&b| g.is_real(t, b)) {
                        stored[b * out..(b + 1) * out].copy_from_slice(&dh[b * out..(b + 1) * out]);
                    }
                    matmul_into(stored, slice(hr), batch, out, hid, &mut dm);
                }
                let dm: &[T] = if projected { &dm } else { &dh };
                let c_prev = &tape.cells[prev * batch * hid..(prev + 1) * batch * hid];
                let tanh_c = &tape.extra[t * batch * hid..(t + 1) * batch * hid];
                for b in (0..batch).filter(|&b| g.is_real(t, b)) {
                    let act = &gates_t[b * gh..(b + 1) * gh];
                    let (i, f, gg, o) = (&act[..hid], &act[hid..2 * hid], &act[2 * hid..3 * hid], &act[3 * hid..]);
                    let d = &mut dx_t[b * gh..(b + 1) * gh];
                    for j in 0..hid {
                        let k = b * hid + j;
                        let tc = tanh_c[k];
                        let dct = dc[k] + dm[k] * o[j] * (one - tc * tc);
                        d[j] = dct * gg[j] * i[j] * (one - i[j]);
                        d[hid + j] = dct * c_prev[k] * f[j] * (one - f[j]);
                        d[2 * hid + j] = dct * i[j] * (one - gg[j] * gg[j]);
                        d[3 * hid + j] = dm[k] * tc * o[j] * (one - o[j]);
                        dc[k] = dct * f[j];
                    }
                }
            }
            CellKind::Gru => {
                let h_prev = &tape.states[prev * batch * out..(prev + 1) * batch * out];
                let hn = &tape.extra[t * batch * hid..(t + 1) * batch * hid];
                let dh_t = &mut dh_pre[t * batch * gh..(t + 1) * batch * gh];
                for b in (0..batch).filter(|&b| g.is_real(t, b)) {
                    let act = &gates_t[b * gh..(b + 1) * gh];
                    let (r, z, n) = (&act[..hid], &act[hid..2 * hid], &act[2 * hid..]);
                    let (dxb, dhb) = (&mut dx_t[b * gh..(b + 1) * gh], &mut dh_t[b * gh..(b + 1) * gh]);
                    for j in 0..hid {
                        let k = b * hid + j;
                        let dan = dh[k] * (one - z[j]) * (one - n[j] * n[j]);
                        let dar = dan * hn[k] * r[j] * (one - r[j]);
                        let daz = dh[k] * (h_prev[k] - n[j]) * z[j] * (one - z[j]);
                        dxb[j] = dar;
                        dxb[hid + j] = daz;
                        dxb[2 * hid + j] = dan;
                        dhb[j] = dar;
                        dhb[hid + j] = daz;
                        dhb[2 * hid + j] = dan * r[j];
                        direct[k] = dh[k] * z[j];
                    }
                }
            }
        }
        let d_hidden = if g.kind == CellKind::Gru { &dh_pre[t * batch * gh..(t + 1) * batch * gh] } else { &*dx_t };
        matmul_into(d_hidden, whh, batch, gh, out, &mut dh_prev);
        for b in 0..batch {
            let rows = b * out..(b + 1) * out;
            if !g.is_real(t, b) {
                // The state passed through this padded step unchanged, and so does its gradient.
                dh_prev[rows.clone()].copy_from_slice(&dh[rows]);
            } else if g.kind == CellKind::Gru {
                dh_prev[rows.clone()].iter_mut().zip(&direct[rows]).for_each(|(a, &v)| *a += v);
            }
        }
        std::mem::swap(&mut dh, &mut dh_prev);
    }

    // Weight gradients: one product over the gate gradients of every step.
    let rows = steps * batch;
    let entering = g.entering_block() * batch * out;
    let h_in = &tape.states[entering..entering + rows * out];
    let d_hidden = if g.kind == CellKind::Gru { &dh_pre } else { &dx_pre };
    let d_whh = weight_grad(d_hidden, h_in, rows, gh, out);
    let d_wih = weight_grad(&dx_pre, slice(&tape.x), rows, gh, g.input);
    let mut dx = zeroed_buffer::<T>(rows * g.input);
    matmul_into(&dx_pre, slice(&w.w_ih), rows, gh, g.input, &mut dx);
    let d_whr = w.w_hr.as_ref().map(|_| {
        // m = o ⊙ tanh(c'), the cell output before the projection, rebuilt from the tape.
        let mut m = zeroed_buffer::<T>(rows * hid);
        for r in 0..rows {
            let o = &tape.gates[r * gh + 3 * hid..(r + 1) * gh];
            for j in 0..hid {
                m[r * hid + j] = o[j] * tape.extra[r * hid + j];
            }
        }
        let d_whr = weight_grad(&dh_stored, &m, rows, out, hid);
        recycle_buffer(m);
        d_whr
    });
    let bias_grad = |b: &Option<Tensor<T>>, d: &[T]| b.as_ref().map(|_| Tensor::from_vec(column_sums(d, gh), [gh]));
    let (b_ih, b_hh) = (bias_grad(&w.b_ih, &dx_pre), bias_grad(&w.b_hh, d_hidden));
    for scratch in [dx_pre, dh_pre, dh_stored] {
        recycle_buffer(scratch);
    }
    RecurrentGrads {
        x: Tensor::from_vec(dx, [steps, batch, g.input]),
        h0: Tensor::from_vec(dh, [batch, out]),
        c0: (g.kind == CellKind::Lstm).then(|| Tensor::from_vec(dc, [batch, hid])),
        w_ih: d_wih,
        w_hh: d_whh,
        b_ih,
        b_hh,
        w_hr: d_whr,
    }
}
