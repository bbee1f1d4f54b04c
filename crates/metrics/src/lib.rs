//! Kindling's measurements, on tensors alone: how good a model's outputs are ([`metrics`]),
//! what happened epoch by epoch ([`History`]), pictures of both ([`plot`]), and reproducible
//! seeds ([`seed_everything`]).
//!
//! This crate sits beside autograd, directly on `kindling-tensor`: a metric reads a batch of
//! outputs as a `Tensor<f32>` and the targets as a tensor, so non-neural code (the classic
//! models) measures itself with the same functions as a network. `kindling-train` re-exports
//! every module here, so `kindling_train::metrics` keeps working.
//!
//! ```
//! use kindling_metrics::metrics::{self, Accuracy, Metric};
//! use kindling_tensor::Tensor;
//!
//! let logits = Tensor::from_vec(vec![2.0f32, -1.0, 0.5, 1.5], [2, 2]);
//! let labels = Tensor::from_vec(vec![0i64, 0], [2]);
//! assert_eq!(metrics::predicted_classes(&logits), [0, 1]);
//! let mut accuracy = Accuracy::new();
//! accuracy.update(&logits, &labels);
//! assert_eq!(accuracy.value(), 0.5);
//! ```
//!
//! - **Metrics** ([`metrics`]): accuracy, precision/recall/F1/specificity per class and
//!   macro/micro/weighted, the confusion matrix, ROC AUC, log loss, MSE/RMSE/MAE/R², as
//!   functions and as streaming [`Metric`]s; BLEU, exact match and token accuracy for
//!   generated sequences ([`metrics::text`]).
//! - **History** ([`history`]): every epoch's named values, as JSON or CSV.
//! - **Plots** ([`plot`]): curves, confusion matrix, decision boundary, predictions, image
//!   grids, labelled heatmaps (attention weights) and labelled scatters (word maps), as PNG or
//!   SVG.
//! - **Seeds** ([`seed`]): one seed, one named stream per purpose.

mod error;
pub mod history;
pub mod metrics;
pub mod plot;
pub mod seed;

pub use error::{write_atomic, MetricsError};
pub use history::{EpochLog, History};
pub use metrics::{Average, ConfusionMatrix, Metric};
pub use seed::{seed_everything, Seed, SharedRng};
