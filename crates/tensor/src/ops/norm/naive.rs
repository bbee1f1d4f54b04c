//! Layer normalisation written the way the equations read: one row at a time, each sum a plain
//! left-to-right loop, no SIMD and no threads. The test oracle of [`super::fast`].
//!
//! Rows are the `rows` consecutive runs of `n` elements of a contiguous buffer.

use crate::dtype::Float;

/// Normalises every row: `mean` and `rstd` (1/√(biased variance + eps)) per row, then
/// `y = (x − mean)·rstd·γ + β` (γ = 1 and β = 0 when absent).
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_forward<T: Float>(
    x: &[T],
    n: usize,
    weight: Option<&[T]>,
    bias: Option<&[T]>,
    eps: f64,
    y: &mut [T],
    mean: &mut [T],
    rstd: &mut [T],
) {
    let count = T::from_f64(n as f64);
    for (r, (xr, yr)) in x.chunks_exact(n).zip(y.chunks_exact_mut(n)).enumerate() {
        let mut sum = T::ZERO;
        for &v in xr {
            sum += v;
        }
        let mu = sum / count;
        let mut squares = T::ZERO;
        for &v in xr {
            squares += (v - mu) * (v - mu);
        }
        let inv = T::ONE / (squares / count + T::from_f64(eps)).sqrt();
        for j in 0..n {
            let scale = weight.map_or(T::ONE, |w| w[j]);
            let shift = bias.map_or(T::ZERO, |b| b[j]);
            yr[j] = (xr[j] - mu) * inv * scale + shift;
        }
        mean[r] = mu;
        rstd[r] = inv;
    }
}

/// The gradients of [`layer_norm_forward`] given `dy`: with x̂ = (x − mean)·rstd and
/// g = dy·γ, `dx = rstd·(g − mean(g) − x̂·mean(g·x̂))` per row, `dweight = Σ_rows dy·x̂` and
/// `dbias = Σ_rows dy`. Each output is written only when given.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward<T: Float>(
    dy: &[T],
    x: &[T],
    mean: &[T],
    rstd: &[T],
    n: usize,
    weight: Option<&[T]>,
    mut dx: Option<&mut [T]>,
    mut dweight: Option<&mut [T]>,
    mut dbias: Option<&mut [T]>,
) {
    let count = T::from_f64(n as f64);
    if let Some(dw) = dweight.as_deref_mut() {
        dw.fill(T::ZERO);
    }
    if let Some(db) = dbias.as_deref_mut() {
        db.fill(T::ZERO);
    }
    for (r, (dyr, xr)) in dy.chunks_exact(n).zip(x.chunks_exact(n)).enumerate() {
        let (mu, inv) = (mean[r], rstd[r]);
        let x_hat = |j: usize| (xr[j] - mu) * inv;
        let g = |j: usize| dyr[j] * weight.map_or(T::ONE, |w| w[j]);
        if let Some(dx) = dx.as_deref_mut() {
            let (mut sum_g, mut sum_gx) = (T::ZERO, T::ZERO);
            for j in 0..n {
                sum_g += g(j);
                sum_gx += g(j) * x_hat(j);
            }
            let (mean_g, mean_gx) = (sum_g / count, sum_gx / count);
            for j in 0..n {
                dx[r * n + j] = inv * (g(j) - mean_g - x_hat(j) * mean_gx);
            }
        }
        if let Some(dw) = dweight.as_deref_mut() {
            for j in 0..n {
                dw[j] += dyr[j] * x_hat(j);
            }
        }
        if let Some(db) = dbias.as_deref_mut() {
            for j in 0..n {
                db[j] += dyr[j];
            }
        }
    }
}
