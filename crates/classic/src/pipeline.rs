//! [`Pipeline`]: preprocessing steps chained in front of an estimator, fitted and applied as
//! one model, so cross-validation refits the scaler on each training fold and never lets
//! statistics of the held-out rows leak into it.
//!
//! A pipeline is not yet saved as one file ([`Persist`](crate::Persist)): kindling-data's
//! scalers cannot be rebuilt from saved statistics. Save the fitted estimator
//! ([`Pipeline::estimator`]) and refit the steps, which are cheap.
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

use crate::{ClassicError, Classifier, PredictProba, Regressor, Supervised, Transformer};
use kindling_tensor::Tensor;

/// A [`Transformer`] behind a box, so steps of different types share one list. Cloning goes
/// through `clone_box` because `Clone` itself cannot be called on a trait object.
trait Step: Send + Sync {
    fn name(&self) -> &'static str;
    fn fit_transform(&mut self, x: &Tensor<f64>) -> Result<Tensor<f64>, ClassicError>;
    fn transform(&self, x: &Tensor<f64>) -> Tensor<f64>;
    fn clone_box(&self) -> Box<dyn Step>;
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
