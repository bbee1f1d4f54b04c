//! The losses boosting descends: half squared error for regression, binary and multinomial log
//! loss for classification. Each gives the starting raw prediction (an intercept-only model),
//! the per-sample gradients and hessians of a round, and the mean loss early stopping watches.
//!
//! Raw predictions are row-major `[rows × k]`; gradients and hessians are stored class-major
//! (`[k × rows]`) so each of the `k` trees of a round reads one contiguous slice. They are kept
//! in `f32`, as scikit-learn keeps them (its sums are f64, and so are ours).

/// Which loss, with its number of raw outputs per row.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Loss {
    /// Half squared error `(y − f)² / 2`; gradient `f − y`, hessian 1.
    SquaredError,
    /// Binary log loss on one logit; targets are 0 and 1.
    Binary,
    /// Multinomial log loss on `k` raw scores (softmax); targets are class codes.
    Multinomial(usize),
}

impl Loss {
    /// Raw outputs (and trees) per round.
    pub(crate) fn outputs(self) -> usize {
        match self {
            Loss::SquaredError | Loss::Binary => 1,
            Loss::Multinomial(k) => k,
        }
    }

    /// Whether the hessian is the same (1) for every sample, so histograms skip it.
    pub(crate) fn constant_hessian(self) -> bool {
        self == Loss::SquaredError
    }

    /// The raw prediction of the best constant model (scikit-learn's `fit_intercept_only`):
    /// the mean, the logit of the positive rate, or the log class priors centred on their mean.
    pub(crate) fn baseline(self, y: &[f64]) -> Vec<f64> {
        let n = y.len() as f64;
        match self {
            Loss::SquaredError => vec![y.iter().sum::<f64>() / n],
            Loss::Binary => {
                let eps = 10.0 * f64::EPSILON;
                let p = (y.iter().sum::<f64>() / n).clamp(eps, 1.0 - eps);
                vec![(p / (1.0 - p)).ln()]
            }
            Loss::Multinomial(k) => {
                let mut counts = vec![0usize; k];
                y.iter().for_each(|&c| counts[c as usize] += 1);
                let p: Vec<f64> =
                    counts.iter().map(|&c| (c as f64 / n).clamp(f64::EPSILON, 1.0 - f64::EPSILON)).collect();
                let geometric_mean = (p.iter().map(|v| v.ln()).sum::<f64>() / k as f64).exp();
                p.iter().map(|v| (v / geometric_mean).ln()).collect()
            }
        }
    }

    /// Gradients and hessians of every sample at the raw predictions `raw` (`[rows × k]`), into
    /// `grad` and `hess` (`[k × rows]`; `hess` is left alone for a constant hessian).
    pub(crate) fn gradients(self, y: &[f64], raw: &[f64], grad: &mut [f32], hess: &mut [f32]) {
        let rows = y.len();
        match self {
            Loss::SquaredError => {
                for ((g, &f), &t) in grad.iter_mut().zip(raw).zip(y) {
                    *g = (f - t) as f32;
                }
            }
            Loss::Binary => {
                for i in 0..rows {
                    let (g, h) = binary_gradient_hessian(y[i], raw[i]);
                    grad[i] = g as f32;
                    hess[i] = h as f32;
                }
            }
            Loss::Multinomial(k) => {
                let mut p = vec![0.0; k];
                for i in 0..rows {
                    softmax_into(&raw[i * k..(i + 1) * k], &mut p);
                    let class = y[i] as usize;
                    for (c, &pc) in p.iter().enumerate() {
                        grad[c * rows + i] = (pc - f64::from(u8::from(c == class))) as f32;
                        hess[c * rows + i] = (pc * (1.0 - pc)) as f32;
                    }
                }
            }
        }
    }

    /// The mean loss at the raw predictions `raw` (`[rows × k]`).
    pub(crate) fn mean_loss(self, y: &[f64], raw: &[f64]) -> f64 {
        let total: f64 = match self {
            Loss::SquaredError => y.iter().zip(raw).map(|(&t, &f)| 0.5 * (t - f) * (t - f)).sum(),
            Loss::Binary => y.iter().zip(raw).map(|(&t, &f)| log1pexp(f) - t * f).sum(),
            Loss::Multinomial(k) => y
                .iter()
                .zip(raw.chunks(k))
                .map(|(&t, f)| {
                    let max = f.iter().copied().fold(f64::NEG_INFINITY, f64::max);
                    let sum: f64 = f.iter().map(|v| (v - max).exp()).sum();
                    max + sum.ln() - f[t as usize]
                })
                .sum(),
        };
        total / y.len() as f64
    }
}

/// `p − y` and `p (1 − p)` for `p = expit(raw)`, in scikit-learn's stable form.
#[inline]
fn binary_gradient_hessian(y: f64, raw: f64) -> (f64, f64) {
    if raw > -37.0 {
        let e = (-raw).exp();
        (((1.0 - y) - y * e) / (1.0 + e), e / ((1.0 + e) * (1.0 + e)))
    } else {
        let e = raw.exp();
        (e - y, e)
    }
}

/// `log(1 + exp(x))` without overflow, in scikit-learn's pieces.
fn log1pexp(x: f64) -> f64 {
    if x <= -37.0 {
        x.exp()
    } else if x <= -2.0 {
        x.exp().ln_1p()
    } else if x <= 18.0 {
        (1.0 + x.exp()).ln()
    } else if x <= 33.3 {
        x + (-x).exp()
    } else {
        x
    }
}

/// The logistic function.
pub(crate) fn expit(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

/// The softmax of `raw` into `out`, around the maximum.
pub(crate) fn softmax_into(raw: &[f64], out: &mut [f64]) {
    let max = raw.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let mut sum = 0.0;
    for (o, &r) in out.iter_mut().zip(raw) {
        *o = (r - max).exp();
        sum += *o;
    }
    out.iter_mut().for_each(|o| *o /= sum);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn multinomial_baseline_is_centred_log_priors() {
        let b = Loss::Multinomial(3).baseline(&[0.0, 0.0, 1.0, 2.0]);
        let expected = [0.5f64.ln(), 0.25f64.ln(), 0.25f64.ln()];
        let mean = expected.iter().sum::<f64>() / 3.0;
        for (got, want) in b.iter().zip(expected) {
            assert!((got - (want - mean)).abs() < 1e-12);
        }
    }

    #[test]
    fn binary_gradient_is_probability_minus_target() {
        for raw in [-40.0, -3.0, 0.0, 2.5] {
            let (g, h) = binary_gradient_hessian(1.0, raw);
            let p = expit(raw);
            assert!((g - (p - 1.0)).abs() < 1e-12 && (h - p * (1.0 - p)).abs() < 1e-12);
        }
    }
}
