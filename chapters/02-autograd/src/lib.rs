//! Chapter 2 of the Kindling book: automatic differentiation.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch02-autograd`) runs it and writes what the chapter
//! shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch02-autograd --features learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_tensor::{Rng, Tensor};
use std::time::{Duration, Instant};

pub mod diagrams;
pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: first_gradient
/// y = (3x² + 1)² at x: returns (y, dy/dx) computed by Kindling's autograd.
pub fn first_gradient(x: f64) -> (f64, f64) {
    let x = Variable::param(Tensor::scalar(x)); // a leaf that collects a gradient
    let inner = &(&x.square() * 3.0) + 1.0; // 3x² + 1
    let y = inner.square(); // (3x² + 1)²
    y.backward(); // fills x.grad() with dy/dx
    (y.item(), x.grad().expect("x is a param").item())
}
// ANCHOR_END: first_gradient

// ANCHOR: by_hand
/// The same function as a list of elementary steps, run forwards, then backwards by
/// hand. Each `_bar` is the derivative of y with respect to that intermediate (its
/// adjoint).
pub fn by_hand(x: f64) -> (f64, f64) {
    // Forward: every step is one elementary operation.
    let a = x * x; // a = x²
    let b = 3.0 * a + 1.0; // b = 3a + 1
    let y = b * b; // y = b²
                   // Backward: start from dy/dy = 1 and apply each step's local
                   // derivative in reverse.
    let y_bar = 1.0;
    let b_bar = y_bar * 2.0 * b; // dy/db = 2b
    let a_bar = b_bar * 3.0; // db/da = 3
    let x_bar = a_bar * 2.0 * x; // da/dx = 2x
    (y, x_bar)
}
// ANCHOR_END: by_hand

// ANCHOR: differences
/// Forward difference (f(x + h) − f(x)) / h: error proportional to h.
pub fn forward_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x)) / h
}

/// Central difference (f(x + h) − f(x − h)) / 2h: error proportional to h².
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    (f(x + h) - f(x - h)) / (2.0 * h)
}
// ANCHOR_END: differences

// ANCHOR: tape
/// A handle to one value recorded on a [`Tape`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Var(usize);

/// One recorded value and, for each input it was computed from, the local
/// derivative ∂(this value)/∂(that input).
struct Entry {
    value: f64,
    inputs: Vec<(usize, f64)>,
}

/// A minimal reverse-mode autodiff for scalars: every operation appends an entry,
/// so the tape is in the order things were computed, which is a topological order
/// of the graph.
#[derive(Default)]
pub struct Tape {
    entries: Vec<Entry>,
}

impl Tape {
    pub fn new() -> Self {
        Tape::default()
    }

    /// Records a value with its inputs and the local derivative with respect to
    /// each.
    pub fn record(&mut self, value: f64, inputs: &[(Var, f64)]) -> Var {
        let inputs = inputs.iter().map(|&(v, d)| (v.0, d)).collect();
        self.entries.push(Entry { value, inputs });
        Var(self.entries.len() - 1)
    }

    /// A variable to differentiate by.
    pub fn input(&mut self, value: f64) -> Var {
        self.record(value, &[])
    }

    pub fn value(&self, v: Var) -> f64 {
        self.entries[v.0].value
    }

    pub fn add(&mut self, a: Var, b: Var) -> Var {
        self.record(self.value(a) + self.value(b), &[(a, 1.0), (b, 1.0)])
    }

    pub fn mul(&mut self, a: Var, b: Var) -> Var {
        let (va, vb) = (self.value(a), self.value(b));
        self.record(va * vb, &[(a, vb), (b, va)]) // ∂(ab)/∂a = b, ∂(ab)/∂b = a
    }

    pub fn add_const(&mut self, a: Var, c: f64) -> Var {
        self.record(self.value(a) + c, &[(a, 1.0)])
    }

    pub fn scale(&mut self, a: Var, c: f64) -> Var {
        self.record(c * self.value(a), &[(a, c)])
    }

    pub fn sin(&mut self, a: Var) -> Var {
        let va = self.value(a);
        self.record(va.sin(), &[(a, va.cos())])
    }
}
// ANCHOR_END: tape

// ANCHOR: tape_backward
impl Tape {
    /// d(output)/d(every entry): one sweep over the tape in reverse. When an entry
    /// is reached, every use of it came later on the tape and has already added its
    /// share.
    pub fn gradients(&self, output: Var) -> Vec<f64> {
        let mut adjoint = vec![0.0; self.entries.len()];
        adjoint[output.0] = 1.0;
        for i in (0..=output.0).rev() {
            for &(input, local) in &self.entries[i].inputs {
                // the chain rule, one edge at a time
                adjoint[input] += adjoint[i] * local;
            }
        }
        adjoint
    }

    /// d(output)/d(v), after [`Tape::gradients`].
    pub fn grad(gradients: &[f64], v: Var) -> f64 {
        gradients[v.0]
    }
}
// ANCHOR_END: tape_backward

// ANCHOR: tape_example
/// sin(5x³) and its derivative at x, on the tape.
pub fn sin_5x3_on_tape(x: f64) -> (f64, f64) {
    let mut tape = Tape::new();
    let xv = tape.input(x);
    let x2 = tape.mul(xv, xv);
    let x3 = tape.mul(x2, xv);
    let inner = tape.scale(x3, 5.0);
    let y = tape.sin(inner);
    let grads = tape.gradients(y);
    (tape.value(y), Tape::grad(&grads, xv))
}
// ANCHOR_END: tape_example

// ANCHOR: elementwise_derivatives
/// f'(x) at every point of `xs` for an elementwise f, in one backward pass: since
/// y_i depends on x_i only, the gradient of Σ f(x_i) is the vector of f'(x_i).
pub fn elementwise_derivative(
    xs: &Tensor<f64>,
    f: impl Fn(&Variable<f64>) -> Variable<f64>,
) -> Tensor<f64> {
    let x = Variable::param(xs.clone());
    f(&x).sum_all().backward();
    x.grad().expect("x is a param")
}
// ANCHOR_END: elementwise_derivatives

// ANCHOR: softmax_jacobian
/// The Jacobian of softmax at z, one row per backward pass: backpropagating the
/// one-hot vector e_i gives row i, ∂s_i/∂z.
pub fn softmax_jacobian_by_autograd(z: &[f64]) -> Vec<Vec<f64>> {
    let zv = Variable::param(Tensor::from_slice(z));
    let s = zv.softmax(-1);
    let mut rows = Vec::new();
    for i in 0..z.len() {
        let mut e_i = vec![0.0; z.len()];
        e_i[i] = 1.0;
        zv.zero_grad(); // gradients add up across backward passes: clear them first
        s.backward_retaining_graph(&Tensor::from_vec(e_i, [z.len()]));
        rows.push(zv.grad().expect("z is a param").to_vec());
    }
    rows
}
// ANCHOR_END: softmax_jacobian

// ANCHOR: accumulate
/// Gradients add up until cleared; `no_grad` records nothing; `detach` cuts the
/// graph.
pub fn accumulation_and_no_grad() -> Vec<(String, String)> {
    let w = Variable::param(Tensor::scalar(3.0f64));
    let mut log = Vec::new();
    for pass in 1..=2 {
        let loss = w.square(); // d(w²)/dw = 2w = 6
        loss.backward();
        log.push((
            format!("after backward pass {pass}: w.grad()"),
            w.grad().unwrap().item().to_string(),
        ));
    }
    w.zero_grad();
    (&w.square() * 0.5).backward(); // d(w²/2)/dw = w = 3
    log.push((
        "after zero_grad and one more pass".to_string(),
        w.grad().unwrap().item().to_string(),
    ));
    let frozen = no_grad(|| w.square()); // a constant: no graph was recorded
    log.push((
        "no_grad(|| w.square()).requires_grad()".to_string(),
        frozen.requires_grad().to_string(),
    ));
    let cut = &w.detach() * &w; // the detached copy is treated as a constant 3
    w.zero_grad();
    cut.backward(); // d(3·w)/dw = 3
    log.push((
        "(w.detach() * w): w.grad()".to_string(),
        w.grad().unwrap().item().to_string(),
    ));
    log
}
// ANCHOR_END: accumulate

// ANCHOR: cost
/// Times the forward pass of a tanh MLP (recording the graph) and the backward pass
/// that follows, best of `runs`. Returns (forward, backward).
pub fn forward_and_backward_time(
    batch: usize,
    width: usize,
    layers: usize,
    runs: usize,
) -> (Duration, Duration) {
    let mut rng = Rng::seed(0);
    let x = Variable::constant(Tensor::<f32>::randn([batch, width], &mut rng));
    let scale = 1.0 / (width as f32).sqrt();
    let weights: Vec<Variable<f32>> = (0..layers)
        .map(|_| {
            Variable::param(&Tensor::<f32>::randn([width, width], &mut rng) * scale)
        })
        .collect();
    let (mut best_forward, mut best_backward) = (Duration::MAX, Duration::MAX);
    for _ in 0..runs {
        weights.iter().for_each(|w| w.zero_grad());
        let start = Instant::now();
        let mut h = x.clone();
        for w in &weights {
            h = h.matmul(w).tanh(); // each layer: one matmul and one tanh
        }
        let loss = h.square().mean_all();
        let forward = start.elapsed();
        let start = Instant::now();
        // each layer: two matmuls (for the input and the weight) and tanh'
        loss.backward();
        let backward = start.elapsed();
        best_forward = best_forward.min(forward);
        best_backward = best_backward.min(backward);
    }
    (best_forward, best_backward)
}
// ANCHOR_END: cost

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_course_fixture_three_ways() {
        assert_eq!(first_gradient(2.0), (169.0, 312.0));
        assert_eq!(by_hand(2.0), (169.0, 312.0));
        let mut tape = Tape::new();
        let x = tape.input(2.0);
        let x2 = tape.mul(x, x);
        let b = tape.scale(x2, 3.0);
        let b = tape.add_const(b, 1.0);
        let y = tape.mul(b, b);
        let g = tape.gradients(y);
        assert_eq!((tape.value(y), Tape::grad(&g, x)), (169.0, 312.0));
    }

    #[test]
    fn sin_5x3_matches_the_chain_rule() {
        let (y, dy) = sin_5x3_on_tape(1.0);
        assert_eq!(y, 5f64.sin());
        assert!((dy - 15.0 * 5f64.cos()).abs() < 1e-12);
        assert!((dy - 4.254932781948).abs() < 1e-9);
        let d = elementwise_derivative(&Tensor::from([1.0f64]), |x| {
            (&x.square() * x).mul_scalar(5.0).sin()
        });
        assert!((d.item() - dy).abs() < 1e-12);
    }

    #[test]
    fn central_differences_beat_forward_differences() {
        let f = |x: f64| x.sin();
        let exact = 1f64.cos();
        let fwd = (forward_difference(f, 1.0, 1e-4) - exact).abs();
        let ctr = (central_difference(f, 1.0, 1e-4) - exact).abs();
        assert!(ctr < fwd / 100.0, "central {ctr:e}, forward {fwd:e}");
    }

    #[test]
    fn softmax_jacobian_matches_the_fixture() {
        let j = softmax_jacobian_by_autograd(&[2.0, 1.0, 0.1]);
        let expected = [
            [0.2247186378, -0.1597636038, -0.0649550340],
            [-0.1597636038, 0.1836592254, -0.0238956216],
            [-0.0649550340, -0.0238956216, 0.0888506557],
        ];
        for (row, want) in j.iter().zip(expected) {
            for (a, b) in row.iter().zip(want) {
                assert!((a - b).abs() < 1e-9, "{a} vs {b}");
            }
        }
    }

    #[test]
    fn activation_derivative_maxima() {
        let xs = Tensor::linspace(-4.0f64, 4.0, 81);
        let sig = elementwise_derivative(&xs, |x| x.sigmoid());
        let tanh = elementwise_derivative(&xs, |x| x.tanh());
        assert!((sig.max_all() - 0.25).abs() < 1e-12);
        assert!((tanh.max_all() - 1.0).abs() < 1e-12);
    }

    #[test]
    fn accumulation_log() {
        let values: Vec<String> =
            accumulation_and_no_grad().into_iter().map(|(_, v)| v).collect();
        assert_eq!(values, ["6", "12", "3", "false", "3"]);
    }

    #[test]
    fn backward_runs() {
        let (f, b) = forward_and_backward_time(8, 16, 2, 1);
        assert!(f > Duration::ZERO && b > Duration::ZERO);
    }
}
