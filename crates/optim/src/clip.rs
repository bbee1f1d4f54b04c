//! Gradient clipping: bound the step before the optimizer takes it (exploding gradients in
//! RNNs, loss spikes early in training).

use kindling_autograd::Variable;
use kindling_tensor::Float;

/// Rescales all gradients together so that their global L2 norm is at most `max_norm`, and
/// returns the norm before clipping (worth logging: spikes show up there first).
///
/// With ‖g‖ the norm of all gradients concatenated, every gradient is multiplied by
///
/// ```text
/// min(1, max_norm / (‖g‖ + 1e-6))
/// ```
///
/// as `torch.nn.utils.clip_grad_norm_` does; the 1e-6 only guards against dividing by zero, so
/// mathematically this is g·min(1, max_norm/‖g‖). The `min(1, ·)` matters: written as
/// g·max_norm/‖g‖ without it, small gradients would be scaled *up* to the maximum. Clipping the
/// global norm keeps the direction of the whole update; clipping each tensor would bend it.
///
/// Parameters without a gradient are skipped. When the norm is not finite (NaN or ∞), the
/// gradients are left alone and the norm is returned, so the caller can skip the step.
/// Panics when `max_norm` is negative or NaN.
pub fn clip_grad_norm<'a, T: Float>(params: impl IntoIterator<Item = &'a Variable<T>>, max_norm: f64) -> f64 {
    if max_norm.is_nan() || max_norm < 0.0 {
        panic!("clip_grad_norm: max_norm must be >= 0, got {max_norm}");
    }
    let with_grads: Vec<&Variable<T>> = params.into_iter().filter(|p| p.grad().is_some()).collect();
    let sum_of_squares: f64 = with_grads
        .iter()
        .map(|p| p.grad().expect("filtered").to_vec().iter().map(|&x| x.to_f64() * x.to_f64()).sum::<f64>())
        .sum();
    let norm = sum_of_squares.sqrt();
    let scale = max_norm / (norm + 1e-6);
    if norm.is_finite() && scale < 1.0 {
        for p in with_grads {
            let g = p.grad().expect("filtered");
            p.set_grad(Some(g * T::from_f64(scale)));
        }
    }
    norm
}

/// Clamps every gradient element to `[−clip, clip]` (`torch.nn.utils.clip_grad_value_`).
/// Unlike norm clipping this changes the update's direction. Panics when `clip` is negative.
pub fn clip_grad_value<'a, T: Float>(params: impl IntoIterator<Item = &'a Variable<T>>, clip: f64) {
    if clip.is_nan() || clip < 0.0 {
        panic!("clip_grad_value: clip must be >= 0, got {clip}");
    }
    let c = T::from_f64(clip);
    for p in params {
        if let Some(g) = p.grad() {
            p.set_grad(Some(g.clamp(-c, c)));
        }
    }
}
