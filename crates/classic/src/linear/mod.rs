//! Linear models: least squares, ridge, lasso and elastic net for real targets, logistic
//! regression for classes.
//!
//! | model                  | objective (n samples)                                          | solver |
//! |------------------------|----------------------------------------------------------------|--------|
//! | [`LinearRegression`]   | ‖y − Xw − b‖²                                                   | QR least squares (or SVD, or the normal equation) |
//! | [`Ridge`]              | ‖y − Xw − b‖² + α‖w‖²                                           | Cholesky of XᵀX + αI (or XXᵀ + αI when wide) |
//! | [`Lasso`]              | (1/2n)‖y − Xw − b‖² + α‖w‖₁                                     | cyclic coordinate descent |
//! | [`ElasticNet`]         | (1/2n)‖y − Xw − b‖² + α·ρ‖w‖₁ + ½α(1 − ρ)‖w‖²                   | cyclic coordinate descent |
//! | [`LogisticRegression`] | C·Σ log-loss + ½‖W‖² (L2) or C·Σ log-loss + ‖W‖₁ (L1)           | L-BFGS (L2), OWL-QN (L1) |
//!
//! The objectives are scikit-learn's, so its coefficients are the reference in the tests. The
//! intercept is never penalised: with `fit_intercept(true)` (the default) the regressors centre
//! `x` and `y`, solve for `w` without an intercept, and recover `b = ȳ − x̄·w`, as scikit-learn
//! does. The book's chapter 16 ("Classic machine learning") walks through each of them.

mod coordinate_descent;
mod lbfgs;
mod logistic;
mod ols;
mod ridge;
mod perceptron;

pub use coordinate_descent::{alpha_grid, enet_path, lasso_path, ElasticNet, Lasso, RegularisationPath};
pub use logistic::{LogisticRegression, Penalty};
pub use ols::{LinearRegression, LstsqSolver};
pub use perceptron::Perceptron;
pub use ridge::Ridge;

use crate::ClassicError;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// `(rows, columns)` of a 2-D `x`; panics with the estimator's name otherwise.
pub(crate) fn rows_cols(op: &str, x: &Tensor<f64>) -> (usize, usize) {
    match x.shape() {
        [n, p] => (*n, *p),
        s => panic!("{op}: x must be 2-D [samples, features], got shape {s:?}"),
    }
}

/// Panics unless `x` has `y_len` rows and at least one.
pub(crate) fn check_fit_shapes(op: &str, x: &Tensor<f64>, y_len: usize) -> (usize, usize) {
    let (n, p) = rows_cols(op, x);
    if n != y_len {
        panic!("{op}: x has {n} rows but y has {y_len} values");
    }
    if n == 0 || p == 0 {
        panic!("{op}: x is empty (shape [{n}, {p}])");
    }
    (n, p)
}

/// `Err` naming the first NaN or infinity in `x` (row-major, `p` columns) or in `y`.
pub(crate) fn check_finite(name: &'static str, x: &[f64], p: usize, y: &[f64]) -> Result<(), ClassicError> {
    if let Some(i) = x.iter().position(|v| !v.is_finite()) {
        return Err(ClassicError::data(
            name,
            format!(
                "x holds {} at row {}, column {}; impute or drop missing values before fitting",
                x[i],
                i / p,
                i % p
            ),
        ));
    }
    if let Some(i) = y.iter().position(|v| !v.is_finite()) {
        return Err(ClassicError::data(name, format!("y holds {} at row {i}; drop that sample or impute it", y[i])));
    }
    Ok(())
}

/// `Err` unless `value` is finite and at least zero.
pub(crate) fn check_non_negative(name: &'static str, param: &'static str, value: f64) -> Result<(), ClassicError> {
    if value.is_finite() && value >= 0.0 {
        Ok(())
    } else {
        Err(ClassicError::param(name, param, format!("must be a finite number ≥ 0, got {value}")))
    }
}

/// Column means of a row-major `n × p` matrix.
pub(crate) fn column_means(x: &[f64], n: usize, p: usize) -> Vec<f64> {
    let mut mean = vec![0.0; p];
    for row in x.chunks_exact(p) {
        mean.iter_mut().zip(row).for_each(|(m, v)| *m += v);
    }
    mean.iter_mut().for_each(|m| *m /= n as f64);
    mean
}

/// A row-major matrix with its column means subtracted (when `centre`), and those means
/// (zeros otherwise): how every regressor here handles the intercept.
pub(crate) fn centre(x: &[f64], n: usize, p: usize, centre: bool) -> (Vec<f64>, Vec<f64>) {
    if !centre {
        return (x.to_vec(), vec![0.0; p]);
    }
    let mean = column_means(x, n, p);
    let mut out = x.to_vec();
    out.chunks_exact_mut(p).for_each(|row| row.iter_mut().zip(&mean).for_each(|(v, m)| *v -= m));
    (out, mean)
}

/// The learned state every linear regressor shares: `coef` is `[targets, features]`,
/// `intercept` one value per target, `single` whether `y` was one column (then `coef()` is
/// `[features]`, as in scikit-learn).
#[derive(Clone, Debug)]
pub(crate) struct LinearFit {
    pub(crate) coef: Tensor<f64>,
    pub(crate) intercept: Vec<f64>,
    pub(crate) single: bool,
}

impl LinearFit {
    /// From coefficients `w` (`[targets, features]`, row-major) found on centred data with the
    /// given column means of `x` and `y`: `b = ȳ − x̄·w`.
    pub(crate) fn from_centred(w: Vec<f64>, targets: usize, x_mean: &[f64], y_mean: &[f64], single: bool) -> Self {
        let p = x_mean.len();
        let intercept = (0..targets)
            .map(|t| y_mean[t] - w[t * p..(t + 1) * p].iter().zip(x_mean).map(|(a, b)| a * b).sum::<f64>())
            .collect();
        LinearFit { coef: Tensor::from_vec(w, [targets, p]), intercept, single }
    }

    pub(crate) fn features(&self) -> usize {
        self.coef.shape()[1]
    }

    /// `[features]` for one target, `[targets, features]` for several.
    pub(crate) fn coef(&self) -> Tensor<f64> {
        if self.single {
            self.coef.reshape([self.features() as isize])
        } else {
            self.coef.clone()
        }
    }

    pub(crate) fn intercept(&self, name: &str) -> f64 {
        if !self.single {
            panic!("{name}::intercept: the model was fitted to {} targets; use intercepts()", self.intercept.len());
        }
        self.intercept[0]
    }

    /// `x · coefᵀ + intercept`, `[samples, targets]`, through the GEMM.
    pub(crate) fn predict_all(&self, op: &str, x: &Tensor<f64>) -> Tensor<f64> {
        let (_, p) = rows_cols(op, x);
        if p != self.features() {
            panic!("{op}: the model was fitted on {} features, x has {p}", self.features());
        }
        let mut out = x.matmul(&self.coef.t()).contiguous();
        let k = self.intercept.len();
        out.make_mut()
            .chunks_exact_mut(k)
            .for_each(|row| row.iter_mut().zip(&self.intercept).for_each(|(v, b)| *v += b));
        out
    }

    /// One prediction per row (single-target models).
    pub(crate) fn predict(&self, op: &str, x: &Tensor<f64>) -> Vec<f64> {
        if !self.single {
            panic!("{op}: the model was fitted to {} targets; use predict_multi", self.intercept.len());
        }
        self.predict_all(op, x).to_vec()
    }

    pub(crate) fn write(&self, state: &mut StateDict) {
        state.insert("coef", self.coef.clone());
        state.insert("intercept", Tensor::from_vec(self.intercept.clone(), [self.intercept.len()]));
        state.set_metadata("single_target", self.single.to_string());
    }

    pub(crate) fn read(state: &StateDict) -> Result<Self, String> {
        let coef = state.get("coef").ok_or("no \"coef\" tensor")?.cast::<f64>();
        let intercept = state.get("intercept").ok_or("no \"intercept\" tensor")?.cast::<f64>().to_vec();
        if coef.rank() != 2 || coef.shape()[0] != intercept.len() {
            return Err(format!("coef {:?} does not match {} intercepts", coef.shape(), intercept.len()));
        }
        let single = read_meta(state, "single_target")?;
        Ok(LinearFit { coef, intercept, single })
    }
}

/// The Cholesky factor of a symmetric positive semi-definite `gram`, or `None` when it is
/// singular to working precision: Cholesky itself only fails on a pivot ≤ 0, but rounding
/// usually leaves an exactly singular `XᵀX` a tiny positive pivot, and solving with it gives
/// garbage, so a pivot² below `ε·size·max diagonal` also counts as singular.
pub(crate) fn cholesky_or_singular(gram: &Tensor<f64>) -> Option<Tensor<f64>> {
    let size = gram.shape()[0];
    let l = kindling_tensor::linalg::cholesky(gram).ok()?;
    let largest = (0..size).map(|i| gram.get(&[i, i])).fold(0.0f64, f64::max);
    let smallest_pivot = (0..size).map(|i| l.get(&[i, i]).powi(2)).fold(f64::INFINITY, f64::min);
    (largest > 0.0 && smallest_pivot > f64::EPSILON * size as f64 * largest).then_some(l)
}

/// A hyperparameter saved as metadata, parsed back.
pub(crate) fn read_meta<V: std::str::FromStr>(state: &StateDict, key: &str) -> Result<V, String> {
    let text = state.metadata().get(key).ok_or_else(|| format!("no {key:?} in the metadata"))?;
    text.parse().map_err(|_| format!("{key:?} = {text:?} is not valid"))
}

/// `y` given as `[samples]` or `[samples, targets]`: its values row-major, the number of
/// targets and whether it was one column.
pub(crate) fn targets_of(op: &str, y: &Tensor<f64>) -> (Vec<f64>, usize, bool) {
    match y.shape() {
        [_] => (y.to_vec(), 1, true),
        [_, k] => (y.to_vec(), *k, false),
        s => panic!("{op}: y must be [samples] or [samples, targets], got shape {s:?}"),
    }
}
