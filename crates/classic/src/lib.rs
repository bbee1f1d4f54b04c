//! Classic machine learning on Kindling's tensors: no autograd, no training loop, just
//! estimators that are configured, fitted and asked for predictions, in the shape a
//! scikit-learn user will recognise.
//!
//! Every estimator works in f64 on a `[samples, features]` tensor and follows one convention
//! ([`estimator`]): configure with builder methods, `fit`, then `predict`, `predict_proba`,
//! `transform` or `score`. Pipelines ([`pipeline`]) chain transformers ([`preprocessing`]) in
//! front of an estimator; cross-validation and grid search ([`model_selection`]) work over any
//! of them; every fitted model is saved and loaded as safetensors ([`persist`]). [`contract`]
//! checks the convention for any estimator, in its tests.
//!
//! The crate stands on `kindling-tensor` (its `linalg` and `stats`), `kindling-data`
//! (preprocessing, splits) and `kindling-metrics`, never on autograd (DESIGN.md, "Layers").

// The convention and its plumbing.
pub mod contract;
pub mod error;
pub mod estimator;
pub(crate) mod input;
pub mod persist;

// The models.
pub mod linear;
pub mod naive_bayes;
pub mod neighbors;

// Trees, ensembles, margins and clusters (chapter 17).
pub mod cluster;
pub mod decomposition;
pub mod ensemble;
pub mod svm;
pub mod tree;

// Putting models together and choosing them.
pub mod model_selection;
pub mod pipeline;
pub mod preprocessing;

pub use error::ClassicError;
pub use estimator::{Classifier, Clusterer, PredictProba, Regressor, Supervised, Target, Transformer};
pub use persist::Persist;
