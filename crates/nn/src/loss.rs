//! Loss functions: one number that says how wrong a prediction is, as a scalar [`Variable`] to
//! call `backward` on.
//!
//! Every loss takes the prediction as a [`Variable`] (it carries the gradient back into the
//! model) and the target as a plain [`Tensor`]: `Tensor<T>` for values and probabilities,
//! `Tensor<i64>` for class indices. Each one matches, value and gradient, the PyTorch function
//! named in its doc (or, where PyTorch has none, the formula written there), including its
//! [`Reduction`]s.
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
//! | regression | values ŷ, no activation | [`mse_loss`], [`l1_loss`], [`huber_loss`], [`smooth_l1_loss`], [`log_cosh_loss`], [`quantile_loss`] |
//! | counts | ln λ (or λ > 0) | [`poisson_nll_loss`] |
//! | binary or multi-label | one **logit** z per label, no sigmoid | [`binary_cross_entropy_with_logits`], [`sigmoid_focal_loss`] |
//! | binary, labels ±1 (SVM style) | one score | [`hinge_loss`], [`squared_hinge_loss`] |
//! | multi-class, one label per sample | K **logits**, no softmax | [`cross_entropy`], [`CrossEntropyLoss`], [`softmax_focal_loss`] |
//! | the model already outputs log-probabilities | K log-probabilities | [`nll_loss`], [`kl_div`] |
//! | similarity (metric learning) | embeddings | [`triplet_margin_loss`], [`contrastive_loss`] |
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

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// How a loss turns its per-element values into the result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Reduction {
    /// No reduction: one loss per element (per sample for [`cross_entropy`]), shaped like the
    /// target.
    None,
    /// The mean over elements (PyTorch's default). Weighted class-index losses
    /// ([`cross_entropy`], [`nll_loss`]) divide by the sum of the weights of the targets that
    /// count instead.
    #[default]
    Mean,
    /// The sum over elements.
    Sum,
}

/// The reductions of [`kl_div`]: [`Reduction`]'s three plus `BatchMean`.
///
/// `Mean` divides the summed divergence by the number of *elements* (N·K for N distributions
/// over K outcomes), the mean divergence per sample divided once more by K; `BatchMean` divides
/// by N, the batch size (the first axis), which is the mean KL divergence per sample. PyTorch keeps
/// `"mean"` as its default for compatibility and warns; here the default is `BatchMean`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum KlReduction {
    /// One value per element.
    None,
    /// The sum divided by the number of elements (rarely what you want).
    Mean,
    /// The sum.
    Sum,
    /// The sum divided by the size of the first axis: the mean divergence per sample.
    #[default]
    BatchMean,
}

impl From<Reduction> for KlReduction {
    fn from(r: Reduction) -> Self {
        match r {
            Reduction::None => KlReduction::None,
            Reduction::Mean => KlReduction::Mean,
            Reduction::Sum => KlReduction::Sum,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Helpers

fn c<T: Float>(v: f64) -> T {
    T::from_f64(v)
}

fn constant<T: Float>(t: &Tensor<T>) -> Variable<T> {
    Variable::constant(t.clone())
}

fn reduce<T: Float>(loss: Variable<T>, reduction: Reduction) -> Variable<T> {
    match reduction {
        Reduction::None => loss,
        Reduction::Mean => loss.mean_all(),
        Reduction::Sum => loss.sum_all(),
    }
}

/// The refusal to broadcast a prediction against a target of another shape.
fn same_shape(loss: &str, prediction: &[usize], target: &[usize]) {
    if prediction != target {
        panic!("{loss}: prediction {} and target {} differ in shape", dims_str(prediction), dims_str(target));
    }
}

/// Whether `from` broadcasts to exactly `to` (aligned from the right, sizes equal or 1).
fn broadcasts_to(from: &[usize], to: &[usize]) -> bool {
    from.len() <= to.len() && from.iter().rev().zip(to.iter().rev()).all(|(&f, &t)| f == t || f == 1)
}

fn check_broadcast(loss: &str, what: &str, shape: &[usize], target: &[usize]) {
    if !broadcasts_to(shape, target) {
        panic!(
            "{loss}: {what} of shape {} does not broadcast to the target's shape {}",
            dims_str(shape),
            dims_str(target)
        );
    }
}

/// The multi-index of the `flat`-th element (row-major) of a tensor of shape `shape`.
fn unravel(mut flat: usize, shape: &[usize]) -> Vec<usize> {
    let mut index = vec![0; shape.len()];
    for axis in (0..shape.len()).rev() {
        index[axis] = flat % shape[axis];
        flat /= shape[axis];
    }
    index
}

/// The first element (as its multi-index and value) for which `bad` holds.
fn first_bad<E: kindling_tensor::Element>(t: &Tensor<E>, bad: impl Fn(E) -> bool) -> Option<(Vec<usize>, E)> {
    let values = t.to_vec();
    values.iter().position(|&v| bad(v)).map(|i| (unravel(i, t.shape()), values[i]))
}

fn check_finite_param(loss: &str, name: &str, value: f64) {
    if !value.is_finite() {
        panic!("{loss}: {name} must be finite, got {value}");
    }
}

/// A variable whose value is `value` and whose gradient with respect to `x` is `grad`
/// (elementwise, both shaped like `x`): how a loss whose PyTorch backward is not the plain
/// derivative of its forward (clamped logarithms) gets the same gradient.
fn with_gradient<T: Float>(x: &Variable<T>, value: Tensor<T>, grad: Tensor<T>) -> Variable<T> {
    Variable::from_op("binary_cross_entropy", value, vec![x.clone()], move |g, _| vec![Some(g * &grad)])
}

// ---------------------------------------------------------------------------------------------
// Regression

/// Mean squared error: ℓᵢ = (ŷᵢ − yᵢ)², then reduced.
///
/// ∂ℓᵢ/∂ŷᵢ = 2(ŷᵢ − yᵢ), so large errors pull hardest (and outliers dominate). PyTorch:
/// `F.mse_loss` / `nn.MSELoss`.
pub fn mse_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("mse_loss", &prediction.shape(), target.shape());
    reduce((prediction - &constant(target)).square(), reduction)
}

/// Mean absolute error (L1): ℓᵢ = |ŷᵢ − yᵢ|, then reduced.
///
/// ∂ℓᵢ/∂ŷᵢ = sign(ŷᵢ − yᵢ) (0 at a tie, as in PyTorch): every error pulls equally hard, so
/// outliers matter less than under [`mse_loss`]. PyTorch: `F.l1_loss` / `nn.L1Loss`.
pub fn l1_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("l1_loss", &prediction.shape(), target.shape());
    reduce((prediction - &constant(target)).abs(), reduction)
}

/// Huber loss: quadratic for small errors, linear for large ones. With d = ŷ − y,
///
/// ℓ = ½d² if |d| < δ, else δ(|d| − ½δ).
///
/// The two pieces meet with equal value and slope at |d| = δ; the gradient is d clipped to
/// [−δ, δ]. `delta` must be positive. PyTorch: `F.huber_loss(delta=…)` / `nn.HuberLoss`.
pub fn huber_loss<T: Float>(
    prediction: &Variable<T>,
    target: &Tensor<T>,
    delta: f64,
    reduction: Reduction,
) -> Variable<T> {
    same_shape("huber_loss", &prediction.shape(), target.shape());
    if !(delta > 0.0 && delta.is_finite()) {
        panic!("huber_loss: delta must be positive and finite, got {delta}");
    }
    let d = prediction - &constant(target);
    let size = d.value().abs();
    let quadratic = d.square().mul_scalar(c(0.5));
    let linear = d.abs().add_scalar(c(-0.5 * delta)).mul_scalar(c(delta));
    reduce(Variable::where_cond(&size.lt_scalar(c(delta)), &quadratic, &linear), reduction)
}

/// Smooth L1 loss, PyTorch's `F.smooth_l1_loss(beta=…)` / `nn.SmoothL1Loss`. With d = ŷ − y,
///
/// ℓ = ½d²/β if |d| < β, else |d| − ½β,
///
/// which is [`huber_loss`] with δ = β divided by β: its slope saturates at ±1 instead of ±δ.
/// `beta = 0` is plain [`l1_loss`], as in PyTorch; a negative `beta` panics.
pub fn smooth_l1_loss<T: Float>(
    prediction: &Variable<T>,
    target: &Tensor<T>,
    beta: f64,
    reduction: Reduction,
) -> Variable<T> {
    same_shape("smooth_l1_loss", &prediction.shape(), target.shape());
    if !(beta >= 0.0 && beta.is_finite()) {
        panic!("smooth_l1_loss: beta must be zero or positive and finite, got {beta}");
    }
    let d = prediction - &constant(target);
    if beta == 0.0 {
        return reduce(d.abs(), reduction);
    }
    let size = d.value().abs();
    let quadratic = d.square().mul_scalar(c(0.5 / beta));
    let linear = d.abs().add_scalar(c(-0.5 * beta));
    reduce(Variable::where_cond(&size.lt_scalar(c(beta)), &quadratic, &linear), reduction)
}

/// Log-cosh loss: ℓ = ln cosh(ŷ − y).
///
/// Like ½d² for small errors and like |d| − ln 2 for large ones, smooth everywhere; its gradient
/// is tanh(ŷ − y). cosh overflows beyond |d| ≈ 710 in f64 (≈ 89 in f32), so it is evaluated as
/// ln cosh d = |d| + ln(1 + e^{−2|d|}) − ln 2, which is finite for every finite d. PyTorch has no
/// built-in; Keras calls it `LogCosh` (Keras averages over the last axis only, here the mean runs
/// over every element).
pub fn log_cosh_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("log_cosh_loss", &prediction.shape(), target.shape());
    let size = (prediction - &constant(target)).abs();
    let tail = size.mul_scalar(c(-2.0)).softplus();
    reduce((&size + &tail).add_scalar(c(-std::f64::consts::LN_2)), reduction)
}

/// Quantile (pinball) loss for quantile q ∈ (0, 1). With e = y − ŷ,
///
/// ℓ = max(q·e, (q − 1)·e),
///
/// so under-predictions cost q per unit and over-predictions 1 − q: minimizing it makes ŷ the
/// q-quantile of y (q = 0.5 gives half the absolute error, the median). PyTorch has no
/// built-in; it equals `torch.maximum(q * e, (q - 1) * e)`.
pub fn quantile_loss<T: Float>(
    prediction: &Variable<T>,
    target: &Tensor<T>,
    q: f64,
    reduction: Reduction,
) -> Variable<T> {
    same_shape("quantile_loss", &prediction.shape(), target.shape());
    if !(q > 0.0 && q < 1.0) {
        panic!("quantile_loss: the quantile q must lie strictly between 0 and 1, got {q}");
    }
    let e = (-prediction) + constant(target);
    let under = e.value().ge_scalar(T::ZERO);
    reduce(Variable::where_cond(&under, &e.mul_scalar(c(q)), &e.mul_scalar(c(q - 1.0))), reduction)
}

/// Negative log-likelihood of counts y under a Poisson distribution with rate λ, PyTorch's
/// `F.poisson_nll_loss` / `nn.PoissonNLLLoss`:
///
/// - `log_input = true` (the prediction is ln λ, the usual choice): ℓ = e^ŷ − y·ŷ;
/// - `log_input = false` (the prediction is λ itself): ℓ = ŷ − y·ln(ŷ + eps), where `eps`
///   (PyTorch's default 1e-8) keeps ln away from 0.
///
/// The exact likelihood also has the term ln(y!), which does not depend on the prediction;
/// `full = true` adds Stirling's approximation of it, y·ln y − y + ½ln(2πy), for targets y > 1
/// (and nothing for y ≤ 1), as PyTorch does.
pub fn poisson_nll_loss<T: Float>(
    prediction: &Variable<T>,
    target: &Tensor<T>,
    log_input: bool,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Variable<T> {
    same_shape("poisson_nll_loss", &prediction.shape(), target.shape());
    check_finite_param("poisson_nll_loss", "eps", eps);
    let y = constant(target);
    let mut loss = if log_input {
        &prediction.exp() - &(&y * prediction)
    } else {
        prediction - &(&y * &prediction.add_scalar(c(eps)).log())
    };
    if full {
        let t = target;
        let stirling = &(&(t * &t.log()) - t) + &((t * c::<T>(2.0 * std::f64::consts::PI)).log() * c::<T>(0.5));
        // y ≤ 1 contributes nothing (ln 0! = ln 1! = 0); this also clears the NaN of 0·ln 0.
        loss = &loss + &Variable::constant(stirling.masked_fill(&t.le_scalar(T::ONE), T::ZERO));
    }
    reduce(loss, reduction)
}

// ---------------------------------------------------------------------------------------------
// Binary classification

/// Binary cross-entropy on probabilities, PyTorch's `F.binary_cross_entropy` / `nn.BCELoss`:
///
/// ℓ = −w·[y·ln ŷ + (1 − y)·ln(1 − ŷ)],
///
/// with each logarithm clamped to at least −100 (as PyTorch does) so that ŷ = 0 or 1 gives a
/// finite loss. `weight` (optional) rescales each element and must broadcast to the target's
/// shape. The gradient is PyTorch's: ∂ℓ/∂ŷ = w·(ŷ − y)/max(ŷ(1 − ŷ), 10⁻¹²).
///
/// Prefer [`binary_cross_entropy_with_logits`] on the logit: a sigmoid that rounds to 0 or 1
/// has zero derivative, so a saturated wrong prediction gets no gradient here (see the module
/// docs). Panics if a prediction lies outside [0, 1]: that is a logit, not a probability.
pub fn binary_cross_entropy<T: Float>(
    probs: &Variable<T>,
    target: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "binary_cross_entropy";
    same_shape(LOSS, &probs.shape(), target.shape());
    if let Some(w) = weight {
        check_broadcast(LOSS, "weight", w.shape(), target.shape());
    }
    let p = probs.value();
    if let Some((index, value)) = first_bad(&p, |x| x.is_nan() || x < T::ZERO || x > T::ONE) {
        panic!(
            "{LOSS}: prediction {value} at index {index:?} is not a probability in [0, 1] \
             (for raw scores use binary_cross_entropy_with_logits)"
        );
    }
    let floor = c::<T>(-100.0);
    let one_minus_p = (-&p) + T::ONE;
    let one_minus_y = (-target) + T::ONE;
    let log_p = p.log().clamp(floor, T::INFINITY);
    let log_q = one_minus_p.log().clamp(floor, T::INFINITY);
    let mut value = -(&(target * &log_p) + &(&one_minus_y * &log_q));
    let mut grad = &(&p - target) / &(&p * &one_minus_p).clamp(c(1e-12), T::INFINITY);
    if let Some(w) = weight {
        value = &value * w;
        grad = &grad * w;
    }
    reduce(with_gradient(probs, value, grad), reduction)
}

/// Binary cross-entropy on logits, fused and stable, PyTorch's
/// `F.binary_cross_entropy_with_logits` / `nn.BCEWithLogitsLoss`. With ŷ = σ(z):
///
/// ℓ = −w·[p·y·ln σ(z) + (1 − y)·ln(1 − σ(z))] = w·[(1 − y)·z + (1 + (p − 1)·y)·softplus(−z)],
///
/// where softplus(x) = ln(1 + eˣ) is evaluated as max(x, 0) + ln(1 + e^{−|x|}), so no
/// exponential ever overflows: z = ±1000 gives an exact loss and gradient. ∂ℓ/∂z = σ(z) − y
/// without `pos_weight`.
///
/// - `weight` (w, optional) rescales each element and must broadcast to the target's shape.
/// - `pos_weight` (p, optional) multiplies the positive term only: p > 1 trades precision for
///   recall. For a `[N, C]` multi-label target it is usually one value per label, shape `[C]`.
///
/// Targets may be soft (any value in [0, 1]).
pub fn binary_cross_entropy_with_logits<T: Float>(
    logits: &Variable<T>,
    target: &Tensor<T>,
    weight: Option<&Tensor<T>>,
    pos_weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "binary_cross_entropy_with_logits";
    same_shape(LOSS, &logits.shape(), target.shape());
    if let Some(w) = weight {
        check_broadcast(LOSS, "weight", w.shape(), target.shape());
    }
    if let Some(p) = pos_weight {
        check_broadcast(LOSS, "pos_weight", p.shape(), target.shape());
    }
    let mut loss = bce_logits_elementwise(logits, target, pos_weight);
    if let Some(w) = weight {
        loss = &loss * &constant(w);
    }
    reduce(loss, reduction)
}

/// (1 − y)·z + (1 + (p − 1)·y)·softplus(−z), elementwise.
fn bce_logits_elementwise<T: Float>(z: &Variable<T>, y: &Tensor<T>, pos_weight: Option<&Tensor<T>>) -> Variable<T> {
    let linear = z * &Variable::constant((-y) + T::ONE);
    let tail = (-z).softplus();
    match pos_weight {
        None => &linear + &tail,
        Some(p) => {
            let scale = &(&(p - T::ONE) * y) + T::ONE;
            &linear + &(&tail * &Variable::constant(scale))
        }
    }
}

fn check_plus_minus_one<T: Float>(loss: &str, target: &Tensor<T>) {
    if let Some((index, value)) = first_bad(target, |y| y != T::ONE && y != -T::ONE) {
        panic!("{loss}: target {value} at index {index:?} is not −1 or +1 (map 0/1 labels to ±1 with 2y − 1)");
    }
}

/// Hinge loss for labels y ∈ {−1, +1} and a raw score ŷ: ℓ = max(0, 1 − y·ŷ).
///
/// Zero once a sample is on the right side with margin 1 (y·ŷ ≥ 1), linear otherwise: the loss
/// of the linear SVM. PyTorch has no binary built-in (`nn.HingeEmbeddingLoss` is a different
/// loss on distances; `nn.MultiMarginLoss` is the multi-class version); it equals
/// `F.relu(1 - y * y_hat)`. Panics on a label other than ±1.
pub fn hinge_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("hinge_loss", &prediction.shape(), target.shape());
    check_plus_minus_one("hinge_loss", target);
    reduce(hinge(prediction, target), reduction)
}

/// Squared hinge loss for labels y ∈ {−1, +1}: ℓ = max(0, 1 − y·ŷ)².
///
/// Differentiable at the margin and harsher on large violations than [`hinge_loss`]. It equals
/// `F.relu(1 - y * y_hat) ** 2` in PyTorch (Keras: `SquaredHinge`). Panics on a label other than
/// ±1.
pub fn squared_hinge_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("squared_hinge_loss", &prediction.shape(), target.shape());
    check_plus_minus_one("squared_hinge_loss", target);
    reduce(hinge(prediction, target).square(), reduction)
}

fn hinge<T: Float>(prediction: &Variable<T>, target: &Tensor<T>) -> Variable<T> {
    (prediction * &constant(target)).rsub_scalar(T::ONE).relu()
}

/// Focal loss on logits (Lin et al., 2017), exactly torchvision's
/// `torchvision.ops.sigmoid_focal_loss`. With p = σ(z) and pₜ = p·y + (1 − p)·(1 − y), the
/// probability given to the true label,
///
/// ℓ = αₜ·(1 − pₜ)^γ·BCE(z, y),  αₜ = α·y + (1 − α)·(1 − y),
///
/// where BCE is [`binary_cross_entropy_with_logits`]. The factor (1 − pₜ)^γ shrinks the loss of
/// easy, well-classified examples so the many easy negatives of detection do not drown the few
/// hard ones; γ = 0 gives plain (α-weighted) BCE. torchvision's defaults are α = 0.25, γ = 2 and
/// no reduction. A negative `alpha` disables the αₜ weighting; `gamma` must be ≥ 0.
pub fn sigmoid_focal_loss<T: Float>(
    logits: &Variable<T>,
    target: &Tensor<T>,
    alpha: f64,
    gamma: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "sigmoid_focal_loss";
    same_shape(LOSS, &logits.shape(), target.shape());
    check_finite_param(LOSS, "alpha", alpha);
    if !(gamma >= 0.0 && gamma.is_finite()) {
        panic!("{LOSS}: gamma must be zero or positive and finite, got {gamma}");
    }
    let mut loss = bce_logits_elementwise(logits, target, None);
    if gamma > 0.0 {
        let p = logits.sigmoid();
        let y = constant(target);
        let not_y = Variable::constant((-target) + T::ONE);
        let p_t = &(&p * &y) + &(&p.rsub_scalar(T::ONE) * &not_y);
        let mut miss = p_t.rsub_scalar(T::ONE);
        if gamma < 1.0 {
            // x^γ has an infinite slope at 0 for γ < 1; a fully saturated correct prediction
            // (pₜ rounds to 1) would turn that into NaN. Keep the base off 0: the value changes
            // by less than 1e-30^γ times a loss that is itself about 1e-30 there.
            miss = miss.clamp(c(1e-30), T::ONE);
        }
        loss = &loss * &miss.powf(c(gamma));
    }
    if alpha >= 0.0 {
        let alpha_t = &(target * c::<T>(2.0 * alpha - 1.0)) + c::<T>(1.0 - alpha);
        loss = &loss * &Variable::constant(alpha_t);
    }
    reduce(loss, reduction)
}

// ---------------------------------------------------------------------------------------------
// Multi-class classification

/// Cross-entropy on logits with every option of PyTorch's `nn.CrossEntropyLoss`, built step by
/// step and applied with [`indices`](Self::indices) (class-index targets) or
/// [`probs`](Self::probs) (class-probability targets):
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::loss::{CrossEntropyLoss, Reduction};
/// use kindling_tensor::Tensor;
///
/// let logits = Variable::param(Tensor::from([[0.2f64, -1.0, 0.5], [1.5, 0.3, -0.2]]));
/// let loss = CrossEntropyLoss::new()
///     .weight(Tensor::from([1.0, 2.0, 0.5]))
///     .label_smoothing(0.1)
///     .ignore_index(-100)
///     .reduction(Reduction::Mean)
///     .indices(&logits, &Tensor::from([2i64, -100]));
/// loss.backward();
/// ```
///
/// Logits are `[N, C]` (N samples, C classes), `[N, C, d₁, d₂, …]` for per-position classes (a
/// segmentation map, a sequence of tokens: the class axis is axis 1, as in PyTorch), or `[C]`
/// for one unbatched sample. The loss is always computed fused, log-softmax inside: see the
/// [module docs](self) for why a softmax must never come before it.
///
/// **Class-index targets**, shape `[N]` (or `[N, d₁, …]`, or `[]` unbatched). Per sample i with
/// class t = yᵢ and log-probabilities ℓ = log_softmax(zᵢ), with class weights w (all 1 when
/// none are given) and label smoothing ε over C classes:
///
/// lossᵢ = (1 − ε)·(−w_t·ℓ_t) + (ε/C)·(−Σ_c w_c·ℓ_c).
///
/// Samples whose target equals `ignore_index` contribute 0 and do not count. `Mean` divides
/// the sum by Σ w_{yᵢ} over the counted samples, *not* by their number (so with weights, it is
/// a weighted average; with none, the plain average over counted samples); with every sample
/// ignored it is 0/0 = NaN, as in PyTorch. Both terms share that denominator.
///
/// **Class-probability targets**, the same shape as the logits: the target y is first smoothed
/// to (1 − ε)·y + ε/C, then lossᵢ = −Σ_c w_c·y_c·ℓ_c, and `Mean` divides by the number of
/// samples (N·d₁·…), whatever the weights. `ignore_index` does not apply.
#[derive(Clone, Debug)]
pub struct CrossEntropyLoss<T: Float = f32> {
    weight: Option<Tensor<T>>,
    ignore_index: Option<i64>,
    label_smoothing: f64,
    reduction: Reduction,
}

impl<T: Float> Default for CrossEntropyLoss<T> {
    fn default() -> Self {
        CrossEntropyLoss { weight: None, ignore_index: None, label_smoothing: 0.0, reduction: Reduction::Mean }
    }
}

impl<T: Float> CrossEntropyLoss<T> {
    /// No weights, nothing ignored, no smoothing, mean reduction.
    pub fn new() -> Self {
        Self::default()
    }

    /// A weight per class, shape `[C]`: rare classes can count more. Must be non-negative.
    pub fn weight(mut self, weight: Tensor<T>) -> Self {
        if weight.rank() != 1 {
            panic!(
                "cross_entropy: the class weight must be one value per class, shape [C]; got {}",
                dims_str(weight.shape())
            );
        }
        if let Some((index, value)) = first_bad(&weight, |w| w < T::ZERO || !w.is_finite()) {
            panic!("cross_entropy: class weight {value} at index {index:?} is not a finite value ≥ 0");
        }
        self.weight = Some(weight);
        self
    }

    /// Targets equal to `index` are skipped (padding tokens, unlabelled pixels). PyTorch
    /// ignores −100 unless told otherwise; here nothing is ignored unless you say so, so a
    /// stray −100 panics as out of range instead of vanishing silently.
    pub fn ignore_index(mut self, index: i64) -> Self {
        self.ignore_index = Some(index);
        self
    }

    /// Label smoothing ε ∈ [0, 1]: the target becomes (1 − ε) on the true class plus ε spread
    /// evenly over all C classes, which keeps the model from becoming over-confident.
    pub fn label_smoothing(mut self, epsilon: f64) -> Self {
        if !(0.0..=1.0).contains(&epsilon) {
            panic!("cross_entropy: label_smoothing must lie in [0, 1], got {epsilon}");
        }
        self.label_smoothing = epsilon;
        self
    }

    /// How the per-sample losses are combined (default [`Reduction::Mean`]).
    pub fn reduction(mut self, reduction: Reduction) -> Self {
        self.reduction = reduction;
        self
    }

    /// The loss for class-index targets (`Tensor<i64>`, the logits' shape without axis 1).
    /// Panics on a target shape that does not fit or a class index out of range.
    pub fn indices(&self, logits: &Variable<T>, targets: &Tensor<i64>) -> Variable<T> {
        const LOSS: &str = "cross_entropy";
        let (batched, targets, unbatched) = batch_up(LOSS, logits, targets);
        let classes = batched.shape()[1];
        check_class_weight(LOSS, self.weight.as_ref(), classes);
        let log_probs = batched.log_softmax(1);
        let picked = pick(LOSS, &log_probs, &targets, self.weight.as_ref(), self.ignore_index);
        let eps = self.label_smoothing;
        let mut loss = picked.nll.clone();
        if eps > 0.0 {
            // −Σ_c w_c·ℓ_c per sample, zero where the target is ignored.
            let weighted = match &self.weight {
                Some(w) => &log_probs * &Variable::constant(class_axis(w, log_probs.rank())),
                None => log_probs.clone(),
            };
            let smooth = (-weighted.sum(1, false)).masked_fill(&picked.ignored, T::ZERO);
            loss = &loss.mul_scalar(c(1.0 - eps)) + &smooth.mul_scalar(c(eps / classes as f64));
        }
        finish(loss, &picked.weights, self.reduction, unbatched)
    }

    /// The loss for class-probability targets (`Tensor<T>`, the logits' shape; each sample's
    /// probabilities should sum to 1).
    pub fn probs(&self, logits: &Variable<T>, targets: &Tensor<T>) -> Variable<T> {
        const LOSS: &str = "cross_entropy";
        same_shape(LOSS, &logits.shape(), targets.shape());
        if self.ignore_index.is_some() {
            panic!("{LOSS}: ignore_index applies to class-index targets only, not to class probabilities");
        }
        if logits.rank() == 0 {
            panic!("{LOSS}: logits need a class axis, got a scalar");
        }
        let axis = if logits.rank() == 1 { 0 } else { 1 };
        let classes = logits.shape()[axis];
        check_class_weight(LOSS, self.weight.as_ref(), classes);
        let eps = self.label_smoothing;
        let mut y = targets.clone();
        if eps > 0.0 {
            y = &(&y * c::<T>(1.0 - eps)) + c::<T>(eps / classes as f64);
        }
        if let Some(w) = &self.weight {
            y = &y * &class_axis(w, logits.rank());
        }
        let log_probs = logits.log_softmax(axis as isize);
        let loss = -(&log_probs * &Variable::constant(y)).sum(axis as isize, false);
        match self.reduction {
            Reduction::None => loss,
            Reduction::Sum => loss.sum_all(),
            // The number of samples (positions), whatever the weights.
            Reduction::Mean => loss.mean_all(),
        }
    }
}

/// Cross-entropy of raw logits `[N, C]` against class indices `[N]`, averaged over the batch:
/// the common case of [`CrossEntropyLoss`] (no weights, nothing ignored, no smoothing).
///
/// lossᵢ = −log softmax(zᵢ)_{yᵢ} = log Σ_c e^{z_ic} − z_{i,yᵢ}, and ∂L/∂zᵢ = (softmax(zᵢ) −
/// one_hot(yᵢ))/N. The softmax is inside: pass logits, never probabilities. PyTorch:
/// `F.cross_entropy(logits, targets)`.
pub fn cross_entropy<T: Float>(logits: &Variable<T>, targets: &Tensor<i64>) -> Variable<T> {
    CrossEntropyLoss::new().indices(logits, targets)
}

/// Negative log-likelihood of class indices given log-probabilities, PyTorch's `F.nll_loss` /
/// `nn.NLLLoss`: lossᵢ = −w_{yᵢ}·ℓ_{i,yᵢ}, for ℓ = log-probabilities of shape `[N, C]`
/// (`[N, C, d₁, …]`, or `[C]` unbatched) and targets `[N]` (`[N, d₁, …]`, or `[]`).
///
/// The input must already be log-probabilities (a [`log_softmax`](Variable::log_softmax));
/// `log_softmax` followed by `nll_loss` is [`cross_entropy`]. `weight` (`[C]`), `ignore_index`
/// and the weighted mean behave as in [`CrossEntropyLoss`].
pub fn nll_loss<T: Float>(
    log_probs: &Variable<T>,
    targets: &Tensor<i64>,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<i64>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "nll_loss";
    let (batched, targets, unbatched) = batch_up(LOSS, log_probs, targets);
    if let Some(w) = weight {
        if w.rank() != 1 {
            panic!("{LOSS}: the class weight must be one value per class, shape [C]; got {}", dims_str(w.shape()));
        }
    }
    check_class_weight(LOSS, weight, batched.shape()[1]);
    let picked = pick(LOSS, &batched, &targets, weight, ignore_index);
    finish(picked.nll, &picked.weights, reduction, unbatched)
}

/// The per-sample pieces of a class-index loss.
struct Picked<T: Float> {
    /// ℓ_t per sample (of class 0 where ignored).
    log_p_true: Variable<T>,
    /// −w_t·ℓ_t per sample (0 where ignored).
    nll: Variable<T>,
    /// w_t per sample (1 without class weights; 0 where ignored): the mean's denominator.
    weights: Tensor<T>,
    /// Where the target equals `ignore_index`.
    ignored: Tensor<bool>,
}

/// Checks the targets' shape against `[N, C, d…]` logits (or `[C]` unbatched) and returns the
/// logits with a batch axis, the targets with one, and whether it was added.
fn batch_up<T: Float>(loss: &str, logits: &Variable<T>, targets: &Tensor<i64>) -> (Variable<T>, Tensor<i64>, bool) {
    let shape = logits.shape();
    match shape.len() {
        0 => panic!("{loss}: the input needs a class axis, got a scalar"),
        1 => {
            if targets.rank() != 0 {
                panic!(
                    "{loss}: an unbatched input of shape {} takes one class index of shape [], got targets of shape {}",
                    dims_str(&shape),
                    dims_str(targets.shape())
                );
            }
            (logits.unsqueeze(0), targets.reshape([1]), true)
        }
        _ => {
            let mut expected = shape.clone();
            expected.remove(1);
            if targets.shape() != expected.as_slice() {
                panic!(
                    "{loss}: input of shape {} (class axis 1, {} classes) needs targets of shape {}, got {}",
                    dims_str(&shape),
                    shape[1],
                    dims_str(&expected),
                    dims_str(targets.shape())
                );
            }
            (logits.clone(), targets.clone(), false)
        }
    }
}

fn check_class_weight<T: Float>(loss: &str, weight: Option<&Tensor<T>>, classes: usize) {
    if let Some(w) = weight {
        if w.shape() != [classes] {
            panic!("{loss}: weight of shape {} does not match the {classes} classes", dims_str(w.shape()));
        }
    }
}

/// `w` shaped `[1, C, 1, …]` (rank `rank`) so it multiplies along the class axis 1.
fn class_axis<T: Float>(w: &Tensor<T>, rank: usize) -> Tensor<T> {
    if rank == 1 {
        return w.clone();
    }
    let mut shape = vec![1usize; rank];
    shape[1] = w.numel();
    w.reshape(shape)
}

/// Validates every class index and picks −w_t·ℓ_t per sample from the log-probabilities.
fn pick<T: Float>(
    loss: &str,
    log_probs: &Variable<T>,
    targets: &Tensor<i64>,
    weight: Option<&Tensor<T>>,
    ignore_index: Option<i64>,
) -> Picked<T> {
    let classes = log_probs.shape()[1];
    let ignored = match ignore_index {
        Some(i) => targets.eq_scalar(i),
        None => Tensor::full(targets.shape(), false),
    };
    let out_of_range = |t: i64| Some(t) != ignore_index && !(0..classes as i64).contains(&t);
    if let Some((index, value)) = first_bad(targets, out_of_range) {
        let also = match ignore_index {
            Some(i) => format!(", or the ignore_index {i}"),
            None => String::new(),
        };
        panic!(
            "{loss}: target {value} at index {index:?} is out of range for {classes} classes (valid: 0..={}{also})",
            classes as i64 - 1
        );
    }
    // Ignored positions look up class 0 (any valid class would do); their weight is zeroed.
    let safe = targets.masked_fill(&ignored, 0);
    let log_p_true = log_probs.gather(1, &safe.unsqueeze(1)).squeeze(1);
    let weights = match weight {
        Some(w) => w.index_select(0, &safe.reshape([-1])).reshape(safe.shape()),
        None => Tensor::ones(safe.shape()),
    }
    .masked_fill(&ignored, T::ZERO);
    let nll = -(&log_p_true * &Variable::constant(weights.clone()));
    Picked { log_p_true, nll, weights, ignored }
}

/// Reduces per-sample losses; `Mean` divides by the sum of the counted samples' weights.
fn finish<T: Float>(loss: Variable<T>, weights: &Tensor<T>, reduction: Reduction, unbatched: bool) -> Variable<T> {
    match reduction {
        Reduction::None if unbatched => loss.reshape(Vec::<usize>::new()),
        Reduction::None => loss,
        Reduction::Sum => loss.sum_all(),
        Reduction::Mean => &loss.sum_all() / &Variable::constant(Tensor::scalar(weights.sum_all())),
    }
}

/// Kullback-Leibler divergence D(target ‖ input) pointwise, PyTorch's `F.kl_div` /
/// `nn.KLDivLoss`. Following PyTorch, the *input* (the prediction) is given as
/// log-probabilities ln q (a [`log_softmax`](Variable::log_softmax) of the model's output),
/// and the target p as probabilities, or as log-probabilities when `log_target` is true:
///
/// ℓ = p·(ln p − ln q)  (with 0·ln 0 = 0), or with `log_target`: ℓ = e^{ln p}·(ln p − ln q).
///
/// The divergence of one distribution is the sum of ℓ over its outcomes, so the reduction
/// that gives the mean divergence per sample is [`KlReduction::BatchMean`] (sum / batch size);
/// [`KlReduction::Mean`] divides by the number of elements instead, which also divides by the
/// number of outcomes K. `log_target = true` is the safer way to pass a target with very small
/// probabilities. The gradient in the input is −p (divided as the reduction divides).
pub fn kl_div<T: Float>(
    input: &Variable<T>,
    target: &Tensor<T>,
    reduction: KlReduction,
    log_target: bool,
) -> Variable<T> {
    same_shape("kl_div", &input.shape(), target.shape());
    let loss = if log_target {
        let p = target.exp();
        &Variable::constant(&p * target) - &(input * &Variable::constant(p))
    } else {
        // xlogy(p, p): p·ln p, defined as 0 where p = 0.
        let p_log_p = (target * &target.log()).masked_fill(&target.eq_scalar(T::ZERO), T::ZERO);
        &Variable::constant(p_log_p) - &(input * &constant(target))
    };
    match reduction {
        KlReduction::None => loss,
        KlReduction::Mean => loss.mean_all(),
        KlReduction::Sum => loss.sum_all(),
        KlReduction::BatchMean => {
            let batch = input.shape().first().copied().unwrap_or(1);
            loss.sum_all().mul_scalar(c(1.0 / batch as f64))
        }
    }
}

/// Multi-class focal loss on logits: the softmax counterpart of [`sigmoid_focal_loss`]. With
/// pₜ = softmax(zᵢ)_{yᵢ}, the probability given to the true class,
///
/// lossᵢ = −α_{yᵢ}·(1 − pₜ)^γ·ln pₜ,
///
/// for logits `[N, C]` (or `[N, C, d₁, …]`, or `[C]`) and class indices as in [`cross_entropy`].
/// γ = 0 with no `alpha` is [`cross_entropy`]; `alpha` (optional, shape `[C]`) weights each
/// class. `Mean` divides by the number of samples, whatever the weights (as the focal-loss paper
/// normalizes by the number of examples, unlike weighted cross-entropy). PyTorch has no
/// built-in; it equals `-(alpha[y] * (1 - p_t) ** gamma * log_p_t)` with `log_p_t` gathered from
/// `F.log_softmax(z, 1)`.
pub fn softmax_focal_loss<T: Float>(
    logits: &Variable<T>,
    targets: &Tensor<i64>,
    alpha: Option<&Tensor<T>>,
    gamma: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "softmax_focal_loss";
    if !(gamma >= 0.0 && gamma.is_finite()) {
        panic!("{LOSS}: gamma must be zero or positive and finite, got {gamma}");
    }
    let (batched, targets, unbatched) = batch_up(LOSS, logits, targets);
    check_class_weight(LOSS, alpha, batched.shape()[1]);
    let picked = pick(LOSS, &batched.log_softmax(1), &targets, alpha, None);
    let mut loss = picked.nll;
    if gamma > 0.0 {
        let mut miss = picked.log_p_true.exp().rsub_scalar(T::ONE);
        if gamma < 1.0 {
            // As in sigmoid_focal_loss: keep x^γ off its infinite slope at 0.
            miss = miss.clamp(c(1e-30), T::ONE);
        }
        loss = &loss * &miss.powf(c(gamma));
    }
    match reduction {
        Reduction::None if unbatched => loss.reshape(Vec::<usize>::new()),
        Reduction::None => loss,
        Reduction::Sum => loss.sum_all(),
        Reduction::Mean => loss.mean_all(),
    }
}

// ---------------------------------------------------------------------------------------------
// Metric learning

/// Euclidean distance over the last axis, ‖a − b + ε‖₂ with ε = 10⁻⁶ as PyTorch's
/// `F.pairwise_distance` (the ε keeps the square root's slope finite when a = b).
fn pairwise_distance<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    squared_distance(a, b).sqrt()
}

fn squared_distance<T: Float>(a: &Variable<T>, b: &Variable<T>) -> Variable<T> {
    (a - b).add_scalar(c(1e-6)).square().sum(-1, false)
}

fn check_embeddings(loss: &str, names: [&str; 2], a: &[usize], b: &[usize]) {
    if a.is_empty() {
        panic!("{loss}: {} must have an embedding axis, got a scalar", names[0]);
    }
    if a != b {
        panic!("{loss}: {} {} and {} {} differ in shape", names[0], dims_str(a), names[1], dims_str(b));
    }
}

/// Triplet margin loss on embeddings `[N, D]` (or one triplet `[D]`), PyTorch's
/// `F.triplet_margin_loss` with its defaults p = 2, eps = 1e-6, swap = false:
///
/// lossᵢ = max(0, d(aᵢ, pᵢ) − d(aᵢ, nᵢ) + margin),  d(x, y) = ‖x − y + ε‖₂,
///
/// which pulls each anchor toward its positive until it is closer than its negative by at least
/// `margin` (PyTorch's default 1.0).
pub fn triplet_margin_loss<T: Float>(
    anchor: &Variable<T>,
    positive: &Variable<T>,
    negative: &Variable<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "triplet_margin_loss";
    check_embeddings(LOSS, ["anchor", "positive"], &anchor.shape(), &positive.shape());
    check_embeddings(LOSS, ["anchor", "negative"], &anchor.shape(), &negative.shape());
    check_finite_param(LOSS, "margin", margin);
    let gap = &pairwise_distance(anchor, positive) - &pairwise_distance(anchor, negative);
    reduce(gap.add_scalar(c(margin)).relu(), reduction)
}

/// Contrastive loss on pairs of embeddings `[N, D]` (or one pair `[D]`), as in Hadsell, Chopra
/// and LeCun (2006). With d = ‖x₁ − x₂ + ε‖₂ (ε = 10⁻⁶, as [`triplet_margin_loss`]) and
/// `similar` = 1 for a matching pair, 0 for a non-matching one (shape `[N]`, or `[]`):
///
/// lossᵢ = ½·yᵢ·d² + ½·(1 − yᵢ)·max(0, margin − d)²,
///
/// so matching pairs are pulled together and non-matching ones pushed at least `margin` apart.
/// PyTorch has no built-in (conventions differ on the ½ and on which label means "similar";
/// this is the paper's).
pub fn contrastive_loss<T: Float>(
    x1: &Variable<T>,
    x2: &Variable<T>,
    similar: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "contrastive_loss";
    let shape = x1.shape();
    check_embeddings(LOSS, ["x1", "x2"], &shape, &x2.shape());
    if similar.shape() != &shape[..shape.len() - 1] {
        panic!(
            "{LOSS}: embeddings of shape {} need one label per pair, shape {}; got {}",
            dims_str(&shape),
            dims_str(&shape[..shape.len() - 1]),
            dims_str(similar.shape())
        );
    }
    if let Some((index, value)) = first_bad(similar, |y| y != T::ZERO && y != T::ONE) {
        panic!("{LOSS}: label {value} at index {index:?} is not 0 (different) or 1 (similar)");
    }
    check_finite_param(LOSS, "margin", margin);
    // The pull uses d² directly, which stays smooth where d = 0.
    let pull = &squared_distance(x1, x2) * &constant(similar);
    let push = pairwise_distance(x1, x2).rsub_scalar(c(margin)).relu().square();
    let push = &push * &Variable::constant((-similar) + T::ONE);
    reduce((&pull + &push).mul_scalar(c(0.5)), reduction)
}
