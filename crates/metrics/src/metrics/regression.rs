//! Real-valued targets: squared and absolute errors, and R².

use super::{ratio, same_len};

/// Mean squared error.
pub fn mse(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("mse", targets.len(), predictions.len());
    ratio(targets.iter().zip(predictions).map(|(t, p)| (t - p) * (t - p)).sum(), targets.len() as f64)
}

/// Root mean squared error, √MSE, in the units of the target.
pub fn rmse(targets: &[f64], predictions: &[f64]) -> f64 {
    mse(targets, predictions).sqrt()
}

/// Mean absolute error.
pub fn mae(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("mae", targets.len(), predictions.len());
    ratio(targets.iter().zip(predictions).map(|(t, p)| (t - p).abs()).sum(), targets.len() as f64)
}

/// The coefficient of determination R² = 1 − SS_res / SS_tot. When the targets are constant
/// (SS_tot = 0) it is 1 for a perfect fit and 0 otherwise.
pub fn r2_score(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("r2_score", targets.len(), predictions.len());
    if targets.is_empty() {
        return f64::NAN;
    }
    let mean = targets.iter().sum::<f64>() / targets.len() as f64;
    let ss_tot: f64 = targets.iter().map(|t| (t - mean) * (t - mean)).sum();
    let ss_res: f64 = targets.iter().zip(predictions).map(|(t, p)| (t - p) * (t - p)).sum();
    r2_from_sums(ss_res, ss_tot)
}

pub(super) fn r2_from_sums(ss_res: f64, ss_tot: f64) -> f64 {
    if ss_tot == 0.0 {
        if ss_res == 0.0 {
            1.0
        } else {
            0.0
        }
    } else {
        1.0 - ss_res / ss_tot
    }
}

/// R² adjusted for the number of features `p` fitted on `n` samples:
/// 1 − (1 − R²)(n − 1)/(n − p − 1). Unlike R² it can fall when a useless feature is added.
/// Panics unless `n > p + 1` (the correction is undefined otherwise).
pub fn adjusted_r2(targets: &[f64], predictions: &[f64], n_features: usize) -> f64 {
    let n = targets.len();
    assert!(
        n > n_features + 1,
        "adjusted_r2: needs more samples than features + 1, got {n} samples and {n_features} features"
    );
    let r2 = r2_score(targets, predictions);
    1.0 - (1.0 - r2) * (n - 1) as f64 / (n - n_features - 1) as f64
}

/// Mean absolute percentage error as scikit-learn computes it: the mean of
/// |y − ŷ| / max(|y|, ε) with ε = `f64::EPSILON`, a fraction (0.05 is 5%), not a percentage.
/// A zero target with a nonzero error gives a huge value, which is MAPE's known weakness.
pub fn mape(targets: &[f64], predictions: &[f64]) -> f64 {
    same_len("mape", targets.len(), predictions.len());
    let sum: f64 = targets.iter().zip(predictions).map(|(t, p)| (t - p).abs() / t.abs().max(f64::EPSILON)).sum();
    ratio(sum, targets.len() as f64)
}
