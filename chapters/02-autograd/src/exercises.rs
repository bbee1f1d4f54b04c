//! Chapter 2 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch02-autograd --features learner          # every exercise
//! cargo test -p ch02-autograd --features learner ex2_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables)]

use crate::{Tape, Var};
use kindling_autograd::Variable;
use kindling_tensor::Tensor;

// ANCHOR: ex2_1
/// Exercise 2.1 (warm-up). The central-difference estimate of f'(x) with step h.
pub fn central_difference(f: impl Fn(f64) -> f64, x: f64, h: f64) -> f64 {
    // TODO(2.1): evaluate f on both sides of x.
    unimplemented!("exercise 2.1: central_difference")
}
// ANCHOR_END: ex2_1

// ANCHOR: ex2_2
/// Exercise 2.2. y = sin(5x³) and dy/dx at x, both computed by hand with the chain
/// rule (no tape, no autograd): returns (y, dy/dx).
pub fn sin_5x3_by_hand(x: f64) -> (f64, f64) {
    // TODO(2.2): name the inner function u = 5x³, then dy/dx = (dy/du)·(du/dx).
    unimplemented!("exercise 2.2: sin_5x3_by_hand")
}
// ANCHOR_END: ex2_2

// ANCHOR: ex2_3
/// Exercise 2.3: forward mode. A dual number a + b·ε with ε² = 0 carries a value
/// and a derivative together; every operation updates both.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Dual {
    pub value: f64,
    pub deriv: f64,
}

impl Dual {
    /// The variable we differentiate by: dx/dx = 1.
    pub fn variable(x: f64) -> Dual {
        Dual { value: x, deriv: 1.0 }
    }

    /// A constant: its derivative is 0.
    pub fn constant(c: f64) -> Dual {
        Dual { value: c, deriv: 0.0 }
    }

    pub fn sin(self) -> Dual {
        // TODO(2.3): the value is sin(a); the derivative follows from the chain
        // rule.
        unimplemented!("exercise 2.3: Dual::sin")
    }

    pub fn exp(self) -> Dual {
        // TODO(2.3)
        unimplemented!("exercise 2.3: Dual::exp")
    }
}

impl std::ops::Add for Dual {
    type Output = Dual;
    fn add(self, rhs: Dual) -> Dual {
        // TODO(2.3): (a + bε) + (c + dε)
        unimplemented!("exercise 2.3: Dual + Dual")
    }
}

impl std::ops::Mul for Dual {
    type Output = Dual;
    fn mul(self, rhs: Dual) -> Dual {
        // TODO(2.3): (a + bε)(c + dε), remembering that ε² = 0.
        unimplemented!("exercise 2.3: Dual * Dual")
    }
}
// ANCHOR_END: ex2_3

// ANCHOR: ex2_4
/// Exercise 2.4. Teach the chapter's tape a new operation: tanh, with its local
/// derivative.
pub fn tape_tanh(tape: &mut Tape, a: Var) -> Var {
    // TODO(2.4): compute the value, then `tape.record(value, &[(a,
    // local_derivative)])`. Hint: tanh'(x) can be written with tanh(x) itself.
    unimplemented!("exercise 2.4: tape_tanh")
}
// ANCHOR_END: ex2_4

// ANCHOR: ex2_5
/// Exercise 2.5. The Jacobian of softmax at z from the formula ∂s_i/∂z_j = s_i(δ_ij
/// − s_j): row i, column j. Compute s with the max subtracted first, so large z
/// cannot overflow.
pub fn softmax_jacobian(z: &[f64]) -> Vec<Vec<f64>> {
    // TODO(2.5)
    unimplemented!("exercise 2.5: softmax_jacobian")
}
// ANCHOR_END: ex2_5

// ANCHOR: ex2_6
/// Exercise 2.6. Backpropagation through a dense layer z = x·w + b by hand, with
/// tensors: given x `[batch, in]`, w `[in, out]` and dz = ∂L/∂z `[batch, out]`,
/// return (∂L/∂x, ∂L/∂w, ∂L/∂b) with shapes `[batch, in]`, `[in, out]` and `[out]`.
pub fn dense_backward(
    x: &Tensor<f64>,
    w: &Tensor<f64>,
    dz: &Tensor<f64>,
) -> (Tensor<f64>, Tensor<f64>, Tensor<f64>) {
    // TODO(2.6): two matmuls with a transposed operand, and a sum over the batch
    // axis.
    unimplemented!("exercise 2.6: dense_backward")
}
// ANCHOR_END: ex2_6

// ANCHOR: ex2_7
/// Exercise 2.7. The full Jacobian `[m, n]` of a function from a vector of n
/// numbers to a vector of m numbers, with Kindling's reverse-mode autograd: one
/// backward pass per output.
pub fn jacobian(
    f: impl Fn(&Variable<f64>) -> Variable<f64>,
    x: &Tensor<f64>,
) -> Tensor<f64> {
    // TODO(2.7): make x a param, run f once, then for each output i backpropagate
    // the one-hot vector e_i with `backward_retaining_graph` and collect x's
    // gradient as row i. Gradients add up: clear x's before each pass.
    unimplemented!("exercise 2.7: jacobian")
}
// ANCHOR_END: ex2_7
