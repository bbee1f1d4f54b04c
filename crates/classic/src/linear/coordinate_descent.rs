//! [`Lasso`] and [`ElasticNet`] by cyclic coordinate descent, and their regularisation paths.
//!
//! The objective is scikit-learn's,
//! `(1/2n)‖y − Xw − b‖² + α·ρ‖w‖₁ + ½α(1 − ρ)‖w‖²` with `ρ` = `l1_ratio`, multiplied through
//! by `n` so that one coordinate step is a soft threshold:
//! `w_j ← S(X_jᵀr + w_j‖X_j‖², nαρ) / (‖X_j‖² + nα(1 − ρ))`, with `r` the running residual.
//! Sweeps stop on the duality gap: once the largest coordinate change is below `tol` times the
//! largest coefficient, the gap between the primal objective and a dual-feasible point built
//! from the residual is computed, and descent ends when it is below `tol·‖y‖²` (Friedman,
//! Hastie and Tibshirani 2010; the gap as in Fercoq, Gramfort and Salmon 2015).

use super::{centre, check_finite, check_fit_shapes, check_non_negative, read_meta, LinearFit};
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// What one coordinate-descent solve reports.
#[derive(Clone, Copy, Debug)]
struct CdOutcome {
    gap: f64,
    iterations: usize,
}

/// The problem in the scaled form the sweeps use: `½‖y − Xw‖² + l1‖w‖₁ + ½l2‖w‖²`, with `X`
/// stored column by column (`columns[j*n..(j+1)*n]` is feature `j`) so each step reads one
/// contiguous column.
struct CdProblem<'a> {
    columns: &'a [f64],
    y: &'a [f64],
    n: usize,
    p: usize,
}

/// Σ aᵢbᵢ with four running sums, so the compiler can keep them in SIMD lanes (one sum would
/// force a strict order and a scalar loop): the inner loop of every coordinate step.
fn dot(a: &[f64], b: &[f64]) -> f64 {
    let (a4, b4) = (a.chunks_exact(4), b.chunks_exact(4));
    let tail: f64 = a4.remainder().iter().zip(b4.remainder()).map(|(x, y)| x * y).sum();
    let mut sums = [0.0; 4];
    for (x, y) in a4.zip(b4) {
        (0..4).for_each(|i| sums[i] += x[i] * y[i]);
    }
    (sums[0] + sums[2]) + (sums[1] + sums[3]) + tail
}

impl CdProblem<'_> {
    fn column(&self, j: usize) -> &[f64] {
        &self.columns[j * self.n..(j + 1) * self.n]
    }

    /// The duality gap at `w` with residual `r = y − Xw`.
    fn gap(&self, w: &[f64], r: &[f64], l1: f64, l2: f64) -> f64 {
        let r2 = dot(r, r);
        let ry = dot(r, self.y);
        let w2 = dot(w, w);
        // Xᵀr − l2·w: the gradient of the smooth part, whose largest entry decides how far
        // the residual must be shrunk to be dual feasible.
        let xtr: Vec<f64> = (0..self.p).map(|j| dot(self.column(j), r) - l2 * w[j]).collect();
        if l1 == 0.0 {
            let xtr2 = dot(&xtr, &xtr);
            if l2 == 0.0 {
                return xtr2; // plain least squares: the first-order condition
            }
            // Ridge: the dual needs no feasibility scaling.
            let xtr_plain: Vec<f64> = (0..self.p).map(|j| dot(self.column(j), r)).collect();
            return r2 + 0.5 * l2 * w2 - ry + dot(&xtr_plain, &xtr_plain) / (2.0 * l2);
        }
        let dual_norm = xtr.iter().fold(0.0f64, |m, v| m.max(v.abs()));
        let w1: f64 = w.iter().map(|v| v.abs()).sum();
        let primal = 0.5 * (r2 + l2 * w2) + l1 * w1;
        let scale = if dual_norm > l1 { l1 / dual_norm } else { 1.0 };
        let dual = -0.5 * scale * scale * (r2 + l2 * w2) + scale * ry;
        primal - dual
    }

    /// Runs sweeps from `w` (a warm start) until the gap is below `tol·‖y‖²` or `max_iter`
    /// sweeps are spent.
    fn solve(&self, w: &mut [f64], l1: f64, l2: f64, max_iter: usize, tol: f64) -> CdOutcome {
        let norms: Vec<f64> = (0..self.p).map(|j| dot(self.column(j), self.column(j))).collect();
        let mut r = self.y.to_vec();
        for (j, &wj) in w.iter().enumerate() {
            if wj != 0.0 {
                r.iter_mut().zip(self.column(j)).for_each(|(ri, x)| *ri -= wj * x);
            }
        }
        let gap_tol = tol * dot(self.y, self.y);
        let mut gap = self.gap(w, &r, l1, l2);
        if gap <= gap_tol {
            return CdOutcome { gap, iterations: 0 };
        }
        for sweep in 0..max_iter {
            let (mut w_max, mut dw_max) = (0.0f64, 0.0f64);
            for j in 0..self.p {
                if norms[j] == 0.0 {
                    continue;
                }
                let old = w[j];
                let col = self.column(j);
                let rho = dot(col, &r) + old * norms[j];
                let new = rho.signum() * (rho.abs() - l1).max(0.0) / (norms[j] + l2);
                if new != old {
                    let step = old - new;
                    r.iter_mut().zip(col).for_each(|(ri, x)| *ri += step * x);
                }
                w[j] = new;
                dw_max = dw_max.max((new - old).abs());
                w_max = w_max.max(new.abs());
            }
            // The gap costs a full Xᵀr; compute it only once the steps have become small.
            if w_max == 0.0 || dw_max / w_max <= tol || sweep + 1 == max_iter {
                gap = self.gap(w, &r, l1, l2);
                if gap <= gap_tol {
                    return CdOutcome { gap, iterations: sweep + 1 };
                }
            }
        }
        CdOutcome { gap, iterations: max_iter }
    }
}

/// Coefficients along a grid of penalties, largest first: `coefs` is `[alphas, features]`,
/// row `i` fitted at `alphas[i]`, each solve warm-started from the previous one.
#[derive(Clone, Debug)]
pub struct RegularisationPath {
    /// The penalties, in decreasing order.
    pub alphas: Vec<f64>,
    /// `[alphas, features]`.
    pub coefs: Tensor<f64>,
    /// One intercept per penalty (zeros without `fit_intercept`).
    pub intercepts: Vec<f64>,
    /// The duality gap each solve ended with.
    pub dual_gaps: Vec<f64>,
    /// Sweeps spent on each penalty.
    pub iterations: Vec<usize>,
}

/// Elastic net: least squares with both an L1 and an L2 penalty (scikit-learn's
/// `ElasticNet`). `l1_ratio` = 1 is the lasso, 0 is ridge (with the `1/2n` scaling).
///
/// ```
/// use kindling_classic::linear::ElasticNet;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![1.0, 0.0, 2.0, 1.0, 3.0, 0.0, 4.0, 1.0], [4, 2]);
/// let y = [2.0, 4.5, 6.0, 8.5];
/// let mut model = ElasticNet::new().alpha(0.01).l1_ratio(0.5);
/// model.fit(&x, &y).unwrap();
/// assert!((model.coef().get(&[0]) - 2.0).abs() < 0.05);
/// assert!(model.score(&x, &y) > 0.99);
/// ```
#[derive(Clone, Debug)]
pub struct ElasticNet {
    name: &'static str,
    alpha: f64,
    l1_ratio: f64,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    warm_start: bool,
    fit: Option<LinearFit>,
    dual_gap: f64,
    iterations: usize,
}

impl Default for ElasticNet {
    fn default() -> Self {
        ElasticNet::new()
    }
}

impl ElasticNet {
    /// `alpha` = 1, `l1_ratio` = 0.5, `max_iter` = 1000, `tol` = 1e-4, with an intercept
    /// (scikit-learn's defaults).
    pub fn new() -> Self {
        ElasticNet {
            name: "ElasticNet",
            alpha: 1.0,
            l1_ratio: 0.5,
            fit_intercept: true,
            max_iter: 1000,
            tol: 1e-4,
            warm_start: false,
            fit: None,
            dual_gap: f64::NAN,
            iterations: 0,
        }
    }

    /// The overall penalty strength α ≥ 0.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// The L1 share ρ of the penalty, in [0, 1].
    pub fn l1_ratio(mut self, l1_ratio: f64) -> Self {
        self.l1_ratio = l1_ratio;
        self
    }

    /// Whether to fit an (unpenalised) intercept; `false` fits through the origin.
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    /// The most sweeps over the coordinates.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Stop once the duality gap is below `tol·‖y − ȳ‖²`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Start the next `fit` from the current coefficients instead of zeros.
    pub fn warm_start(mut self, on: bool) -> Self {
        self.warm_start = on;
        self
    }

    fn fitted(&self, what: &str) -> &LinearFit {
        self.fit.as_ref().unwrap_or_else(|| panic!("{}::{what}: the model is not fitted; call fit first", self.name))
    }

    /// The coefficients, `[features]`. Panics before `fit`.
    pub fn coef(&self) -> Tensor<f64> {
        self.fitted("coef").coef()
    }

    /// The intercept. Panics before `fit`.
    pub fn intercept(&self) -> f64 {
        self.fitted("intercept").intercept(self.name)
    }

    /// The duality gap the last `fit` ended with, divided by `n` (the objective's scale), as
    /// scikit-learn's `dual_gap_`.
    pub fn dual_gap(&self) -> f64 {
        self.dual_gap
    }

    /// Sweeps the last `fit` spent; equal to `max_iter` when it did not converge.
    pub fn n_iter(&self) -> usize {
        self.iterations
    }

    fn check_params(&self) -> Result<(), ClassicError> {
        check_non_negative(self.name, "alpha", self.alpha)?;
        if !(0.0..=1.0).contains(&self.l1_ratio) {
            return Err(ClassicError::param(
                self.name,
                "l1_ratio",
                format!("must be in [0, 1], got {}", self.l1_ratio),
            ));
        }
        check_non_negative(self.name, "tol", self.tol)
    }

    /// Checks the data and lays it out for the sweeps: centred columns, centred y, means.
    fn prepare(&self, op: &str, x: &Tensor<f64>, y: &[f64]) -> Result<Prepared, ClassicError> {
        let (n, p) = check_fit_shapes(op, x, y.len());
        let values = x.to_vec();
        check_finite(self.name, &values, p, y)?;
        self.check_params()?;
        let (xc, x_mean) = centre(&values, n, p, self.fit_intercept);
        let mut columns = vec![0.0; n * p];
        for (i, row) in xc.chunks_exact(p).enumerate() {
            row.iter().enumerate().for_each(|(j, v)| columns[j * n + i] = *v);
        }
        let y_mean = if self.fit_intercept { y.iter().sum::<f64>() / n as f64 } else { 0.0 };
        let yc = y.iter().map(|v| v - y_mean).collect();
        Ok(Prepared { columns, y: yc, x_mean, y_mean, n, p })
    }

    fn solve_one(&self, data: &Prepared, alpha: f64, w: &mut [f64]) -> CdOutcome {
        let problem = CdProblem { columns: &data.columns, y: &data.y, n: data.n, p: data.p };
        let scale = data.n as f64;
        problem.solve(w, alpha * self.l1_ratio * scale, alpha * (1.0 - self.l1_ratio) * scale, self.max_iter, self.tol)
    }

    /// Fits at every penalty in `alphas` (sorted to decreasing), each from the previous
    /// solution, with this model's `l1_ratio`, `tol`, `max_iter` and `fit_intercept`; the
    /// model itself is not changed. What the regularisation-path plot of chapter 16 draws.
    pub fn path(&self, x: &Tensor<f64>, y: &[f64], alphas: &[f64]) -> Result<RegularisationPath, ClassicError> {
        let op = if self.name == "Lasso" { "lasso_path" } else { "enet_path" };
        let data = self.prepare(op, x, y)?;
        let mut sorted = alphas.to_vec();
        for &a in &sorted {
            check_non_negative(self.name, "alpha", a)?;
        }
        sorted.sort_by(|a, b| b.total_cmp(a));
        let mut w = vec![0.0; data.p];
        let (mut coefs, mut intercepts, mut dual_gaps, mut iterations) =
            (Vec::new(), Vec::new(), Vec::new(), Vec::new());
        for &alpha in &sorted {
            let outcome = self.solve_one(&data, alpha, &mut w);
            coefs.extend_from_slice(&w);
            intercepts.push(data.y_mean - w.iter().zip(&data.x_mean).map(|(a, b)| a * b).sum::<f64>());
            dual_gaps.push(outcome.gap / data.n as f64);
            iterations.push(outcome.iterations);
        }
        let coefs = Tensor::from_vec(coefs, [sorted.len(), data.p]);
        Ok(RegularisationPath { alphas: sorted, coefs, intercepts, dual_gaps, iterations })
    }

    fn to_state_inner(&self) -> StateDict {
        let mut state = StateDict::new();
        self.fitted("to_state").write(&mut state);
        state.set_metadata("alpha", self.alpha.to_string());
        state.set_metadata("l1_ratio", self.l1_ratio.to_string());
        state.set_metadata("fit_intercept", self.fit_intercept.to_string());
        state.set_metadata("max_iter", self.max_iter.to_string());
        state.set_metadata("tol", self.tol.to_string());
        state
    }

    fn from_state_inner(name: &'static str, state: &StateDict) -> Result<Self, String> {
        let mut model = ElasticNet::new()
            .alpha(read_meta(state, "alpha")?)
            .l1_ratio(read_meta(state, "l1_ratio")?)
            .fit_intercept(read_meta(state, "fit_intercept")?)
            .max_iter(read_meta(state, "max_iter")?)
            .tol(read_meta(state, "tol")?);
        model.name = name;
        model.fit = Some(LinearFit::read(state)?);
        Ok(model)
    }
}

struct Prepared {
    columns: Vec<f64>,
    y: Vec<f64>,
    x_mean: Vec<f64>,
    y_mean: f64,
    n: usize,
    p: usize,
}

impl Supervised for ElasticNet {
    type Target = f64;

    fn name(&self) -> &'static str {
        self.name
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        let op = if self.name == "Lasso" { "Lasso::fit" } else { "ElasticNet::fit" };
        let data = self.prepare(op, x, y)?;
        let mut w = match &self.fit {
            Some(fit) if self.warm_start && fit.features() == data.p => fit.coef.to_vec(),
            _ => vec![0.0; data.p],
        };
        let outcome = self.solve_one(&data, self.alpha, &mut w);
        self.dual_gap = outcome.gap / data.n as f64;
        self.iterations = outcome.iterations;
        self.fit = Some(LinearFit::from_centred(w, 1, &data.x_mean, &[data.y_mean], true));
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let op = if self.name == "Lasso" { "Lasso::predict" } else { "ElasticNet::predict" };
        self.fitted("predict").predict(op, x)
    }
}

impl Regressor for ElasticNet {}

impl Persist for ElasticNet {
    const KIND: &'static str = "ElasticNet";

    fn to_state(&self) -> StateDict {
        self.to_state_inner()
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        ElasticNet::from_state_inner("ElasticNet", state)
    }
}

/// The lasso: least squares with an L1 penalty, `(1/2n)‖y − Xw − b‖² + α‖w‖₁`, which sets
/// coefficients exactly to zero as α grows (scikit-learn's `Lasso`). An [`ElasticNet`] with
/// `l1_ratio` = 1.
///
/// ```
/// use kindling_classic::linear::Lasso;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// // y depends on the first feature only; the lasso zeroes the second.
/// let x = Tensor::from_vec(vec![1.0, 0.3, 2.0, -0.1, 3.0, 0.2, 4.0, -0.4], [4, 2]);
/// let y = [2.0, 4.0, 6.0, 8.0];
/// let mut model = Lasso::new().alpha(0.1);
/// model.fit(&x, &y).unwrap();
/// assert_eq!(model.coef().get(&[1]), 0.0);
/// assert!(model.coef().get(&[0]) > 1.8);
/// ```
#[derive(Clone, Debug)]
pub struct Lasso {
    inner: ElasticNet,
}

impl Default for Lasso {
    fn default() -> Self {
        Lasso::new()
    }
}

impl Lasso {
    /// `alpha` = 1, `max_iter` = 1000, `tol` = 1e-4, with an intercept (scikit-learn's defaults).
    pub fn new() -> Self {
        let mut inner = ElasticNet::new().l1_ratio(1.0);
        inner.name = "Lasso";
        Lasso { inner }
    }

    /// The penalty strength α ≥ 0.
    pub fn alpha(self, alpha: f64) -> Self {
        Lasso { inner: self.inner.alpha(alpha) }
    }

    /// Whether to fit an (unpenalised) intercept.
    pub fn fit_intercept(self, on: bool) -> Self {
        Lasso { inner: self.inner.fit_intercept(on) }
    }

    /// The most sweeps over the coordinates.
    pub fn max_iter(self, max_iter: usize) -> Self {
        Lasso { inner: self.inner.max_iter(max_iter) }
    }

    /// Stop once the duality gap is below `tol·‖y − ȳ‖²`.
    pub fn tol(self, tol: f64) -> Self {
        Lasso { inner: self.inner.tol(tol) }
    }

    /// Start the next `fit` from the current coefficients.
    pub fn warm_start(self, on: bool) -> Self {
        Lasso { inner: self.inner.warm_start(on) }
    }

    /// The coefficients, `[features]`. Panics before `fit`.
    pub fn coef(&self) -> Tensor<f64> {
        self.inner.coef()
    }

    /// The intercept. Panics before `fit`.
    pub fn intercept(&self) -> f64 {
        self.inner.intercept()
    }

    /// The duality gap the last `fit` ended with.
    pub fn dual_gap(&self) -> f64 {
        self.inner.dual_gap()
    }

    /// Sweeps the last `fit` spent.
    pub fn n_iter(&self) -> usize {
        self.inner.n_iter()
    }

    /// [`ElasticNet::path`] for the lasso.
    pub fn path(&self, x: &Tensor<f64>, y: &[f64], alphas: &[f64]) -> Result<RegularisationPath, ClassicError> {
        self.inner.path(x, y, alphas)
    }
}

impl Supervised for Lasso {
    type Target = f64;

    fn name(&self) -> &'static str {
        "Lasso"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        self.inner.fit(x, y)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        self.inner.predict(x)
    }
}

impl Regressor for Lasso {}

impl Persist for Lasso {
    const KIND: &'static str = "Lasso";

    fn to_state(&self) -> StateDict {
        self.inner.to_state_inner()
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        Ok(Lasso { inner: ElasticNet::from_state_inner("Lasso", state)? })
    }
}

/// The lasso at each penalty in `alphas` (decreasing), warm-started along the way, with an
/// intercept and scikit-learn's default `tol` and `max_iter`. Unlike scikit-learn's
/// `lasso_path`, `x` and `y` are centred first, so row `i` equals `Lasso::new().alpha(a_i)`'s
/// coefficients.
pub fn lasso_path(x: &Tensor<f64>, y: &[f64], alphas: &[f64]) -> Result<RegularisationPath, ClassicError> {
    Lasso::new().path(x, y, alphas)
}

/// [`lasso_path`] for the elastic net with L1 share `l1_ratio`.
pub fn enet_path(
    x: &Tensor<f64>,
    y: &[f64],
    l1_ratio: f64,
    alphas: &[f64],
) -> Result<RegularisationPath, ClassicError> {
    ElasticNet::new().l1_ratio(l1_ratio).path(x, y, alphas)
}

/// scikit-learn's default grid: `count` penalties spaced evenly in log scale from the
/// smallest α that zeroes every coefficient, `max|X̃ᵀỹ| / (n·l1_ratio)` (centred data), down
/// to `eps` times it, largest first.
pub fn alpha_grid(x: &Tensor<f64>, y: &[f64], l1_ratio: f64, count: usize, eps: f64) -> Vec<f64> {
    let (n, p) = check_fit_shapes("alpha_grid", x, y.len());
    assert!(l1_ratio > 0.0, "alpha_grid: l1_ratio must be > 0 (a pure ridge path has no largest useful alpha)");
    let (xc, _) = centre(&x.to_vec(), n, p, true);
    let y_mean = y.iter().sum::<f64>() / n as f64;
    let mut xty = vec![0.0; p];
    for (row, yi) in xc.chunks_exact(p).zip(y) {
        row.iter().zip(xty.iter_mut()).for_each(|(v, acc)| *acc += v * (yi - y_mean));
    }
    let alpha_max = xty.iter().fold(0.0f64, |m, v| m.max(v.abs())) / (n as f64 * l1_ratio);
    if count <= 1 {
        return vec![alpha_max; count];
    }
    let (hi, lo) = (alpha_max.log10(), (alpha_max * eps).log10());
    (0..count).map(|i| 10f64.powf(hi + (lo - hi) * i as f64 / (count - 1) as f64)).collect()
}
