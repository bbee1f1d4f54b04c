//! Chapter 16: reference answers to the exercises in `exercises.rs`. The tests run
//! against these unless you pass `--features learner`.

use crate::{centre, cholesky_solve_by_hand};
use kindling_tensor::Tensor;

/// Exercise 16.1.
pub fn r2_and_adjusted(
    targets: &[f64],
    predictions: &[f64],
    features: usize,
) -> (f64, f64) {
    let n = targets.len();
    let mean = targets.iter().sum::<f64>() / n as f64;
    let ss_res: f64 =
        targets.iter().zip(predictions).map(|(y, p)| (y - p).powi(2)).sum();
    let ss_tot: f64 = targets.iter().map(|y| (y - mean).powi(2)).sum();
    let r2 = 1.0 - ss_res / ss_tot;
    let adjusted = 1.0 - (1.0 - r2) * (n - 1) as f64 / (n - features - 1) as f64;
    (r2, adjusted)
}

/// Exercise 16.2.
pub fn ridge_closed_form(
    x: &Tensor<f64>,
    y: &[f64],
    alpha: f64,
) -> (Vec<f64>, f64) {
    let (xc, x_mean) = centre(x);
    let y_mean = y.iter().sum::<f64>() / y.len() as f64;
    let yc = Tensor::from_vec(
        y.iter().map(|v| v - y_mean).collect::<Vec<_>>(),
        [y.len(), 1],
    );
    let p = x.shape()[1];
    let gram = &xc.t().matmul(&xc) + &(Tensor::eye(p) * alpha);
    let w = cholesky_solve_by_hand(&gram, &xc.t().matmul(&yc).to_vec());
    let intercept = y_mean - x_mean.iter().zip(&w).map(|(m, w)| m * w).sum::<f64>();
    (w, intercept)
}

/// Exercise 16.3.
pub fn soft_threshold(z: f64, threshold: f64) -> f64 {
    z.signum() * (z.abs() - threshold).max(0.0)
}

/// Exercise 16.4.
pub fn lasso_coordinate_descent(
    x: &Tensor<f64>,
    y: &[f64],
    alpha: f64,
    sweeps: usize,
) -> (Vec<f64>, f64) {
    let (xc, x_mean) = centre(x);
    let (n, p) = (x.shape()[0], x.shape()[1]);
    let values = xc.to_vec();
    let columns: Vec<Vec<f64>> =
        (0..p).map(|j| (0..n).map(|i| values[i * p + j]).collect()).collect();
    let y_mean = y.iter().sum::<f64>() / n as f64;
    let mut residual: Vec<f64> = y.iter().map(|v| v - y_mean).collect();
    let mut w = vec![0.0; p];
    for _ in 0..sweeps {
        for (j, column) in columns.iter().enumerate() {
            let norm: f64 = column.iter().map(|v| v * v).sum();
            if norm == 0.0 {
                continue;
            }
            let z: f64 = column
                .iter()
                .zip(&residual)
                .map(|(xij, r)| xij * (r + xij * w[j]))
                .sum();
            let new = soft_threshold(z, n as f64 * alpha) / norm;
            let step = new - w[j];
            column
                .iter()
                .zip(residual.iter_mut())
                .for_each(|(xij, r)| *r -= xij * step);
            w[j] = new;
        }
    }
    let intercept = y_mean - x_mean.iter().zip(&w).map(|(m, w)| m * w).sum::<f64>();
    (w, intercept)
}

/// Exercise 16.5.
pub fn gaussian_joint_log_likelihood(
    row: &[f64],
    means: &[Vec<f64>],
    variances: &[Vec<f64>],
    priors: &[f64],
) -> Vec<f64> {
    let two_pi = 2.0 * std::f64::consts::PI;
    (0..priors.len())
        .map(|c| {
            let log_density: f64 = row
                .iter()
                .zip(&means[c])
                .zip(&variances[c])
                .map(|((x, mu), var)| {
                    -0.5 * (two_pi * var).ln() - (x - mu).powi(2) / (2.0 * var)
                })
                .sum();
            priors[c].ln() + log_density
        })
        .collect()
}

/// Exercise 16.6.
pub fn squared_distances(
    queries: &Tensor<f64>,
    points: &Tensor<f64>,
) -> Tensor<f64> {
    let query_norms = (queries * queries).sum(1, true); // [q, 1]
    let point_norms = (points * points).sum(1, false); // [m], one per row
    let cross = queries.matmul(&points.t());
    (&(&query_norms + &point_norms) - &(cross * 2.0)).clamp(0.0, f64::INFINITY)
}

/// Exercise 16.7.
pub fn majority_vote(distances: &[f64], labels: &[i64], k: usize) -> i64 {
    let mut order: Vec<usize> = (0..distances.len()).collect();
    order.sort_by(|&a, &b| distances[a].total_cmp(&distances[b]));
    let mut counts: std::collections::BTreeMap<i64, usize> = Default::default();
    for &i in &order[..k] {
        *counts.entry(labels[i]).or_default() += 1;
    }
    // BTreeMap iterates labels in increasing order; keep the first of the largest
    // counts.
    let mut best = (i64::MAX, 0);
    for (label, count) in counts {
        if count > best.1 {
            best = (label, count);
        }
    }
    best.0
}

/// Exercise 16.8.
pub fn lasso_alpha_max(x: &Tensor<f64>, y: &[f64]) -> f64 {
    let (xc, _) = centre(x);
    let n = y.len();
    let y_mean = y.iter().sum::<f64>() / n as f64;
    let yc =
        Tensor::from_vec(y.iter().map(|v| v - y_mean).collect::<Vec<_>>(), [n, 1]);
    let correlations = xc.t().matmul(&yc).to_vec();
    correlations.iter().fold(0.0f64, |m, c| m.max(c.abs())) / n as f64
}
