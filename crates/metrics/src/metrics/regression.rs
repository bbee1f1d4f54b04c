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
