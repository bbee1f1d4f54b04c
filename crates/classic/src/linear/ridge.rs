//! [`Ridge`]: least squares with an L2 penalty, `min ‖y − Xw − b‖² + α‖w‖²`, in closed form.
//!
//! The minimiser solves `(XᵀX + αI) w = Xᵀy` (on centred data, so the intercept is not
//! penalised). For α > 0 the matrix is symmetric positive definite, so Cholesky solves it.
//! With more features than samples the `p × p` system is wasteful: the same `w` is
//! `Xᵀ (XXᵀ + αI)⁻¹ y` (push-through identity), an `n × n` system instead. scikit-learn's
//! `Ridge(solver="cholesky")` makes the same choice.

use super::{
    centre, check_finite, check_fit_shapes, check_non_negative, cholesky_or_singular, read_meta, targets_of, LinearFit,
};
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::linalg;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// Ridge regression (scikit-learn's `Ridge`).
///
/// ```
/// use kindling_classic::linear::Ridge;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// // One feature with Σ(x − x̄)² = 2: the slope 2 shrinks to 2·2/(2 + α).
/// let x = Tensor::from_vec(vec![-1.0, 0.0, 1.0], [3, 1]);
/// let y = [-2.0, 0.0, 2.0];
/// let mut model = Ridge::new().alpha(2.0);
/// model.fit(&x, &y).unwrap();
/// assert!((model.coef().get(&[0]) - 1.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct Ridge {
    alpha: f64,
    fit_intercept: bool,
    fit: Option<LinearFit>,
}

impl Default for Ridge {
    fn default() -> Self {
        Ridge::new()
    }
}

impl Ridge {
    /// `alpha` = 1, with an intercept (scikit-learn's defaults).
    pub fn new() -> Self {
        Ridge { alpha: 1.0, fit_intercept: true, fit: None }
    }

    /// The penalty α ≥ 0 (0 is least squares, solvable only for a full-rank `X`).
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Whether to fit an (unpenalised) intercept.
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    fn fitted(&self, what: &str) -> &LinearFit {
        self.fit.as_ref().unwrap_or_else(|| panic!("Ridge::{what}: the model is not fitted; call fit first"))
    }

    /// `[features]` after a one-target fit, `[targets, features]` after [`Self::fit_multi`].
    pub fn coef(&self) -> Tensor<f64> {
        self.fitted("coef").coef()
    }

    /// The intercept of a one-target fit.
    pub fn intercept(&self) -> f64 {
        self.fitted("intercept").intercept("Ridge")
    }

    /// One intercept per target.
    pub fn intercepts(&self) -> &[f64] {
        &self.fitted("intercepts").intercept
    }

    /// Fits every column of `y` (`[samples, targets]`, or `[samples]`) with the same α.
    pub fn fit_multi(&mut self, x: &Tensor<f64>, y: &Tensor<f64>) -> Result<(), ClassicError> {
        let (values, targets, single) = targets_of("Ridge::fit", y);
        self.fit_targets(x, &values, targets, single)
    }

    /// `[samples, targets]` predictions.
    pub fn predict_multi(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.fitted("predict_multi").predict_all("Ridge::predict", x)
    }

    fn fit_targets(&mut self, x: &Tensor<f64>, y: &[f64], k: usize, single: bool) -> Result<(), ClassicError> {
        let name = "Ridge";
        let (n, p) = check_fit_shapes("Ridge::fit", x, y.len() / k);
        let values = x.to_vec();
        check_finite(name, &values, p, y)?;
        check_non_negative(name, "alpha", self.alpha)?;
        let (xc, x_mean) = centre(&values, n, p, self.fit_intercept);
        let (yc, y_mean) = centre(y, n, k, self.fit_intercept);
        let a = Tensor::from_vec(xc, [n, p]);
        let b = Tensor::from_vec(yc, [n, k]);
        let singular = || {
            ClassicError::data(
                name,
                "XᵀX + αI is singular to working precision (α is 0 or tiny and the features are linearly \
                 dependent); use alpha > 0, or LinearRegression for the minimum-norm least-squares fit",
            )
        };
        let add_diagonal = |m: Tensor<f64>, size: usize| {
            let mut m = m.contiguous();
            let values = m.make_mut();
            (0..size).for_each(|i| values[i * size + i] += self.alpha);
            m
        };
        let solution = if n >= p {
            let l = cholesky_or_singular(&add_diagonal(a.t().matmul(&a), p)).ok_or_else(singular)?;
            linalg::cholesky_solve(&l, &a.t().matmul(&b))
        } else {
            let l = cholesky_or_singular(&add_diagonal(a.matmul(&a.t()), n)).ok_or_else(singular)?;
            a.t().matmul(&linalg::cholesky_solve(&l, &b))
        };
        let w = solution.t().to_vec();
        self.fit = Some(LinearFit::from_centred(w, k, &x_mean, &y_mean, single));
        Ok(())
    }
}

impl Supervised for Ridge {
    type Target = f64;

    fn name(&self) -> &'static str {
        "Ridge"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        check_fit_shapes("Ridge::fit", x, y.len());
        self.fit_targets(x, y, 1, true)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        self.fitted("predict").predict("Ridge::predict", x)
    }
}

impl Regressor for Ridge {}

impl Persist for Ridge {
    const KIND: &'static str = "Ridge";

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.fitted("to_state").write(&mut state);
        state.set_metadata("alpha", self.alpha.to_string());
        state.set_metadata("fit_intercept", self.fit_intercept.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let mut model =
            Ridge::new().alpha(read_meta(state, "alpha")?).fit_intercept(read_meta(state, "fit_intercept")?);
        model.fit = Some(LinearFit::read(state)?);
        Ok(model)
    }
}
