//! The one estimator convention every model in this crate follows.
//!
//! A model is a plain struct configured with builder methods (`Ridge::new().alpha(0.5)`).
//! `fit` learns from a `[samples, features]` f64 tensor and one target per row, and returns an
//! error only for what depends on the data (a singular system, a single class, a NaN).
//! Asking an unfitted model for predictions, or passing a `y` whose length is not the number
//! of rows, is a programming error and panics with the model's name and both shapes.
//!
//! | scikit-learn                 | here                                            |
//! |------------------------------|-------------------------------------------------|
//! | `est.fit(X, y)`              | [`Supervised::fit`] (`y`: `&[i64]` or `&[f64]`)  |
//! | `est.predict(X)`             | [`Supervised::predict`]                          |
//! | `est.score(X, y)`            | [`Supervised::score`] (accuracy or R²)           |
//! | `est.predict_proba(X)`       | [`PredictProba::predict_proba`]                  |
//! | `est.classes_`               | [`Classifier::classes`]                          |
//! | `t.fit(X)`, `t.transform(X)` | [`Transformer::fit`], [`Transformer::transform`] |
//! | `clone(est)`                 | `est.clone()` (an unfitted copy is the config)   |

use crate::ClassicError;
use kindling_data::Fold;
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;

/// What a model predicts: class labels (`i64`) or real values (`f64`). Each kind brings the
/// score scikit-learn's `score` uses for it.
pub trait Target: Copy + PartialEq + std::fmt::Debug + Send + Sync + 'static {
    /// Accuracy for labels, R² for real values.
    fn default_score(actual: &[Self], predicted: &[Self]) -> f64;

    /// The folds model selection uses when none are given, as scikit-learn's `cv=k`: stratified
    /// k-fold for labels (shuffled with seed 0, since kindling-data's stratified folds shuffle),
    /// plain unshuffled k-fold for real values.
    fn default_folds(y: &[Self], k: usize) -> Vec<Fold>;
}

impl Target for i64 {
    fn default_score(actual: &[i64], predicted: &[i64]) -> f64 {
        kindling_metrics::metrics::accuracy(actual, predicted)
    }

    fn default_folds(y: &[i64], k: usize) -> Vec<Fold> {
        kindling_data::stratified_k_fold(y, k, 0)
    }
}

impl Target for f64 {
    fn default_score(actual: &[f64], predicted: &[f64]) -> f64 {
        kindling_metrics::metrics::r2_score(actual, predicted)
    }

    fn default_folds(y: &[f64], k: usize) -> Vec<Fold> {
        kindling_data::k_fold(y.len(), k, None)
    }
}

/// A model fitted to targets: a classifier or a regressor. `Clone` is how model selection
/// makes a fresh, unfitted copy for each fold.
pub trait Supervised: Clone + Send + Sync {
    /// Class labels or real values.
    type Target: Target;

    /// The model's name in messages (`"Ridge"`).
    fn name(&self) -> &'static str;

    /// Learns from `x` (`[samples, features]`) and one target per row, replacing whatever an
    /// earlier `fit` learned.
    fn fit(&mut self, x: &Tensor<f64>, y: &[Self::Target]) -> Result<(), ClassicError>;

    /// One prediction per row of `x`.
    fn predict(&self, x: &Tensor<f64>) -> Vec<Self::Target>;

    /// Accuracy for a classifier, R² for a regressor, as scikit-learn's `score`.
    fn score(&self, x: &Tensor<f64>, y: &[Self::Target]) -> f64 {
        Self::Target::default_score(y, &self.predict(x))
    }
}

/// A model of class labels. Labels are any `i64` codes; [`Classifier::classes`] lists those
/// seen in `fit`, sorted, which is the column order of [`PredictProba::predict_proba`].
pub trait Classifier: Supervised<Target = i64> {
    /// The labels seen in `fit`, ascending.
    fn classes(&self) -> &[i64];
}

/// A classifier that also gives class probabilities.
pub trait PredictProba: Classifier {
    /// `[samples, classes]`, each row summing to 1, columns in the order of `classes()`.
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64>;
}

/// A model of real values.
pub trait Regressor: Supervised<Target = f64> {}

/// A model that groups rows without targets (k-means, Gaussian mixtures, agglomerative
/// clustering). Cluster ids run from 0 to the number of clusters less one.
pub trait Clusterer: Clone + Send + Sync {
    /// The model's name in messages.
    fn name(&self) -> &'static str;

    /// Learns the clusters of `x` (`[samples, features]`), replacing an earlier fit.
    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError>;

    /// The cluster of each row `fit` saw. Panics when the model is not fitted.
    fn labels(&self) -> &[usize];

    /// `fit`, then the training rows' clusters.
    fn fit_predict(&mut self, x: &Tensor<f64>) -> Result<Vec<usize>, ClassicError> {
        self.fit(x)?;
        Ok(self.labels().to_vec())
    }
}

/// An unsupervised step that learns from `x` alone and rewrites it (a scaler, polynomial
/// features, later PCA).
pub trait Transformer: Clone + Send + Sync {
    /// The step's name in messages.
    fn name(&self) -> &'static str;

    /// Learns what the step needs from `x` (means, ranges).
    fn fit(&mut self, x: &Tensor<f64>) -> Result<(), ClassicError>;

    /// The rewritten rows.
    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64>;

    /// `fit`, then `transform` of the same rows.
    fn fit_transform(&mut self, x: &Tensor<f64>) -> Result<Tensor<f64>, ClassicError> {
        self.fit(x)?;
        Ok(self.transform(x))
    }

    /// What `fit` learned, as named tensors and metadata, so a saved
    /// [`Pipeline`](crate::pipeline::Pipeline) can hold the step; `None` (the default) for a
    /// step that cannot be saved. Panics when the step is not fitted.
    fn state(&self) -> Option<StateDict> {
        None
    }

    /// Takes back what [`Transformer::state`] gave, replacing the step's configuration and
    /// fitted values; `Err` says what is missing or malformed.
    fn restore(&mut self, state: &StateDict) -> Result<(), String> {
        let _ = state;
        Err(format!("{} cannot be restored from a file", self.name()))
    }
}
