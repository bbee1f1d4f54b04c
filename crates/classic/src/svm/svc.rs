//! [`Svc`]: C-support vector classification (libsvm's C-SVC, scikit-learn's `SVC`).

use super::cache::CachedRows;
use super::kernel::{KernelFn, Rows};
use super::smo::{self, NaiveRows, Solution};
use super::{Gamma, Kernel, MultiClass};
use crate::input;
use crate::{ClassicError, Classifier, Supervised};
use kindling_tensor::kernel_api::{gemm, MatRef};
use kindling_tensor::{kernel_mode, KernelMode, Tensor};

pub(super) const NAME: &str = "Svc";

/// Query rows per block when predicting: 256 × (support vectors) kernel values at a time.
const PREDICT_BLOCK: usize = 256;

/// C-support vector classification trained by SMO, as scikit-learn's `SVC` (libsvm).
///
/// The decision function of a binary problem is f(x) = Σᵢ cᵢ·k(svᵢ, x) + b over the support
/// vectors, cᵢ = yᵢαᵢ the dual coefficients and b the intercept. With several classes,
/// [`MultiClass::OneVsOne`] (the default, libsvm's) trains one problem per pair of classes and
/// predicts by votes, a tie going to the lowest class; [`MultiClass::OneVsRest`] trains one
/// problem per class and predicts the largest decision value.
///
/// ```
/// use kindling_classic::svm::{Kernel, Svc};
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[0.0, 0.0], [0.0, 1.0], [1.0, 0.0], [3.0, 3.0], [3.0, 4.0], [4.0, 3.0]]);
/// let mut model = Svc::new().kernel(Kernel::Linear).c(10.0);
/// model.fit(&x, &[0, 0, 0, 1, 1, 1]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[0.5, 0.5], [3.5, 3.5]])), vec![0, 1]);
/// // The margin rests on the closest points of each side: (0,1), (1,0) and (3,3).
/// assert_eq!(model.support(), &[1, 2, 3]);
/// ```
#[derive(Clone, Debug)]
pub struct Svc {
    pub(super) c: f64,
    pub(super) kernel: Kernel,
    pub(super) gamma: Gamma,
    pub(super) tol: f64,
    pub(super) cache_mb: f64,
    pub(super) max_iter: Option<usize>,
    pub(super) multi_class: MultiClass,
    pub(super) shrinking: bool,
    pub(super) fit: Option<SvcFit>,
}

/// What `fit` learned.
#[derive(Clone, Debug)]
pub(super) struct SvcFit {
    pub classes: Vec<i64>,
    pub kernel: KernelFn,
    pub dims: usize,
    /// Training positions of the support vectors, grouped by class, ascending within a class.
    pub support: Vec<usize>,
    pub n_support: Vec<usize>,
    /// `[n_sv, dims]` row-major.
    pub vectors: Vec<f64>,
    /// `[n_sv, problems]`: each binary problem's yᵢαᵢ (0 for a vector outside it), with y = +1
    /// for the problem's first class (OvO: the lower of the pair; OvR: the one class).
    pub coef: Vec<f64>,
    /// Each problem's −rho.
    pub intercept: Vec<f64>,
    /// SMO iterations per problem.
    pub iterations: Vec<usize>,
    /// The dual objective per problem.
    pub objectives: Vec<f64>,
    /// Whether every problem reached the tolerance before `max_iter`.
    pub converged: bool,
}

impl Default for Svc {
    fn default() -> Self {
        Self::new()
    }
}

impl Svc {
    /// scikit-learn's defaults: C = 1, RBF kernel, gamma `Scale`, tol 1e-3, a 200 MB cache,
    /// no iteration limit, shrinking, one-vs-one.
    pub fn new() -> Self {
        Svc {
            c: 1.0,
            kernel: Kernel::Rbf,
            gamma: Gamma::Scale,
            tol: 1e-3,
            cache_mb: 200.0,
            max_iter: None,
            multi_class: MultiClass::OneVsOne,
            shrinking: true,
            fit: None,
        }
    }

    /// The box bound C > 0: larger fits the training data harder.
    pub fn c(mut self, c: f64) -> Self {
        self.c = c;
        self
    }

    /// The kernel.
    pub fn kernel(mut self, kernel: Kernel) -> Self {
        self.kernel = kernel;
        self
    }

    /// The kernel's gamma (unused by [`Kernel::Linear`]).
    pub fn gamma(mut self, gamma: Gamma) -> Self {
        self.gamma = gamma;
        self
    }

    /// The stopping tolerance on the KKT gap, m(α) − M(α).
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// The kernel cache's budget, in megabytes, per binary problem.
    pub fn cache_mb(mut self, cache_mb: f64) -> Self {
        self.cache_mb = cache_mb;
        self
    }

    /// The most SMO iterations per binary problem (`None`: libsvm's own cap,
    /// max(10⁷, 100·l)).
    pub fn max_iter(mut self, max_iter: Option<usize>) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// Whether SMO sets aside the bounded variables that cannot move (libsvm's shrinking,
    /// on by default as in scikit-learn): faster, the same answer within `tol`.
    pub fn shrinking(mut self, shrinking: bool) -> Self {
        self.shrinking = shrinking;
        self
    }

    /// How several classes are split into binary problems.
    pub fn multi_class(mut self, multi_class: MultiClass) -> Self {
        self.multi_class = multi_class;
        self
    }

    pub(super) fn fitted(&self, op: &str) -> &SvcFit {
        self.fit.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// The support vectors, `[n_sv, features]`, grouped by class.
    pub fn support_vectors(&self) -> Tensor<f64> {
        let fit = self.fitted("support_vectors");
        Tensor::from_vec(fit.vectors.clone(), [fit.support.len(), fit.dims])
    }

    /// The training positions of the support vectors (scikit-learn's `support_`).
    pub fn support(&self) -> &[usize] {
        &self.fitted("support").support
    }

    /// Support vectors per class, in the order of `classes()`.
    pub fn n_support(&self) -> Vec<usize> {
        self.fitted("n_support").n_support.clone()
    }

    /// The dual coefficients yᵢαᵢ in scikit-learn's layout (`dual_coef_`). One-vs-one:
    /// `[classes − 1, n_sv]`, a support vector of class c holding its coefficients in the
    /// problems (c, other) for the other classes in order; two classes: `[1, n_sv]`, positive
    /// for the second class. One-vs-rest: `[classes, n_sv]`, row c the problem "c against the
    /// rest", positive for c.
    pub fn dual_coef(&self) -> Tensor<f64> {
        let fit = self.fitted("dual_coef");
        let (k, n_sv, problems) = (fit.classes.len(), fit.support.len(), fit.intercept.len());
        if self.multi_class == MultiClass::OneVsRest && k > 2 {
            let mut out = vec![0.0; k * n_sv];
            for s in 0..n_sv {
                for p in 0..problems {
                    out[p * n_sv + s] = fit.coef[s * problems + p];
                }
            }
            return Tensor::from_vec(out, [k, n_sv]);
        }
        let sign = if k == 2 { -1.0 } else { 1.0 };
        let mut out = vec![0.0; (k - 1) * n_sv];
        let class_of = class_of_support(&fit.n_support);
        for (s, &c) in class_of.iter().enumerate() {
            for (row, other) in (0..k).filter(|&o| o != c).enumerate() {
                let p = pair_index(c.min(other), c.max(other), k);
                out[row * n_sv + s] = sign * fit.coef[s * problems + p];
            }
        }
        Tensor::from_vec(out, [k - 1, n_sv])
    }

    /// The intercepts (scikit-learn's `intercept_`): one per pair of classes (0,1), (0,2), …,
    /// (1,2), …; one per class for one-vs-rest; one for two classes, with the sign that makes
    /// a positive decision mean the second class.
    pub fn intercept(&self) -> Vec<f64> {
        let fit = self.fitted("intercept");
        if fit.classes.len() == 2 {
            return vec![-fit.intercept[0]];
        }
        fit.intercept.clone()
    }

    /// SMO iterations taken by each binary problem.
    pub fn n_iter(&self) -> Vec<usize> {
        self.fitted("n_iter").iterations.clone()
    }

    /// The dual objective ½αᵀQα − Σα reached by each binary problem.
    pub fn dual_objective(&self) -> Vec<f64> {
        self.fitted("dual_objective").objectives.clone()
    }

    /// Whether every binary problem reached the KKT tolerance before `max_iter` (scikit-learn
    /// warns when one did not).
    pub fn converged(&self) -> bool {
        self.fitted("converged").converged
    }

    /// The gamma the kernel used (the resolved `Scale` or `Auto`).
    pub fn gamma_value(&self) -> f64 {
        self.fitted("gamma_value").kernel.gamma
    }

    /// The decision function, as scikit-learn's `decision_function`: two classes: `[samples]`,
    /// positive for the second class; one-vs-one: `[samples, k(k−1)/2]`, one column per pair
    /// (a, b), a < b, positive for a (scikit-learn's `decision_function_shape="ovo"`);
    /// one-vs-rest: `[samples, classes]`.
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let fit = self.fitted("decision_function");
        let (values, rows) = self.problem_values("decision_function", x);
        let problems = fit.intercept.len();
        if fit.classes.len() == 2 {
            return Tensor::from_vec(values.iter().map(|v| -v).collect(), [rows]);
        }
        Tensor::from_vec(values, [rows, problems])
    }

    /// Each binary problem's decision value for each row of `x`, `[rows × problems]`.
    fn problem_values(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let op = format!("{NAME}::{op}");
        let fit = self.fitted(&op);
        let (queries, rows, cols) = input::matrix(&op, x);
        input::check_features(&op, fit.dims, cols);
        if let Some(at) = queries.iter().position(|v| !v.is_finite()) {
            panic!("{op}: x holds {} at row {}, column {}", queries[at], at / cols.max(1), at % cols.max(1));
        }
        let values = match kernel_mode() {
            KernelMode::Naive => naive_values(fit, &queries, rows),
            KernelMode::Fast => fast_values(fit, &queries, rows),
        };
        (values, rows)
    }
}

/// Which class each support vector belongs to (they are grouped by class).
fn class_of_support(n_support: &[usize]) -> Vec<usize> {
    n_support.iter().enumerate().flat_map(|(c, &n)| std::iter::repeat_n(c, n)).collect()
}

/// The position of pair (a, b), a < b, in the order (0,1), (0,2), …, (1,2), ….
fn pair_index(a: usize, b: usize, k: usize) -> usize {
    a * (2 * k - a - 1) / 2 + (b - a - 1)
}

/// Decision values by loops over support vectors and problems, kernel values from the
/// definition.
fn naive_values(fit: &SvcFit, queries: &[f64], rows: usize) -> Vec<f64> {
    let (d, n_sv, problems) = (fit.dims, fit.support.len(), fit.intercept.len());
    let mut out = Vec::with_capacity(rows * problems);
    for q in queries.chunks(d.max(1)).take(rows) {
        let k: Vec<f64> = (0..n_sv).map(|s| fit.kernel.value(&fit.vectors[s * d..(s + 1) * d], q)).collect();
        for p in 0..problems {
            out.push((0..n_sv).map(|s| fit.coef[s * problems + p] * k[s]).sum::<f64>() + fit.intercept[p]);
        }
    }
    out
}

/// Decision values as two GEMMs per block of queries: kernel values against every support
/// vector, then those times the coefficient matrix.
fn fast_values(fit: &SvcFit, queries: &[f64], rows: usize) -> Vec<f64> {
    let (d, n_sv, problems) = (fit.dims, fit.support.len(), fit.intercept.len());
    let vectors = Rows::new(&fit.vectors, n_sv, d);
    let coef = MatRef::row_major(&fit.coef, n_sv, problems);
    let mut out = vec![0.0; rows * problems];
    let mut kernel = vec![0.0; PREDICT_BLOCK.min(rows) * n_sv];
    for start in (0..rows).step_by(PREDICT_BLOCK) {
        let b = PREDICT_BLOCK.min(rows - start);
        let block = Rows::new(&queries[start * d..(start + b) * d], b, d);
        fit.kernel.block(&block, &vectors, &mut kernel);
        let target = &mut out[start * problems..(start + b) * problems];
        gemm(MatRef::row_major(&kernel, b, n_sv), coef, target);
        for row in target.chunks_mut(problems) {
            row.iter_mut().zip(&fit.intercept).for_each(|(v, b)| *v += b);
        }
    }
    out
}

impl Supervised for Svc {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        self.fit = Some(super::train::fit(self, x, y)?);
        Ok(())
    }

    /// One-vs-one: each pair (a, b) votes a when its decision is positive, b otherwise; the
    /// most votes win, a tie going to the lowest class (libsvm's rule). One-vs-rest: the
    /// largest decision value.
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let fit = self.fitted("predict");
        let k = fit.classes.len();
        let (values, _) = self.problem_values("predict", x);
        let problems = fit.intercept.len();
        if self.multi_class == MultiClass::OneVsRest && k > 2 {
            return input::argmax_rows(&values, problems).into_iter().map(|c| fit.classes[c]).collect();
        }
        values
            .chunks(problems)
            .map(|row| {
                let mut votes = vec![0usize; k];
                for a in 0..k {
                    for b in a + 1..k {
                        if row[pair_index(a, b, k)] > 0.0 {
                            votes[a] += 1;
                        } else {
                            votes[b] += 1;
                        }
                    }
                }
                let mut best = 0;
                for (c, &v) in votes.iter().enumerate() {
                    if v > votes[best] {
                        best = c;
                    }
                }
                fit.classes[best]
            })
            .collect()
    }
}

impl Classifier for Svc {
    fn classes(&self) -> &[i64] {
        &self.fitted("classes").classes
    }
}

/// Solves one binary problem on the listed training rows with labels ±1.
pub(super) fn solve_binary(svc: &Svc, kernel: KernelFn, x: &[f64], dims: usize, rows: &[usize], y: &[f64]) -> Solution {
    let mut gathered = Vec::with_capacity(rows.len() * dims);
    for &r in rows {
        gathered.extend_from_slice(&x[r * dims..(r + 1) * dims]);
    }
    let sub = Rows::new(&gathered, rows.len(), dims);
    let l = rows.len();
    let max_iter = svc.max_iter.unwrap_or_else(|| 10_000_000usize.max(100 * l));
    match kernel_mode() {
        KernelMode::Naive => smo::solve(&mut NaiveRows::new(kernel, sub), y, svc.c, svc.tol, max_iter, svc.shrinking),
        KernelMode::Fast => {
            let mut q = CachedRows::new(kernel, sub, svc.cache_mb * 1e6);
            smo::solve(&mut q, y, svc.c, svc.tol, max_iter, svc.shrinking)
        }
    }
}
