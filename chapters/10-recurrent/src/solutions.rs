//! Reference answers to chapter 10's exercises (the same signatures as
//! `exercises.rs`). `cargo test -p ch10-recurrent` checks these; try the exercises
//! first.

use crate::{HandRnn, RawWeights};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;

// ANCHOR: ex10_1
/// Exercise 10.1. One LSTM step from raw weights: returns (h', c').
pub fn lstm_step(
    x: &Variable<f64>,
    h: &Variable<f64>,
    c: &Variable<f64>,
    w: &RawWeights,
) -> (Variable<f64>, Variable<f64>) {
    let from_x = &x.matmul(&w.w_ih.t()) + &w.b_ih;
    let from_h = &h.matmul(&w.w_hh.t()) + &w.b_hh;
    let blocks = (&from_x + &from_h).chunk(4, 1);
    let i = blocks[0].sigmoid();
    let f = blocks[1].sigmoid();
    let g = blocks[2].tanh();
    let o = blocks[3].sigmoid();
    let c_new = &(&f * c) + &(&i * &g);
    let h_new = &o * &c_new.tanh();
    (h_new, c_new)
}
// ANCHOR_END: ex10_1

// ANCHOR: ex10_2
/// Exercise 10.2. One GRU step from raw weights, PyTorch's variant: returns h'.
pub fn gru_step(
    x: &Variable<f64>,
    h: &Variable<f64>,
    w: &RawWeights,
) -> Variable<f64> {
    let from_x = (&x.matmul(&w.w_ih.t()) + &w.b_ih).chunk(3, 1);
    let from_h = (&h.matmul(&w.w_hh.t()) + &w.b_hh).chunk(3, 1);
    let r = (&from_x[0] + &from_h[0]).sigmoid();
    let z = (&from_x[1] + &from_h[1]).sigmoid();
    let n = (&from_x[2] + &(&r * &from_h[2])).tanh();
    // (1 − z) ⊙ n + z ⊙ h
    &(&z.rsub_scalar(1.0) * &n) + &(&z * h)
}
// ANCHOR_END: ex10_2

// ANCHOR: ex10_3
/// Exercise 10.3. The mean of per-step losses `[B, T]` over the real steps only.
pub fn masked_mean(losses: &Variable<f64>, lengths: &[usize]) -> Variable<f64> {
    let steps = losses.shape()[1];
    let mask: Vec<f64> = lengths
        .iter()
        .flat_map(|&l| (0..steps).map(move |t| if t < l { 1.0 } else { 0.0 }))
        .collect();
    let real: f64 = mask.iter().sum();
    let mask = Variable::constant(Tensor::from_vec(mask, [lengths.len(), steps]));
    (losses * &mask).sum_all().mul_scalar(1.0 / real)
}
// ANCHOR_END: ex10_3

// ANCHOR: ex10_4
/// Exercise 10.4. Every (window, future) pair of a one-feature series, in time
/// order.
pub fn windows(
    series: &[f64],
    window: usize,
    horizon: usize,
) -> (Vec<Vec<f64>>, Vec<Vec<f64>>) {
    if series.len() < window + horizon {
        return (Vec::new(), Vec::new());
    }
    (0..=series.len() - window - horizon)
        .map(|s| {
            (
                series[s..s + window].to_vec(),
                series[s + window..s + window + horizon].to_vec(),
            )
        })
        .unzip()
}
// ANCHOR_END: ex10_4

// ANCHOR: ex10_5
/// Exercise 10.5. ‖∂L/∂x_t‖ for every step of the unrolled `rnn`, with L = Σ
/// readout ⊙ h_T.
pub fn input_grad_norms(
    rnn: &HandRnn<f64>,
    x: &Tensor<f64>,
    readout: &Tensor<f64>,
) -> Vec<f64> {
    let (steps, batch) = (x.shape()[0], x.shape()[1]);
    let hidden = rnn.w_hh.shape()[0];
    // One leaf per step, so that each receives its own gradient.
    let xs: Vec<Variable<f64>> =
        (0..steps).map(|t| Variable::param(x.select(0, t).contiguous())).collect();
    let mut h = Variable::constant(Tensor::zeros([batch, hidden]));
    for x_t in &xs {
        h = rnn.step(x_t, &h);
    }
    (&h * &Variable::constant(readout.clone())).sum_all().backward();
    xs.iter()
        .map(|x_t| {
            x_t.grad()
                .expect("every step reaches the loss")
                .to_vec()
                .iter()
                .map(|g| g * g)
                .sum::<f64>()
                .sqrt()
        })
        .collect()
}
// ANCHOR_END: ex10_5

// ANCHOR: ex10_6
/// Exercise 10.6. softmax(logits / temperature).
pub fn softmax_with_temperature(logits: &[f64], temperature: f64) -> Vec<f64> {
    let max = logits.iter().cloned().fold(f64::NEG_INFINITY, f64::max);
    let e: Vec<f64> =
        logits.iter().map(|&z| ((z - max) / temperature).exp()).collect();
    let sum: f64 = e.iter().sum();
    e.iter().map(|v| v / sum).collect()
}

/// Exercise 10.6. The index drawn by the uniform number `u` in [0, 1) from
/// softmax(logits / temperature); the arg max at temperature 0.
pub fn sample_with_temperature(logits: &[f64], temperature: f64, u: f64) -> usize {
    if temperature == 0.0 {
        return logits.iter().enumerate().fold(0, |best, (i, &z)| {
            if z > logits[best] {
                i
            } else {
                best
            }
        });
    }
    let probs = softmax_with_temperature(logits, temperature);
    let mut cumulative = 0.0;
    for (i, p) in probs.iter().enumerate() {
        cumulative += p;
        if u < cumulative {
            return i;
        }
    }
    probs.len() - 1
}
// ANCHOR_END: ex10_6

// ANCHOR: ex10_7
/// Exercise 10.7. ELMo's scalar mix: γ · Σ_j softmax(s)_j · h_j.
pub fn scalar_mix(
    layers: &[Variable<f64>],
    s: &Variable<f64>,
    gamma: &Variable<f64>,
) -> Variable<f64> {
    let weights = s.softmax(0);
    let mut mix = &weights.select(0, 0) * &layers[0];
    for (j, h) in layers.iter().enumerate().skip(1) {
        mix = &mix + &(&weights.select(0, j) * h);
    }
    &mix * gamma
}
// ANCHOR_END: ex10_7
