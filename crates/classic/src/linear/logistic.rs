//! [`LogisticRegression`]: binary (sigmoid) and multinomial (softmax) logistic regression
//! with an L2 or L1 penalty, fitted by L-BFGS / OWL-QN ([`super::lbfgs`]).
//!
//! The objective is scikit-learn's, `C·Σᵢ loss_i + ½‖W‖²` (L2) or `C·Σᵢ loss_i + ‖W‖₁` (L1),
//! with the intercept unpenalised. The solver minimises it divided by `C·n` (the mean loss
//! plus a penalty of strength `1/(C·n)`), which has the same minimiser and keeps the gradient's
//! scale independent of `n`, so `tol` means what it means in scikit-learn (the largest
//! gradient entry at which to stop). Both products with `X` per evaluation go through the GEMM.

use super::lbfgs::{minimize, LbfgsOptions};
use super::{check_fit_shapes, read_meta, rows_cols};
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// The penalty on the coefficients (never on the intercept).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Penalty {
    /// `½‖W‖²`: shrinks every coefficient (the default).
    L2,
    /// `‖W‖₁`: sets coefficients exactly to zero.
    L1,
    /// No penalty: the maximum-likelihood fit (diverges on separable data; keep `max_iter`).
    None,
}

impl Penalty {
    fn as_str(self) -> &'static str {
        match self {
            Penalty::L2 => "l2",
            Penalty::L1 => "l1",
            Penalty::None => "none",
        }
    }

    fn parse(text: &str) -> Result<Self, String> {
        match text {
            "l2" => Ok(Penalty::L2),
            "l1" => Ok(Penalty::L1),
            "none" => Ok(Penalty::None),
            other => Err(format!("unknown penalty {other:?}")),
        }
    }
}

/// Logistic regression (scikit-learn's `LogisticRegression`): one coefficient row for two
/// classes (the sigmoid of `x·w + b` is the probability of the larger label), one row per
/// class otherwise (softmax over `x·Wᵀ + b`).
///
/// ```
/// use kindling_classic::linear::LogisticRegression;
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![-2.0, -1.0, -0.5, 0.5, 1.0, 2.0], [6, 1]);
/// let y = [0, 0, 0, 1, 1, 1];
/// let mut model = LogisticRegression::new().c(10.0);
/// model.fit(&x, &y).unwrap();
/// assert_eq!(model.predict(&x), y);
/// let p = model.predict_proba(&Tensor::from_vec(vec![0.0], [1, 1]));
/// assert!((p.get(&[0, 1]) - 0.5).abs() < 1e-6); // symmetric data: even odds at 0
/// ```
#[derive(Clone, Debug)]
pub struct LogisticRegression {
    c: f64,
    penalty: Penalty,
    fit_intercept: bool,
    max_iter: usize,
    tol: f64,
    fit: Option<LogisticFit>,
}

#[derive(Clone, Debug)]
struct LogisticFit {
    classes: Vec<i64>,
    /// `[1, features]` for two classes, `[classes, features]` otherwise.
    coef: Tensor<f64>,
    intercept: Vec<f64>,
    iterations: usize,
    converged: bool,
    objective: f64,
}

impl Default for LogisticRegression {
    fn default() -> Self {
        LogisticRegression::new()
    }
}

impl LogisticRegression {
    /// `C` = 1, L2, `max_iter` = 100, `tol` = 1e-4, with an intercept (scikit-learn's defaults).
    pub fn new() -> Self {
        LogisticRegression { c: 1.0, penalty: Penalty::L2, fit_intercept: true, max_iter: 100, tol: 1e-4, fit: None }
    }

    /// The inverse penalty strength `C` > 0: larger trusts the data more.
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// L2 (default), L1 or none.
    pub fn penalty(mut self, penalty: Penalty) -> Self {
        self.penalty = penalty;
        self
    }

    /// Whether to fit an (unpenalised) intercept.
    pub fn fit_intercept(mut self, on: bool) -> Self {
        self.fit_intercept = on;
        self
    }

    /// The most quasi-Newton iterations.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Stop when no gradient entry of the scaled objective exceeds `tol`.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    fn fitted(&self, what: &str) -> &LogisticFit {
        self.fit
            .as_ref()
            .unwrap_or_else(|| panic!("LogisticRegression::{what}: the model is not fitted; call fit first"))
    }

    /// `[1, features]` for two classes, `[classes, features]` for more. Panics before `fit`.
    pub fn coef(&self) -> &Tensor<f64> {
        &self.fitted("coef").coef
    }

    /// One intercept per row of `coef()`. Panics before `fit`.
    pub fn intercept(&self) -> &[f64] {
        &self.fitted("intercept").intercept
    }

    /// Iterations the last `fit` spent.
    pub fn n_iter(&self) -> usize {
        self.fitted("n_iter").iterations
    }

    /// Whether the last `fit` met `tol` within `max_iter` (scikit-learn warns when not).
    pub fn converged(&self) -> bool {
        self.fitted("converged").converged
    }

    /// The objective reached, in scikit-learn's scale: `C·Σ loss + penalty`.
    pub fn objective(&self) -> f64 {
        self.fitted("objective").objective
    }

    /// The scores `x·coefᵀ + intercept`, `[samples, rows of coef]` (scikit-learn's
    /// `decision_function`; one column for two classes).
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let fit = self.fitted("decision_function");
        let (_, p) = rows_cols("LogisticRegression::decision_function", x);
        let want = fit.coef.shape()[1];
        if p != want {
            panic!("LogisticRegression::decision_function: the model was fitted on {want} features, x has {p}");
        }
        let mut z = x.matmul(&fit.coef.t()).contiguous();
        let k = fit.intercept.len();
        z.make_mut().chunks_exact_mut(k).for_each(|row| row.iter_mut().zip(&fit.intercept).for_each(|(v, b)| *v += b));
        z
    }
}

/// `log(1 + e^{−m})` without overflow.
fn log1p_exp_neg(m: f64) -> f64 {
    if m > 0.0 {
        (-m).exp().ln_1p()
    } else {
        -m + m.exp().ln_1p()
    }
}

/// In place: each row of `z` becomes its softmax; returns Σ logsumexp(row).
fn softmax_rows(z: &mut [f64], k: usize) -> Vec<f64> {
    z.chunks_exact_mut(k)
        .map(|row| {
            let max = row.iter().fold(f64::NEG_INFINITY, |m, v| m.max(*v));
            let mut sum = 0.0;
            row.iter_mut().for_each(|v| {
                *v = (*v - max).exp();
                sum += *v;
            });
            row.iter_mut().for_each(|v| *v /= sum);
            max + sum.ln()
        })
        .collect()
}

/// The mean loss and its gradient for parameters `[W (rows × p, row-major), b (rows)]`.
struct Objective<'a> {
    x: &'a Tensor<f64>,
    /// Class index of each sample.
    labels: &'a [usize],
    rows: usize,
    p: usize,
    fit_intercept: bool,
    /// The L2 strength on the coefficients in this scale, `1/(C·n)` (0 without L2).
    l2: f64,
}

impl Objective<'_> {
    fn value_and_gradient(&self, theta: &[f64], grad: &mut [f64]) -> f64 {
        let (rows, p, n) = (self.rows, self.p, self.labels.len());
        let weights = Tensor::from_vec(theta[..rows * p].to_vec(), [rows, p]);
        let bias = &theta[rows * p..];
        let mut z = self.x.matmul(&weights.t()).to_vec();
        z.chunks_exact_mut(rows).for_each(|row| row.iter_mut().zip(bias).for_each(|(v, b)| *v += b));
        // z becomes dLoss/dz (divided by n), row by row.
        let mut loss = 0.0;
        if rows == 1 {
            for (zi, &label) in z.iter_mut().zip(self.labels) {
                let sign = if label == 1 { 1.0 } else { -1.0 };
                let margin = sign * *zi;
                loss += log1p_exp_neg(margin);
                *zi = -sign / (1.0 + margin.exp()) / n as f64;
            }
        } else {
            let picked: Vec<f64> = self.labels.iter().enumerate().map(|(i, &label)| z[i * rows + label]).collect();
            let lse = softmax_rows(&mut z, rows);
            for (i, row) in z.chunks_exact_mut(rows).enumerate() {
                let label = self.labels[i];
                loss += lse[i] - picked[i];
                row[label] -= 1.0;
                row.iter_mut().for_each(|v| *v /= n as f64);
            }
        }
        let dz = Tensor::from_vec(z, [n, rows]);
        let grad_w = dz.t().matmul(self.x).to_vec();
        grad[..rows * p].copy_from_slice(&grad_w);
        let bias_grad = &mut grad[rows * p..];
        bias_grad.iter_mut().for_each(|g| *g = 0.0);
        if self.fit_intercept {
            for row in dz.as_slice().expect("fresh tensor").chunks_exact(rows) {
                bias_grad.iter_mut().zip(row).for_each(|(g, v)| *g += v);
            }
        }
        let mut value = loss / n as f64;
        if self.l2 > 0.0 {
            let w = &theta[..rows * p];
            value += 0.5 * self.l2 * w.iter().map(|v| v * v).sum::<f64>();
            grad[..rows * p].iter_mut().zip(w).for_each(|(g, v)| *g += self.l2 * v);
        }
        value
    }
}

impl Supervised for LogisticRegression {
    type Target = i64;

    fn name(&self) -> &'static str {
        "LogisticRegression"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        let name = "LogisticRegression";
        let (n, p) = check_fit_shapes("LogisticRegression::fit", x, y.len());
        let x = x.contiguous();
        let values = x.as_slice().expect("contiguous");
        super::check_finite(name, values, p, &[])?;
        if !(self.c.is_finite() && self.c > 0.0) {
            return Err(ClassicError::param(name, "C", format!("must be a finite number > 0, got {}", self.c)));
        }
        if !(self.tol.is_finite() && self.tol >= 0.0) {
            return Err(ClassicError::param(name, "tol", format!("must be a finite number ≥ 0, got {}", self.tol)));
        }
        let mut classes = y.to_vec();
        classes.sort_unstable();
        classes.dedup();
        if classes.len() < 2 {
            return Err(ClassicError::data(
                name,
                format!("y holds a single class ({}); a classifier needs samples of at least two classes", classes[0]),
            ));
        }
        let labels: Vec<usize> = y.iter().map(|v| classes.binary_search(v).expect("seen")).collect();
        let rows = if classes.len() == 2 { 1 } else { classes.len() };
        let strength = 1.0 / (self.c * n as f64);
        let objective = Objective {
            x: &x,
            labels: &labels,
            rows,
            p,
            fit_intercept: self.fit_intercept,
            l2: if self.penalty == Penalty::L2 { strength } else { 0.0 },
        };
        let mut l1 = vec![0.0; rows * (p + 1)];
        if self.penalty == Penalty::L1 {
            l1[..rows * p].iter_mut().for_each(|v| *v = strength);
        }
        let options = LbfgsOptions { max_iter: self.max_iter, gtol: self.tol, ftol: 64.0 * f64::EPSILON, memory: 10 };
        let result = minimize(|t, g| objective.value_and_gradient(t, g), vec![0.0; rows * (p + 1)], &l1, options);
        let mut theta = result.x;
        let intercept = theta.split_off(rows * p);
        self.fit = Some(LogisticFit {
            classes,
            coef: Tensor::from_vec(theta, [rows, p]),
            intercept,
            iterations: result.iterations,
            converged: result.converged,
            objective: result.value * self.c * n as f64,
        });
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let fit = self.fitted("predict");
        let z = self.decision_function(x);
        let k = fit.intercept.len();
        z.as_slice()
            .expect("fresh tensor")
            .chunks_exact(k)
            .map(|row| {
                if k == 1 {
                    fit.classes[usize::from(row[0] > 0.0)]
                } else {
                    let best = (0..k).fold(0, |b, j| if row[j] > row[b] { j } else { b });
                    fit.classes[best]
                }
            })
            .collect()
    }
}

impl Classifier for LogisticRegression {
    fn classes(&self) -> &[i64] {
        &self.fitted("classes").classes
    }
}

impl PredictProba for LogisticRegression {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let z = self.decision_function(x);
        let n = z.shape()[0];
        let k = z.shape()[1];
        let mut z = z.to_vec();
        if k == 1 {
            let proba = z.iter().flat_map(|v| {
                let p1 = 1.0 / (1.0 + (-v).exp());
                [1.0 - p1, p1]
            });
            return Tensor::from_vec(proba.collect(), [n, 2]);
        }
        softmax_rows(&mut z, k);
        Tensor::from_vec(z, [n, k])
    }
}

impl Persist for LogisticRegression {
    const KIND: &'static str = "LogisticRegression";

    fn to_state(&self) -> StateDict {
        let fit = self.fitted("to_state");
        let mut state = StateDict::new();
        state.insert("coef", fit.coef.clone());
        state.insert("intercept", Tensor::from_vec(fit.intercept.clone(), [fit.intercept.len()]));
        state.insert("classes", Tensor::from_vec(fit.classes.clone(), [fit.classes.len()]));
        state.set_metadata("C", self.c.to_string());
        state.set_metadata("penalty", self.penalty.as_str());
        state.set_metadata("fit_intercept", self.fit_intercept.to_string());
        state.set_metadata("max_iter", self.max_iter.to_string());
        state.set_metadata("tol", self.tol.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let tensor = |key: &str| state.get(key).ok_or_else(|| format!("no {key:?} tensor"));
        let coef = tensor("coef")?.cast::<f64>();
        let intercept = tensor("intercept")?.cast::<f64>().to_vec();
        let classes = tensor("classes")?.cast::<i64>().to_vec();
        let rows = if classes.len() == 2 { 1 } else { classes.len() };
        if classes.len() < 2 || coef.rank() != 2 || coef.shape()[0] != rows || intercept.len() != rows {
            return Err(format!(
                "coef {:?} and {} intercepts do not fit {} classes",
                coef.shape(),
                intercept.len(),
                classes.len()
            ));
        }
        let penalty_text: String = read_meta(state, "penalty")?;
        let mut model = LogisticRegression::new()
            .c(read_meta(state, "C")?)
            .penalty(Penalty::parse(&penalty_text)?)
            .fit_intercept(read_meta(state, "fit_intercept")?)
            .max_iter(read_meta(state, "max_iter")?)
            .tol(read_meta(state, "tol")?);
        model.fit = Some(LogisticFit { classes, coef, intercept, iterations: 0, converged: true, objective: f64::NAN });
        Ok(model)
    }
}
