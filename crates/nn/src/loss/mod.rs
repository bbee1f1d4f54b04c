//! Loss functions: one number that says how wrong a prediction is, as a scalar [`Variable`] to
//! call `backward` on.
//!
//! Every loss takes the prediction as a [`Variable`] (it carries the gradient back into the
//! model). A target of values or probabilities is any [`LossTarget`]: a plain `&Tensor<T>`, or a
//! `&Variable<T>` that receives a gradient too (distillation from a teacher that still learns,
//! a VAE's or GAN's computed target), wherever PyTorch differentiates the target. Class indices
//! are `Tensor<i64>` and ±1 labels plain tensors: labels get no gradient. Each loss matches,
//! value and every gradient, the PyTorch function named in its doc (or, where PyTorch has none,
//! the formula written there), including its [`Reduction`]s.
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_nn::loss::{cross_entropy, mse_loss, Reduction};
//! use kindling_tensor::Tensor;
//!
//! // Regression: the mean of the squared errors, (0.5² + 1²)/2 = 0.625.
//! let prediction = Variable::param(Tensor::from([1.5f64, 1.0]));
//! let loss = mse_loss(&prediction, &Tensor::from([1.0, 2.0]), Reduction::Mean);
//! assert_eq!(loss.item(), 0.625);
//!
//! // Classification: raw logits (no softmax!) and class indices.
//! let logits = Variable::param(Tensor::from([[2.0f64, 1.0, 0.1]]));
//! let loss = cross_entropy(&logits, &Tensor::from([1i64]));
//! assert!((loss.item() - 1.4170300163).abs() < 1e-9);
//! loss.backward(); // ∂L/∂z = softmax(z) − one_hot(1)
//! ```
//!
//! # Which head goes with which loss
//!
//! | task | the model's last layer outputs | loss |
//! |---|---|---|
//! | regression | values ŷ, no activation | [`mse_loss`], [`l1_loss`], [`huber_loss`], [`smooth_l1_loss`], [`log_cosh_loss`], [`quantile_loss`], [`mape_loss`] |
//! | regression with uncertainty | a mean ŷ and a variance σ² > 0 | [`gaussian_nll_loss`] |
//! | counts; amounts with exact zeros | ln λ (or λ > 0); ln μ | [`poisson_nll_loss`]; [`tweedie_loss`] |
//! | binary or multi-label | one **logit** z per label, no sigmoid | [`binary_cross_entropy_with_logits`], [`multilabel_soft_margin_loss`], [`sigmoid_focal_loss`] |
//! | binary, labels ±1 (SVM style) | one score | [`hinge_loss`], [`squared_hinge_loss`], [`soft_margin_loss`] |
//! | multi-class, one label per sample | K **logits** (scores), no softmax | [`cross_entropy`], [`CrossEntropyLoss`], [`softmax_focal_loss`], [`multi_margin_loss`] |
//! | the model already outputs log-probabilities | K log-probabilities | [`nll_loss`], [`kl_div`] |
//! | similarity (metric learning) | embeddings, or a distance | [`triplet_margin_loss`], [`contrastive_loss`], [`cosine_embedding_loss`], [`hinge_embedding_loss`] |
//! | ranking | two scores | [`margin_ranking_loss`] |
//!
//! The binary head is one output, a sigmoid and binary cross-entropy; the multi-class head is K
//! outputs, a softmax and cross-entropy. In both cases the activation belongs *inside* the loss,
//! not at the end of the model: apply σ or softmax yourself only to read probabilities off a
//! trained model, never before the loss.
//!
//! # Fused forms, and why they matter
//!
//! - **Softmax, then log, underflows.** For logits [0, −200] in f32 the softmax of class 1 is
//!   e^−200 ≈ 1e−87, far below the smallest f32 (about 1e−45): it is stored as 0, ln 0 = −∞,
//!   the loss is infinite and no gradient is usable. [`cross_entropy`] instead computes
//!   log softmax(z)ᵢ = zᵢ − log Σⱼ e^{zⱼ} with the maximum subtracted first, which gives −200.
//! - **Binary cross-entropy on probabilities saturates.** σ(20) rounds to exactly 1.0 in f32, so
//!   ln(1 − ŷ) = −∞. PyTorch (and [`binary_cross_entropy`]) clamp each log at −100, which keeps
//!   the loss finite but cannot bring the gradient back: σ′(z) = ŷ(1 − ŷ) is 0 there, so a model
//!   that is confidently wrong stops learning exactly where it most needs to.
//!   [`binary_cross_entropy_with_logits`] works on the logit z and evaluates
//!   (1 − y)·z + ln(1 + e^{−z}) in a form that never overflows; its gradient is σ(z) − y, which
//!   stays large while the prediction is wrong.
//! - **Cross-entropy already is log-softmax plus negative log-likelihood.** [`cross_entropy`]
//!   applies [`log_softmax`](Variable::log_softmax) and then [`nll_loss`]. Putting a softmax in
//!   front of it squashes the logits into [0, 1] before a second softmax: the loss can never
//!   get near 0, the gradients shrink, and training stalls without any error. Feed it raw
//!   logits. ([`log_softmax`](Variable::log_softmax) followed by [`nll_loss`] is the same
//!   computation as [`cross_entropy`], so switching to that pair changes nothing by itself; what
//!   matters is that no softmax comes before either.)
//!
//! # The gradients of the two heads
//!
//! With ŷ = σ(z) and L = −[y ln ŷ + (1 − y) ln(1 − ŷ)], the derivative in the probability is
//! ∂L/∂ŷ = (ŷ − y)/(ŷ(1 − ŷ)); the chain rule through σ′(z) = ŷ(1 − ŷ) cancels the denominator
//! and leaves ∂L/∂z = ŷ − y. For softmax cross-entropy over a batch of N samples with mean
//! reduction, ∂L/∂zᵢₖ = (softmax(zᵢ)ₖ − [k = yᵢ])/N: every row gets softmax minus one-hot, divided
//! by the batch size that the mean divides by. (Binary cross-entropy is convex in the logit, so
//! logistic regression, whose logit is linear in the weights, is a convex problem; a network
//! with hidden layers is not convex in its weights, whatever its loss, and gradient descent
//! finds a local minimum or a stationary point, not necessarily the global one.)
//!
//! # Shapes and mistakes
//!
//! A prediction and its target must have exactly the same shape. PyTorch broadcasts a `[4, 1]`
//! prediction against a `[4]` target into a `[4, 4]` table of every prediction against every
//! target and only warns; here that panics: `mse_loss: prediction [4, 1] and target [4] differ in
//! shape`. Class indices out of range, probabilities outside [0, 1], labels that are not ±1 for
//! the hinge losses and out-of-range parameters panic too, naming the loss and the value.
//!
//! # Where Kindling departs from PyTorch, on purpose
//!
//! - Shapes are never broadcast between prediction and target (above); that includes
//!   [`gaussian_nll_loss`]'s target (its variance follows PyTorch's shape rules).
//! - Labels that should be ±1 (or 0/1 for [`contrastive_loss`]) are checked; PyTorch silently
//!   accepts any other value and gives it a meaning of its own. Labels never get a gradient, where
//!   PyTorch's written-out losses ([`margin_ranking_loss`]) would give one to the label.
//! - Where PyTorch's target gradient is NaN (a probability target of exactly 0 in [`kl_div`],
//!   a count of exactly 0 in [`poisson_nll_loss`] with `full`), Kindling's is finite: the
//!   0·ln 0 term, defined as 0, contributes 0 to it.
//! - [`nll_loss`] takes its `ignore_index` explicitly: `None` ignores nothing (PyTorch's default
//!   is −100). [`cross_entropy`] and [`CrossEntropyLoss`] ignore −100 by default, as PyTorch.
//!
//! # Where each loss lives
//!
//! One file per family, all re-exported here: `regression.rs` (values, counts, amounts, means
//! with variances), `binary.rs` (one logit or score per label), `multiclass.rs` (K logits or
//! log-probabilities: cross-entropy, NLL, KL divergence, softmax focal and multi-margin loss),
//! `metric.rs` (embeddings and score pairs), `target.rs` ([`LossTarget`]) and `reduction.rs` (how
//! per-element losses become one number). This file holds the checks they share.

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

mod binary;
mod metric;
mod multiclass;
mod reduction;
mod regression;
mod target;

pub use binary::{
    binary_cross_entropy, binary_cross_entropy_with_logits, hinge_embedding_loss, hinge_loss,
    multilabel_soft_margin_loss, sigmoid_focal_loss, soft_margin_loss, squared_hinge_loss,
};
pub use metric::{contrastive_loss, cosine_embedding_loss, margin_ranking_loss, triplet_margin_loss};
pub use multiclass::{cross_entropy, kl_div, multi_margin_loss, nll_loss, softmax_focal_loss, CrossEntropyLoss};
pub use reduction::{KlReduction, Reduction};
pub use regression::{
    gaussian_nll_loss, huber_loss, l1_loss, log_cosh_loss, mape_loss, mse_loss, poisson_nll_loss, quantile_loss,
    smooth_l1_loss, tweedie_loss,
};
pub use target::LossTarget;

/// The ε of PyTorch's loss kernels (`EPSILON` in ATen's `Loss.cpp`): the f32 constant 1e-12,
/// which is 9.999999960041972e-13 once widened to f64. Binary cross-entropy's backward and the
/// cosine embedding loss use it; matching it exactly keeps f64 results equal to PyTorch's.
const ATEN_EPSILON: f64 = 1e-12f32 as f64;

fn c<T: Float>(v: f64) -> T {
    T::from_f64(v)
}

fn constant<T: Float>(t: &Tensor<T>) -> Variable<T> {
    Variable::constant(t.clone())
}

/// The refusal to broadcast a prediction against a target of another shape.
fn same_shape(loss: &str, prediction: &[usize], target: &[usize]) {
    if prediction != target {
        panic!("{loss}: prediction {} and target {} differ in shape", dims_str(prediction), dims_str(target));
    }
}

/// The first element (as its multi-index and value) for which `bad` holds.
fn first_bad<E: kindling_tensor::Element>(t: &Tensor<E>, bad: impl Fn(E) -> bool) -> Option<(Vec<usize>, E)> {
    let values = t.to_vec();
    values.iter().position(|&v| bad(v)).map(|i| (kindling_tensor::shape::unravel_index(i, t.shape()), values[i]))
}

fn check_finite_param(loss: &str, name: &str, value: f64) {
    if !value.is_finite() {
        panic!("{loss}: {name} must be finite, got {value}");
    }
}
