//! Fast recurrent layers: a whole sequence per call, forward and backpropagation through time.
//!
//! # Version catalogue
//!
//! The character-level language model step of chapter 10 (Embedding 65→64, LSTM 64→256,
//! Linear 256→65, batch 32 × 64 steps, cross-entropy, Adam, clipping), tokens/s on one
//! thread of the 2-core Zen 4 VM. Bench: `cargo bench -p kindling-sequence --bench char_lm --
//! --threads 1 [--naive]`; PyTorch beside it: `tools/peers/torch_char_lm.py`. The story with
//! its measurements is in `crates/tensor/NOTES.md`.
//!
//! - v1 naive: the cells of `kindling-sequence` composed from differentiable ops once per step
//!   on the naive kernels (`KINDLING_KERNELS=naive`): 0.9k.
//! - v2 one op per sequence: the input projection of all T steps is one GEMM
//!   `[T·B, I] × [I, G·H]`; each step does one GEMM against `W_hhᵀ`, then one fused pass over
//!   the gates (SIMD sigmoid and tanh, the cell update, the output); backward walks the steps
//!   once, and the weight gradients are GEMMs over the gate gradients of all steps: 31k.
//! - v3 no fresh memory per call: gate activations overwrite the input projection, the three
//!   results share one buffer, scratch buffers are reused across calls without zeroing
//!   (the `pool` module): 38k (page faults and memsets had been a fifth of the step).
//! - v4 batch slabs: the rows of a batch never interact inside a layer, so the batch is cut
//!   into one slab per thread and each slab runs every step on its own thread, its rows stored
//!   together; `W_hhᵀ` is packed once per call into 64-column panels that the per-step product
//!   reads with a 256-byte row stride (a 4 KiB stride maps a block onto few cache sets); both
//!   weight gradients come from one GEMM against inputs and states side by side. Same figure
//!   on one thread; the gain is on two (see NOTES).
//! - v5 lookup input: a first layer fed by an embedding projects the V rows of the table once
//!   instead of the T·B looked-up rows, and its backward sums the gate gradients per token id
//!   (`Input::Lookup`; public as `RecurrentInput::Lookup`): 42k.
//! - v6 per-slab gathers and sums: each slab gathers its rows of the projected table, reads
//!   its rows of the output gradient in place and sums its own bias and per-token
//!   gradients, so no 8 MB pass runs on one thread between the parallel parts: the same on
//!   one thread, 0.67× → 0.74× PyTorch's LSTM step on two.

use super::{CellKind, RecurrentForward, RecurrentGeometry, RecurrentGrads, RecurrentTape, RecurrentWeights};
use crate::ops::elementwise::fast::unary;
use crate::ops::elementwise::UnaryOp;
use crate::ops::matmul::fast::{gemm, gemm_serial};
use crate::ops::matmul::MatRef;
use crate::storage::{recycle_buffer, zeroed_buffer};
use crate::{Element, Float, Tensor};
use rayon::prelude::*;
use std::borrow::Cow;

/// Scratch buffers kept between calls. Training runs the same layer on the same sizes every
/// step, so each call finds the buffers of the last one here, and one taken without zeroing
/// skips the memset of a fresh buffer (with the page faults, a tenth of a training step).
/// Such a buffer holds stale numbers from an earlier call: the kernel takes one only where it
/// writes every element before reading it, and asks for zeros where padding must read zeros.
mod pool {
    use crate::storage::zeroed_buffer;
    use crate::Float;
    use std::any::Any;
    use std::sync::Mutex;

    /// Bytes the pool may hold; the oldest buffers go first beyond it.
    const LIMIT_BYTES: usize = 512 << 20;
    /// Smaller buffers are left to the allocator.
    const MIN_BYTES: usize = 64 << 10;

    static POOL: Mutex<Vec<(usize, Box<dyn Any + Send>)>> = Mutex::new(Vec::new());

    fn lock() -> std::sync::MutexGuard<'static, Vec<(usize, Box<dyn Any + Send>)>> {
        // A panic while holding the lock leaves a valid list (pushes and removals are atomic).
        POOL.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// A buffer of `n` elements: zeros if `zero`, else whatever a previous call left in it.
    pub(crate) fn take<T: Float>(n: usize, zero: bool) -> Vec<T> {
        let found = {
            let mut pool = lock();
            let at = pool.iter().position(|(_, b)| b.downcast_ref::<Vec<T>>().is_some_and(|v| v.len() == n));
            at.map(|i| pool.remove(i).1)
        };
        match found.map(|b| b.downcast::<Vec<T>>()) {
            Some(Ok(v)) => {
                let mut v = *v;
                if zero {
                    v.fill(T::ZERO);
                }
                v
            }
            _ => zeroed_buffer(n),
        }
    }

    /// Keeps `v` for a later call.
    pub(crate) fn give<T: Float>(v: Vec<T>) {
        let bytes = v.len() * std::mem::size_of::<T>();
        if !(MIN_BYTES..=LIMIT_BYTES).contains(&bytes) {
            return;
        }
        let mut pool = lock();
        while pool.iter().map(|(b, _)| b).sum::<usize>() + bytes > LIMIT_BYTES {
            pool.remove(0);
        }
        pool.push((bytes, Box::new(v)));
    }
}

pub(crate) use pool::give as release;

/// Columns per panel of the packed `W_hhᵀ` (the width of the f32 microkernel's tile).
const PANEL: usize = 64;

/// A batch is split across threads only when one step's recurrent product has at least this
/// many multiply-adds (below it, one thread finishes before two could start).
const SLAB_MIN_MACS: usize = 1 << 20;

/// Rows `lo..lo + rows` of the batch, run on one thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Slab {
    pub lo: usize,
    pub rows: usize,
}

/// One slab per thread for big enough layers, else one slab. Inside the kernel every
/// per-step buffer is stored slab by slab (all steps of slab 0, then slab 1), so a slab's rows
/// are one contiguous block that its thread owns.
fn slabs(g: &RecurrentGeometry) -> Vec<Slab> {
    let threads = rayon::current_num_threads().min(g.batch).max(1);
    let macs = g.batch * g.kind.gates() * g.hidden * g.out;
    let n = if macs >= SLAB_MIN_MACS { threads } else { 1 };
    (0..n)
        .map(|s| {
            let (lo, hi) = (s * g.batch / n, (s + 1) * g.batch / n);
            Slab { lo, rows: hi - lo }
        })
        .collect()
}

/// Time-major `[T, B, w]` rows reordered slab by slab (`[slab][T][rows][w]`); with one slab
/// the two orders are the same and nothing is copied.
fn to_slabs<'a, T: Float>(src: &'a [T], slabs: &[Slab], steps: usize, batch: usize, w: usize) -> Cow<'a, [T]> {
    if slabs.len() == 1 {
        return Cow::Borrowed(src);
    }
    let mut out = pool::take(steps * batch * w, false);
    let mut at = 0;
    for s in slabs {
        for t in 0..steps {
            let from = (t * batch + s.lo) * w;
            out[at..at + s.rows * w].copy_from_slice(&src[from..from + s.rows * w]);
            at += s.rows * w;
        }
    }
    Cow::Owned(out)
}

/// The inverse of [`to_slabs`], into `dst`.
fn from_slabs<T: Float>(src: &[T], slabs: &[Slab], steps: usize, batch: usize, w: usize, dst: &mut [T]) {
    let mut at = 0;
    for s in slabs {
        for t in 0..steps {
            let to = (t * batch + s.lo) * w;
            dst[to..to + s.rows * w].copy_from_slice(&src[at..at + s.rows * w]);
            at += s.rows * w;
        }
    }
}

/// Time-major `[T, B]` ids in slab order.
fn slab_order(ids: &[usize], slabs: &[Slab], steps: usize, batch: usize) -> Vec<usize> {
    slabs
        .iter()
        .flat_map(|s| (0..steps).flat_map(move |t| ids[t * batch + s.lo..t * batch + s.lo + s.rows].iter().copied()))
        .collect()
}

/// Cuts `buf` into one piece per slab, `per_row` elements for each of its rows.
fn split_by_slab<'a, T>(mut buf: &'a mut [T], slabs: &[Slab], per_row: usize) -> Vec<&'a mut [T]> {
    let mut parts = Vec::with_capacity(slabs.len());
    for s in slabs {
        let (head, tail) = std::mem::take(&mut buf).split_at_mut(s.rows * per_row);
        parts.push(head);
        buf = tail;
    }
    parts
}

/// A row-major copy of the transpose of the row-major `rows × cols` matrix `w`.
fn transposed<T: Float>(w: &[T], rows: usize, cols: usize) -> Vec<T> {
    let mut out = pool::take(rows * cols, false);
    for r in 0..rows {
        for c in 0..cols {
            out[c * rows + r] = w[r * cols + c];
        }
    }
    out
}

/// `wᵀ` for a row-major `w` `[n, k]`, stored as column panels: panel `p` holds columns
/// `64p..64p + width` of `wᵀ` as a dense `k × width` block.
struct Panels<T> {
    data: Vec<T>,
    k: usize,
    n: usize,
}

impl<T: Float> Panels<T> {
    fn transpose_of(w: &[T], n: usize, k: usize) -> Self {
        let mut data = pool::take(n * k, false);
        for j0 in (0..n).step_by(PANEL) {
            let width = PANEL.min(n - j0);
            let block = &mut data[j0 * k..(j0 + width) * k];
            for r in 0..k {
                for j in 0..width {
                    block[r * width + j] = w[(j0 + j) * k + r];
                }
            }
        }
        Panels { data, k, n }
    }

    /// `c` `[m, n]` = `a` `[m, k]` · `wᵀ`, one panel at a time through `tmp` (`m × 64`).
    fn product(&self, a: &[T], m: usize, c: &mut [T], tmp: &mut [T]) {
        for j0 in (0..self.n).step_by(PANEL) {
            let width = PANEL.min(self.n - j0);
            let block = &self.data[j0 * self.k..(j0 + width) * self.k];
            let tile = &mut tmp[..m * width];
            gemm_serial(MatRef::row_major(a, m, self.k), MatRef::row_major(block, self.k, width), tile);
            for (i, row) in tile.chunks_exact(width).enumerate() {
                c[i * self.n + j0..i * self.n + j0 + width].copy_from_slice(row);
            }
        }
    }
}

/// `c = a · b` for row-major operands, on the calling thread.
fn matmul_serial<T: Float>(a: &[T], b: &[T], m: usize, k: usize, n: usize, c: &mut [T]) {
    gemm_serial(MatRef::row_major(a, m, k), MatRef::row_major(b, k, n), c);
}

/// A weight gradient summed over every step at once: `dᵀ · inputs` `[g, w]` for row-major `d`
/// `[rows, g]` and `inputs` `[rows, w]` (threaded).
fn weight_grad<T: Float>(d: &[T], inputs: &[T], rows: usize, g: usize, w: usize) -> Tensor<T> {
    let mut out = zeroed_buffer(g * w);
    gemm(MatRef::row_major(d, rows, g).t(), MatRef::row_major(inputs, rows, w), &mut out);
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

/// What every slab reads during the forward pass.
struct StepWeights<T> {
    whh: Panels<T>,
    /// The projection's transpose `[H, P]`, if any.
    whr_t: Option<Vec<T>>,
    /// The GRU's b_hn … the whole of b_hh, added to the hidden product each step.
    b_hh_gru: Option<Vec<T>>,
}

/// One slab's share of the forward buffers (see [`slabs`] for the layout).
struct ForwardSlab<'a, T> {
    slab: Slab,
    /// For a lookup input: the projected table `[V, G·H]` and the slab's ids, whose rows the
    /// slab copies into `gates` before its first step.
    lookup: Option<(&'a [T], &'a [usize])>,
    gates: &'a mut [T],
    states: &'a mut [T],
    cells: &'a mut [T],
    extra: &'a mut [T],
    output: &'a mut [T],
}

/// A layer's input: dense rows (`[T·B, I]`), or token ids into an embedding table. In the
/// tape both are stored slab by slab.
pub(crate) enum Input<T: Element> {
    Sequence(Vec<T>),
    Lookup { table: Tensor<T>, ids: Vec<usize> },
}

pub(super) fn forward<T: Float>(
    g: RecurrentGeometry,
    input: Input<T>,
    h0: Option<Tensor<T>>,
    c0: Option<Tensor<T>>,
    w: RecurrentWeights<T>,
) -> RecurrentForward<T> {
    let (steps, batch, hid, out) = (g.steps, g.batch, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    let is_lstm = g.kind == CellKind::Lstm;
    let slabs = slabs(&g);

    // The input projection of every step at once, with the biases that can be folded into it:
    // both for the RNN and the LSTM, only b_ih for the GRU (b_hn sits inside r ⊙ (…)). Each
    // step then overwrites its rows with the gate activations, which the tape keeps.
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
    let wih_t = transposed(slice(&w.w_ih), gh, g.input);
    let project = |rows: &[T], n: usize| {
        let mut p = pool::take::<T>(n * gh, false);
        gemm(MatRef::row_major(rows, n, g.input), MatRef::row_major(&wih_t, g.input, gh), &mut p);
        for row in p.chunks_exact_mut(gh) {
            row.iter_mut().zip(&folded).for_each(|(v, &b)| *v += b);
        }
        p
    };
    let mut projected_table = None;
    let (gates, input) = match input {
        Input::Sequence(x) => {
            let xs = if slabs.len() == 1 {
                x
            } else {
                let xs = to_slabs(&x, &slabs, steps, batch, g.input).into_owned();
                pool::give(x);
                xs
            };
            (project(&xs, steps * batch), Input::Sequence(xs))
        }
        Input::Lookup { table, ids } => {
            // Each slab gathers its own rows of the projected table (in parallel, below).
            projected_table = Some(project(slice(&table), table.shape()[0]));
            let ids = slab_order(&ids, &slabs, steps, batch);
            (pool::take::<T>(steps * batch * gh, false), Input::Lookup { table, ids })
        }
    };
    pool::give(wih_t);
    let mut gates = gates;
    let weights = StepWeights {
        whh: Panels::transpose_of(slice(&w.w_hh), gh, out),
        whr_t: w.w_hr.as_ref().map(|hr| transposed(slice(hr), out, hid)),
        b_hh_gru: match (g.kind, &w.b_hh) {
            (CellKind::Gru, Some(b)) => Some(slice(b).to_vec()),
            _ => None,
        },
    };

    let padded = g.lengths.is_some();
    let mut states = pool::take::<T>((steps + 1) * batch * out, false);
    let mut cells = if is_lstm { pool::take::<T>((steps + 1) * batch * hid, false) } else { Vec::new() };
    let first = g.slots(if g.reverse { steps - 1 } else { 0 }).0;
    // Every other slot is written by its step; the initial one is written here.
    for s in &slabs {
        let base = (steps + 1) * s.lo;
        let at = (base + first * s.rows) * out;
        let h_slot = &mut states[at..at + s.rows * out];
        match &h0 {
            Some(h0) => h_slot.copy_from_slice(&slice(h0)[s.lo * out..(s.lo + s.rows) * out]),
            None => h_slot.fill(T::ZERO),
        }
        if is_lstm {
            let at = (base + first * s.rows) * hid;
            let c_slot = &mut cells[at..at + s.rows * hid];
            match &c0 {
                Some(c0) => c_slot.copy_from_slice(&slice(c0)[s.lo * hid..(s.lo + s.rows) * hid]),
                None => c_slot.fill(T::ZERO),
            }
        }
    }
    let mut extra = if g.kind == CellKind::Lstm || g.kind == CellKind::Gru {
        pool::take::<T>(steps * batch * hid, padded)
    } else {
        Vec::new()
    };
    // The three results in one buffer: output, h_n, c_n. With one slab the output is written
    // in place; with several it is gathered from slab order at the end.
    let (n_out, n_state) = (steps * batch * out, batch * out);
    let n_cell = if is_lstm { batch * hid } else { 0 };
    let mut flat = zeroed_buffer::<T>(n_out + n_state + n_cell);
    let mut gathered = (slabs.len() > 1).then(|| pool::take::<T>(n_out, padded));
    let output: &mut [T] = match &mut gathered {
        Some(buf) => buf,
        None => &mut flat[..n_out],
    };

    let cell_width = if is_lstm { hid } else { 0 };
    let extra_width = if extra.is_empty() { 0 } else { hid };
    let parts: Vec<ForwardSlab<'_, T>> = split_by_slab(&mut gates, &slabs, steps * gh)
        .into_iter()
        .zip(split_by_slab(&mut states, &slabs, (steps + 1) * out))
        .zip(split_by_slab(&mut cells, &slabs, (steps + 1) * cell_width))
        .zip(split_by_slab(&mut extra, &slabs, steps * extra_width))
        .zip(split_by_slab(output, &slabs, steps * out))
        .zip(&slabs)
        .map(|(((((gates, states), cells), extra), output), &slab)| ForwardSlab {
            slab,
            lookup: match (&input, &projected_table) {
                (Input::Lookup { ids, .. }, Some(table)) => {
                    Some((&table[..], &ids[steps * slab.lo..steps * (slab.lo + slab.rows)]))
                }
                _ => None,
            },
            gates,
            states,
            cells,
            extra,
            output,
        })
        .collect();
    parts.into_par_iter().for_each(|part| forward_slab(&g, &weights, part));
    pool::give(weights.whh.data);
    if let Some(table) = projected_table {
        pool::give(table);
    }

    if let Some(output) = gathered {
        from_slabs(&output, &slabs, steps, batch, out, &mut flat[..n_out]);
        pool::give(output);
    }
    let last = g.final_slot();
    for s in &slabs {
        let at = ((steps + 1) * s.lo + last * s.rows) * out;
        flat[n_out + s.lo * out..n_out + (s.lo + s.rows) * out].copy_from_slice(&states[at..at + s.rows * out]);
        if is_lstm {
            let at = ((steps + 1) * s.lo + last * s.rows) * hid;
            let to = n_out + n_state + s.lo * hid;
            flat[to..to + s.rows * hid].copy_from_slice(&cells[at..at + s.rows * hid]);
        }
    }
    let flat = Tensor::from_vec(flat, [n_out + n_state + n_cell]);
    let shaped = |start: usize, len: usize, shape: &[usize]| flat.narrow(0, start, len).reshape(shape);
    RecurrentForward {
        output: shaped(0, n_out, &[steps, batch, out]),
        h_n: shaped(n_out, n_state, &[batch, out]),
        c_n: is_lstm.then(|| shaped(n_out + n_state, n_cell, &[batch, hid])),
        flat: flat.clone(),
        tape: RecurrentTape { geometry: g, slabs, input, weights: w, states, cells, gates, extra },
    }
}

/// Every step of one slab: `rows` sequences, stored time-major inside the slab.
fn forward_slab<T: Float>(g: &RecurrentGeometry, weights: &StepWeights<T>, part: ForwardSlab<'_, T>) {
    let ForwardSlab { slab, lookup, gates, states, cells, extra, output } = part;
    let (batch, hid, out) = (slab.rows, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    if let Some((table, ids)) = lookup {
        for (row, &id) in gates.chunks_exact_mut(gh).zip(ids) {
            row.copy_from_slice(&table[id * gh..(id + 1) * gh]);
        }
    }
    let real = |t: usize, b: usize| g.is_real(t, slab.lo + b);
    let mut hw = pool::take::<T>(batch * gh, false);
    let mut tmp = pool::take::<T>(batch * PANEL, false);
    let mut projected = vec![T::ZERO; if weights.whr_t.is_some() { batch * hid } else { 0 }];

    for t in g.order() {
        let (prev, new) = g.slots(t);
        let (h_prev, h_new) = read_write(states, batch * out, prev, new);
        weights.whh.product(h_prev, batch, &mut hw, &mut tmp);
        let gates_t = &mut gates[t * batch * gh..(t + 1) * batch * gh];
        let out_t = &mut output[t * batch * out..(t + 1) * batch * out];
        match g.kind {
            CellKind::RnnTanh | CellKind::RnnRelu => {
                let op = if g.kind == CellKind::RnnTanh { UnaryOp::Tanh } else { UnaryOp::Relu };
                hw.iter_mut().zip(gates_t.iter()).for_each(|(a, &b)| *a += b);
                unary(op, &hw, gates_t);
                for b in 0..batch {
                    let rows = b * hid..(b + 1) * hid;
                    if real(t, b) {
                        h_new[rows.clone()].copy_from_slice(&gates_t[rows.clone()]);
                        out_t[rows.clone()].copy_from_slice(&gates_t[rows]);
                    } else {
                        h_new[rows.clone()].copy_from_slice(&h_prev[rows]);
                    }
                }
            }
            CellKind::Lstm => {
                let (c_prev, c_new) = read_write(cells, batch * hid, prev, new);
                let tanh_c = &mut extra[t * batch * hid..(t + 1) * batch * hid];
                for b in 0..batch {
                    let pre = &mut hw[b * gh..(b + 1) * gh];
                    let act = &mut gates_t[b * gh..(b + 1) * gh];
                    pre.iter_mut().zip(act.iter()).for_each(|(a, &v)| *a += v);
                    unary(UnaryOp::Sigmoid, &pre[..2 * hid], &mut act[..2 * hid]);
                    unary(UnaryOp::Tanh, &pre[2 * hid..3 * hid], &mut act[2 * hid..3 * hid]);
                    unary(UnaryOp::Sigmoid, &pre[3 * hid..], &mut act[3 * hid..]);
                    let cells_b = b * hid..(b + 1) * hid;
                    if !real(t, b) {
                        c_new[cells_b.clone()].copy_from_slice(&c_prev[cells_b]);
                        if weights.whr_t.is_none() {
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
                    let m: &mut [T] = match weights.whr_t {
                        Some(_) => &mut projected[cells_b.clone()],
                        None => &mut h_new[cells_b.clone()],
                    };
                    for j in 0..hid {
                        m[j] = o[j] * tc[j];
                    }
                    if weights.whr_t.is_none() {
                        out_t[cells_b.clone()].copy_from_slice(&h_new[cells_b]);
                    }
                }
                if let Some(whr_t) = &weights.whr_t {
                    matmul_serial(&projected, whr_t, batch, hid, out, h_new);
                    for b in 0..batch {
                        let rows = b * out..(b + 1) * out;
                        if real(t, b) {
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
                    if let Some(bias) = &weights.b_hh_gru {
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
                    if !real(t, b) {
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
    pool::give(hw);
    pool::give(tmp);
}

/// One slab's share of the backward buffers: what it reads from the tape, the gradients it
/// writes (pre-activations per step), and its rows of the running state gradients.
struct BackwardSlab<'a, T> {
    slab: Slab,
    gates: &'a [T],
    states: &'a [T],
    cells: &'a [T],
    extra: &'a [T],
    /// The gradient of the whole output `[T, B, P]`, time-major (the slab reads its rows).
    d_out: Option<&'a [T]>,
    /// For a lookup input: the slab's token ids, and the vocabulary size.
    ids: Option<(&'a [usize], usize)>,
    dx_pre: &'a mut [T],
    dh_pre: &'a mut [T],
    dh_stored: &'a mut [T],
    /// In: the gradient of h_n (and c_n); out: that of h0 (and c0).
    dh: &'a mut [T],
    dc: &'a mut [T],
}

pub(super) fn backward<T: Float>(
    tape: &RecurrentTape<T>,
    d_output: Option<Tensor<T>>,
    d_h_n: Option<Tensor<T>>,
    d_c_n: Option<Tensor<T>>,
) -> RecurrentGrads<T> {
    let g = &tape.geometry;
    let w = &tape.weights;
    let slabs = &tape.slabs;
    let (steps, batch, hid, out) = (g.steps, g.batch, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    let (is_lstm, is_gru, projected) = (g.kind == CellKind::Lstm, g.kind == CellKind::Gru, w.w_hr.is_some());

    let mut dh = d_h_n.map_or_else(|| vec![T::ZERO; batch * out], |t| slice(&t).to_vec());
    let mut dc = match is_lstm {
        true => d_c_n.map_or_else(|| vec![T::ZERO; batch * hid], |t| slice(&t).to_vec()),
        false => Vec::new(),
    };
    let d_out = d_output.as_ref().map(slice);
    // Gradients of the gate pre-activations per step: on the input side, and (GRU only, where
    // the n gate's hidden product sits behind r) on the hidden side.
    let padded = g.lengths.is_some();
    let mut dx_pre = pool::take::<T>(steps * batch * gh, padded);
    let mut dh_pre = if is_gru { pool::take::<T>(steps * batch * gh, padded) } else { Vec::new() };
    let mut dh_stored = if projected { pool::take::<T>(steps * batch * out, padded) } else { Vec::new() };

    // Each slab's rows of a slab-ordered buffer with `per_row` elements per batch row.
    let ranges = |per_row: usize| -> Vec<std::ops::Range<usize>> {
        slabs.iter().map(|s| s.lo * per_row..(s.lo + s.rows) * per_row).collect()
    };
    let gate_ranges = ranges(steps * gh);
    let state_ranges = ranges((steps + 1) * out);
    let cell_ranges = ranges(if is_lstm { (steps + 1) * hid } else { 0 });
    let extra_ranges = ranges(if tape.extra.is_empty() { 0 } else { steps * hid });
    let id_ranges = ranges(steps);
    let parts: Vec<BackwardSlab<'_, T>> = split_by_slab(&mut dx_pre, slabs, steps * gh)
        .into_iter()
        .zip(split_by_slab(&mut dh_pre, slabs, if is_gru { steps * gh } else { 0 }))
        .zip(split_by_slab(&mut dh_stored, slabs, if projected { steps * out } else { 0 }))
        .zip(split_by_slab(&mut dh, slabs, out))
        .zip(split_by_slab(&mut dc, slabs, if is_lstm { hid } else { 0 }))
        .enumerate()
        .map(|(s, ((((dx_pre, dh_pre), dh_stored), dh), dc))| BackwardSlab {
            slab: slabs[s],
            gates: &tape.gates[gate_ranges[s].clone()],
            states: &tape.states[state_ranges[s].clone()],
            cells: &tape.cells[cell_ranges[s].clone()],
            extra: &tape.extra[extra_ranges[s].clone()],
            d_out,
            ids: match &tape.input {
                Input::Lookup { table, ids } => Some((&ids[id_ranges[s].clone()], table.shape()[0])),
                Input::Sequence(_) => None,
            },
            dx_pre,
            dh_pre,
            dh_stored,
            dh,
            dc,
        })
        .collect();
    let sums: Vec<SlabSums<T>> = parts.into_par_iter().map(|part| backward_slab(g, w, part)).collect();
    let total = |pick: fn(&SlabSums<T>) -> &Vec<T>| {
        let mut acc = pick(&sums[0]).clone();
        for more in &sums[1..] {
            acc.iter_mut().zip(pick(more)).for_each(|(a, &v)| *a += v);
        }
        acc
    };

    // Weight gradients: products over the gate gradients of every step at once.
    let rows = steps * batch;
    let d_hidden: &[T] = if is_gru { &dh_pre } else { &dx_pre };
    let (d_wih, d_whh, dx) = match &tape.input {
        Input::Sequence(xs) => sequence_weight_grads(tape, xs, &dx_pre, d_hidden),
        Input::Lookup { table, .. } => {
            // Gate gradients summed per token id (by the slabs): the projected table's gradient.
            let vocabulary = table.shape()[0];
            let d_table_proj = total(|s| &s.table);
            let d_wih = weight_grad(&d_table_proj, slice(table), vocabulary, gh, g.input);
            let mut d_table = zeroed_buffer::<T>(vocabulary * g.input);
            gemm(
                MatRef::row_major(&d_table_proj, vocabulary, gh),
                MatRef::row_major(slice(&w.w_ih), gh, g.input),
                &mut d_table,
            );
            let h_in = entering_states(tape);
            let d_whh = weight_grad(d_hidden, &h_in, rows, gh, out);
            if let Cow::Owned(h) = h_in {
                pool::give(h);
            }
            (d_wih, d_whh, Tensor::from_vec(d_table, [vocabulary, g.input]))
        }
    };
    let d_whr = w.w_hr.as_ref().map(|_| {
        // m = o ⊙ tanh(c'), the cell output before the projection, rebuilt from the tape.
        let mut m = pool::take::<T>(rows * hid, false);
        for r in 0..rows {
            let o = &tape.gates[r * gh + 3 * hid..(r + 1) * gh];
            for j in 0..hid {
                m[r * hid + j] = o[j] * tape.extra[r * hid + j];
            }
        }
        let d_whr = weight_grad(&dh_stored, &m, rows, out, hid);
        pool::give(m);
        d_whr
    });
    let b_ih = w.b_ih.as_ref().map(|_| Tensor::from_vec(total(|s| &s.bias_input), [gh]));
    let b_hh = w.b_hh.as_ref().map(|_| Tensor::from_vec(total(|s| &s.bias_hidden), [gh]));
    for scratch in [dx_pre, dh_pre, dh_stored] {
        pool::give(scratch);
    }
    RecurrentGrads {
        x: dx,
        h0: Tensor::from_vec(dh, [batch, out]),
        c0: is_lstm.then(|| Tensor::from_vec(dc, [batch, hid])),
        w_ih: d_wih,
        w_hh: d_whh,
        b_ih,
        b_hh,
        w_hr: d_whr,
    }
}

/// The states entering every step `[T·B, P]`, slab by slab (one slice of the history with
/// one slab; a copy with several, whose histories are separate blocks).
fn entering_states<T: Float>(tape: &RecurrentTape<T>) -> Cow<'_, [T]> {
    let g = &tape.geometry;
    let (steps, out) = (g.steps, g.out);
    if let [s] = tape.slabs[..] {
        let first = g.entering_block() * s.rows * out;
        return Cow::Borrowed(&tape.states[first..first + steps * s.rows * out]);
    }
    let mut h_in = pool::take::<T>(steps * g.batch * out, false);
    let mut at = 0;
    for s in &tape.slabs {
        let first = ((steps + 1) * s.lo + g.entering_block() * s.rows) * out;
        h_in[at..at + steps * s.rows * out].copy_from_slice(&tape.states[first..first + steps * s.rows * out]);
        at += steps * s.rows * out;
    }
    Cow::Owned(h_in)
}

/// The weight gradients and the input's gradient `[T, B, I]` of a layer that read a dense
/// sequence. Where the input and hidden sides share their pre-activation gradients (RNN,
/// LSTM), both weights come from one product against the inputs and states side by side, so
/// the gate gradients are read (and packed) once.
fn sequence_weight_grads<T: Float>(
    tape: &RecurrentTape<T>,
    xs: &[T],
    dx_pre: &[T],
    d_hidden: &[T],
) -> (Tensor<T>, Tensor<T>, Tensor<T>) {
    let g = &tape.geometry;
    let (steps, batch, out, input) = (g.steps, g.batch, g.out, g.input);
    let gh = g.kind.gates() * g.hidden;
    let rows = steps * batch;
    let h_in = entering_states(tape);
    let width = input + out;
    let mut inputs = pool::take::<T>(rows * width, false);
    for (r, row) in inputs.chunks_exact_mut(width).enumerate() {
        row[..input].copy_from_slice(&xs[r * input..(r + 1) * input]);
        row[input..].copy_from_slice(&h_in[r * out..(r + 1) * out]);
    }
    if let Cow::Owned(h) = h_in {
        pool::give(h);
    }
    let (d_wih, d_whh) = if g.kind == CellKind::Gru {
        let side = |offset: usize, cols: usize| MatRef { offset, cols, ..MatRef::row_major(&inputs, rows, width) };
        let grad = |d: &[T], part: MatRef<'_, T>| {
            let mut o = zeroed_buffer(gh * part.cols);
            gemm(MatRef::row_major(d, rows, gh).t(), part, &mut o);
            Tensor::from_vec(o, [gh, part.cols])
        };
        (grad(dx_pre, side(0, input)), grad(d_hidden, side(input, out)))
    } else {
        let both = weight_grad(dx_pre, &inputs, rows, gh, width);
        (both.narrow(1, 0, input).contiguous(), both.narrow(1, input, out).contiguous())
    };
    pool::give(inputs);
    let mut dx = zeroed_buffer::<T>(rows * input);
    gemm(MatRef::row_major(dx_pre, rows, gh), MatRef::row_major(slice(&tape.weights.w_ih), gh, input), &mut dx);
    if tape.slabs.len() > 1 {
        let mut time_major = zeroed_buffer::<T>(rows * input);
        from_slabs(&dx, &tape.slabs, steps, batch, input, &mut time_major);
        recycle_buffer(std::mem::replace(&mut dx, time_major));
    }
    (d_wih, d_whh, Tensor::from_vec(dx, [steps, batch, input]))
}

/// Every step of one slab, last to first.
fn backward_slab<T: Float>(g: &RecurrentGeometry, w: &RecurrentWeights<T>, part: BackwardSlab<'_, T>) -> SlabSums<T> {
    let BackwardSlab { slab, gates, states, cells, extra, d_out, ids, dx_pre, dh_pre, dh_stored, dh, dc } = part;
    let (batch, hid, out) = (slab.rows, g.hidden, g.out);
    let gh = g.kind.gates() * hid;
    let one = T::ONE;
    let real = |t: usize, b: usize| g.is_real(t, slab.lo + b);
    let whh = slice(&w.w_hh);
    let mut dm = vec![T::ZERO; if w.w_hr.is_some() { batch * hid } else { 0 }];
    let mut direct = vec![T::ZERO; if g.kind == CellKind::Gru { batch * hid } else { 0 }];
    let mut spare = vec![T::ZERO; batch * out];
    // The running state gradient and the one being computed swap roles every step.
    let (mut dh, mut dh_prev): (&mut [T], &mut [T]) = (dh, &mut spare);

    let order: Vec<usize> = g.order().collect();
    for &t in order.iter().rev() {
        let (prev, _) = g.slots(t);
        if let Some(d_out) = d_out {
            for b in (0..batch).filter(|&b| real(t, b)) {
                let rows = b * out..(b + 1) * out;
                let at = (t * g.batch + slab.lo) * out;
                dh[rows.clone()].iter_mut().zip(&d_out[at..][rows]).for_each(|(a, &v)| *a += v);
            }
        }
        let gates_t = &gates[t * batch * gh..(t + 1) * batch * gh];
        let dx_t = &mut dx_pre[t * batch * gh..(t + 1) * batch * gh];
        match g.kind {
            CellKind::RnnTanh | CellKind::RnnRelu => {
                for b in (0..batch).filter(|&b| real(t, b)) {
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
                    for b in (0..batch).filter(|&b| real(t, b)) {
                        stored[b * out..(b + 1) * out].copy_from_slice(&dh[b * out..(b + 1) * out]);
                    }
                    matmul_serial(stored, slice(hr), batch, out, hid, &mut dm);
                }
                let dm: &[T] = if w.w_hr.is_some() { &dm } else { &*dh };
                let c_prev = &cells[prev * batch * hid..(prev + 1) * batch * hid];
                let tanh_c = &extra[t * batch * hid..(t + 1) * batch * hid];
                for b in (0..batch).filter(|&b| real(t, b)) {
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
                let h_prev = &states[prev * batch * out..(prev + 1) * batch * out];
                let hn = &extra[t * batch * hid..(t + 1) * batch * hid];
                let dh_t = &mut dh_pre[t * batch * gh..(t + 1) * batch * gh];
                for b in (0..batch).filter(|&b| real(t, b)) {
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
        matmul_serial(d_hidden, whh, batch, gh, out, dh_prev);
        for b in 0..batch {
            let rows = b * out..(b + 1) * out;
            if !real(t, b) {
                // The state passed through this padded step unchanged, and so does its gradient.
                dh_prev[rows.clone()].copy_from_slice(&dh[rows]);
            } else if g.kind == CellKind::Gru {
                dh_prev[rows.clone()].iter_mut().zip(&direct[rows]).for_each(|(a, &v)| *a += v);
            }
        }
        std::mem::swap(&mut dh, &mut dh_prev);
    }
    // After an odd number of swaps the running gradient sits in `spare`: copy it home.
    if order.len() % 2 == 1 {
        dh_prev.copy_from_slice(dh);
    }
    // This slab's shares of the sums over all rows: the bias gradients and, for a lookup,
    // the gate gradients summed per token id.
    let bias_input = column_sums(dx_pre, gh);
    let bias_hidden = if g.kind == CellKind::Gru { column_sums(dh_pre, gh) } else { bias_input.clone() };
    let table = match ids {
        Some((ids, vocabulary)) => {
            let mut table = vec![T::ZERO; vocabulary * gh];
            for (d, &id) in dx_pre.chunks_exact(gh).zip(ids) {
                table[id * gh..(id + 1) * gh].iter_mut().zip(d).for_each(|(a, &v)| *a += v);
            }
            table
        }
        None => Vec::new(),
    };
    SlabSums { bias_input, bias_hidden, table }
}

/// What each slab adds up over its own rows, for [`backward`] to total.
struct SlabSums<T> {
    bias_input: Vec<T>,
    bias_hidden: Vec<T>,
    table: Vec<T>,
}
