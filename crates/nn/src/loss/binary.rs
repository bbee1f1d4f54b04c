//! Binary and multi-label losses, for one output per label: binary cross-entropy on
//! probabilities and (fused) on logits, multi-label soft margin, sigmoid focal loss, and the
//! losses for ±1 labels (hinge, squared hinge, soft margin, hinge embedding).

use super::reduction::reduce;
use super::{c, check_finite_param, constant, first_bad, same_shape, LossTarget, Reduction, ATEN_EPSILON};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

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

/// Binary cross-entropy on probabilities, PyTorch's `F.binary_cross_entropy` / `nn.BCELoss`:
///
/// ℓ = −w·[y·max(ln ŷ, −100) + (1 − y)·max(ln(1 − ŷ), −100)].
///
/// Value and gradients are PyTorch's, which are not the plain derivatives of this formula:
///
/// - each logarithm is clamped at −100, so ŷ = 0 or 1 gives a finite loss (at most 100·w);
/// - ∂ℓ/∂ŷ = w·(ŷ − y)/max(ŷ(1 − ŷ), ε) with ε = PyTorch's f32 constant 1e-12 (in f64,
///   9.999999960041972e-13), so a saturated ŷ gets a large finite gradient, not ∞;
/// - ∂ℓ/∂y = w·(ln(1 − ŷ) − ln ŷ) = −w·logit(ŷ), unclamped (infinite at ŷ = 0 or 1), as
///   PyTorch's target backward.
///
/// `weight` (optional) rescales each element and must broadcast to the target's shape. The
/// target may be a [`Variable`] (soft, learned targets get a gradient; see [`LossTarget`]).
///
/// Prefer [`binary_cross_entropy_with_logits`] on the logit: a sigmoid that rounds to 0 or 1
/// has zero derivative, so a saturated wrong prediction gets no gradient here (see the module
/// docs). Panics if a prediction lies outside [0, 1]: that is a logit, not a probability.
pub fn binary_cross_entropy<T: Float>(
    probs: &Variable<T>,
    target: impl LossTarget<T>,
    weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "binary_cross_entropy";
    let y_var = target.to_variable();
    let y = y_var.value();
    same_shape(LOSS, &probs.shape(), y.shape());
    if let Some(w) = weight {
        check_broadcast(LOSS, "weight", w.shape(), y.shape());
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
    let one_minus_y = (-&y) + T::ONE;
    let log_p = p.log().clamp(floor, T::INFINITY);
    let log_q = (-&p).log1p().clamp(floor, T::INFINITY);
    let mut value = -(&(&y * &log_p) + &(&one_minus_y * &log_q));
    let mut grad_p = &(&p - &y) / &(&p * &one_minus_p).clamp(c(ATEN_EPSILON), T::INFINITY);
    let mut grad_y = -(&p / &one_minus_p).log();
    if let Some(w) = weight {
        value = &value * w;
        grad_p = &grad_p * w;
        grad_y = &grad_y * w;
    }
    let loss = Variable::from_op(LOSS, value, vec![probs.clone(), y_var], move |g, _| {
        vec![Some(g * &grad_p), Some(g * &grad_y)]
    });
    reduce(loss, reduction)
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
/// Targets may be soft (any value in [0, 1]) and may be a [`Variable`] (a learned target, as in
/// distillation; see [`LossTarget`]): ∂ℓ/∂y = w·[−z + (p − 1)·softplus(−z)].
pub fn binary_cross_entropy_with_logits<T: Float>(
    logits: &Variable<T>,
    target: impl LossTarget<T>,
    weight: Option<&Tensor<T>>,
    pos_weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "binary_cross_entropy_with_logits";
    let y = target.to_variable();
    same_shape(LOSS, &logits.shape(), &y.shape());
    if let Some(w) = weight {
        check_broadcast(LOSS, "weight", w.shape(), &y.shape());
    }
    if let Some(p) = pos_weight {
        check_broadcast(LOSS, "pos_weight", p.shape(), &y.shape());
    }
    let mut loss = bce_logits_elementwise(logits, &y, pos_weight);
    if let Some(w) = weight {
        loss = &loss * &constant(w);
    }
    reduce(loss, reduction)
}

/// (1 − y)·z + (1 + (p − 1)·y)·softplus(−z), elementwise.
fn bce_logits_elementwise<T: Float>(z: &Variable<T>, y: &Variable<T>, pos_weight: Option<&Tensor<T>>) -> Variable<T> {
    let linear = z * &y.rsub_scalar(T::ONE);
    let tail = (-z).softplus();
    match pos_weight {
        None => &linear + &tail,
        Some(p) => {
            let scale = (y * &Variable::constant(p - T::ONE)).add_scalar(T::ONE);
            &linear + &(&tail * &scale)
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
/// no reduction. A negative `alpha` disables the αₜ weighting; `gamma` must be ≥ 0. The target
/// may be a [`Variable`] (see [`LossTarget`]); torchvision differentiates it too.
pub fn sigmoid_focal_loss<T: Float>(
    logits: &Variable<T>,
    target: impl LossTarget<T>,
    alpha: f64,
    gamma: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "sigmoid_focal_loss";
    let y = target.to_variable();
    same_shape(LOSS, &logits.shape(), &y.shape());
    check_finite_param(LOSS, "alpha", alpha);
    if !(gamma >= 0.0 && gamma.is_finite()) {
        panic!("{LOSS}: gamma must be zero or positive and finite, got {gamma}");
    }
    let mut loss = bce_logits_elementwise(logits, &y, None);
    if gamma > 0.0 {
        let p = logits.sigmoid();
        let not_y = y.rsub_scalar(T::ONE);
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
        let alpha_t = y.mul_scalar(c(2.0 * alpha - 1.0)).add_scalar(c(1.0 - alpha));
        loss = &loss * &alpha_t;
    }
    reduce(loss, reduction)
}

/// Multi-label soft margin loss, PyTorch's `F.multilabel_soft_margin_loss` /
/// `nn.MultiLabelSoftMarginLoss`: for logits z of shape `[N, C]` (or `[C]`) and targets y of the
/// same shape (1 where a label applies, 0 where not; soft values are allowed),
///
/// lossᵢ = (1/C)·Σ_c w_c·BCE(z_ic, y_ic),  BCE(z, y) = −[y·ln σ(z) + (1 − y)·ln σ(−z)],
///
/// the per-element [`binary_cross_entropy_with_logits`] averaged over the C labels of each
/// sample, so [`Reduction::None`] gives one loss per sample (shape `[N]`). `weight` (optional)
/// must broadcast to the logits' shape (usually one value per label, `[C]`). The target may be a
/// [`Variable`] (see [`LossTarget`]).
pub fn multilabel_soft_margin_loss<T: Float>(
    logits: &Variable<T>,
    target: impl LossTarget<T>,
    weight: Option<&Tensor<T>>,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "multilabel_soft_margin_loss";
    let y = target.to_variable();
    let shape = logits.shape();
    same_shape(LOSS, &shape, &y.shape());
    if shape.is_empty() {
        panic!("{LOSS}: logits need a label axis, got a scalar");
    }
    let mut loss = bce_logits_elementwise(logits, &y, None);
    if let Some(w) = weight {
        check_broadcast(LOSS, "weight", w.shape(), &shape);
        loss = &loss * &constant(w);
    }
    let labels = shape[shape.len() - 1] as f64;
    reduce(loss.sum(-1, false).mul_scalar(c(1.0 / labels)), reduction)
}

/// Soft margin loss for labels y ∈ {−1, +1}, PyTorch's `F.soft_margin_loss` /
/// `nn.SoftMarginLoss`: ℓ = ln(1 + e^{−y·ŷ}).
///
/// The smooth version of [`hinge_loss`] (it is logistic regression's loss with ±1 labels):
/// ∂ℓ/∂ŷ = −y·σ(−y·ŷ), never exactly 0. Evaluated as softplus(−y·ŷ), which does not overflow.
/// The labels get no gradient (PyTorch refuses to differentiate them too). Panics on a label
/// other than ±1.
pub fn soft_margin_loss<T: Float>(prediction: &Variable<T>, target: &Tensor<T>, reduction: Reduction) -> Variable<T> {
    same_shape("soft_margin_loss", &prediction.shape(), target.shape());
    check_plus_minus_one("soft_margin_loss", target);
    reduce((-(prediction * &constant(target))).softplus(), reduction)
}

/// Hinge embedding loss, PyTorch's `F.hinge_embedding_loss` / `nn.HingeEmbeddingLoss`: for an
/// input x that is usually a distance (say an L1 distance between two embeddings) and a label
/// y ∈ {−1, +1},
///
/// ℓ = x if y = 1,  max(0, margin − x) if y = −1,
///
/// so similar pairs (y = 1) are pulled to distance 0 and dissimilar ones pushed out to at least
/// `margin` (PyTorch's default 1.0). Not to be confused with [`hinge_loss`], the SVM loss on a
/// score. Panics on a label other than ±1.
pub fn hinge_embedding_loss<T: Float>(
    input: &Variable<T>,
    target: &Tensor<T>,
    margin: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "hinge_embedding_loss";
    same_shape(LOSS, &input.shape(), target.shape());
    check_plus_minus_one(LOSS, target);
    check_finite_param(LOSS, "margin", margin);
    let push = input.rsub_scalar(c(margin)).relu();
    reduce(Variable::where_cond(&target.eq_scalar(T::ONE), input, &push), reduction)
}
