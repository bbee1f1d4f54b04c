//! [`GaussianMixture`]: a mixture of k Gaussians fitted by expectation–maximisation, as
//! scikit-learn's `GaussianMixture`.
//!
//! The E-step gives each row its responsibilities, p(component | row) ∝ wₖ N(x | μₖ, Σₖ)
//! (computed in logs, normalised by log-sum-exp); the M-step re-estimates the weights, means
//! and covariances as responsibility-weighted averages, adding `reg_covar` to each
//! covariance's diagonal so none collapses. The mean log-likelihood per row never falls, and
//! EM stops when it rises by less than `tol`. By default each run starts from the
//! responsibilities of a one-restart k-means (scikit-learn's `init_params="kmeans"`); of
//! `n_init` runs the one with the highest final log-likelihood is kept, followed by one last
//! E-step so the labels agree with `predict`.

use super::kmeans::KMeans;
pub use super::mixture_gaussian::Covariance;
use super::mixture_gaussian::{self as gaussian, Data};
use crate::input;
use crate::{ClassicError, Clusterer, Persist};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::{Rng, Tensor};

/// Where EM starts.
#[derive(Clone, Debug)]
pub enum MixtureInit {
    /// Responsibilities of a k-means with one restart (scikit-learn's default).
    KMeans,
    /// These parameters: `weights` `[k]`, `means` `[k, d]` and `precisions` (inverse
    /// covariances) shaped as the covariance type asks: Full `[k, d, d]`, Tied `[d, d]`,
    /// Diag `[k, d]`, Spherical `[k]` (scikit-learn's `weights_init`, `means_init`,
    /// `precisions_init`).
    Parameters {
        /// The mixing weights, summing to 1.
        weights: Vec<f64>,
        /// The component means.
        means: Tensor<f64>,
        /// The component precisions.
        precisions: Tensor<f64>,
    },
}

#[derive(Clone, Debug)]
struct Fitted {
    d: usize,
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    prec_chol: Vec<f64>,
    labels: Vec<usize>,
    converged: bool,
    n_iter: usize,
    lower_bound: f64,
}

/// One run's parameters.
struct Params {
    weights: Vec<f64>,
    means: Vec<f64>,
    covariances: Vec<f64>,
    prec_chol: Vec<f64>,
}

/// A Gaussian mixture fitted by EM.
///
/// ```
/// use kindling_classic::cluster::{Covariance, GaussianMixture};
/// use kindling_classic::Clusterer;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec(vec![0.0, 0.1, 0.2, -0.1, 10.0, 10.3, 9.8, 10.1], [8, 1]);
/// let mut model = GaussianMixture::new(2).covariance(Covariance::Diag);
/// let labels = model.fit_predict(&x).unwrap();
/// assert_eq!(labels[0], labels[3]);
/// assert_ne!(labels[0], labels[4]);
/// assert!(model.converged());
/// ```
#[derive(Clone, Debug)]
pub struct GaussianMixture {
    k: usize,
    covariance: Covariance,
    max_iter: usize,
    tol: f64,
    reg_covar: f64,
    n_init: usize,
    init: MixtureInit,
    seed: u64,
    fitted: Option<Fitted>,
}

const NAME: &str = "GaussianMixture";

impl GaussianMixture {
    /// k components with full covariances; at most 100 EM iterations, tol 1e-3, reg_covar
    /// 1e-6, one run started from k-means, seed 0.
    pub fn new(k: usize) -> Self {
        GaussianMixture {
            k,
            covariance: Covariance::Full,
            max_iter: 100,
            tol: 1e-3,
            reg_covar: 1e-6,
            n_init: 1,
            init: MixtureInit::KMeans,
            seed: 0,
            fitted: None,
        }
    }

    /// The covariance type.
    pub fn covariance(mut self, covariance: Covariance) -> Self {
        self.covariance = covariance;
        self
    }

    /// The most EM iterations per run.
    pub fn max_iter(mut self, max_iter: usize) -> Self {
        self.max_iter = max_iter;
        self
    }

    /// EM stops when the mean log-likelihood per row changes by less than this.
    pub fn tol(mut self, tol: f64) -> Self {
        self.tol = tol;
        self
    }

    /// Added to each covariance's diagonal.
    pub fn reg_covar(mut self, reg_covar: f64) -> Self {
        self.reg_covar = reg_covar;
        self
    }

    /// Runs from different starts; the one with the highest log-likelihood is kept.
    pub fn n_init(mut self, n_init: usize) -> Self {
        self.n_init = n_init;
        self
    }

    /// Where EM starts.
    pub fn init(mut self, init: MixtureInit) -> Self {
        self.init = init;
        self
    }

    /// The seed of the k-means starts.
    pub fn seed(mut self, seed: u64) -> Self {
        self.seed = seed;
        self
    }

    fn state(&self, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// The mixing weights `[k]`.
    pub fn weights(&self) -> &[f64] {
        &self.state("weights").weights
    }

    /// The component means, `[k, features]`.
    pub fn means(&self) -> Tensor<f64> {
        let f = self.state("means");
        Tensor::from_vec(f.means.clone(), [self.k, f.d])
    }

    /// The covariances, shaped by the covariance type (Full `[k, d, d]`, Tied `[d, d]`, Diag
    /// `[k, d]`, Spherical `[k]`).
    pub fn covariances(&self) -> Tensor<f64> {
        let f = self.state("covariances");
        Tensor::from_vec(f.covariances.clone(), self.covariance.shape(self.k, f.d))
    }

    /// Whether the kept run stopped on `tol` rather than on `max_iter`.
    pub fn converged(&self) -> bool {
        self.state("converged").converged
    }

    /// EM iterations of the kept run.
    pub fn n_iter(&self) -> usize {
        self.state("n_iter").n_iter
    }

    /// The kept run's final mean log-likelihood per training row.
    pub fn lower_bound(&self) -> f64 {
        self.state("lower_bound").lower_bound
    }

    fn data(&self, op: &str, x: &Tensor<f64>) -> Data {
        let d = self.state(op).d;
        let (values, n, cols) = input::matrix(&format!("{NAME}::{op}"), x);
        input::check_features(&format!("{NAME}::{op}"), d, cols);
        Data::new(values, n, d)
    }

    /// log wₖ + log N(x | μₖ, Σₖ), `[n, k]`.
    fn weighted_log_prob(&self, data: &Data, weights: &[f64], means: &[f64], prec_chol: &[f64]) -> Vec<f64> {
        let mut out = gaussian::log_gaussian(data, means, prec_chol, self.k, self.covariance);
        for (at, v) in out.iter_mut().enumerate() {
            *v += weights[at % self.k].ln();
        }
        out
    }

    /// The E-step: the mean log-likelihood and the log responsibilities `[n, k]`.
    fn e_step(&self, data: &Data, p: &Params) -> (f64, Vec<f64>) {
        let mut log_resp = self.weighted_log_prob(data, &p.weights, &p.means, &p.prec_chol);
        let norms = input::log_sum_exp_rows(&log_resp, self.k);
        for (at, v) in log_resp.iter_mut().enumerate() {
            *v -= norms[at / self.k];
        }
        (norms.iter().sum::<f64>() / data.n as f64, log_resp)
    }

    fn collapsed() -> ClassicError {
        ClassicError::data(
            NAME,
            "a component's covariance is not positive definite (it collapsed onto too few or identical rows); \
             increase reg_covar, lower k or standardise the features",
        )
    }

    /// The M-step from responsibilities `resp` (`[n, k]`, not logs).
    fn m_step(&self, data: &Data, resp: &[f64]) -> Result<Params, ClassicError> {
        let (nk, means, covariances) = gaussian::estimate(data, resp, self.k, self.reg_covar, self.covariance);
        let total: f64 = nk.iter().sum();
        let prec_chol =
            gaussian::precision_cholesky(&covariances, self.k, data.d, self.covariance).ok_or_else(Self::collapsed)?;
        Ok(Params { weights: nk.iter().map(|w| w / total).collect(), means, covariances, prec_chol })
    }

    fn initial(&self, data: &Data, x: &Tensor<f64>, rng: &mut Rng) -> Result<Params, ClassicError> {
        let (n, d, k) = (data.n, data.d, self.k);
        let mut kmeans = KMeans::new(k).n_init(1).seed(rng.next_u64());
        let labels = kmeans.fit_predict(x)?;
        let mut resp = vec![0.0; n * k];
        labels.iter().enumerate().for_each(|(i, &c)| resp[i * k + c] = 1.0);
        let (nk, means, covariances) = gaussian::estimate(data, &resp, k, self.reg_covar, self.covariance);
        let mut p = Params {
            weights: nk.iter().map(|w| w / n as f64).collect(),
            means,
            prec_chol: Vec::new(),
            covariances: covariances.clone(),
        };
        match &self.init {
            MixtureInit::KMeans => {
                p.prec_chol =
                    gaussian::precision_cholesky(&covariances, k, d, self.covariance).ok_or_else(Self::collapsed)?;
            }
            MixtureInit::Parameters { weights, means, precisions } => {
                let shape = self.covariance.shape(k, d);
                assert!(
                    weights.len() == k && means.shape() == [k, d] && precisions.shape() == shape.as_slice(),
                    "{NAME}::fit: the initial parameters have {} weights, means {:?} and precisions {:?}, but k = {k} \
                     components of {d} features need {k}, [{k}, {d}] and {shape:?}",
                    weights.len(),
                    means.shape(),
                    precisions.shape()
                );
                p.weights = weights.clone();
                p.means = means.contiguous().to_vec();
                p.prec_chol =
                    gaussian::cholesky_of_precisions(&precisions.contiguous().to_vec(), k, d, self.covariance)
                        .ok_or_else(|| {
                            ClassicError::data(
                                NAME,
                                "the initial precisions are not positive definite; give valid ones",
                            )
                        })?;
            }
        }
        Ok(p)
    }

    /// The probability of each component for each row, `[samples, k]`.
    pub fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let data = self.data("predict_proba", x);
        let (_, log_resp) = self.e_step(&data, &self.params("predict_proba"));
        Tensor::from_vec(log_resp.iter().map(|v| v.exp()).collect(), [data.n, self.k])
    }

    /// The most probable component of each row.
    pub fn predict(&self, x: &Tensor<f64>) -> Vec<usize> {
        let data = self.data("predict", x);
        let p = self.params("predict");
        input::argmax_rows(&self.weighted_log_prob(&data, &p.weights, &p.means, &p.prec_chol), self.k)
    }

    /// The log-likelihood of each row under the mixture, log Σₖ wₖ N(x | μₖ, Σₖ).
    pub fn score_samples(&self, x: &Tensor<f64>) -> Vec<f64> {
        let data = self.data("score_samples", x);
        let p = self.params("score_samples");
        input::log_sum_exp_rows(&self.weighted_log_prob(&data, &p.weights, &p.means, &p.prec_chol), self.k)
    }

    /// The mean log-likelihood per row of `x`.
    pub fn score(&self, x: &Tensor<f64>) -> f64 {
        let s = self.score_samples(x);
        s.iter().sum::<f64>() / s.len() as f64
    }

    fn free_parameters(&self) -> f64 {
        let d = self.state("bic").d;
        (self.covariance.parameters(self.k, d) + self.k * d + self.k - 1) as f64
    }

    /// The Bayesian information criterion on `x`: −2 log L + p ln n (lower is better).
    pub fn bic(&self, x: &Tensor<f64>) -> f64 {
        let n = x.shape()[0] as f64;
        -2.0 * self.score(x) * n + self.free_parameters() * n.ln()
    }

    /// The Akaike information criterion on `x`: −2 log L + 2p (lower is better).
    pub fn aic(&self, x: &Tensor<f64>) -> f64 {
        let n = x.shape()[0] as f64;
        -2.0 * self.score(x) * n + 2.0 * self.free_parameters()
    }

    fn params(&self, op: &str) -> Params {
        let f = self.state(op);
        Params {
            weights: f.weights.clone(),
            means: f.means.clone(),
            covariances: f.covariances.clone(),
            prec_chol: f.prec_chol.clone(),
        }
    }
}

impl Clusterer for GaussianMixture {
    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError> {
        let (values, n, d) = KMeans::check_fit(NAME, x, self.k)?;
        if self.n_init == 0 {
            return Err(ClassicError::param(NAME, "n_init", "must be at least 1"));
        }
        if self.reg_covar < 0.0 {
            return Err(ClassicError::param(NAME, "reg_covar", format!("must be at least 0, got {}", self.reg_covar)));
        }
        let data = Data::new(values, n, d);
        let mut rng = Rng::seed(self.seed);
        let mut best: Option<(f64, Params, bool, usize)> = None;
        for _ in 0..self.n_init {
            let mut p = self.initial(&data, &data.x, &mut rng)?;
            let mut lower_bound = f64::NEG_INFINITY;
            let (mut converged, mut n_iter) = (false, 0);
            for iteration in 1..=self.max_iter {
                let previous = lower_bound;
                let (mean_log_likelihood, log_resp) = self.e_step(&data, &p);
                let resp: Vec<f64> = log_resp.iter().map(|v| v.exp()).collect();
                p = self.m_step(&data, &resp)?;
                lower_bound = mean_log_likelihood;
                n_iter = iteration;
                if (lower_bound - previous).abs() < self.tol {
                    converged = true;
                    break;
                }
            }
            if best.as_ref().is_none_or(|(b, ..)| lower_bound > *b || *b == f64::NEG_INFINITY) {
                best = Some((lower_bound, p, converged, n_iter));
            }
        }
        let (lower_bound, p, converged, n_iter) = best.expect("at least one run");
        // One last E-step, so the labels are what predict gives for the kept parameters.
        let (_, log_resp) = self.e_step(&data, &p);
        let labels = input::argmax_rows(&log_resp, self.k);
        self.fitted = Some(Fitted {
            d,
            weights: p.weights,
            means: p.means,
            covariances: p.covariances,
            prec_chol: p.prec_chol,
            labels,
            converged,
            n_iter,
            lower_bound,
        });
        Ok(())
    }

    fn labels(&self) -> &[usize] {
        &self.state("labels").labels
    }
}

impl Persist for GaussianMixture {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let f = self.state("to_state");
        let mut state = StateDict::new();
        let shape = self.covariance.shape(self.k, f.d);
        state.insert("weights", Tensor::from_vec(f.weights.clone(), [self.k]));
        state.insert("means", Tensor::from_vec(f.means.clone(), [self.k, f.d]));
        state.insert("covariances", Tensor::from_vec(f.covariances.clone(), shape.clone()));
        state.insert("precisions_cholesky", Tensor::from_vec(f.prec_chol.clone(), shape));
        let labels: Vec<i64> = f.labels.iter().map(|&l| l as i64).collect();
        let n = labels.len();
        state.insert("labels", Tensor::from_vec(labels, [n]));
        if let MixtureInit::Parameters { weights, means, precisions } = &self.init {
            state.insert("init_weights", Tensor::from_vec(weights.clone(), [weights.len()]));
            state.insert("init_means", means.contiguous());
            state.insert("init_precisions", precisions.contiguous());
        }
        for (key, value) in [
            ("k", self.k.to_string()),
            ("covariance", self.covariance.as_str().to_string()),
            ("max_iter", self.max_iter.to_string()),
            ("tol", format!("{:e}", self.tol)),
            ("reg_covar", format!("{:e}", self.reg_covar)),
            ("n_init", self.n_init.to_string()),
            ("seed", self.seed.to_string()),
            ("converged", f.converged.to_string()),
            ("n_iter", f.n_iter.to_string()),
            ("lower_bound", format!("{:e}", f.lower_bound)),
        ] {
            state.set_metadata(key, value);
        }
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let covariance = state.metadata().get("covariance").map(String::as_str).unwrap_or("");
        let covariance = Covariance::parse(covariance).ok_or_else(|| format!("unknown covariance {covariance:?}"))?;
        let mut model = GaussianMixture::new(input::state_meta(state, "k")?)
            .covariance(covariance)
            .max_iter(input::state_meta(state, "max_iter")?)
            .tol(input::state_meta(state, "tol")?)
            .reg_covar(input::state_meta(state, "reg_covar")?)
            .n_init(input::state_meta(state, "n_init")?)
            .seed(input::state_meta(state, "seed")?);
        if state.get("init_weights").is_some() {
            model.init = MixtureInit::Parameters {
                weights: input::state_f64(state, "init_weights")?.to_vec(),
                means: input::state_f64(state, "init_means")?,
                precisions: input::state_f64(state, "init_precisions")?,
            };
        }
        let means = input::state_f64(state, "means")?;
        if means.rank() != 2 || means.shape()[0] != model.k {
            return Err(format!("means have shape {:?}, which does not fit k = {}", means.shape(), model.k));
        }
        let d = means.shape()[1];
        let shape = covariance.shape(model.k, d);
        let read = |name: &str| -> Result<Vec<f64>, String> {
            let t = input::state_f64(state, name)?;
            if t.shape() != shape.as_slice() {
                return Err(format!(
                    "{name} has shape {:?}, but a {} mixture needs {shape:?}",
                    t.shape(),
                    covariance.as_str()
                ));
            }
            Ok(t.contiguous().to_vec())
        };
        let weights = input::state_f64(state, "weights")?.to_vec();
        if weights.len() != model.k {
            return Err(format!("{} weights for k = {}", weights.len(), model.k));
        }
        let labels = input::state_i64(state, "labels")?;
        if labels.iter().any(|&l| l < 0 || l as usize >= model.k) {
            return Err(format!("a label lies outside 0..{}", model.k));
        }
        model.fitted = Some(Fitted {
            d,
            weights,
            means: means.contiguous().to_vec(),
            covariances: read("covariances")?,
            prec_chol: read("precisions_cholesky")?,
            labels: labels.into_iter().map(|l| l as usize).collect(),
            converged: input::state_meta(state, "converged")?,
            n_iter: input::state_meta(state, "n_iter")?,
            lower_bound: input::state_meta(state, "lower_bound")?,
        });
        Ok(model)
    }
}
