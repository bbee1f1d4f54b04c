//! Gaussian naive Bayes: each feature, within each class, is a normal distribution.

use super::{class_counts, log_proba_from_joint, predict_from_joint, proba_from_joint};
use crate::input::{self, matrix};
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "GaussianNb";

/// Gaussian naive Bayes, as scikit-learn's `GaussianNB`.
///
/// `fit` learns each class's prior, and each feature's mean and variance within the class.
/// Every variance gets `var_smoothing` × the largest feature variance added, so a feature that
/// is constant within a class does not divide by zero. A sample's score for class c is
/// `log P(c) − ½ Σⱼ [log(2π σ²_cj) + (xⱼ − μ_cj)² / σ²_cj]`.
///
/// ```
/// use kindling_classic::naive_bayes::GaussianNb;
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[1.0, 2.0], [1.2, 1.8], [5.0, 6.0], [5.3, 6.1]]);
/// let mut model = GaussianNb::new();
/// model.fit(&x, &[0, 0, 1, 1]).unwrap();
/// assert_eq!(model.predict(&Tensor::from([[1.1, 2.1], [5.1, 5.9]])), vec![0, 1]);
/// let p = model.predict_proba(&Tensor::from([[3.0, 4.0]]));
/// assert!((p.to_vec().iter().sum::<f64>() - 1.0).abs() < 1e-12);
/// ```
#[derive(Clone, Debug)]
pub struct GaussianNb {
    var_smoothing: f64,
    priors: Option<Vec<f64>>,
    fitted: Option<Fitted>,
}

#[derive(Clone, Debug)]
struct Fitted {
    classes: Vec<i64>,
    features: usize,
    /// `[classes]`
    class_prior: Vec<f64>,
    /// `[classes, features]`, row-major.
    means: Vec<f64>,
    /// `[classes, features]`, smoothing included.
    variances: Vec<f64>,
    epsilon: f64,
}

impl Default for GaussianNb {
    fn default() -> Self {
        Self::new()
    }
}

impl GaussianNb {
    /// `var_smoothing = 1e-9`, priors learned from the class frequencies.
    pub fn new() -> Self {
        GaussianNb { var_smoothing: 1e-9, priors: None, fitted: None }
    }

    /// The fraction of the largest feature variance added to every variance.
    pub fn var_smoothing(mut self, var_smoothing: f64) -> Self {
        self.var_smoothing = var_smoothing;
        self
    }

    /// Fixed class priors, in the order of the sorted labels (they must sum to 1).
    pub fn priors(mut self, priors: Vec<f64>) -> Self {
        self.priors = Some(priors);
        self
    }

    fn fitted(&self, op: &str) -> &Fitted {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// The labels' priors, `[classes]` (scikit-learn's `class_prior_`).
    pub fn class_prior(&self) -> &[f64] {
        &self.fitted("class_prior").class_prior
    }

    /// Per-class feature means, `[classes, features]` (`theta_`).
    pub fn means(&self) -> Tensor<f64> {
        let f = self.fitted("means");
        Tensor::from_vec(f.means.clone(), [f.classes.len(), f.features])
    }

    /// Per-class feature variances with the smoothing added, `[classes, features]` (`var_`).
    pub fn variances(&self) -> Tensor<f64> {
        let f = self.fitted("variances");
        Tensor::from_vec(f.variances.clone(), [f.classes.len(), f.features])
    }

    /// The amount added to every variance (`epsilon_`).
    pub fn epsilon(&self) -> f64 {
        self.fitted("epsilon").epsilon
    }

    /// Each sample's unnormalised log posterior per class, `[samples × classes]` row-major.
    fn joint_log_likelihood(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let f = self.fitted(op);
        let (values, rows, cols) = matrix(&format!("{NAME}::{op}"), x);
        input::check_features(&format!("{NAME}::{op}"), f.features, cols);
        let k = f.classes.len();
        // The constant part of each class's score does not depend on the sample.
        let constants: Vec<f64> = (0..k)
            .map(|c| {
                let vars = &f.variances[c * cols..(c + 1) * cols];
                f.class_prior[c].ln() - 0.5 * vars.iter().map(|v| (2.0 * std::f64::consts::PI * v).ln()).sum::<f64>()
            })
            .collect();
        let mut joint = vec![0.0; rows * k];
        for (row, out) in values.chunks(cols.max(1)).zip(joint.chunks_mut(k)) {
            for c in 0..k {
                let means = &f.means[c * cols..(c + 1) * cols];
                let vars = &f.variances[c * cols..(c + 1) * cols];
                let quad: f64 = row.iter().zip(means).zip(vars).map(|((x, m), v)| (x - m) * (x - m) / v).sum();
                out[c] = constants[c] - 0.5 * quad;
            }
        }
        (joint, k)
    }

    /// Log class probabilities, `[samples, classes]`.
    pub fn predict_log_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_log_proba", x);
        log_proba_from_joint(joint, k)
    }
}

impl Supervised for GaussianNb {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        let (values, rows, cols) = matrix("GaussianNb::fit", x);
        input::check_targets("GaussianNb::fit", rows, y.len());
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        if self.var_smoothing.is_nan() || self.var_smoothing < 0.0 {
            return Err(ClassicError::param(NAME, "var_smoothing", format!("must be ≥ 0, got {}", self.var_smoothing)));
        }
        let (classes, codes) = input::encode_labels(y);
        let k = classes.len();
        let counts = class_counts(&codes, k);

        let mut means = vec![0.0; k * cols];
        for (row, &c) in values.chunks(cols.max(1)).zip(&codes) {
            for (m, v) in means[c * cols..(c + 1) * cols].iter_mut().zip(row) {
                *m += v;
            }
        }
        for c in 0..k {
            means[c * cols..(c + 1) * cols].iter_mut().for_each(|m| *m /= counts[c] as f64);
        }
        // Two passes (mean, then squared deviations) keep the variance accurate.
        let mut variances = vec![0.0; k * cols];
        for (row, &c) in values.chunks(cols.max(1)).zip(&codes) {
            let mean = &means[c * cols..(c + 1) * cols];
            for ((s, v), m) in variances[c * cols..(c + 1) * cols].iter_mut().zip(row).zip(mean) {
                *s += (v - m) * (v - m);
            }
        }
        let epsilon = self.var_smoothing * largest_feature_variance(&values, rows, cols);
        for c in 0..k {
            variances[c * cols..(c + 1) * cols].iter_mut().for_each(|s| *s = *s / counts[c] as f64 + epsilon);
        }

        let class_prior = match &self.priors {
            None => counts.iter().map(|&n| n as f64 / rows as f64).collect(),
            Some(p) => {
                if p.len() != k {
                    return Err(ClassicError::param(
                        NAME,
                        "priors",
                        format!("has {} values but y has {k} classes", p.len()),
                    ));
                }
                if p.iter().any(|v| v.is_nan() || *v < 0.0) || (p.iter().sum::<f64>() - 1.0).abs() > 1e-8 {
                    return Err(ClassicError::param(NAME, "priors", "must be non-negative and sum to 1"));
                }
                p.clone()
            }
        };
        self.fitted = Some(Fitted { classes, features: cols, class_prior, means, variances, epsilon });
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (joint, k) = self.joint_log_likelihood("predict", x);
        predict_from_joint(&joint, k, &self.fitted("predict").classes)
    }
}

/// The largest population variance over the columns (scikit-learn's reference for smoothing).
fn largest_feature_variance(values: &[f64], rows: usize, cols: usize) -> f64 {
    (0..cols)
        .map(|j| {
            let mean = (0..rows).map(|i| values[i * cols + j]).sum::<f64>() / rows as f64;
            (0..rows).map(|i| (values[i * cols + j] - mean).powi(2)).sum::<f64>() / rows as f64
        })
        .fold(0.0, f64::max)
}

impl Classifier for GaussianNb {
    fn classes(&self) -> &[i64] {
        &self.fitted("classes").classes
    }
}

impl PredictProba for GaussianNb {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (joint, k) = self.joint_log_likelihood("predict_proba", x);
        proba_from_joint(joint, k)
    }
}

impl Persist for GaussianNb {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let f = self.fitted("to_state");
        let k = f.classes.len();
        let mut state = StateDict::new();
        state.insert("classes", Tensor::from_vec(f.classes.clone(), [k]));
        state.insert("class_prior", Tensor::from_vec(f.class_prior.clone(), [k]));
        state.insert("means", Tensor::from_vec(f.means.clone(), [k, f.features]));
        state.insert("variances", Tensor::from_vec(f.variances.clone(), [k, f.features]));
        state.set_metadata("var_smoothing", self.var_smoothing.to_string());
        state.set_metadata("epsilon", f.epsilon.to_string());
        if let Some(p) = &self.priors {
            state.set_metadata("priors", p.iter().map(f64::to_string).collect::<Vec<_>>().join(","));
        }
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let classes = input::state_i64(state, "classes")?;
        let means = input::state_f64(state, "means")?;
        let features = *means.shape().last().ok_or("means has no axes")?;
        let priors = match state.metadata().get("priors") {
            None => None,
            Some(text) => Some(
                text.split(',')
                    .map(|v| v.parse::<f64>().map_err(|_| "priors do not parse".to_string()))
                    .collect::<Result<_, _>>()?,
            ),
        };
        let fitted = Fitted {
            features,
            class_prior: input::state_f64(state, "class_prior")?.to_vec(),
            means: means.to_vec(),
            variances: input::state_f64(state, "variances")?.to_vec(),
            epsilon: input::state_meta(state, "epsilon")?,
            classes,
        };
        let k = fitted.classes.len();
        if fitted.class_prior.len() != k || fitted.means.len() != k * features || fitted.variances.len() != k * features
        {
            return Err(format!("the arrays disagree with {k} classes and {features} features"));
        }
        Ok(GaussianNb { var_smoothing: input::state_meta(state, "var_smoothing")?, priors, fitted: Some(fitted) })
    }
}
