//! Gradient boosting for class labels: log loss, one tree per stage for two classes, K for K.

use super::support::{argmax_rows, check_features, check_fit_input, encode_classes, softmax_rows, state_i64};
use super::{boost, expit, Config, Ensemble, Loss, Targets};
use crate::tree::MaxFeatures;
use crate::{ClassicError, Classifier, Persist, PredictProba, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "GradientBoostingClassifier";

/// Gradient boosting of regression trees on the log loss, as scikit-learn's
/// `GradientBoostingClassifier` (see the [module](super) for the algorithm).
///
/// The raw prediction F is the log-odds of the second class for two classes (`[samples]` from
/// [`GradientBoostingClassifier::decision_function`]) and one score per class otherwise; the
/// probabilities are its logistic function or softmax.
///
/// ```
/// use kindling_classic::ensemble::GradientBoostingClassifier;
/// use kindling_classic::{PredictProba, Supervised};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec((0..12).map(f64::from).collect(), [12, 1]);
/// let y = [0, 0, 0, 0, 1, 1, 1, 1, 2, 2, 2, 2];
/// let mut model = GradientBoostingClassifier::new(20).learning_rate(0.5).max_depth(2);
/// model.fit(&x, &y).unwrap();
/// assert_eq!(model.predict(&x), y.to_vec());
/// assert_eq!(model.predict_proba(&x).shape(), &[12, 3]);
/// // The training loss falls stage by stage.
/// let losses = model.train_score();
/// assert!(losses.windows(2).all(|w| w[1] <= w[0]));
/// ```
#[derive(Clone, Debug)]
pub struct GradientBoostingClassifier {
    config: Config,
    fitted: Option<(Vec<i64>, Ensemble)>,
}

impl GradientBoostingClassifier {
    /// `n_estimators` stages, `learning_rate = 0.1`, trees of depth 3, no subsampling.
    pub fn new(n_estimators: usize) -> Self {
        GradientBoostingClassifier { config: Config::new(n_estimators), fitted: None }
    }

    /// The shrinkage ν applied to every tree.
    pub fn learning_rate(mut self, learning_rate: f64) -> Self {
        self.config.learning_rate = learning_rate;
        self
    }

    /// The trees' depth limit (`3`, or `None` for none).
    pub fn max_depth(mut self, max_depth: impl Into<Option<usize>>) -> Self {
        self.config.max_depth = max_depth.into();
        self
    }

    /// The fewest rows a node needs to be split (2).
    pub fn min_samples_split(mut self, min_samples_split: usize) -> Self {
        self.config.min_samples_split = min_samples_split;
        self
    }

    /// The fewest rows a leaf may hold (1).
    pub fn min_samples_leaf(mut self, min_samples_leaf: usize) -> Self {
        self.config.min_samples_leaf = min_samples_leaf;
        self
    }

    /// The features each split considers (all).
    pub fn max_features(mut self, max_features: MaxFeatures) -> Self {
        self.config.max_features = max_features;
        self
    }

    /// The fraction of rows, drawn without replacement, each stage is fitted on (1.0: all).
    pub fn subsample(mut self, subsample: f64) -> Self {
        self.config.subsample = subsample;
        self
    }

    /// Seeds the row subsamples and the trees' tie-breaking.
    pub fn seed(mut self, seed: u64) -> Self {
        self.config.seed = seed;
        self
    }

    fn fitted(&self, op: &str) -> (&[i64], &Ensemble) {
        let (classes, ensemble) =
            self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"));
        (classes, ensemble)
    }

    /// [`Supervised::fit`] with a weight per row (scikit-learn's `sample_weight`).
    pub fn fit_weighted(&mut self, x: &Tensor<f64>, y: &[i64], sample_weight: &[f64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, Some(sample_weight))
    }

    fn fit_with(&mut self, x: &Tensor<f64>, y: &[i64], sample_weight: Option<&[f64]>) -> Result<(), ClassicError> {
        check_fit_input(NAME, x, y.len(), sample_weight)?;
        self.config.check(NAME)?;
        let (classes, codes) = encode_classes(NAME, y)?;
        let loss = if classes.len() == 2 { Loss::Binomial } else { Loss::Multinomial(classes.len()) };
        let ensemble = boost(&self.config, x, Targets::Codes(&codes, loss), sample_weight)?;
        self.fitted = Some((classes, ensemble));
        Ok(())
    }

    /// The training loss after each stage (scikit-learn's `train_score_`: twice the mean log
    /// loss for two classes, the mean log loss for more, over the in-bag rows).
    pub fn train_score(&self) -> &[f64] {
        &self.fitted("train_score").1.train_score
    }

    /// The fitted trees, stage after stage (K per stage for K > 2 classes).
    pub fn estimators(&self) -> &[crate::tree::DecisionTreeRegressor] {
        &self.fitted("estimators").1.trees
    }

    /// Impurity-based importances averaged over the trees, summing to 1.
    pub fn feature_importances(&self) -> Vec<f64> {
        self.fitted("feature_importances").1.feature_importances()
    }

    fn decision(&self, raw: &[f64], rows: usize, width: usize) -> Tensor<f64> {
        if width == 1 {
            Tensor::from_vec(raw.to_vec(), [rows])
        } else {
            Tensor::from_vec(raw.to_vec(), [rows, width])
        }
    }

    fn proba(&self, raw: &[f64], width: usize) -> Vec<f64> {
        if width == 1 {
            raw.iter().flat_map(|&f| [1.0 - expit(f), expit(f)]).collect()
        } else {
            let mut p = raw.to_vec();
            softmax_rows(&mut p, width);
            p
        }
    }

    fn labels(&self, raw: &[f64], width: usize) -> Vec<i64> {
        let classes = self.fitted("predict").0;
        if width == 1 {
            raw.iter().map(|&f| classes[usize::from(f > 0.0)]).collect()
        } else {
            argmax_rows(raw, width).into_iter().map(|c| classes[c]).collect()
        }
    }

    fn raw(&self, op: &str, x: &Tensor<f64>) -> (Vec<f64>, usize) {
        let (_, ensemble) = self.fitted(op);
        check_features(&format!("{NAME}::{op}"), ensemble.features, x);
        (ensemble.raw(x), ensemble.width)
    }

    fn staged<T>(&self, op: &str, x: &Tensor<f64>, each: impl Fn(&[f64], usize) -> T) -> Vec<T> {
        let (_, ensemble) = self.fitted(op);
        check_features(&format!("{NAME}::{op}"), ensemble.features, x);
        let mut out = Vec::with_capacity(ensemble.stages());
        ensemble.visit_stages(x, |_, raw| out.push(each(raw, ensemble.width)));
        out
    }

    /// The raw prediction F: `[samples]` (log-odds of the second class) for two classes,
    /// `[samples, classes]` otherwise.
    pub fn decision_function(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (raw, width) = self.raw("decision_function", x);
        self.decision(&raw, x.shape()[0], width)
    }

    /// [`GradientBoostingClassifier::decision_function`] after each stage.
    pub fn staged_decision_function(&self, x: &Tensor<f64>) -> Vec<Tensor<f64>> {
        let rows = x.shape()[0];
        self.staged("staged_decision_function", x, |raw, width| self.decision(raw, rows, width))
    }

    /// The predictions after each stage.
    pub fn staged_predict(&self, x: &Tensor<f64>) -> Vec<Vec<i64>> {
        self.staged("staged_predict", x, |raw, width| self.labels(raw, width))
    }

    /// The class probabilities after each stage, `[samples, classes]` each.
    pub fn staged_predict_proba(&self, x: &Tensor<f64>) -> Vec<Tensor<f64>> {
        let rows = x.shape()[0];
        let k = self.fitted("staged_predict_proba").0.len();
        self.staged("staged_predict_proba", x, |raw, width| Tensor::from_vec(self.proba(raw, width), [rows, k]))
    }

    /// The accuracy on `(x, y)` after each stage (the "error against number of trees" curve).
    pub fn staged_score(&self, x: &Tensor<f64>, y: &[i64]) -> Vec<f64> {
        let rows = x.shape()[0];
        assert!(rows == y.len(), "{NAME}::staged_score: x has {rows} rows but y has {} values", y.len());
        self.staged("staged_score", x, |raw, width| kindling_metrics::metrics::accuracy(y, &self.labels(raw, width)))
    }
}

impl Supervised for GradientBoostingClassifier {
    type Target = i64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[i64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, None)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<i64> {
        let (raw, width) = self.raw("predict", x);
        self.labels(&raw, width)
    }
}

impl Classifier for GradientBoostingClassifier {
    fn classes(&self) -> &[i64] {
        self.fitted("classes").0
    }
}

impl PredictProba for GradientBoostingClassifier {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        let (raw, width) = self.raw("predict_proba", x);
        let k = self.fitted("predict_proba").0.len();
        Tensor::from_vec(self.proba(&raw, width), [x.shape()[0], k])
    }
}

impl Persist for GradientBoostingClassifier {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let (classes, ensemble) = self.fitted("to_state");
        let mut state = StateDict::new();
        state.insert("classes", Tensor::from_slice(classes));
        ensemble.save(&mut state);
        self.config.save(&mut state);
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let classes = state_i64(state, "classes")?;
        let learning_rate = super::support::state_meta(state, "learning_rate")?;
        let ensemble = Ensemble::load(state, learning_rate)?;
        let expected = if classes.len() == 2 { 1 } else { classes.len() };
        if classes.len() < 2 || ensemble.width != expected {
            return Err(format!("{} classes do not match stages of {} trees", classes.len(), ensemble.width));
        }
        let config = Config::load(state)?;
        Ok(GradientBoostingClassifier { config, fitted: Some((classes, ensemble)) })
    }
}
