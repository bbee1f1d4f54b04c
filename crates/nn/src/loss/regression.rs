//! Regression losses, for a model that outputs values (or a rate, or a mean and a variance):
//! squared, absolute, Huber, smooth L1, log-cosh, quantile, absolute percentage, Poisson,
//! Gaussian and Tweedie negative log-likelihoods. Every target is an [`LossTarget`]: a tensor,
//! or a variable that receives its own gradient.

use super::reduction::reduce;
use super::{c, check_finite_param, first_bad, same_shape, LossTarget, Reduction};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Tensor};

/// The target as a variable, after checking that it has the prediction's shape.
fn target_of<T: Float>(loss: &str, prediction: &Variable<T>, target: impl LossTarget<T>) -> Variable<T> {
    let y = target.to_variable();
    same_shape(loss, &prediction.shape(), &y.shape());
    y
}

/// Mean squared error: ℓᵢ = (ŷᵢ − yᵢ)², then reduced.
///
/// ∂ℓᵢ/∂ŷᵢ = 2(ŷᵢ − yᵢ), so large errors pull hardest (and outliers dominate). PyTorch:
/// `F.mse_loss` / `nn.MSELoss`.
pub fn mse_loss<T: Float>(prediction: &Variable<T>, target: impl LossTarget<T>, reduction: Reduction) -> Variable<T> {
    let y = target_of("mse_loss", prediction, target);
    reduce((prediction - &y).square(), reduction)
}

/// Mean absolute error (L1): ℓᵢ = |ŷᵢ − yᵢ|, then reduced.
///
/// ∂ℓᵢ/∂ŷᵢ = sign(ŷᵢ − yᵢ) (0 at a tie, as in PyTorch): every error pulls equally hard, so
/// outliers matter less than under [`mse_loss`]. PyTorch: `F.l1_loss` / `nn.L1Loss`.
pub fn l1_loss<T: Float>(prediction: &Variable<T>, target: impl LossTarget<T>, reduction: Reduction) -> Variable<T> {
    let y = target_of("l1_loss", prediction, target);
    reduce((prediction - &y).abs(), reduction)
}

/// Huber loss: quadratic for small errors, linear for large ones. With d = ŷ − y,
///
/// ℓ = ½d² if |d| < δ, else δ(|d| − ½δ).
///
/// The two pieces meet with equal value and slope at |d| = δ; the gradient is d clipped to
/// [−δ, δ]. `delta` must be positive. PyTorch: `F.huber_loss(delta=…)` / `nn.HuberLoss`.
pub fn huber_loss<T: Float>(
    prediction: &Variable<T>,
    target: impl LossTarget<T>,
    delta: f64,
    reduction: Reduction,
) -> Variable<T> {
    let y = target_of("huber_loss", prediction, target);
    if !(delta > 0.0 && delta.is_finite()) {
        panic!("huber_loss: delta must be positive and finite, got {delta}");
    }
    let d = prediction - &y;
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
    target: impl LossTarget<T>,
    beta: f64,
    reduction: Reduction,
) -> Variable<T> {
    let y = target_of("smooth_l1_loss", prediction, target);
    if !(beta >= 0.0 && beta.is_finite()) {
        panic!("smooth_l1_loss: beta must be zero or positive and finite, got {beta}");
    }
    let d = prediction - &y;
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
pub fn log_cosh_loss<T: Float>(
    prediction: &Variable<T>,
    target: impl LossTarget<T>,
    reduction: Reduction,
) -> Variable<T> {
    let y = target_of("log_cosh_loss", prediction, target);
    let size = (prediction - &y).abs();
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
    target: impl LossTarget<T>,
    q: f64,
    reduction: Reduction,
) -> Variable<T> {
    let y = target_of("quantile_loss", prediction, target);
    if !(q > 0.0 && q < 1.0) {
        panic!("quantile_loss: the quantile q must lie strictly between 0 and 1, got {q}");
    }
    let e = &y - prediction;
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
    target: impl LossTarget<T>,
    log_input: bool,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Variable<T> {
    let y = target_of("poisson_nll_loss", prediction, target);
    check_finite_param("poisson_nll_loss", "eps", eps);
    let mut loss = if log_input {
        &prediction.exp() - &(&y * prediction)
    } else {
        prediction - &(&y * &prediction.add_scalar(c(eps)).log())
    };
    if full {
        // y ≤ 1 contributes nothing (ln 0! = ln 1! = 0). Those places are evaluated at y = 2 and
        // then zeroed, so neither the value nor the target's gradient meets 0·ln 0.
        let small = y.value().le_scalar(T::ONE);
        let t = Variable::where_cond(&small, &Variable::constant(Tensor::full(y.shape(), c(2.0))), &y);
        let stirling = &(&(&t * &t.log()) - &t) + &t.mul_scalar(c(2.0 * std::f64::consts::PI)).log().mul_scalar(c(0.5));
        loss = &loss + &stirling.masked_fill(&small, T::ZERO);
    }
    reduce(loss, reduction)
}

/// Absolute percentage error, as scikit-learn's `mean_absolute_percentage_error`:
///
/// ℓᵢ = |ŷᵢ − yᵢ| / max(|yᵢ|, ε),  ε = 2⁻⁵² ≈ 2.22·10⁻¹⁶ (f64's machine epsilon),
///
/// so [`Reduction::Mean`] gives the MAPE as a fraction (0.05 means 5 %; it is not multiplied by
/// 100). ε only keeps a zero target from dividing by zero: the loss there is huge, which is the
/// known weakness of MAPE (it also charges over-predictions more than under-predictions of the
/// same size, relative to the truth). ∂ℓ/∂ŷ = sign(ŷ − y)/max(|y|, ε). PyTorch has no
/// built-in; it equals `(y_hat - y).abs() / y.abs().clamp(min=eps)`.
pub fn mape_loss<T: Float>(prediction: &Variable<T>, target: impl LossTarget<T>, reduction: Reduction) -> Variable<T> {
    let y = target_of("mape_loss", prediction, target);
    let scale = y.abs().clamp(c(f64::EPSILON), T::INFINITY);
    reduce(&(prediction - &y).abs() / &scale, reduction)
}

/// Negative log-likelihood of y under a Gaussian with mean ŷ (the prediction) and variance σ²
/// (`var`), PyTorch's `F.gaussian_nll_loss` / `nn.GaussianNLLLoss`:
///
/// ℓ = ½·(ln max(σ², eps) + (ŷ − y)² / max(σ², eps)),  plus ½·ln 2π when `full`.
///
/// A model that predicts both a mean and a variance learns how unsure it is: a large error costs
/// less where σ² is large, and ln σ² keeps it from calling everything uncertain. The clamp at
/// `eps` (PyTorch's default 1e-6) guards the division; as in PyTorch it changes the value only,
/// and the gradient of `var` passes through it unchanged.
///
/// `var` (a tensor, or a variable when the model predicts it) has the prediction's shape, or the
/// prediction's shape without its last axis (one variance per sample, shared by its last axis),
/// or the prediction's rank with exactly one axis of size 1 where the prediction's is larger.
/// Negative variances panic. The target must have the prediction's shape (PyTorch would
/// broadcast it). Means divide by the number of prediction elements.
pub fn gaussian_nll_loss<T: Float>(
    prediction: &Variable<T>,
    target: impl LossTarget<T>,
    var: impl LossTarget<T>,
    full: bool,
    eps: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "gaussian_nll_loss";
    let y = target_of(LOSS, prediction, target);
    if !(eps >= 0.0 && eps.is_finite()) {
        panic!("{LOSS}: eps must be zero or positive and finite, got {eps}");
    }
    let shape = prediction.shape();
    let mut var = var.to_variable();
    let var_shape = var.shape();
    if var_shape != shape {
        let mismatched: Vec<usize> =
            (0..shape.len().min(var_shape.len())).filter(|&i| shape[i] != var_shape[i]).collect();
        if !shape.is_empty() && var_shape == shape[..shape.len() - 1] {
            var = var.unsqueeze(-1);
        } else if var_shape.len() != shape.len() || mismatched.len() != 1 || var_shape[mismatched[0]] != 1 {
            panic!(
                "{LOSS}: var of shape {} fits neither the prediction's shape {} nor it with one axis of size 1 or \
                 without its last axis",
                dims_str(&var_shape),
                dims_str(&shape)
            );
        }
    }
    let v = var.value();
    if let Some((index, value)) = first_bad(&v, |s| s.is_nan() || s < T::ZERO) {
        panic!("{LOSS}: var {value} at index {index:?} is negative");
    }
    // Clamped value, identity gradient (PyTorch clamps in place under no_grad).
    let clamped = v.clamp(c(eps), T::INFINITY);
    let var = Variable::from_op("gaussian_nll_loss_clamp", clamped, vec![var], |g, _| vec![Some(g.clone())]);
    let squared_error = (prediction - &y).square();
    let mut loss = (&var.log() + &(&squared_error / &var)).mul_scalar(c(0.5));
    if full {
        loss = loss.add_scalar(c(0.5 * (2.0 * std::f64::consts::PI).ln()));
    }
    reduce(loss, reduction)
}

/// Tweedie negative log-likelihood with a log link, the objective of XGBoost's `reg:tweedie` and
/// LightGBM's `tweedie`: the prediction is s = ln μ (a raw score), the target y ≥ 0, and for a
/// variance power ρ ∈ (1, 2)
///
/// ℓ = −y·e^{(1−ρ)s}/(1 − ρ) + e^{(2−ρ)s}/(2 − ρ),
///
/// the terms of the Tweedie deviance that depend on μ = eˢ. Tweedie distributions with
/// 1 < ρ < 2 are compound Poisson-gamma: an exact zero with some probability, a positive
/// continuous amount otherwise (insurance claims, rainfall, sales). ρ → 1 approaches Poisson,
/// ρ → 2 gamma. ∂ℓ/∂s = −y·e^{(1−ρ)s} + e^{(2−ρ)s}, zero where μ^{2−ρ} = y·μ^{1−ρ}, i.e. μ = y.
/// (scikit-learn's `mean_tweedie_deviance` is 2·(ℓ + y^{2−ρ}/((1−ρ)(2−ρ))) on μ itself.)
/// PyTorch has no built-in. Panics on ρ outside (1, 2) or a negative target.
pub fn tweedie_loss<T: Float>(
    prediction: &Variable<T>,
    target: impl LossTarget<T>,
    power: f64,
    reduction: Reduction,
) -> Variable<T> {
    const LOSS: &str = "tweedie_loss";
    let y = target_of(LOSS, prediction, target);
    if !(power > 1.0 && power < 2.0) {
        panic!("{LOSS}: the variance power must lie strictly between 1 and 2, got {power}");
    }
    if let Some((index, value)) = first_bad(&y.value(), |t| t.is_nan() || t < T::ZERO) {
        panic!("{LOSS}: target {value} at index {index:?} is negative (Tweedie targets are amounts ≥ 0)");
    }
    let a = prediction.mul_scalar(c(1.0 - power)).exp().mul_scalar(c(1.0 / (1.0 - power)));
    let b = prediction.mul_scalar(c(2.0 - power)).exp().mul_scalar(c(1.0 / (2.0 - power)));
    reduce(&b - &(&y * &a), reduction)
}
