//! Multinomial and Bernoulli naive Bayes: features are counts, or presence/absence.
//!
//! Both learn, per class, smoothed feature log-probabilities from the summed feature counts
//! (`alpha` is Laplace/Lidstone smoothing: `alpha` pseudo-counts per feature), and score a
//! batch of samples with one matrix product against them.

use super::{class_counts, log_proba_from_joint, predict_from_joint, proba_from_joint};
use crate::input::{self, matrix};
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// What both discrete models learn.
#[derive(Clone, Debug)]
struct Fitted {
    classes: Vec<i64>,
    features: usize,
    /// `[classes]`
    class_log_prior: Vec<f64>,
    /// `[classes, features]`
    feature_log_prob: Tensor<f64>,
}

/// Per-class sums of the rows of `values` and per-class sample counts.
fn feature_counts(values: &[f64], cols: usize, codes: &[usize], classes: usize) -> (Vec<f64>, Vec<usize>) {
    let mut sums = vec![0.0; classes * cols];
    for (row, &c) in values.chunks(cols.max(1)).zip(codes) {
        sums[c * cols..(c + 1) * cols].iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    (sums, class_counts(codes, classes))
}

fn class_log_prior(counts: &[usize], fit_prior: bool) -> Vec<f64> {
    let total: usize = counts.iter().sum();
    if fit_prior {
        counts.iter().map(|&n| (n as f64).ln() - (total as f64).ln()).collect()
    } else {
        vec![-(counts.len() as f64).ln(); counts.len()]
    }
}

fn check_alpha(estimator: &'static str, alpha: f64) -> Result<(), ClassicError> {
    if alpha.is_nan() || alpha < 0.0 {
        return Err(ClassicError::param(estimator, "alpha", format!("must be ≥ 0, got {alpha}")));
    }
    Ok(())
}

fn fitted<'a>(name: &str, fitted: &'a Option<Fitted>, op: &str) -> &'a Fitted {
    fitted.as_ref().unwrap_or_else(|| panic!("{name}::{op}: the model is not fitted; call fit first"))
}

fn save(f: &Fitted, state: &mut StateDict) {
    let k = f.classes.len();
    state.insert("classes", Tensor::from_vec(f.classes.clone(), [k]));
    state.insert("class_log_prior", Tensor::from_vec(f.class_log_prior.clone(), [k]));
    state.insert("feature_log_prob", f.feature_log_prob.clone());
}

fn load(state: &StateDict) -> Result<Fitted, String> {
    let classes = input::state_i64(state, "classes")?;
    let class_log_prior = input::state_f64(state, "class_log_prior")?.to_vec();
    let feature_log_prob = input::state_f64(state, "feature_log_prob")?;
    let k = classes.len();
    if feature_log_prob.rank() != 2 || feature_log_prob.shape()[0] != k || class_log_prior.len() != k {
        return Err(format!("the arrays disagree with {k} classes"));
    }
    Ok(Fitted { features: feature_log_prob.shape()[1], classes, class_log_prior, feature_log_prob })
}

/// Multinomial naive Bayes, as scikit-learn's `MultinomialNB`: features are counts (word
/// counts, pixel intensities), and each class is a multinomial over the features.
///
/// `P(feature j | c) = (N_cj + alpha) / (N_c + alpha · features)`, where `N_cj` is the total
/// of feature j over class c's samples.
///
/// ```
/// use kindling_classic::naive_bayes::MultinomialNb;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let counts = Tensor::from([[3.0, 0.0, 1.0], [4.0, 1.0, 0.0], [0.0, 5.0, 2.0], [1.0, 4.0, 3.0]]);
/// let mut model = MultinomialNb::new().alpha(0.5);
/// model.fit(&counts, &[7, 7, 9, 9]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[5.0, 1.0, 0.0], [0.0, 3.0, 3.0]])), vec![7, 9]);
/// ```
#[derive(Clone, Debug)]
pub struct MultinomialNb {
    alpha: f64,
    fit_prior: bool,
    fitted: Option<Fitted>,
}

impl Default for MultinomialNb {
    fn default() -> Self {
        Self::new()
    }
}

impl MultinomialNb {
    /// `alpha = 1` (Laplace smoothing), priors learned from the class frequencies.
    pub fn new() -> Self {
        MultinomialNb { alpha: 1.0, fit_prior: true, fitted: None }
    }

    /// The pseudo-count added to every feature of every class.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Whether to learn class priors (`true`) or use a uniform prior.
    pub fn fit_prior(mut self, fit_prior: bool) -> Self {
        self.fit_prior = fit_prior;
        self
    }

    /// `log P(feature | class)`, `[classes, features]` (`feature_log_prob_`).
    pub fn feature_log_prob(&self) -> Tensor<f64> {
        fitted("MultinomialNb", &self.fitted, "feature_log_prob").feature_log_prob.clone()
    }

    /// `log P(class)` (`class_log_prior_`).
    pub fn class_log_prior(&self) -> &[f64] {
        &fitted("MultinomialNb", &self.fitted, "class_log_prior").class_log_prior
    }

    fn joint_log_likelihood(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let f = fitted("MultinomialNb", &self.fitted, op);
        assert!(x.rank() == 2, "MultinomialNb::{op}: x must be [samples, features], got shape {:?}", x.shape());
        input::check_features(&format!("MultinomialNb::{op}"), f.features, x.shape()[1]);
        let mut joint = x.matmul(&f.feature_log_prob.t()).contiguous().to_vec();
        let k = f.classes.len();
        for row in joint.chunks_mut(k) {
            row.iter_mut().zip(&f.class_log_prior).for_each(|(v, p)| *v += p);
        }
        (joint, k)
    }

    /// Log class probabilities, `[samples, classes]`.
    pub fn predict_log_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_log_proba", x);
        log_proba_from_joint(joint, k)
    }
}

impl Supervised for MultinomialNb {
    type Target = i64;

    fn name(&self) -> &'static str {
        "MultinomialNb"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        const NAME: &str = "MultinomialNb";
        let (values, rows, cols) = matrix("MultinomialNb::fit", x);
        input::check_targets("MultinomialNb::fit", rows, y.len());
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        check_alpha(NAME, self.alpha)?;
        if let Some(at) = values.iter().position(|v| *v < 0.0) {
            return Err(ClassicError::data(
                NAME,
                format!(
                    "x holds the negative count {} at row {}, column {}; multinomial naive Bayes needs counts ≥ 0 (use GaussianNb for real-valued features)",
                    values[at],
                    at / cols,
                    at % cols
                ),
            ));
        }
        let (classes, codes) = input::encode_labels(y);
        let k = classes.len();
        let (sums, counts) = feature_counts(&values, cols, &codes, k);
        let mut log_prob = vec![0.0; k * cols];
        for c in 0..k {
            let smoothed = &sums[c * cols..(c + 1) * cols];
            let total: f64 = smoothed.iter().map(|s| s + self.alpha).sum();
            for (out, s) in log_prob[c * cols..(c + 1) * cols].iter_mut().zip(smoothed) {
                *out = (s + self.alpha).ln() - total.ln();
            }
        }
        self.fitted = Some(Fitted {
            features: cols,
            class_log_prior: class_log_prior(&counts, self.fit_prior),
            feature_log_prob: Tensor::from_vec(log_prob, [k, cols]),
            classes,
        });
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (joint, k) = self.joint_log_likelihood("predict", x);
        predict_from_joint(&joint, k, self.classes())
    }
}

impl Classifier for MultinomialNb {
    fn classes(&self) -> &[i64] {
        &fitted("MultinomialNb", &self.fitted, "classes").classes
    }
}

impl PredictProba for MultinomialNb {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_proba", x);
        proba_from_joint(joint, k)
    }
}

impl Persist for MultinomialNb {
    const KIND: &'static str = "MultinomialNb";

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        save(fitted("MultinomialNb", &self.fitted, "to_state"), &mut state);
        state.set_metadata("alpha", self.alpha.to_string());
        state.set_metadata("fit_prior", self.fit_prior.to_string());
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        Ok(MultinomialNb {
            alpha: input::state_meta(state, "alpha")?,
            fit_prior: input::state_meta(state, "fit_prior")?,
            fitted: Some(load(state)?),
        })
    }
}

/// Bernoulli naive Bayes, as scikit-learn's `BernoulliNB`: each feature is present (1) or
/// absent (0), and each class is a product of independent coin flips.
///
/// Inputs are first binarised (`x > threshold` becomes 1) unless the threshold is `None`.
/// `P(feature j | c) = (N_cj + alpha) / (n_c + 2·alpha)`, where `N_cj` counts class c's samples
/// with feature j and `n_c` is the class size. Unlike the multinomial model, an absent feature
/// counts as evidence too: the score adds `log(1 − P(j | c))` for every absent j.
///
/// ```
/// use kindling_classic::naive_bayes::BernoulliNb;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[1.0, 1.0, 0.0], [1.0, 0.0, 0.0], [0.0, 1.0, 1.0], [0.0, 0.0, 1.0]]);
/// let mut model = BernoulliNb::new();
/// model.fit(&x, &[0, 0, 1, 1]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[1.0, 0.0, 0.0], [0.0, 0.0, 1.0]])), vec![0, 1]);
/// ```
#[derive(Clone, Debug)]
pub struct BernoulliNb {
    alpha: f64,
    binarize: Option<f64>,
    fit_prior: bool,
    fitted: Option<Fitted>,
    /// `Σⱼ log(1 − P(j | c))` per class, the score of a sample with no feature present.
    absent_log_prob: Vec<f64>,
}

impl Default for BernoulliNb {
    fn default() -> Self {
        Self::new()
    }
}

impl BernoulliNb {
    /// `alpha = 1`, binarise at 0, priors learned.
    pub fn new() -> Self {
        BernoulliNb { alpha: 1.0, binarize: Some(0.0), fit_prior: true, fitted: None, absent_log_prob: Vec::new() }
    }

    /// The pseudo-count added to both outcomes of every feature.
    pub fn alpha(mut self, alpha: f64) -> Self {
        self.alpha = alpha;
        self
    }

    /// Values above `threshold` count as present; `None` means the input is already 0/1.
    pub fn binarize(mut self, threshold: Option<f64>) -> Self {
        self.binarize = threshold;
        self
    }

    /// Whether to learn class priors (`true`) or use a uniform prior.
    pub fn fit_prior(mut self, fit_prior: bool) -> Self {
        self.fit_prior = fit_prior;
        self
    }

    /// `log P(feature present | class)`, `[classes, features]` (`feature_log_prob_`).
    pub fn feature_log_prob(&self) -> Tensor<f64> {
        fitted("BernoulliNb", &self.fitted, "feature_log_prob").feature_log_prob.clone()
    }

    /// `log P(class)` (`class_log_prior_`).
    pub fn class_log_prior(&self) -> &[f64] {
        &fitted("BernoulliNb", &self.fitted, "class_log_prior").class_log_prior
    }

    fn binarized(&self, values: Vec<f64>) -> Vec<f64> {
        match self.binarize {
            None => values,
            Some(t) => values.into_iter().map(|v| if v > t { 1.0 } else { 0.0 }).collect(),
        }
    }

    fn joint_log_likelihood(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let f = fitted("BernoulliNb", &self.fitted, op);
        let (values, rows, cols) = matrix(&format!("BernoulliNb::{op}"), x);
        input::check_features(&format!("BernoulliNb::{op}"), f.features, cols);
        let k = f.classes.len();
        let log_p = f.feature_log_prob.to_vec();
        // x·log p + (1 − x)·log(1 − p) = x·(log p − log(1 − p)) + Σ log(1 − p).
        let log_odds: Vec<f64> = log_p.iter().map(|lp| lp - (-lp.exp()).ln_1p()).collect();
        let present = Tensor::from_vec(self.binarized(values), [rows, cols]);
        let mut joint = present.matmul(&Tensor::from_vec(log_odds, [k, cols]).t()).contiguous().to_vec();
        for row in joint.chunks_mut(k) {
            for ((v, prior), absent) in row.iter_mut().zip(&f.class_log_prior).zip(&self.absent_log_prob) {
                *v += prior + absent;
            }
        }
        (joint, k)
    }

    /// Log class probabilities, `[samples, classes]`.
    pub fn predict_log_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_log_proba", x);
        log_proba_from_joint(joint, k)
    }

    fn absent_scores(log_prob: &[f64], classes: usize) -> Vec<f64> {
        let cols = log_prob.len() / classes.max(1);
        log_prob.chunks(cols.max(1)).take(classes).map(|row| row.iter().map(|lp| (-lp.exp()).ln_1p()).sum()).collect()
    }
}

impl Supervised for BernoulliNb {
    type Target = i64;

    fn name(&self) -> &'static str {
        "BernoulliNb"
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        const NAME: &str = "BernoulliNb";
        let (values, rows, cols) = matrix("BernoulliNb::fit", x);
        input::check_targets("BernoulliNb::fit", rows, y.len());
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        check_alpha(NAME, self.alpha)?;
        let values = self.binarized(values);
        let (classes, codes) = input::encode_labels(y);
        let k = classes.len();
        let (sums, counts) = feature_counts(&values, cols, &codes, k);
        let mut log_prob = vec![0.0; k * cols];
        for c in 0..k {
            let denominator = (counts[c] as f64 + 2.0 * self.alpha).ln();
            for (out, s) in log_prob[c * cols..(c + 1) * cols].iter_mut().zip(&sums[c * cols..(c + 1) * cols]) {
                *out = (s + self.alpha).ln() - denominator;
            }
        }
        self.absent_log_prob = Self::absent_scores(&log_prob, k);
        self.fitted = Some(Fitted {
            features: cols,
            class_log_prior: class_log_prior(&counts, self.fit_prior),
            feature_log_prob: Tensor::from_vec(log_prob, [k, cols]),
            classes,
        });
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (joint, k) = self.joint_log_likelihood("predict", x);
        predict_from_joint(&joint, k, self.classes())
    }
}

impl Classifier for BernoulliNb {
    fn classes(&self) -> &[i64] {
        &fitted("BernoulliNb", &self.fitted, "classes").classes
    }
}

impl PredictProba for BernoulliNb {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_proba", x);
        proba_from_joint(joint, k)
    }
}

impl Persist for BernoulliNb {
    const KIND: &'static str = "BernoulliNb";

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        save(fitted("BernoulliNb", &self.fitted, "to_state"), &mut state);
        state.set_metadata("alpha", self.alpha.to_string());
        state.set_metadata("fit_prior", self.fit_prior.to_string());
        if let Some(t) = self.binarize {
            state.set_metadata("binarize", t.to_string());
        }
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let fitted = load(state)?;
        let binarize = match state.metadata().get("binarize") {
            None => None,
            Some(_) => Some(input::state_meta(state, "binarize")?),
        };
        Ok(BernoulliNb {
            alpha: input::state_meta(state, "alpha")?,
            fit_prior: input::state_meta(state, "fit_prior")?,
            binarize,
            absent_log_prob: Self::absent_scores(&fitted.feature_log_prob.to_vec(), fitted.classes.len()),
            fitted: Some(fitted),
        })
    }
}
