//! Gradient boosting for real values: squared error, each tree fitted to the residuals.

use super::support::{check_features, check_fit_input, state_meta};
use super::{boost, Config, Ensemble, Targets};
use crate::tree::MaxFeatures;
use crate::{ClassicError, Persist, Regressor, Supervised};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

const NAME: &str = "GradientBoostingRegressor";

/// Gradient boosting of regression trees on the squared error, as scikit-learn's
/// `GradientBoostingRegressor` (see the [module](super)): F₀ is the mean target and every
/// stage adds ν times a tree fitted to the current residuals.
///
/// ```
/// use kindling_classic::ensemble::GradientBoostingRegressor;
/// use kindling_classic::Supervised;
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from_vec((0..20).map(f64::from).collect(), [20, 1]);
/// let y: Vec<f64> = (0..20).map(|i| (i as f64 / 3.0).sin()).collect();
/// let mut model = GradientBoostingRegressor::new(200);
/// model.fit(&x, &y).unwrap();
/// assert!(model.score(&x, &y) > 0.99);
/// // Each stage can only lower the training error.
/// assert!(model.train_score().windows(2).all(|w| w[1] <= w[0] + 1e-12));
/// ```
#[derive(Clone, Debug)]
pub struct GradientBoostingRegressor {
    config: Config,
    fitted: Option<Ensemble>,
}

impl GradientBoostingRegressor {
    /// `n_estimators` stages, `learning_rate = 0.1`, trees of depth 3, no subsampling.
    pub fn new(n_estimators: usize) -> Self {
        GradientBoostingRegressor { config: Config::new(n_estimators), fitted: None }
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

    fn fitted(&self, op: &str) -> &Ensemble {
        self.fitted.as_ref().unwrap_or_else(|| panic!("{NAME}::{op}: the model is not fitted; call fit first"))
    }

    /// [`Supervised::fit`] with a weight per row (scikit-learn's `sample_weight`).
    pub fn fit_weighted(&mut self, x: &Tensor<f64>, y: &[f64], sample_weight: &[f64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, Some(sample_weight))
    }

    fn fit_with(&mut self, x: &Tensor<f64>, y: &[f64], sample_weight: Option<&[f64]>) -> Result<(), ClassicError> {
        check_fit_input(NAME, x, y.len(), sample_weight)?;
        self.config.check(NAME)?;
        if let Some(at) = y.iter().position(|v| !v.is_finite()) {
            return Err(ClassicError::data(NAME, format!("y[{at}] is {}; targets must be finite", y[at])));
        }
        self.fitted = Some(boost(&self.config, x, Targets::Real(y), sample_weight)?);
        Ok(())
    }

    /// The mean squared error on the in-bag training rows after each stage (`train_score_`).
    pub fn train_score(&self) -> &[f64] {
        &self.fitted("train_score").train_score
    }

    /// The fitted trees, one per stage.
    pub fn estimators(&self) -> &[crate::tree::DecisionTreeRegressor] {
        &self.fitted("estimators").trees
    }

    /// Impurity-based importances averaged over the trees, summing to 1.
    pub fn feature_importances(&self) -> Vec<f64> {
        self.fitted("feature_importances").feature_importances()
    }

    /// The predictions after each stage.
    pub fn staged_predict(&self, x: &Tensor<f64>) -> Vec<Vec<f64>> {
        let ensemble = self.fitted("staged_predict");
        check_features(&format!("{NAME}::staged_predict"), ensemble.features, x);
        let mut out = Vec::with_capacity(ensemble.stages());
        ensemble.visit_stages(x, |_, raw| out.push(raw.to_vec()));
        out
    }

    /// R² on `(x, y)` after each stage.
    pub fn staged_score(&self, x: &Tensor<f64>, y: &[f64]) -> Vec<f64> {
        let rows = x.shape()[0];
        assert!(rows == y.len(), "{NAME}::staged_score: x has {rows} rows but y has {} values", y.len());
        self.staged_predict(x).iter().map(|p| kindling_metrics::metrics::r2_score(y, p)).collect()
    }
}

impl Supervised for GradientBoostingRegressor {
    type Target = f64;

    fn name(&self) -> &'static str {
        NAME
    }

    fn fit(&mut self, x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
        self.fit_with(x, y, None)
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<f64> {
        let ensemble = self.fitted("predict");
        check_features(&format!("{NAME}::predict"), ensemble.features, x);
        ensemble.raw(x)
    }
}

impl Regressor for GradientBoostingRegressor {}

impl Persist for GradientBoostingRegressor {
    const KIND: &'static str = NAME;

    fn to_state(&self) -> StateDict {
        let mut state = StateDict::new();
        self.fitted("to_state").save(&mut state);
        self.config.save(&mut state);
        state
    }

    fn from_state(state: &StateDict) -> Result<Self, String> {
        let ensemble = Ensemble::load(state, state_meta(state, "learning_rate")?)?;
        if ensemble.width != 1 {
            return Err(format!("a regressor has one tree per stage, not {}", ensemble.width));
        }
        Ok(GradientBoostingRegressor { config: Config::load(state)?, fitted: Some(ensemble) })
    }
}
