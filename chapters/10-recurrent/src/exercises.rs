//! Chapter 10 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch10-recurrent --features learner          # every exercise
//! cargo test -p ch10-recurrent --features learner ex10_2   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use crate::{HandRnn, RawWeights};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;

// ANCHOR: ex10_1
/// Exercise 10.1. One LSTM step from raw weights in PyTorch's layout, for a batch:
/// `x` `[B, I]`, `h` and `c` `[B, H]`. Returns (h', c'):
///
/// ```text
/// a = x W_ihᵀ + b_ih + h W_hhᵀ + b_hh     [B, 4H]: blocks of H columns i, f, g, o
/// i = σ(a_i)   f = σ(a_f)   g = tanh(a_g)   o = σ(a_o)
/// c' = f ⊙ c + i ⊙ g
/// h' = o ⊙ tanh(c')
/// ```
///
/// Hint: `Variable::chunk(4, 1)` cuts `a` into the four blocks; `t()` transposes a
/// weight.
pub fn lstm_step(
    x: &Variable<f64>,
    h: &Variable<f64>,
    c: &Variable<f64>,
    w: &RawWeights,
) -> (Variable<f64>, Variable<f64>) {
    // TODO(10.1): mind PyTorch's gate order: input, forget, cell candidate, output.
    unimplemented!("exercise 10.1: lstm_step")
}
// ANCHOR_END: ex10_1

// ANCHOR: ex10_2
/// Exercise 10.2. One GRU step from raw weights in PyTorch's layout (blocks r, z,
/// n): returns h' `[B, H]`.
///
/// ```text
/// r = σ(x W_irᵀ + b_ir + h W_hrᵀ + b_hr)
/// z = σ(x W_izᵀ + b_iz + h W_hzᵀ + b_hz)
/// n = tanh(x W_inᵀ + b_in + r ⊙ (h W_hnᵀ + b_hn))
/// h' = (1 − z) ⊙ n + z ⊙ h
/// ```
///
/// Hint: chunk the input product and the hidden product separately: the reset gate
/// multiplies only the hidden product's n block, bias included.
pub fn gru_step(
    x: &Variable<f64>,
    h: &Variable<f64>,
    w: &RawWeights,
) -> Variable<f64> {
    // TODO(10.2): r is applied after the product with W_hn, not to h before it.
    unimplemented!("exercise 10.2: gru_step")
}
// ANCHOR_END: ex10_2

// ANCHOR: ex10_3
/// Exercise 10.3. The mean of per-step losses `[B, T]` over the real steps only:
/// sequence `b` is real for its first `lengths[b]` steps, the rest is padding.
/// Padding must change neither the value nor any gradient.
///
/// Hint: build a 0/1 mask `[B, T]` as a constant, multiply, sum, and divide by the
/// number of real steps (not by B·T).
pub fn masked_mean(losses: &Variable<f64>, lengths: &[usize]) -> Variable<f64> {
    // TODO(10.3): a mean over Σ lengths values.
    unimplemented!("exercise 10.3: masked_mean")
}
// ANCHOR_END: ex10_3

// ANCHOR: ex10_4
/// Exercise 10.4. Every (window, future) pair of a one-feature series, in time
/// order: input `m` is `series[m..m + window]` and its target the `horizon` values
/// after it. A series shorter than `window + horizon` has none.
///
/// Hint: there are `len − window − horizon + 1` pairs; mind the subtraction when
/// the series is too short.
pub fn windows(
    series: &[f64],
    window: usize,
    horizon: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    // TODO(10.4): one pair per start position.
    unimplemented!("exercise 10.4: windows")
}
// ANCHOR_END: ex10_4

// ANCHOR: ex10_5
/// Exercise 10.5. Backpropagation through time, measured: unroll `rnn` (with
/// [`HandRnn::step`]) over `x` `[T, B, I]` from a zero state, take the loss
/// L = Σ readout ⊙ h_T (`readout` `[B, H]`), and return ‖∂L/∂x_t‖ (the Euclidean
/// norm over the batch and the features) for t = 0, …, T − 1.
///
/// Hint: make every step's input its own leaf (`Variable::param(x.select(0,
/// t).contiguous())`) so that each receives its own `.grad()` after one
/// `backward()`.
pub fn input_grad_norms(
    rnn: &HandRnn<f64>,
    x: &Tensor<f64>,
    readout: &Tensor<f64>,
) -> Vec<f64> {
    // TODO(10.5): one leaf per step, one backward pass, one norm per step.
    unimplemented!("exercise 10.5: input_grad_norms")
}
// ANCHOR_END: ex10_5

// ANCHOR: ex10_6
/// Exercise 10.6. softmax(logits / temperature): below 1 the distribution sharpens,
/// above 1 it flattens. Subtract the largest logit first, so that large logits do
/// not overflow.
pub fn softmax_with_temperature(logits: &[f64], temperature: f64) -> Vec<f64> {
    // TODO(10.6): stable softmax of the scaled logits.
    unimplemented!("exercise 10.6: softmax_with_temperature")
}

/// Exercise 10.6. The index that the uniform number `u` in [0, 1) draws from
/// softmax(logits / temperature): the first index whose cumulative probability
/// exceeds `u`. Temperature 0 means greedy decoding, the arg max (the first one on
/// a tie).
///
/// Hint: handle temperature 0 before dividing by it.
pub fn sample_with_temperature(logits: &[f64], temperature: f64, u: f64) -> usize {
    // TODO(10.6): inverse of the cumulative distribution.
    unimplemented!("exercise 10.6: sample_with_temperature")
}
// ANCHOR_END: ex10_6

// ANCHOR: ex10_7
/// Exercise 10.7. ELMo's scalar mix of the layers of a deep recurrent network:
/// given the representations h_0, …, h_{L−1} (all of one shape), learned scores `s`
/// `[L]` and a learned scale `gamma` `[1]`, return γ · Σ_j softmax(s)_j · h_j.
///
/// Hint: `s.softmax(0)` gives the weights; `select(0, j)` one of them as a scalar
/// variable, which broadcasts against h_j.
pub fn scalar_mix(
    layers: &[Variable<f64>],
    s: &Variable<f64>,
    gamma: &Variable<f64>,
) -> Variable<f64> {
    // TODO(10.7): a softmax-weighted sum, then the scale.
    unimplemented!("exercise 10.7: scalar_mix")
}
// ANCHOR_END: ex10_7
