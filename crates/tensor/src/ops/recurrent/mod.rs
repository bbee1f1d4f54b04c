//! Recurrent layers on plain tensors: one layer, one direction, a whole sequence per call, with
//! PyTorch's definitions of the Elman RNN (tanh or ReLU), the LSTM (gates i, f, g, o, optional
//! projection of the hidden state) and the GRU (gates r, z, n, the reset gate applied to the
//! hidden product). The differentiable op is `kindling_autograd::recurrent`; the multi-layer,
//! bidirectional layers are in `kindling-sequence`.
//!
//! Shapes, time-major: `x` `[T, B, I]`, the state `h` `[B, P]` (P = H unless the LSTM projects
//! it), the LSTM's cell `c` `[B, H]`, the output `[T, B, P]`. Weights as PyTorch stores them:
//! `w_ih` `[G·H, I]`, `w_hh` `[G·H, P]` with G = 1, 4 or 3 gates, biases `[G·H]`, and the LSTM's
//! projection `w_hr` `[P, H]`.
//!
//! Padded batches: with `lengths`, sequence `b` is real for `t < lengths[b]` and padding after.
//! At a padded step the state passes through unchanged and the output is zero, so the state
//! a sequence ends with is the one after its last real step, padding never reaches a gradient,
//! and a reversed pass starts each sequence at its own last real step (the rule "step `t` is
//! real when `t < lengths[b]`" gives both directions, since the reversed pass meets the
//! padding first, while its state is still the initial one). This is what PyTorch's packed
//! sequences compute.
//!
//! The naive twin of this family is the per-step composition of differentiable ops in
//! `kindling-sequence` (`crates/sequence/src/cell.rs`): a cell written the way the equations
//! read, called once per time step. [`fast`] is what training uses: the input projection of
//! every step as one matrix product, the recurrent product per step, the gate arithmetic of a
//! step fused in one pass, and backpropagation through time as one hand-written pass.

pub mod fast;

use crate::shape::dims_str;
use crate::{Element, Float, Tensor};

/// Which recurrence a layer runs.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CellKind {
    /// h' = tanh(W_ih x + b_ih + W_hh h + b_hh).
    RnnTanh,
    /// h' = relu(W_ih x + b_ih + W_hh h + b_hh).
    RnnRelu,
    /// Gates i, f, g, o: c' = f ⊙ c + i ⊙ g, h' = o ⊙ tanh(c') (then W_hr h' with a projection).
    Lstm,
    /// Gates r, z, n: n = tanh(W_in x + b_in + r ⊙ (W_hn h + b_hn)), h' = (1 − z) ⊙ n + z ⊙ h.
    Gru,
}

impl CellKind {
    /// The number of gate blocks stacked in the weights (G).
    pub fn gates(self) -> usize {
        match self {
            CellKind::RnnTanh | CellKind::RnnRelu => 1,
            CellKind::Lstm => 4,
            CellKind::Gru => 3,
        }
    }

    /// PyTorch's name for the mode (`RNN_TANH`, `RNN_RELU`, `LSTM`, `GRU`).
    pub fn name(self) -> &'static str {
        match self {
            CellKind::RnnTanh => "RNN_TANH",
            CellKind::RnnRelu => "RNN_RELU",
            CellKind::Lstm => "LSTM",
            CellKind::Gru => "GRU",
        }
    }
}

/// The weights of one layer in one direction, in PyTorch's layout (see the module docs).
#[derive(Clone)]
pub struct RecurrentWeights<T: Float> {
    pub w_ih: Tensor<T>,
    pub w_hh: Tensor<T>,
    pub b_ih: Option<Tensor<T>>,
    pub b_hh: Option<Tensor<T>>,
    /// The LSTM's projection `[P, H]` (PyTorch's `weight_hr`), if it has one.
    pub w_hr: Option<Tensor<T>>,
}

/// The sizes of one call, checked against each other.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RecurrentGeometry {
    pub kind: CellKind,
    /// T, B, I.
    pub steps: usize,
    pub batch: usize,
    pub input: usize,
    /// H: the width of each gate (and of the LSTM's cell).
    pub hidden: usize,
    /// P: the width of the state and the output (H unless projected).
    pub out: usize,
    /// Walk the sequence from the end to the start (the second direction of a bidirectional layer).
    pub reverse: bool,
    /// Real steps per sequence; `None` when every sequence is `steps` long.
    pub lengths: Option<Vec<usize>>,
}

impl RecurrentGeometry {
    /// Checks `x` `[T, B, I]` and the weights against each other; panics naming `op` and the
    /// shapes that disagree.
    pub fn new<T: Float>(
        op: &str,
        kind: CellKind,
        x: &[usize],
        w: &RecurrentWeights<T>,
        lengths: Option<&[usize]>,
        reverse: bool,
    ) -> Self {
        if x.len() != 3 {
            panic!("{op}: the input must be [steps, batch, features], got shape {}", dims_str(x));
        }
        let (steps, batch, input) = (x[0], x[1], x[2]);
        if steps == 0 {
            panic!("{op}: the input of shape {} has no time steps", dims_str(x));
        }
        let (wih, whh) = (w.w_ih.shape(), w.w_hh.shape());
        let g = kind.gates();
        if wih.len() != 2 || wih[0] % g != 0 || wih[1] != input {
            panic!(
                "{op}: weight_ih of shape {} does not fit input of shape {}: {} needs [{g}·hidden, {input}]",
                dims_str(wih),
                dims_str(x),
                kind.name()
            );
        }
        let hidden = wih[0] / g;
        let out = match &w.w_hr {
            None => hidden,
            Some(hr) => {
                if kind != CellKind::Lstm {
                    panic!("{op}: only an LSTM projects its state, but a {} layer got weight_hr", kind.name());
                }
                if hr.rank() != 2 || hr.shape()[1] != hidden || hr.shape()[0] == 0 || hr.shape()[0] >= hidden {
                    panic!(
                        "{op}: weight_hr of shape {} must be [proj_size, {hidden}] with 0 < proj_size < {hidden}",
                        dims_str(hr.shape())
                    );
                }
                hr.shape()[0]
            }
        };
        if whh != [g * hidden, out] {
            panic!(
                "{op}: weight_hh of shape {} does not match weight_ih of shape {}: expected [{}, {out}]",
                dims_str(whh),
                dims_str(wih),
                g * hidden
            );
        }
        for (name, b) in [("bias_ih", &w.b_ih), ("bias_hh", &w.b_hh)] {
            if let Some(b) = b {
                if b.shape() != [g * hidden] {
                    panic!("{op}: {name} of shape {} must be [{}]", dims_str(b.shape()), g * hidden);
                }
            }
        }
        let lengths = lengths.map(|l| {
            if l.len() != batch {
                panic!("{op}: {} lengths given for a batch of {batch}", l.len());
            }
            if let Some((b, &len)) = l.iter().enumerate().find(|(_, &len)| len == 0 || len > steps) {
                panic!("{op}: sequence {b} has length {len}; lengths must be in 1..={steps} (the padded length)");
            }
            l.to_vec()
        });
        RecurrentGeometry { kind, steps, batch, input, hidden, out, reverse, lengths }
    }

    /// Whether step `t` of sequence `b` is real (not padding).
    #[inline]
    pub fn is_real(&self, t: usize, b: usize) -> bool {
        self.lengths.as_ref().is_none_or(|l| t < l[b])
    }

    /// The time steps in the order they are computed.
    pub fn order(&self) -> Box<dyn Iterator<Item = usize>> {
        if self.reverse {
            Box::new((0..self.steps).rev())
        } else {
            Box::new(0..self.steps)
        }
    }

    /// Slots of the state history `[T + 1, B, P]` read and written at step `t`: the history
    /// runs in time order, with the initial state at slot 0 going forward and at slot T
    /// backward, so the states that enter the steps of `t = 0..T` are one contiguous block.
    #[inline]
    pub fn slots(&self, t: usize) -> (usize, usize) {
        if self.reverse {
            (t + 1, t)
        } else {
            (t, t + 1)
        }
    }

    /// The first slot of the block of states entering steps `0..T` (see [`Self::slots`]).
    pub fn entering_block(&self) -> usize {
        usize::from(self.reverse)
    }

    /// The slot of the state left after the last step.
    pub fn final_slot(&self) -> usize {
        if self.reverse {
            0
        } else {
            self.steps
        }
    }

    /// Checks an initial state against `[B, width]`.
    pub fn check_state(&self, op: &str, what: &str, shape: &[usize], width: usize) {
        if shape != [self.batch, width] {
            panic!("{op}: the initial {what} must be [{}, {width}], got shape {}", self.batch, dims_str(shape));
        }
    }
}

impl<T: Float> Drop for RecurrentTape<T> {
    fn drop(&mut self) {
        // Training builds a tape of the same size every step: keep the buffers for the next.
        if let fast::Input::Sequence(x) = &mut self.input {
            fast::release(std::mem::take(x));
        }
        for buf in [&mut self.states, &mut self.cells, &mut self.gates, &mut self.extra] {
            fast::release(std::mem::take(buf));
        }
    }
}

/// What the forward pass keeps for the backward pass.
pub struct RecurrentTape<T: Float> {
    pub geometry: RecurrentGeometry,
    /// How the batch was split across threads; every buffer below is stored slab by slab.
    pub(crate) slabs: Vec<fast::Slab>,
    /// The input, rows slab by slab.
    pub(crate) input: fast::Input<T>,
    pub(crate) weights: RecurrentWeights<T>,
    /// Hidden states `[T + 1, B, P]` (see [`RecurrentGeometry::slots`]), slab by slab.
    pub(crate) states: Vec<T>,
    /// The LSTM's cell states `[T + 1, B, H]`, same slots.
    pub(crate) cells: Vec<T>,
    /// Gate activations `[T, B, G·H]` in time order.
    pub(crate) gates: Vec<T>,
    /// Per kind: LSTM tanh(c') `[T, B, H]`; GRU the hidden product of the n gate
    /// (W_hn h + b_hn) `[T, B, H]`; empty for the RNN.
    pub(crate) extra: Vec<T>,
}

/// A whole-sequence forward pass: the output `[T, B, P]` (zero at padded steps), the final
/// state `[B, P]`, the LSTM's final cell `[B, H]`, and the tape for [`backward`].
pub struct RecurrentForward<T: Float> {
    /// The three results in one buffer, in order (the others are views of it).
    pub flat: Tensor<T>,
    pub output: Tensor<T>,
    pub h_n: Tensor<T>,
    pub c_n: Option<Tensor<T>>,
    pub tape: RecurrentTape<T>,
}

/// Gradients of everything [`forward`] read (`x` is the table's gradient for a lookup). Bias gradients are `None` when the layer has no
/// biases, `w_hr` when it has no projection, `c0` for kinds other than the LSTM.
pub struct RecurrentGrads<T: Float> {
    pub x: Tensor<T>,
    pub h0: Tensor<T>,
    pub c0: Option<Tensor<T>>,
    pub w_ih: Tensor<T>,
    pub w_hh: Tensor<T>,
    pub b_ih: Option<Tensor<T>>,
    pub b_hh: Option<Tensor<T>>,
    pub w_hr: Option<Tensor<T>>,
}

/// What a layer reads at each step: a sequence of vectors, or token ids looked up in an
/// embedding table (the first layer of a language model).
pub enum RecurrentInput<'a, T: Element> {
    /// `x` `[T, B, I]`.
    Sequence(&'a Tensor<T>),
    /// `ids` `[T, B]` into `table` `[V, I]`: the same as the sequence of rows `table[ids]`,
    /// computed without it. An embedding followed by the input projection is one linear map
    /// of a one-hot vector, so the kernel projects the V rows of the table once
    /// (`table · W_ihᵀ`, V×I×G·H multiply-adds instead of T·B×I×G·H) and looks the projected
    /// rows up; backward sums the gate gradients per token id and maps those V rows back.
    Lookup { table: &'a Tensor<T>, ids: &'a Tensor<i64> },
}

/// Runs one layer in one direction over the whole sequence. `h0` `[B, P]` and (LSTM) `c0`
/// `[B, H]` default to zeros. Panics naming the op and the shapes on any mismatch.
pub fn forward<T: Float>(
    kind: CellKind,
    input: RecurrentInput<'_, T>,
    h0: Option<&Tensor<T>>,
    c0: Option<&Tensor<T>>,
    weights: &RecurrentWeights<T>,
    lengths: Option<&[usize]>,
    reverse: bool,
) -> RecurrentForward<T> {
    let op = "recurrent";
    let (x_shape, input) = match input {
        RecurrentInput::Sequence(x) => (x.shape().to_vec(), fast::Input::Sequence(x.to_vec())),
        RecurrentInput::Lookup { table, ids } => {
            if table.rank() != 2 || ids.rank() != 2 {
                panic!(
                    "{op}: a lookup needs a [vocabulary, features] table and [steps, batch] ids, got shapes {} and {}",
                    dims_str(table.shape()),
                    dims_str(ids.shape())
                );
            }
            let rows = table.shape()[0];
            let ids_vec: Vec<usize> = ids
                .to_vec()
                .into_iter()
                .map(|i| match usize::try_from(i) {
                    Ok(i) if i < rows => i,
                    _ => panic!("{op}: token id {i} is out of range for a table of {rows} rows"),
                })
                .collect();
            let shape = vec![ids.shape()[0], ids.shape()[1], table.shape()[1]];
            (shape, fast::Input::Lookup { table: table.contiguous(), ids: ids_vec })
        }
    };
    let g = RecurrentGeometry::new(op, kind, &x_shape, weights, lengths, reverse);
    if let Some(h0) = h0 {
        g.check_state(op, "hidden state h0", h0.shape(), g.out);
    }
    match (kind, c0) {
        (CellKind::Lstm, Some(c0)) => g.check_state(op, "cell state c0", c0.shape(), g.hidden),
        (_, Some(_)) => panic!("{op}: only an LSTM has a cell state, but a {} layer got c0", kind.name()),
        _ => {}
    }
    let dense = |t: &Tensor<T>| t.contiguous();
    let weights = RecurrentWeights {
        w_ih: dense(&weights.w_ih),
        w_hh: dense(&weights.w_hh),
        b_ih: weights.b_ih.as_ref().map(dense),
        b_hh: weights.b_hh.as_ref().map(dense),
        w_hr: weights.w_hr.as_ref().map(dense),
    };
    fast::forward(g, input, h0.map(dense), c0.map(dense), weights)
}

/// Backpropagation through time over a tape from [`forward`]: `d_output` `[T, B, P]`, `d_h_n`
/// `[B, P]` and `d_c_n` `[B, H]` are the gradients of the three results (`None` counts as zero).
pub fn backward<T: Float>(
    tape: &RecurrentTape<T>,
    d_output: Option<&Tensor<T>>,
    d_h_n: Option<&Tensor<T>>,
    d_c_n: Option<&Tensor<T>>,
) -> RecurrentGrads<T> {
    let g = &tape.geometry;
    let check = |what: &str, t: Option<&Tensor<T>>, shape: &[usize]| {
        if let Some(t) = t {
            if t.shape() != shape {
                panic!(
                    "recurrent backward: the gradient of {what} has shape {}, expected {}",
                    dims_str(t.shape()),
                    dims_str(shape)
                );
            }
        }
    };
    check("the output", d_output, &[g.steps, g.batch, g.out]);
    check("h_n", d_h_n, &[g.batch, g.out]);
    check("c_n", d_c_n, &[g.batch, g.hidden]);
    fast::backward(tape, d_output.map(|t| t.contiguous()), d_h_n.map(|t| t.contiguous()), d_c_n.map(|t| t.contiguous()))
}
