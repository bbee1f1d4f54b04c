//! Differentiable recurrent layers: one RNN, LSTM or GRU layer in one direction over a whole
//! sequence, as one recorded op whose backward pass is backpropagation through time
//! ([`kindling_tensor::recurrent`] holds the kernels and the shape conventions). The
//! multi-layer, bidirectional layers of `kindling-sequence` call it once per layer and
//! direction.
//!
//! The op has three results (the output sequence, the final state, the LSTM's final cell),
//! while a recorded op has one value; so it records one flat tensor holding all three, and
//! returns views of it. Their gradients meet in that tensor, and one backward pass serves
//! them all.

use crate::Variable;
use kindling_tensor::recurrent::{self as kernels, RecurrentInput, RecurrentWeights};
use kindling_tensor::{Float, Tensor};

pub use kindling_tensor::recurrent::CellKind;

/// The weights of one layer in one direction (PyTorch's layout, see
/// [`kindling_tensor::recurrent`]).
#[derive(Clone, Copy)]
pub struct LayerWeights<'a, T: Float> {
    pub w_ih: &'a Variable<T>,
    pub w_hh: &'a Variable<T>,
    pub b_ih: Option<&'a Variable<T>>,
    pub b_hh: Option<&'a Variable<T>>,
    pub w_hr: Option<&'a Variable<T>>,
}

/// The results of [`recurrent`]: `output` `[T, B, P]` (zero at padded steps), `h_n` `[B, P]`,
/// and the LSTM's `c_n` `[B, H]`.
pub struct RecurrentOutput<T: Float> {
    pub output: Variable<T>,
    pub h_n: Variable<T>,
    pub c_n: Option<Variable<T>>,
}

/// Runs one layer in one direction over `x` `[T, B, I]` from the initial state `h0` `[B, P]`
/// (and `c0` `[B, H]` for the LSTM; zeros when `None`). With `lengths`, sequence `b` is real
/// for its first `lengths[b]` steps and padding after: the state skips the padding, so `h_n`
/// is the state after each sequence's last real step. `reverse` walks the sequence backward.
///
/// ```
/// use kindling_autograd::recurrent::{recurrent, CellKind, LayerWeights};
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
///
/// // A one-unit tanh RNN that adds its input to half its state: h' = tanh(x + h / 2).
/// let (w_ih, w_hh) = (Variable::param(Tensor::from([[1.0f64]])), Variable::param(Tensor::from([[0.5]])));
/// let w = LayerWeights { w_ih: &w_ih, w_hh: &w_hh, b_ih: None, b_hh: None, w_hr: None };
/// let x = Variable::constant(Tensor::from([[[1.0]], [[0.0]]])); // T = 2, B = 1, I = 1
/// let out = recurrent(CellKind::RnnTanh, &x, None, None, w, None, false);
/// let h1 = 1f64.tanh();
/// assert_eq!(out.output.value().to_vec(), vec![h1, (h1 / 2.0).tanh()]);
/// assert_eq!(out.h_n.value().to_vec(), vec![(h1 / 2.0).tanh()]);
/// ```
pub fn recurrent<T: Float>(
    kind: CellKind,
    x: &Variable<T>,
    h0: Option<&Variable<T>>,
    c0: Option<&Variable<T>>,
    w: LayerWeights<'_, T>,
    lengths: Option<&[usize]>,
    reverse: bool,
) -> RecurrentOutput<T> {
    let value = x.value();
    record(kind, x, RecurrentInput::Sequence(&value), h0, c0, w, lengths, reverse)
}

/// [`recurrent`] over the rows `table[ids]` of an embedding table `[V, I]`, for token ids
/// `[T, B]`: the same results and gradients (the table's instead of the input's) as an
/// embedding lookup followed by [`recurrent`], computed by projecting the V rows of the table
/// once instead of the T·B looked-up rows (see `kindling_tensor::recurrent::RecurrentInput`).
#[allow(clippy::too_many_arguments)]
pub fn recurrent_lookup<T: Float>(
    kind: CellKind,
    table: &Variable<T>,
    ids: &Tensor<i64>,
    h0: Option<&Variable<T>>,
    c0: Option<&Variable<T>>,
    w: LayerWeights<'_, T>,
    lengths: Option<&[usize]>,
    reverse: bool,
) -> RecurrentOutput<T> {
    let value = table.value();
    record(kind, table, RecurrentInput::Lookup { table: &value, ids }, h0, c0, w, lengths, reverse)
}

#[allow(clippy::too_many_arguments)]
fn record<T: Float>(
    kind: CellKind,
    x: &Variable<T>,
    input: RecurrentInput<'_, T>,
    h0: Option<&Variable<T>>,
    c0: Option<&Variable<T>>,
    w: LayerWeights<'_, T>,
    lengths: Option<&[usize]>,
    reverse: bool,
) -> RecurrentOutput<T> {
    let weights = RecurrentWeights {
        w_ih: w.w_ih.value(),
        w_hh: w.w_hh.value(),
        b_ih: w.b_ih.map(Variable::value),
        b_hh: w.b_hh.map(Variable::value),
        w_hr: w.w_hr.map(Variable::value),
    };
    let (h0v, c0v) = (h0.map(Variable::value), c0.map(Variable::value));
    let fwd = kernels::forward(kind, input, h0v.as_ref(), c0v.as_ref(), &weights, lengths, reverse);
    let g = &fwd.tape.geometry;
    let (steps, batch, out, hid) = (g.steps, g.batch, g.out, g.hidden);
    let sizes = [steps * batch * out, batch * out, if kind == CellKind::Lstm { batch * hid } else { 0 }];

    // Inputs in a fixed order; `slots` remembers which gradient goes where.
    let mut inputs = vec![x.clone(), w.w_ih.clone(), w.w_hh.clone()];
    let mut slots = vec![Slot::X, Slot::WIh, Slot::WHh];
    for (v, slot) in [(w.b_ih, Slot::BIh), (w.b_hh, Slot::BHh), (w.w_hr, Slot::WHr), (h0, Slot::H0), (c0, Slot::C0)] {
        if let Some(v) = v {
            inputs.push(v.clone());
            slots.push(slot);
        }
    }
    let tape = fwd.tape;
    let flat = Variable::from_op("recurrent", fwd.flat, inputs, move |d, needs| {
        let part = |start: usize, len: usize, shape: &[usize]| d.narrow(0, start, len).reshape(shape);
        let d_out = part(0, sizes[0], &[steps, batch, out]);
        let d_h = part(sizes[0], sizes[1], &[batch, out]);
        let d_c = (sizes[2] > 0).then(|| part(sizes[0] + sizes[1], sizes[2], &[batch, hid]));
        let mut grads = kernels::backward(&tape, Some(&d_out), Some(&d_h), d_c.as_ref());
        slots
            .iter()
            .zip(needs)
            .map(|(slot, &need)| {
                need.then(|| match slot {
                    Slot::X => grads.x.clone(),
                    Slot::WIh => grads.w_ih.clone(),
                    Slot::WHh => grads.w_hh.clone(),
                    Slot::BIh => grads.b_ih.take().expect("a bias was given"),
                    Slot::BHh => grads.b_hh.take().expect("a bias was given"),
                    Slot::WHr => grads.w_hr.take().expect("a projection was given"),
                    Slot::H0 => grads.h0.clone(),
                    Slot::C0 => grads.c0.take().expect("an LSTM was run"),
                })
            })
            .collect()
    });
    RecurrentOutput {
        output: flat.narrow(0, 0, sizes[0]).reshape(&[steps, batch, out][..]),
        h_n: flat.narrow(0, sizes[0], sizes[1]).reshape(&[batch, out][..]),
        c_n: (sizes[2] > 0).then(|| flat.narrow(0, sizes[0] + sizes[1], sizes[2]).reshape(&[batch, hid][..])),
    }
}

#[derive(Clone, Copy)]
enum Slot {
    X,
    WIh,
    WHh,
    BIh,
    BHh,
    WHr,
    H0,
    C0,
}
