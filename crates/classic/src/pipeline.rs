//! [`Pipeline`]: preprocessing steps chained in front of an estimator, fitted and applied as
//! one model, so cross-validation refits the scaler on each training fold and never lets
//! statistics of the held-out rows leak into it.
//!
//! A fitted pipeline is saved as one safetensors file ([`Pipeline::save`]): every step's
//! learned values and the estimator's, under `step0.`, `step1.`, … and `estimator.`. Its steps
//! are boxed, so loading cannot know their types from the file alone: [`Pipeline::load_into`]
//! fills an unfitted pipeline built with the same steps, and checks that they match.
//!
//! ```
//! use kindling_classic::pipeline::Pipeline;
//! use kindling_classic::{ClassicError, Supervised, Transformer};
//! use kindling_data::{PolynomialFeatures, StandardScaler};
//! use kindling_tensor::Tensor;
//!
//! /// Predicts the mean of the training targets (a stand-in for a real regressor).
//! #[derive(Clone, Default)]
//! struct Mean(f64);
//! impl Supervised for Mean {
//!     type Target = f64;
//!     fn name(&self) -> &'static str { "Mean" }
//!     fn fit(&mut self, _x: &Tensor<f64>, y: &[f64]) -> Result<(), ClassicError> {
//!         self.0 = y.iter().sum::<f64>() / y.len() as f64;
//!         Ok(())
//!     }
//!     fn predict(&self, x: &Tensor<f64>) -> Vec<f64> { vec![self.0; x.shape()[0]] }
//! }
//!
//! let x = Tensor::from_vec(vec![1.0, 2.0, 3.0, 4.0], [4, 1]);
//! let mut model = Pipeline::new(Mean::default()).step(StandardScaler::new()).step(PolynomialFeatures::new(2));
//! model.fit(&x, &[1.0, 2.0, 3.0, 6.0])?;
//! assert_eq!(model.predict(&x), [3.0; 4]);
//! assert_eq!(model.step_names(), ["StandardScaler", "PolynomialFeatures"]);
//! assert_eq!(model.transform(&x).shape(), &[4, 3]); // 1, z, z²
//! # Ok::<(), ClassicError>(())
//! ```

use crate::persist::KIND_KEY;
use crate::{ClassicError, Classifier, Persist, PredictProba, Regressor, Supervised, Transformer};
use kindling_tensor::safetensors::StateDict;
use kindling_tensor::Tensor;
use std::path::Path;

/// A [`Transformer`] behind a box, so steps of different types share one list. Cloning goes
/// through `clone_box` because `Clone` itself cannot be called on a trait object.
trait Step: Send + Sync {
    fn name(&self) -> &'static str;
    fn fit_transform(&mut self, x: &Tensor<f64>) -> Result<Tensor<f64>, ClassicError>;
    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64>;
    fn clone_box(&self) -> Box<dyn Step>;
    fn state(&self) -> Option<StateDict>;
    fn restore(&mut self, state: &StateDict) -> Result<(), String>;
}

impl<T: Transformer + 'static> Step for T {
    fn name(&self) -> &'static str {
        Transformer::name(self)
    }

    fn fit_transform(&mut self, x: &Tensor<f64>) -> Result<Tensor<f64>, ClassicError> {
        Transformer::fit_transform(self, x)
    }

    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        Transformer::transform(self, x)
    }

    fn clone_box(&self) -> Box<dyn Step> {
        Box::new(self.clone())
    }

    fn state(&self) -> Option<StateDict> {
        Transformer::state(self)
    }

    fn restore(&mut self, state: &StateDict) -> Result<(), String> {
        Transformer::restore(self, state)
    }
}

/// Transformers applied in the order they were added, then an estimator. A pipeline is a
/// [`Supervised`] model itself (and a [`Classifier`], [`PredictProba`] or [`Regressor`]
/// whenever its estimator is one), so it can be cross-validated and grid-searched as a whole.
pub struct Pipeline<E> {
    steps: Vec<Box<dyn Step>>,
    estimator: E,
    /// The number of input features seen by `fit`; `None` before.
    fitted: Option<usize>,
}

impl<E: Clone> Clone for Pipeline<E> {
    fn clone(&self) -> Self {
        Pipeline {
            steps: self.steps.iter().map(|s| s.clone_box()).collect(),
            estimator: self.estimator.clone(),
            fitted: self.fitted,
        }
    }
}

impl<E> Pipeline<E> {
    /// A pipeline with no steps yet in front of `estimator`.
    pub fn new(estimator: E) -> Self {
        Pipeline { steps: Vec::new(), estimator, fitted: None }
    }

    /// Adds `transformer` after the steps already there.
    pub fn step<T: Transformer + 'static>(mut self, transformer: T) -> Self {
        self.steps.push(Box::new(transformer));
        self
    }

    /// The estimator at the end (fitted once the pipeline is).
    pub fn estimator(&self) -> &E {
        &self.estimator
    }

    /// The steps' names, in order.
    pub fn step_names(&self) -> Vec<&'static str> {
        self.steps.iter().map(|s| s.name()).collect()
    }

    /// `x` after every step: what the estimator sees. Panics before `fit`.
    pub fn transform(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.checked_transform("Pipeline::transform", x)
    }

    fn checked_transform(&self, op: &str, x: &Tensor<f64>) -> Tensor<f64> {
        let Some(features) = self.fitted else { panic!("{op}: the pipeline is not fitted; call fit first") };
        assert!(
            x.rank() == 2 && x.shape()[1] == features,
            "{op}: the pipeline was fitted on {features} features but x has shape {:?}",
            x.shape()
        );
        self.steps.iter().fold(x.clone(), |acc, s| s.transform(&acc))
    }
}

/// The kind a saved pipeline carries in its metadata.
const PIPELINE_KIND: &str = "Pipeline";

impl<E: Persist> Pipeline<E> {
    /// Writes the fitted pipeline to `path` atomically: each step's fitted values, the
    /// estimator's, the steps' names and the number of input features. Panics before `fit`;
    /// fails when a step cannot be saved ([`Transformer::state`] gives `None`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), ClassicError> {
        let path = path.as_ref();
        let Some(features) = self.fitted else { panic!("Pipeline::save: the pipeline is not fitted; call fit first") };
        let io = |reason: String| ClassicError::Io { path: path.to_path_buf(), reason };
        let mut state = StateDict::new();
        for (i, step) in self.steps.iter().enumerate() {
            let part = step.state().ok_or_else(|| io(format!("step {i} ({}) cannot be saved", step.name())))?;
            nest(&mut state, &format!("step{i}"), &part);
        }
        nest(&mut state, "estimator", &self.estimator.to_state());
        state.set_metadata(KIND_KEY, PIPELINE_KIND);
        state.set_metadata("steps", self.step_names().join(","));
        state.set_metadata("estimator", E::KIND);
        state.set_metadata("features", features.to_string());
        state
            .save(path)
            .map_err(|e| io(format!("could not save the pipeline: {e} (check that the folder exists and is writable)")))
    }

    /// Fills this unfitted pipeline (built with the same steps, in the same order, and the
    /// same kind of estimator) from a file written by [`Pipeline::save`].
    pub fn load_into(mut self, path: impl AsRef<Path>) -> Result<Self, ClassicError> {
        let path = path.as_ref();
        let io = |reason: String| ClassicError::Io { path: path.to_path_buf(), reason };
        let state = StateDict::load(path).map_err(|e| io(format!("could not load a pipeline: {e}")))?;
        let meta = |key: &str| state.metadata().get(key).cloned().unwrap_or_default();
        if meta(KIND_KEY) != PIPELINE_KIND {
            return Err(io(format!("holds a {:?}, not a saved Pipeline", meta(KIND_KEY))));
        }
        let (saved_steps, expected_steps) = (meta("steps"), self.step_names().join(","));
        if saved_steps != expected_steps || meta("estimator") != E::KIND {
            return Err(io(format!(
                "holds steps [{saved_steps}] and a {}, but this pipeline has steps [{expected_steps}] and a {}; \
                 build it with the same steps to load it",
                meta("estimator"),
                E::KIND
            )));
        }
        let features = meta("features").parse().map_err(|_| io("has no valid \"features\" entry".to_string()))?;
        for (i, step) in self.steps.iter_mut().enumerate() {
            let name = step.name();
            step.restore(&unnest(&state, &format!("step{i}")))
                .map_err(|reason| io(format!("step {i} ({name}) is not valid: {reason}")))?;
        }
        self.estimator = E::from_state(&unnest(&state, "estimator"))
            .map_err(|reason| io(format!("is not a valid {}: {reason}", E::KIND)))?;
        self.fitted = Some(features);
        Ok(self)
    }
}

/// Copies `part`'s tensors and metadata into `into` under `prefix.`.
fn nest(into: &mut StateDict, prefix: &str, part: &StateDict) {
    for (name, tensor) in part.iter() {
        into.insert(format!("{prefix}.{name}"), tensor.clone());
    }
    for (key, value) in part.metadata() {
        into.set_metadata(format!("{prefix}.{key}"), value.clone());
    }
}

/// The tensors and metadata stored under `prefix.`, with the prefix removed.
fn unnest(state: &StateDict, prefix: &str) -> StateDict {
    let mut part = state.sub(prefix);
    let dotted = format!("{prefix}.");
    for (key, value) in state.metadata() {
        if let Some(rest) = key.strip_prefix(&dotted) {
            part.set_metadata(rest, value.clone());
        }
    }
    part
}

impl<E: Supervised> Supervised for Pipeline<E> {
    type Target = E::Target;

    fn name(&self) -> &'static str {
        "Pipeline"
    }

    /// Fits each step on the output of the one before, then the estimator on the last output.
    fn fit(&mut self, x: &Tensor<f64>, y: &[E::Target]) -> Result<(), ClassicError> {
        assert!(
            x.rank() == 2 && x.shape()[0] == y.len(),
            "Pipeline::fit: x {:?} must be [samples, features] with one target per row, got {} targets",
            x.shape(),
            y.len()
        );
        self.fitted = None;
        let mut current = x.clone();
        for step in &mut self.steps {
            current = step.fit_transform(&current)?;
        }
        self.estimator.fit(&current, y)?;
        self.fitted = Some(x.shape()[1]);
        Ok(())
    }

    fn predict(&self, x: &Tensor<f64>) -> Vec<E::Target> {
        self.estimator.predict(&self.checked_transform("Pipeline::predict", x))
    }
}

impl<E: Classifier> Classifier for Pipeline<E> {
    fn classes(&self) -> &[i64] {
        self.estimator.classes()
    }
}

impl<E: PredictProba> PredictProba for Pipeline<E> {
    fn predict_proba(&self, x: &Tensor<f64>) -> Tensor<f64> {
        self.estimator.predict_proba(&self.checked_transform("Pipeline::predict_proba", x))
    }
}

impl<E: Regressor> Regressor for Pipeline<E> {}
