//! Chapter 16 of the Kindling book: classic machine learning.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch16-classic`) runs it and writes what the chapter
//! shows into `book/src/generated/16-classic/`. Your exercises are in
//! [`exercises`]; check them with `cargo test -p ch16-classic --features learner
//! --test exercises`.

use kindling_classic::linear::{
    alpha_grid, enet_path, lasso_path, LinearRegression, LogisticRegression,
    LstsqSolver, RegularisationPath, Ridge,
};
use kindling_classic::model_selection::{
    cross_val_score, take, take_rows, GridSearch, GridSearchResult,
};
use kindling_classic::naive_bayes::GaussianNb;
use kindling_classic::neighbors::{Algorithm, KNeighborsClassifier};
use kindling_classic::pipeline::Pipeline;
use kindling_classic::{ClassicError, Classifier, Supervised, Transformer};
use kindling_data::preprocess::{PolynomialFeatures, StandardScaler};
use kindling_data::split::{k_fold, stratified_k_fold};
use kindling_tensor::linalg;
use kindling_tensor::{Rng, Tensor};

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

/// `x` with every column's mean subtracted, and those means: what lets a linear
/// model leave its intercept out of the penalty and out of the solve.
pub fn centre(x: &Tensor<f64>) -> (Tensor<f64>, Vec<f64>) {
    let mean = x.mean(0, true);
    (x - &mean, mean.to_vec())
}

// ANCHOR: normal_equation
/// The Cholesky factor of a symmetric positive-definite `n × n` matrix A = L·Lᵀ
/// (row-major, lower triangular), or `None` when a pivot is not positive: A is not
/// positive definite, or rounding has made it look so. (The library's is
/// `linalg::cholesky`.)
pub fn cholesky_by_hand(a: &[f64], n: usize) -> Option<Vec<f64>> {
    let mut l = vec![0.0; n * n];
    for i in 0..n {
        for j in 0..=i {
            let dot: f64 = (0..j).map(|k| l[i * n + k] * l[j * n + k]).sum();
            if i == j {
                let pivot = a[i * n + i] - dot;
                if pivot <= 0.0 || !pivot.is_finite() {
                    return None;
                }
                l[i * n + i] = pivot.sqrt();
            } else {
                l[i * n + j] = (a[i * n + j] - dot) / l[j * n + j];
            }
        }
    }
    Some(l)
}

/// Solves A·w = b for a symmetric positive-definite A: L·z = b forwards, then Lᵀ·w
/// = z backwards. Panics when A is not positive definite.
pub fn cholesky_solve_by_hand(a: &Tensor<f64>, b: &[f64]) -> Vec<f64> {
    let n = b.len();
    let l = cholesky_by_hand(&a.to_vec(), n)
        .expect("cholesky_solve_by_hand: the matrix is not positive definite");
    let mut z = vec![0.0; n];
    for i in 0..n {
        z[i] = (b[i] - (0..i).map(|k| l[i * n + k] * z[k]).sum::<f64>())
            / l[i * n + i];
    }
    let mut w = vec![0.0; n];
    for i in (0..n).rev() {
        w[i] = (z[i] - (i + 1..n).map(|k| l[k * n + i] * w[k]).sum::<f64>())
            / l[i * n + i];
    }
    w
}

/// Least squares through the normal equation XᵀX·w = Xᵀy: solved, never inverted;
/// `None` when rounding has left XᵀX no longer positive definite.
pub fn normal_equation(x: &Tensor<f64>, y: &[f64]) -> Option<Vec<f64>> {
    let gram = x.t().matmul(x);
    let xty = x.t().matmul(&Tensor::from_vec(y.to_vec(), [y.len(), 1]));
    cholesky_by_hand(&gram.to_vec(), gram.shape()[0])?;
    Some(cholesky_solve_by_hand(&gram, &xty.to_vec()))
}
// ANCHOR_END: normal_equation

// ANCHOR: qr_least_squares
/// Least squares through the QR decomposition: X = QR, so ‖Xw − y‖ is smallest
/// where R·w = Qᵀy, one triangular solve. XᵀX is never formed.
pub fn qr_least_squares(x: &Tensor<f64>, y: &[f64]) -> Vec<f64> {
    let (q, r) = linalg::qr(x);
    let qty = q.t().matmul(&Tensor::from_vec(y.to_vec(), [y.len(), 1])).to_vec();
    let (p, r) = (r.shape()[1], r.to_vec());
    let mut w = vec![0.0; p];
    for i in (0..p).rev() {
        w[i] = (qty[i] - (i + 1..p).map(|k| r[i * p + k] * w[k]).sum::<f64>())
            / r[i * p + i];
    }
    w
}
// ANCHOR_END: qr_least_squares

// ANCHOR: vandermonde
/// The design matrix of a polynomial of `degree` in one variable: the columns 1, x,
/// x², …, x^degree.
pub fn vandermonde(x: &[f64], degree: usize) -> Tensor<f64> {
    let values = x
        .iter()
        .flat_map(|&v| (0..=degree).map(move |d| v.powi(d as i32)))
        .collect::<Vec<_>>();
    Tensor::from_vec(values, [x.len(), degree + 1])
}
// ANCHOR_END: vandermonde

/// One row of the conditioning table: how far each solver's coefficients land from
/// the true ones (all 1) on noise-free data, relative to their size.
#[derive(Clone, Debug)]
pub struct ConditioningRow {
    pub degree: usize,
    pub normal_equation_error: f64,
    pub qr_error: f64,
    /// The library's `LinearRegression` with `LstsqSolver::NormalEquation`, on the
    /// columns x, …, x^degree with its own (centred) intercept.
    pub library_normal_equation_error: f64,
    /// The same with the default QR solver.
    pub library_qr_error: f64,
}

/// Fits y = 1 + x + x² + … + x^degree, sampled without noise at `n` points evenly
/// spaced in [0, 1], with both solvers. Both would be exact in exact arithmetic.
pub fn conditioning_row(degree: usize, n: usize) -> ConditioningRow {
    let x: Vec<f64> = (0..n).map(|i| i as f64 / (n - 1) as f64).collect();
    let y: Vec<f64> =
        x.iter().map(|&v| (0..=degree).map(|d| v.powi(d as i32)).sum()).collect();
    let design = vandermonde(&x, degree);
    let error = |w: &[f64]| {
        (w.iter().map(|c| (c - 1.0).powi(2)).sum::<f64>() / w.len() as f64).sqrt()
    };
    // Rounding can cost the normal equation its positive definiteness: an infinite
    // error.
    let normal = normal_equation(&design, &y).map_or(f64::INFINITY, |w| error(&w));
    // The library fits the intercept itself: give it the columns x, …, x^degree.
    let powers = design.narrow(1, 1, degree);
    let library = |solver: LstsqSolver| {
        let mut model = LinearRegression::new().solver(solver);
        match model.fit(&powers, &y) {
            Ok(()) => {
                let mut w = vec![model.intercept()];
                w.extend(model.coef().to_vec());
                error(&w)
            }
            Err(_) => f64::INFINITY,
        }
    };
    ConditioningRow {
        degree,
        normal_equation_error: normal,
        qr_error: error(&qr_least_squares(&design, &y)),
        library_normal_equation_error: library(LstsqSolver::NormalEquation),
        library_qr_error: library(LstsqSolver::Qr),
    }
}

// ANCHOR: noisy_curve
/// The curve behind the bias–variance experiment, on [−1, 1].
pub fn true_curve(x: f64) -> f64 {
    (2.0 * x).sin() + 0.5 * (5.0 * x).cos()
}

/// `n` points evenly spaced over [−1, 1], and y = true_curve(x) plus Gaussian noise
/// of standard deviation `noise`: a fixed design, only the noise is random.
pub fn noisy_curve(n: usize, noise: f64, rng: &mut Rng) -> (Vec<f64>, Vec<f64>) {
    let x: Vec<f64> =
        (0..n).map(|i| -1.0 + 2.0 * i as f64 / (n - 1) as f64).collect();
    let y = x.iter().map(|&v| true_curve(v) + noise * rng.normal_f64()).collect();
    (x, y)
}
// ANCHOR_END: noisy_curve

/// The value of the polynomial with coefficients `w` (constant term first) at `x`.
pub fn polynomial_value(w: &[f64], x: f64) -> f64 {
    w.iter().rev().fold(0.0, |acc, c| acc * x + c)
}

// ANCHOR: bias_variance
/// What many fits of one polynomial degree did, averaged over resampled training
/// sets.
#[derive(Clone, Debug)]
pub struct BiasVariance {
    pub degree: usize,
    /// Mean squared error on the training points themselves.
    pub train_error: f64,
    /// Mean squared error on fresh noisy points over [−1, 1].
    pub test_error: f64,
    /// (average prediction − true curve)², averaged over x.
    pub bias_squared: f64,
    /// The spread of the predictions around their average, averaged over x.
    pub variance: f64,
}

/// Fits a polynomial of each degree to `resamples` independent training sets of `n`
/// noisy points, and splits its test error into bias², variance and the noise
/// nobody can predict.
pub fn bias_variance(
    degrees: &[usize],
    n: usize,
    noise: f64,
    resamples: usize,
    seed: u64,
) -> Vec<BiasVariance> {
    let grid: Vec<f64> = (0..201).map(|i| -1.0 + i as f64 / 100.0).collect();
    let truth: Vec<f64> = grid.iter().map(|&x| true_curve(x)).collect();
    degrees
        .iter()
        .map(|&degree| {
            // Every degree sees the same training sets and the same test noise.
            let mut rng = Rng::seed(seed);
            let (mut train_error, mut test_error) = (0.0, 0.0);
            let mut sum = vec![0.0; grid.len()];
            let mut sum_of_squares = vec![0.0; grid.len()];
            for _ in 0..resamples {
                let (x, y) = noisy_curve(n, noise, &mut rng);
                let w = qr_least_squares(&vandermonde(&x, degree), &y);
                train_error += x
                    .iter()
                    .zip(&y)
                    .map(|(&x, y)| (polynomial_value(&w, x) - y).powi(2))
                    .sum::<f64>()
                    / n as f64;
                for (i, &x) in grid.iter().enumerate() {
                    let prediction = polynomial_value(&w, x);
                    let fresh_target = truth[i] + noise * rng.normal_f64();
                    test_error +=
                        (prediction - fresh_target).powi(2) / grid.len() as f64;
                    sum[i] += prediction;
                    sum_of_squares[i] += prediction * prediction;
                }
            }
            let r = resamples as f64;
            let (mut bias_squared, mut variance) = (0.0, 0.0);
            for i in 0..grid.len() {
                let mean = sum[i] / r;
                bias_squared += (mean - truth[i]).powi(2) / grid.len() as f64;
                variance +=
                    (sum_of_squares[i] / r - mean * mean) / grid.len() as f64;
            }
            BiasVariance {
                degree,
                train_error: train_error / r,
                test_error: test_error / r,
                bias_squared,
                variance,
            }
        })
        .collect()
}
// ANCHOR_END: bias_variance

// ---------------------------------------------------------------------------------
// The library's estimators (kindling-classic)
// ---------------------------------------------------------------------------------

// ANCHOR: convention
/// The contract in a few lines: configure, fit on the training rows, score on the
/// test rows. The scaler is a step of the pipeline, so it learns its means and
/// deviations from the training rows only.
pub fn ridge_score(
    train: (&Tensor<f64>, &[f64]),
    test: (&Tensor<f64>, &[f64]),
    alpha: f64,
) -> Result<f64, ClassicError> {
    let mut model =
        Pipeline::new(Ridge::new().alpha(alpha)).step(StandardScaler::new());
    model.fit(train.0, train.1)?;
    Ok(model.score(test.0, test.1))
}
// ANCHOR_END: convention

// ANCHOR: polynomial
/// A polynomial of `degree` in one variable, fitted by least squares: polynomial
/// features (x, x², …; the model has its own intercept), then linear regression.
pub fn fit_polynomial(
    x: &[f64],
    y: &[f64],
    degree: usize,
) -> Result<Pipeline<LinearRegression>, ClassicError> {
    let x = Tensor::from_vec(x.to_vec(), [x.len(), 1]);
    let mut model = Pipeline::new(LinearRegression::new())
        .step(PolynomialFeatures::new(degree).include_bias(false));
    model.fit(&x, y)?;
    Ok(model)
}
// ANCHOR_END: polynomial

// ANCHOR: paths
/// The coefficients of the lasso, the elastic net (half L1, half L2) and ridge
/// along grids of α from strong to weak, on standardised features.
pub struct Paths {
    pub lasso: RegularisationPath,
    pub enet: RegularisationPath,
    /// Ridge's α grid (its loss is a sum, not a mean, so its α live on another
    /// scale).
    pub ridge_alphas: Vec<f64>,
    /// `[alphas, features]`.
    pub ridge_coefs: Vec<Vec<f64>>,
}

pub fn regularisation_paths(
    x: &Tensor<f64>,
    y: &[f64],
    points: usize,
) -> Result<Paths, ClassicError> {
    // From α_max, where every coefficient is 0, down to α_max / 1000.
    let lasso = lasso_path(x, y, &alpha_grid(x, y, 1.0, points, 1e-3))?;
    let enet = enet_path(x, y, 0.5, &alpha_grid(x, y, 0.5, points, 1e-3))?;
    let ridge_alphas: Vec<f64> = (0..points)
        .map(|i| 10f64.powf(5.0 - 7.0 * i as f64 / (points - 1) as f64))
        .collect();
    let ridge_coefs = ridge_alphas
        .iter()
        .map(|&alpha| {
            let mut ridge = Ridge::new().alpha(alpha);
            ridge.fit(x, y)?;
            Ok(ridge.coef().to_vec())
        })
        .collect::<Result<_, ClassicError>>()?;
    Ok(Paths { lasso, enet, ridge_alphas, ridge_coefs })
}
// ANCHOR_END: paths

/// The rows of `x` at `rows`, and the matching targets.
pub fn rows_of<T: Copy>(
    x: &Tensor<f64>,
    y: &[T],
    rows: &[usize],
) -> (Tensor<f64>, Vec<T>) {
    (take_rows(x, rows), take(y, rows))
}

// ANCHOR: classifiers
/// The three classifiers of the chapter, each behind a standard scaler fitted on
/// the training rows: accuracy on the test rows, and the seconds `fit` and
/// `predict` took.
pub fn compare_classifiers(
    train: (&Tensor<f64>, &[i64]),
    test: (&Tensor<f64>, &[i64]),
) -> Result<Vec<(&'static str, f64, f64)>, ClassicError> {
    fn run<E: Classifier>(
        model: E,
        train: (&Tensor<f64>, &[i64]),
        test: (&Tensor<f64>, &[i64]),
    ) -> Result<(f64, f64), ClassicError> {
        let mut model = Pipeline::new(model).step(StandardScaler::new());
        let start = std::time::Instant::now();
        model.fit(train.0, train.1)?;
        let accuracy = model.score(test.0, test.1);
        Ok((accuracy, start.elapsed().as_secs_f64()))
    }
    let (logistic, t1) =
        run(LogisticRegression::new().max_iter(1000), train, test)?;
    let (bayes, t2) = run(GaussianNb::new(), train, test)?;
    let (knn, t3) = run(KNeighborsClassifier::new(5), train, test)?;
    Ok(vec![
        ("logistic regression", logistic, t1),
        ("Gaussian naive Bayes", bayes, t2),
        ("k-NN, k = 5", knn, t3),
    ])
}
// ANCHOR_END: classifiers

// ANCHOR: knn_search
/// Fits k-NN with one way of finding neighbours and predicts every query: the
/// seconds it took and the predictions (which must not depend on the way).
pub fn knn_timed(
    algorithm: Algorithm,
    train: (&Tensor<f64>, &[i64]),
    queries: &Tensor<f64>,
) -> Result<(f64, Vec<i64>), ClassicError> {
    let mut model = KNeighborsClassifier::new(5).algorithm(algorithm);
    let start = std::time::Instant::now();
    model.fit(train.0, train.1)?;
    let predicted = model.predict(queries);
    Ok((start.elapsed().as_secs_f64(), predicted))
}
// ANCHOR_END: knn_search

// ANCHOR: grid_search
/// Chooses ridge's α by 5-fold cross-validation, with the scaler inside the
/// pipeline so each fold fits its own.
pub fn choose_ridge_alpha(
    x: &Tensor<f64>,
    y: &[f64],
    alphas: &[f64],
    seed: u64,
) -> Result<GridSearchResult<f64, Pipeline<Ridge>>, ClassicError> {
    let folds = k_fold(y.len(), 5, Some(seed));
    GridSearch::new(alphas.to_vec(), |&alpha| {
        Pipeline::new(Ridge::new().alpha(alpha)).step(StandardScaler::new())
    })
    .folds(folds)
    .fit(x, y)
}

/// The same for the k of k-nearest neighbours, on stratified folds.
pub fn choose_k(
    x: &Tensor<f64>,
    y: &[i64],
    ks: &[usize],
    seed: u64,
) -> Result<GridSearchResult<usize, Pipeline<KNeighborsClassifier>>, ClassicError> {
    GridSearch::new(ks.to_vec(), |&k| {
        Pipeline::new(KNeighborsClassifier::new(k)).step(StandardScaler::new())
    })
    .folds(stratified_k_fold(y, 5, seed))
    .fit(x, y)
}
// ANCHOR_END: grid_search

// ANCHOR: pipeline
/// Cross-validated accuracy of k-NN two ways: the scaler fitted once on every row
/// before the folds are cut (the leak), and the scaler inside a pipeline, refitted
/// on each fold's training rows.
pub fn scaler_outside_and_inside(
    x: &Tensor<f64>,
    y: &[i64],
    seed: u64,
) -> Result<(f64, f64), ClassicError> {
    let folds = stratified_k_fold(y, 5, seed);
    let mean = |scores: Vec<f64>| scores.iter().sum::<f64>() / scores.len() as f64;
    let mut scaler = StandardScaler::new();
    // has seen the validation rows of every fold
    let leaked = scaler.fit_transform(x)?;
    let outside =
        mean(cross_val_score(&KNeighborsClassifier::new(5), &leaked, y, &folds));
    let pipeline =
        Pipeline::new(KNeighborsClassifier::new(5)).step(StandardScaler::new());
    let inside = mean(cross_val_score(&pipeline, x, y, &folds));
    Ok((outside, inside))
}
// ANCHOR_END: pipeline
