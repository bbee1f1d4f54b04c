//! [`LinearRegression`]: ordinary least squares, `min ‖y − Xw − b‖²`.
//!
//! Three ways to solve it, kept side by side because the book compares them:
//! - Householder QR (the default): `X = QR`, then `R w = Qᵀy` by back substitution. It works
//!   on `X` itself, so the error grows with `cond(X)`, not its square. When `R` has a
//!   negligible diagonal entry (`X` is rank deficient) or `X` is wider than tall, the answer is
//!   not unique and the solver hands over to [`linalg::lstsq()`] for the minimum-norm one,
//!   which is what scikit-learn returns.
//! - SVD ([`linalg::svd()`]): the minimum-norm
//!   least-squares solution, singular values below `ε·max(n, p)·σ_max` counted as zero.
//! - The normal equation `XᵀX w = Xᵀy` by Cholesky: the textbook formula, fast, but forming
//!   `XᵀX` squares the condition number, so an ill-conditioned design (high-degree polynomial
//!   features) loses twice the digits; and a rank-deficient `X` makes it fail outright.

use super::{centre, check_finite, check_fit_shapes, cholesky_or_singular, read_meta, targets_of, LinearFit};
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::linalg;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// How [`LinearRegression`] solves the least-squares problem.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LstsqSolver {
    /// Householder QR and back substitution; [`linalg::lstsq()`]'s minimum-norm solution when
    /// `X` is rank deficient. The default.
    Qr,
    /// The SVD's minimum-norm least-squares solution (one-sided Jacobi).
    Svd,
    /// The normal equation `XᵀX w = Xᵀy` by Cholesky: squares the condition number; errors
    /// on a rank-deficient `X`.
    NormalEquation,
}

impl LstsqSolver {
    fn as_str(self) -> &'static str {
        match self {
            LstsqSolver::Qr => "qr",
            LstsqSolver::Svd => "svd",
            LstsqSolver::NormalEquation => "normal_equation",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "qr" => Ok(LstsqSolver::Qr),
            "svd" => Ok(LstsqSolver::Svd),
            "normal_equation" => Ok(LstsqSolver::NormalEquation),
            other => Err(format!("unknown solver {other:?}")),
        }
    }
}

/// Ordinary least squares (scikit-learn's `LinearRegression`).
///
/// ```
/// use kindling_classic::linear::LinearRegression;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// // y = 2·x₀ − x₁ + 3, exactly.
/// let x = Tensor::from_vec(vec![0.0, 1.0, 1.0, 0.0, 2.0, 2.0, 3.0, 1.0], [4, 2]);
/// let y = [2.0, 5.0, 5.0, 8.0];
/// let mut model = LinearRegression::new();
/// model.fit(&x, &y).unwrap();
/// assert!((model.coef().get(&[0]) - 2.0).abs() < 1e-12);
/// assert!((model.coef().get(&[1]) + 1.0).abs() < 1e-12);
/// assert!((model.intercept() - 3.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct LinearRegression {
    fit_intercept: bool,
    solver: LstsqSolver,
    fit: Option<LinearFit>,
    rank: usize,
}

impl Default for LinearRegression {
    fn default() -> Self {
        LinearRegression::new()
    }
}

impl LinearRegression {
    /// With an intercept, solved by QR.
    pub fn new() -> Self {
        LinearRegression { fit_intercept: true, solver: LstsqSolver::Qr, fit: None, rank: 0 }
    }

    /// Whether to fit an intercept (by centring `x` and `y`); `false` fits through the origin.
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    /// Which least-squares method to use.
    pub fn solver(mut self, solver: LstsqSolver) -> Self {
        self.solver = solver;
        self
    }

    fn fitted(&self, what: &str) -> &LinearFit {
        self.fit.as_ref().unwrap_or_else(|| panic!("LinearRegression::{what}: the model is not fitted; call fit first"))
    }

    /// `[features]` after a one-target fit, `[targets, features]` after [`Self::fit_multi`].
    pub fn coef(&self) -> Tensor<f64> {
        self.fitted("coef").coef()
    }

    /// The intercept of a one-target fit.
    pub fn intercept(&self) -> f64 {
        self.fitted("intercept").intercept("LinearRegression")
    }

    /// One intercept per target.
    pub fn intercepts(&self) -> &[f64] {
        &self.fitted("intercepts").intercept
    }

    /// The rank of the (centred) design the QR solver found (scikit-learn's `rank_`); the
    /// number of features for the normal equation.
    pub fn rank(&self) -> usize {
        self.rank
    }

    /// Fits every column of `y` (`[samples, targets]`, or `[samples]`) at once.
    pub fn fit_multi(&mut self, x: &Tensor<f64>, y: &Tensor<f64>) -> Result<(), ClassicError> {
        let (values, targets, single) = targets_of("LinearRegression::fit", y);
        self.fit_targets(x, &values, targets, single)
    }

    /// `[samples, targets]` predictions.
    pub fn predict_multi(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.fitted("predict_multi").predict_all("LinearRegression::predict", x)
    }

    fn fit_targets(&mut self, x: &Tensor<f64>, y: &[f64], k: usize, single: bool) -> Result<(), ClassicError> {
        let name = "LinearRegression";
        let (n, p) = check_fit_shapes("LinearRegression::fit", x, y.len() / k);
        let values = x.to_vec();
        check_finite(name, &values, p, y)?;
        let (xc, x_mean) = centre(&values, n, p, self.fit_intercept);
        let (yc, y_mean) = centre(y, n, k, self.fit_intercept);
        let a = Tensor::from_vec(xc, [n, p]);
        let b = Tensor::from_vec(yc, [n, k]);
        let solution = match self.solver {
            LstsqSolver::Qr => match qr_solve(&a, &b) {
                Some(solution) => {
                    self.rank = p;
                    solution
                }
                None => {
                    let result = linalg::lstsq(&a, &b, None);
                    self.rank = result.rank;
                    result.solution
                }
            },
            LstsqSolver::Svd => self.svd_solve(&a, &b)?,
            LstsqSolver::NormalEquation => {
                let gram = a.t().matmul(&a);
                let l = cholesky_or_singular(&gram).ok_or_else(|| {
                    ClassicError::data(
                        name,
                        "XᵀX is singular to working precision, so the normal equations cannot be solved \
                         by Cholesky: the features are linearly dependent (or nearly); use LstsqSolver::Qr",
                    )
                })?;
                self.rank = p;
                linalg::cholesky_solve(&l, &a.t().matmul(&b))
            }
        };
        // The solution is [features, targets]; the model keeps [targets, features].
        let w = solution.t().to_vec();
        self.fit = Some(LinearFit::from_centred(w, k, &x_mean, &y_mean, single));
        Ok(())
    }
}

impl LinearRegression {
    /// The minimum-norm solution `V·diag(1/σ)·Uᵀ·b` through the SVD, singular values at most
    /// `ε·max(n, p)·σ_max` counted as zero (NumPy's `lstsq` default).
    fn svd_solve(&mut self, a: &Tensor<f64>, b: &Tensor<f64>) -> Result<Tensor<f64>, ClassicError> {
        let linalg::Svd { u, s, vt } =
            linalg::svd(a).map_err(|e| ClassicError::data("LinearRegression", e.to_string()))?;
        let s = s.to_vec();
        let cutoff = f64::EPSILON * a.shape()[0].max(a.shape()[1]) as f64 * s.first().copied().unwrap_or(0.0);
        let inverse: Vec<f64> = s.iter().map(|&v| if v > cutoff { 1.0 / v } else { 0.0 }).collect();
        self.rank = inverse.iter().filter(|&&v| v != 0.0).count();
        let scaled = &u.t().matmul(b) * &Tensor::from_vec(inverse, [s.len(), 1]);
        Ok(vt.t().matmul(&scaled))
    }
}

/// `R w = Qᵀb` for a tall, full-rank `a`; `None` when `a` is wide or `R` has a diagonal entry
/// below `ε·n·max|R_ii|` (numerically rank deficient: the minimum-norm solver decides then).
fn qr_solve(a: &Tensor<f64>, b: &Tensor<f64>) -> Option<Tensor<f64>> {
    let (n, p) = (a.shape()[0], a.shape()[1]);
    if n < p {
        return None;
    }
    let (q, r) = linalg::qr(a);
    let diagonal: Vec<f64> = (0..p).map(|i| r.get(&[i, i]).abs()).collect();
    let largest = diagonal.iter().fold(0.0f64, |m, v| m.max(*v));
    if largest == 0.0 || diagonal.iter().any(|&d| d <= f64::EPSILON * n as f64 * largest) {
        return None;
    }
    linalg::solve_triangular(&r, &q.t().matmul(b), false).ok()
}

impl Supervised for LinearRegression {
    type Target = f64;

    fn name(&self) -> &'static str {
        "LinearRegression"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        check_fit_shapes("LinearRegression::fit", x, y.len());
        self.fit_targets(x, y, 1, true)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        self.fitted("predict").predict("LinearRegression::predict", x)
    }
}

impl Regressor for LinearRegression {}

impl Persist for LinearRegression {
    const KIND: &'static str = "LinearRegression";

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.fitted("to_state").write(&mut state);
        state.set_metadata("fit_intercept", self.fit_intercept.to_string());
        state.set_metadata("solver", self.solver.as_str());
        state.set_metadata("rank", self.rank.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let solver: String = read_meta(state, "solver")?;
        let mut model = LinearRegression::new()
            .fit_intercept(read_meta(state, "fit_intercept")?)
            .solver(LstsqSolver::parse(&solver)?);
        model.rank = read_meta(state, "rank")?;
        model.fit = Some(LinearFit::read(state)?);
        Ok(model)
    }
}
