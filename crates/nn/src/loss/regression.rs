//! Regression losses, for a model that outputs values (or a Poisson rate): squared, absolute,
//! Huber, smooth L1, log-cosh, quantile and Poisson negative log-likelihood.

use super::reduction::reduce;
use super::{c, check_finite_param, constant, same_shape, Reduction};
use kindling_autograd::Variable;
use kindling_tensor::{Float, Tensor};

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
