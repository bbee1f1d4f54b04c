//! Chapter 16 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch16-classic --features learner --test exercises          # every exercise
//! cargo test -p ch16-classic --features learner --test exercises ex16_4    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. Every exercise is a small piece of a
//! classic estimator, checked against scikit-learn's numbers
//! (`tests/fixtures/exercises.json`, made by `make_fixtures.py` beside it) and
//! against the library. The reference answers are in `solutions.rs`: try first,
//! then compare.
#![allow(unused_variables, unused_imports)]

use kindling_tensor::Tensor;

// ANCHOR: ex16_1
/// Exercise 16.1 (warm-up). R² = 1 − SS_res / SS_tot of `predictions` against
/// `targets`, and the adjusted R² of a model that used `features` inputs (not
/// counting the intercept): 1 − (1 − R²)·(n − 1)/(n − features − 1). Returns `(r2,
/// adjusted)`.
pub fn r2_and_adjusted(
    targets: &[f64],
    predictions: &[f64],
    features: usize,
) -> (f64, f64) {
    // TODO(16.1): SS_res sums (yᵢ − ŷᵢ)², SS_tot sums (yᵢ − ȳ)².
    unimplemented!("exercise 16.1: r2_and_adjusted")
}
// ANCHOR_END: ex16_1

// ANCHOR: ex16_2
/// Exercise 16.2. Ridge regression in closed form, scikit-learn's objective
/// ‖y − Xw − b‖² + α‖w‖² with the intercept b not penalised. Returns `(w, b)`.
pub fn ridge_closed_form(
    x: &Tensor<f64>,
    y: &[f64],
    alpha: f64,
) -> (Vec<f64>, f64) {
    // TODO(16.2): centre the columns of x and y; solve (XcᵀXc + αI) w = Xcᵀyc (the
    // matrix is symmetric positive definite for α > 0:
    // `crate::cholesky_solve_by_hand` solves it); then b = ȳ − x̄·w.
    unimplemented!("exercise 16.2: ridge_closed_form")
}
// ANCHOR_END: ex16_2

// ANCHOR: ex16_3
/// Exercise 16.3. The soft-thresholding operator S(z, t) = sign(z)·max(|z| − t, 0):
/// the exact minimiser of ½(w − z)² + t·|w| over w, for t ≥ 0.
pub fn soft_threshold(z: f64, threshold: f64) -> f64 {
    // TODO(16.3)
    unimplemented!("exercise 16.3: soft_threshold")
}
// ANCHOR_END: ex16_3

// ANCHOR: ex16_4
/// Exercise 16.4. The lasso by cyclic coordinate descent, scikit-learn's objective
/// (1/2n)·‖y − Xw − b‖² + α‖w‖₁, for exactly `sweeps` passes over the coordinates
/// from w = 0. Returns `(w, b)`.
pub fn lasso_coordinate_descent(
    x: &Tensor<f64>,
    y: &[f64],
    alpha: f64,
    sweeps: usize,
) -> (Vec<f64>, f64) {
    // TODO(16.4): centre x and y as in 16.2 and keep the residual r = yc − Xc·w up
    // to date. For coordinate j: z = xⱼ·(r + xⱼwⱼ), then wⱼ = S(z, n·α) / ‖xⱼ‖²
    // (your 16.3).
    unimplemented!("exercise 16.4: lasso_coordinate_descent")
}
// ANCHOR_END: ex16_4

// ANCHOR: ex16_5
/// Exercise 16.5. Gaussian naive Bayes: for one sample `row`, the joint
/// log-likelihood of each class c, log P(c) + Σⱼ log N(xⱼ; μ_cj, σ²_cj). `means[c]`
/// and `variances[c]` hold one value per feature; `priors[c]` is P(c).
pub fn gaussian_joint_log_likelihood(
    row: &[f64],
    means: &[Vec<f64>],
    variances: &[Vec<f64>],
    priors: &[f64],
) -> Vec<f64> {
    // TODO(16.5): log N(x; μ, σ²) = −½·ln(2πσ²) − (x − μ)²/(2σ²). Stay in logs: a
    // product of many small densities underflows.
    unimplemented!("exercise 16.5: gaussian_joint_log_likelihood")
}
// ANCHOR_END: ex16_5

// ANCHOR: ex16_6
/// Exercise 16.6. Every squared Euclidean distance between the rows of `queries`
/// ([q, d]) and the rows of `points` ([m, d]), as a [q, m] tensor, through one
/// matrix product: ‖a − b‖² = ‖a‖² + ‖b‖² − 2·a·b. Never negative.
pub fn squared_distances(
    queries: &Tensor<f64>,
    points: &Tensor<f64>,
) -> Tensor<f64> {
    // TODO(16.6): `queries.matmul(&points.t())` gives every a·b at once. Rounding
    // can push a distance that should be 0 slightly below it: clamp at 0.
    unimplemented!("exercise 16.6: squared_distances")
}
// ANCHOR_END: ex16_6

// ANCHOR: ex16_7
/// Exercise 16.7. The k-nearest-neighbour vote for one query: `distances[i]` is its
/// distance to training point i, whose class is `labels[i]`. Take the k nearest
/// (equal distances: the lower index first) and return the most frequent label
/// among them (equal counts: the smallest label).
pub fn majority_vote(distances: &[f64], labels: &[i64], k: usize) -> i64 {
    // TODO(16.7): a stable sort of the indices by distance keeps lower indices
    // first.
    unimplemented!("exercise 16.7: majority_vote")
}
// ANCHOR_END: ex16_7

// ANCHOR: ex16_8
/// Exercise 16.8. The smallest α at which the lasso of 16.4 sets every coefficient
/// to 0: the start of a regularisation path. Below it, at least one coefficient is
/// non-zero.
pub fn lasso_alpha_max(x: &Tensor<f64>, y: &[f64]) -> f64 {
    // TODO(16.8): at w = 0 the residual is yc; coordinate j stays at 0 while
    // |xⱼ·yc| ≤ n·α (16.4's update). Centre as in 16.2.
    unimplemented!("exercise 16.8: lasso_alpha_max")
}
// ANCHOR_END: ex16_8
