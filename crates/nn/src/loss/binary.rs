//! Binary and multi-label losses, for one output per label: binary cross-entropy on
//! probabilities and (fused) on logits, the hinge losses for ±1 labels, and sigmoid focal loss.

use super::reduction::reduce;
use super::{c, check_finite_param, constant, first_bad, same_shape, Reduction};
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

/// A variable whose value is `value` and whose gradient with respect to `x` is `grad`
/// (elementwise, both shaped like `x`): how a loss whose PyTorch backward is not the plain
/// derivative of its forward (clamped logarithms) gets the same gradient.
fn with_gradient<T: Float>(x: &Variable<T>, value: Tensor<T>, grad: Tensor<T>) -> Variable<T> {
    Variable::from_op("binary_cross_entropy", value, vec![x.clone()], move |g, _| vec![Some(g * &grad)])
}

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
