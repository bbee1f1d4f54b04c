//! Chapter 4 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch04-classification --features learner          # every exercise
//! cargo test -p ch04-classification --features learner ex4_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, unused_imports)]

use kindling_autograd::Variable;
use kindling_nn::{module, Forward, Linear, Module};
use kindling_tensor::{Rng, Tensor};

// ANCHOR: ex4_1
/// Exercise 4.1 (warm-up). ln σ(z), finite and accurate for every z, including
/// ±1000 (where σ(z) itself rounds to 0 or 1).
pub fn log_sigmoid(z: f64) -> f64 {
    // TODO(4.1): ln σ(z) = −ln(1 + e^(−z)); rewrite it so the exponent is never
    // positive.
    unimplemented!("exercise 4.1: log_sigmoid")
}

/// Exercise 4.1 (continued). ln softmax(z)_i for every i, without ever forming a
/// probability that could round to 0.
pub fn log_softmax(z: &[f64]) -> Vec<f64> {
    // TODO(4.1): z_i − max − ln Σ_j e^(z_j − max).
    unimplemented!("exercise 4.1: log_softmax")
}
// ANCHOR_END: ex4_1

// ANCHOR: ex4_2
/// Exercise 4.2. The fraction of samples whose predicted class equals the label.
/// `logits` is either `[B, C]` (predict the largest logit) or `[B, 1]` (one logit
/// of a binary head: predict class 1 when it is positive, that is when σ(z) > ½).
pub fn accuracy_from_logits(logits: &Tensor<f32>, labels: &Tensor<i64>) -> f64 {
    // TODO(4.2): `argmax(-1, false)` gives the predicted classes of a `[B, C]`
    // tensor.
    unimplemented!("exercise 4.2: accuracy_from_logits")
}
// ANCHOR_END: ex4_2

// ANCHOR: ex4_3
/// Exercise 4.3. Binary cross-entropy with logits, averaged over the N samples, and
/// its gradient ∂L/∂z_i. Labels y are 0 or 1. Both must stay finite for logits like
/// ±1000.
pub fn bce_with_logits(z: &[f64], y: &[f64]) -> (f64, Vec<f64>) {
    // TODO(4.3): per sample, max(z, 0) − z·y + ln(1 + e^(−|z|)); the gradient is
    // (σ(z) − y)/N. Don't forget the 1/N of the mean.
    unimplemented!("exercise 4.3: bce_with_logits")
}
// ANCHOR_END: ex4_3

// ANCHOR: ex4_4
/// Exercise 4.4. The gradient of the mean cross-entropy over a batch with respect
/// to the logits `[N][C]`, for class indices `labels`: row i is (softmax(z_i) −
/// one_hot(y_i))/N.
pub fn cross_entropy_gradient(
    logits: &[Vec<f64>],
    labels: &[usize],
) -> Vec<Vec<f64>> {
    // TODO(4.4): row by row; the label picks the one entry that loses 1.
    unimplemented!("exercise 4.4: cross_entropy_gradient")
}
// ANCHOR_END: ex4_4

// ANCHOR: ex4_5
/// Exercise 4.5. A two-layer network as a struct: `hidden` (inputs → hidden units),
/// a ReLU, then `output` (hidden units → outputs), with no activation after
/// `output`.
pub struct TwoLayerNet {
    pub hidden: Linear,
    pub output: Linear,
}

// This line registers the two fields as submodules: parameters, state dicts,
// train/eval.
module!(TwoLayerNet { hidden, output });

impl TwoLayerNet {
    pub fn new(
        inputs: usize,
        hidden: usize,
        outputs: usize,
        rng: &mut Rng,
    ) -> Self {
        // TODO(4.5): two `Linear::new` layers.
        unimplemented!("exercise 4.5: TwoLayerNet::new")
    }
}

impl Forward for TwoLayerNet {
    fn forward(&self, x: &Variable) -> Variable {
        // TODO(4.5): hidden, relu, output.
        unimplemented!("exercise 4.5: TwoLayerNet::forward")
    }
}
// ANCHOR_END: ex4_5

// ANCHOR: ex4_6
/// Exercise 4.6. The confusion matrix: entry `[a][p]` counts the samples of actual
/// class `a` that were predicted as class `p`.
pub fn confusion_matrix(
    actual: &[i64],
    predicted: &[i64],
    classes: usize,
) -> Vec<Vec<u64>> {
    // TODO(4.6)
    unimplemented!("exercise 4.6: confusion_matrix")
}
// ANCHOR_END: ex4_6

// ANCHOR: ex4_7
/// Exercise 4.7. Precision, recall and F1 of class `c` from a confusion matrix
/// (rows actual, columns predicted). A ratio with a zero denominator counts as 0.
pub fn precision_recall_f1(matrix: &[Vec<u64>], c: usize) -> (f64, f64, f64) {
    // TODO(4.7): TP is on the diagonal; FP is the rest of column c; FN the rest of
    // row c.
    unimplemented!("exercise 4.7: precision_recall_f1")
}

/// Exercise 4.7 (continued). The macro-averaged F1: the plain mean of every class's
/// F1.
pub fn macro_f1(matrix: &[Vec<u64>]) -> f64 {
    // TODO(4.7)
    unimplemented!("exercise 4.7: macro_f1")
}
// ANCHOR_END: ex4_7
