//! [`HistGradientBoostingClassifier`]: log-loss boosting of histogram trees.

use super::boosting::{self, Booster, Params};
use super::loss::{expit, softmax_into, Loss};
use super::{hist_gb_builders, state, HistTree};
use crate::input;
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "HistGradientBoostingClassifier";

/// Histogram-based gradient boosting for classification, as scikit-learn's
/// `HistGradientBoostingClassifier`: binary log loss (one tree per round) for two classes,
/// multinomial log loss (one tree per class per round) for more.
///
/// ```
/// use kindling_classic::ensemble::{EarlyStopping, HistGradientBoostingClassifier};
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// // Two blobs on a line: below 5 is class 0, above is class 1.
/// let x = Tensor::from_vec((0..40).map(|i| f64::from(i) / 4.0).collect(), [40, 1]);
/// let y: Vec<i64> = (0..40).map(|i| i64::from(i >= 20)).collect();
/// let mut model = HistGradientBoostingClassifier::new().max_iter(20).min_samples_leaf(5);
/// model.fit(&x, &y).unwrap();
/// assert_eq!(model.n_iter(), 20);
/// assert_eq!(model.predict(&Tensor::from([[1.0], [9.0]])), vec![0, 1]);
/// assert!(model.predict_proba(&Tensor::from([[9.0]])).to_vec()[1] > 0.9);
/// ```
#[derive(Clone, Debug)]
pub struct HistGradientBoostingClassifier {
    params: Params,
    classes: Vec<i64>,
    booster: Option<Booster>,
}

impl Default for HistGradientBoostingClassifier {
    fn default() -> Self {
        Self::new()
    }
}

impl HistGradientBoostingClassifier {
    /// scikit-learn's defaults: 100 rounds, learning rate 0.1, 31 leaves, 20 rows per leaf,
    /// 255 bins, early stopping [`EarlyStopping::Auto`](super::EarlyStopping::Auto).
    pub fn new() -> Self {
        HistGradientBoostingClassifier { params: Params::default(), classes: Vec::new(), booster: None }
    }

    hist_gb_builders!();

    fn fitted(&self, op: &str) -> &Booster {
        self.booster.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    fn raw(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let booster = self.fitted(op);
        let (values, rows, cols) = input::matrix(&format!("{NAME}::{op}"), x);
        input::check_features(&format!("{NAME}::{op}"), booster.features, cols);
        (booster.raw(&values, rows, booster.n_iter()), rows)
    }

    /// The raw scores: `[samples]` log-odds of the second class for two classes, `[samples,
    /// classes]` for more (scikit-learn's `decision_function`).
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (raw, rows) = self.raw("decision_function", x);
        let k = self.fitted("decision_function").outputs;
        if k == 1 {
            Tensor::from_vec(raw, [rows])
        } else {
            Tensor::from_vec(raw, [rows, k])
        }
    }

    /// The predictions after each round, for a test-error-against-rounds curve.
    pub fn staged_predict(&self, x: &Tensor<f64>) -> Vec<Vec<i64>> {
        let booster = self.fitted("staged_predict");
        let (values, rows, cols) = input::matrix(&format!("{NAME}::staged_predict"), x);
        input::check_features(&format!("{NAME}::staged_predict"), booster.features, cols);
        booster.staged_raw(&values, rows).iter().map(|raw| self.labels(raw, booster.outputs)).collect()
    }

    fn labels(&self, raw: &[f64], k: usize) -> Vec<i64> {
        if k == 1 {
            raw.iter().map(|&r| self.classes[usize::from(r > 0.0)]).collect()
        } else {
            input::argmax_rows(raw, k).into_iter().map(|c| self.classes[c]).collect()
        }
    }
}

impl Supervised for HistGradientBoostingClassifier {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        let (values, rows, cols) = input::matrix(&format!("{NAME}::fit"), x);
        input::check_targets(&format!("{NAME}::fit"), rows, y.len());
        self.params.check(NAME)?;
        input::check_not_empty(NAME, rows)?;
        input::check_finite(NAME, &values, cols)?;
        let (classes, codes) = input::encode_labels(y);
        if classes.len() < 2 {
            return Err(ClassicError::data(NAME, "y holds a single class; a classifier needs at least two"));
        }
        let loss = if classes.len() == 2 { Loss::Binary } else { Loss::Multinomial(classes.len()) };
        let targets: Vec<f64> = codes.iter().map(|&c| c as f64).collect();
        let labels: Vec<i64> = codes.iter().map(|&c| c as i64).collect();
        let booster = boosting::fit(&self.params, loss, &values, cols, &targets, Some(&labels));
        self.classes = classes;
        self.booster = Some(booster);
        Ok(())
    }

    /// The class with the largest raw score (for two classes: the second when its log-odds
    /// are positive).
    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (raw, _) = self.raw("predict", x);
        self.labels(&raw, self.fitted("predict").outputs)
    }
}

impl Classifier for HistGradientBoostingClassifier {
    fn classes(&self) -> &[i64] {
        self.fitted("classes");
        &self.classes
    }
}

impl PredictProba for HistGradientBoostingClassifier {
    /// The logistic of the log-odds for two classes, the softmax of the raw scores for more.
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (raw, rows) = self.raw("predict_proba", x);
        let k = self.classes.len();
        let mut proba = vec![0.0; rows * k];
        if k == 2 {
            for (p, &r) in proba.chunks_mut(2).zip(&raw) {
                let positive = expit(r);
                (p[0], p[1]) = (1.0 - positive, positive);
            }
        } else {
            for (p, r) in proba.chunks_mut(k).zip(raw.chunks(k)) {
                softmax_into(r, p);
            }
        }
        Tensor::from_vec(proba, [rows, k])
    }
}

impl Persist for HistGradientBoostingClassifier {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut out = StateDict::new();
        state::save(&self.params, self.fitted("to_state"), &mut out);
        out.insert("classes", Tensor::from_vec(self.classes.clone(), [self.classes.len()]));
        out
    }

    fn from_state(saved: &StateDict) -> Result<Self, String> {
        let (params, booster) = state::load(saved)?;
        let classes = input::state_i64(saved, "classes")?;
        let expected = if classes.len() == 2 { 1 } else { classes.len() };
        if classes.len() < 2 || booster.outputs != expected {
            return Err(format!("{} classes do not fit {} outputs per round", classes.len(), booster.outputs));
        }
        Ok(HistGradientBoostingClassifier { params, classes, booster: Some(booster) })
    }
}
