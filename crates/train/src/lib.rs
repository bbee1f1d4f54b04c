//! Kindling's training engine: the training and evaluation loops, `fit` with callbacks,
//! metrics, early stopping, checkpoints that resume bit for bit, progress bars and plots.
//!
//! The loop is written out first, as plain functions ([`train_step`], [`train_epoch`],
//! [`evaluate`]); [`Trainer::fit`] is built from them and adds what varies from run to run.
//!
//! ```
//! use kindling_data::{synthetic, DataLoader, TensorDataset};
//! use kindling_nn::{cross_entropy, Linear, ReLU, Sequential};
//! use kindling_optim::{Adam, AdamConfig};
//! use kindling_train::{metrics::Accuracy, seed_everything, EarlyStopping, Trainer};
//!
//! let seed = seed_everything(0);
//! let (x, y) = synthetic::blobs(200, &[[-2.0, 0.0], [2.0, 0.0]], 0.5, seed.data());
//! let train = DataLoader::new(TensorDataset::new(x.clone(), y.clone()), 32).shuffle(true).seed(seed.loader());
//! let val = DataLoader::new(TensorDataset::new(x, y), 100);
//!
//! let mut init = seed.init();
//! let model = Sequential::new().add(Linear::new(2, 8, &mut init)).add(ReLU).add(Linear::new(8, 2, &mut init));
//! let mut optimizer = Adam::new(kindling_nn::Module::parameters(&model), AdamConfig { lr: 0.05, ..Default::default() });
//!
//! let mut trainer = Trainer::new(&model, &mut optimizer, cross_entropy)
//!     .metric(Accuracy::new())
//!     .callback(EarlyStopping::new("val_loss", 3));
//! let history = trainer.fit(&train, Some(&val), 10).unwrap();
//! assert!(history.last("val_accuracy").unwrap() > 0.95);
//! assert!(history.get("loss").unwrap()[0] > history.last("loss").unwrap());
//! ```
//!
//! - **Loops** ([`engine`]): [`train_step`] (forward, loss, zero_grad, backward, step),
//!   [`eval_step`], [`train_epoch`] and [`evaluate`] (evaluation mode, no graph), returning
//!   [`EpochStats`] (mean loss, samples, seconds, time spent waiting for data). Batches are any
//!   iterator of `(inputs, targets)`; targets are `Tensor<i64>` labels or `Tensor<f32>`
//!   values ([`Target`]); inputs are features (`Tensor<f32>`) or whatever the model reads,
//!   such as token ids or a `(tokens, mask)` pair ([`ModelInput`]).
//! - **fit** ([`Trainer`]): metrics on training and validation data, a learning-rate
//!   scheduler ([`EpochScheduler`]), [`Callback`]s that may stop training, a [`History`] of
//!   every value per epoch (JSON and CSV), [`Progress`] bars, and checkpoints.
//! - **Metrics** ([`metrics`], from `kindling-metrics`, as are [`history`], [`plot`] and
//!   [`seed`]): accuracy, precision/recall/F1/specificity per class and
//!   macro/micro/weighted, the confusion matrix, ROC AUC, log loss, MSE/RMSE/MAE/R², as
//!   functions and as streaming [`Metric`]s.
//! - **Early stopping** ([`EarlyStopping`]): patience, `min_delta`, min/max mode, restoring the
//!   best weights kept in memory.
//! - **Checkpoints** ([`Checkpoint`]): model, optimizer, scheduler, callbacks, random
//!   generators and history in one safetensors file, written atomically.
//!   [`Trainer::resume`] continues a run to exactly the bits an uninterrupted run reaches.
//! - **Plots** ([`plot`]): curves, confusion matrix, decision boundary, predictions, image
//!   grids, as PNG or SVG.
//! - **Seeds** ([`seed_everything`]): one seed, one named stream per purpose.
//!
//! # Progress bars
//!
//! `fit` draws an epoch bar and a batch bar (running loss, samples per second, time left)
//! when standard error is a terminal; under `cargo test`, in CI logs or with output
//! redirected it prints nothing. `KINDLING_PROGRESS=bars|lines|quiet` overrides this (see
//! [`Progress`]).
//!
//! # Exact resumption
//!
//! A resumed run matches an uninterrupted one bit for bit when everything random is either
//! derived from the epoch (the [`kindling_data::DataLoader`] shuffles epoch `e` from
//! `(seed, e)`) or saved in the checkpoint (tracked generators, [`Trainer::track_rng`]).
//! [`kindling_nn::Dropout`] keeps its generator inside the layer, outside the state dict, so
//! a model with dropout resumes with different masks.

pub mod callbacks;
pub mod checkpoint;
pub mod engine;
mod error;
pub mod progress;
pub mod trainer;

// Measuring, recording, plotting and seeding need no networks, so they live one layer down in
// `kindling-metrics`; these paths keep every `kindling_train::metrics::...` import working.
pub use kindling_metrics::{history, metrics, plot, seed, MetricsError};

pub use callbacks::{on_epoch_end, Callback, Context, EarlyStopping, EpochScheduler, Mode, OnPlateau, PerBatch};
pub use checkpoint::Checkpoint;
pub use engine::{
    eval_step, evaluate, evaluate_with, predict, train_epoch, train_epoch_with, train_step, BatchInfo, BatchSource,
    Control, EpochStats, ModelInput, Target,
};
pub use error::TrainError;
pub use history::{EpochLog, History};
pub use metrics::{Average, ConfusionMatrix, Metric};
pub use progress::Progress;
pub use seed::{seed_everything, Seed, SharedRng};
pub use trainer::Trainer;
