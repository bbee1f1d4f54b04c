//! Kindling's optimizers, learning-rate schedules and gradient clipping.
//!
//! Training repeats one protocol: clear the gradients, compute the loss, backpropagate, step.
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_optim::{Optimizer, Sgd, SgdConfig};
//! use kindling_tensor::Tensor;
//!
//! // Minimize (w − 3)² from w = 0.
//! let w = Variable::param(Tensor::from([0.0f32]));
//! let mut opt = Sgd::new([w.clone()], SgdConfig { lr: 0.1, momentum: 0.9, ..Default::default() });
//! for _ in 0..200 {
//!     opt.zero_grad(); // gradients add up across backward calls until cleared
//!     let loss = (&w - 3.0).square().sum_all();
//!     loss.backward(); // fills w.grad()
//!     opt.step(); // w ← w − η·(momentum-smoothed gradient)
//! }
//! assert!((w.item() - 3.0).abs() < 1e-3);
//! ```
//!
//! - Optimizers: [`Sgd`] (momentum, dampening, Nesterov), [`Adagrad`], [`Adadelta`],
//!   [`Rmsprop`], [`Adam`] (AMSGrad), [`AdamW`], [`Adamax`], [`NAdam`], [`RAdam`] and
//!   [`Lion`]. Each is an [`Optim`] with its own config struct (`SgdConfig`, `AdamConfig`,
//!   ...) whose `Default` is PyTorch's, and whose doc gives the update rule; the formulas match
//!   `torch.optim` step for step, which `tests/fixtures/torch_reference.json` checks in f64.
//!
//! | optimizer | PyTorch | default lr | state per parameter |
//! |---|---|---|---|
//! | [`Sgd`] | `SGD` | 1e-3 | momentum buffer (when momentum > 0) |
//! | [`Adagrad`] | `Adagrad` | 1e-2 | sum of g² |
//! | [`Adadelta`] | `Adadelta` | 1.0 | averages of g² and of Δθ² |
//! | [`Rmsprop`] | `RMSprop` | 1e-2 | average of g² (and of g, centered; momentum buffer) |
//! | [`Adam`], [`AdamW`] | `Adam`, `AdamW` | 1e-3 | m, v (and max v, AMSGrad) |
//! | [`Adamax`] | `Adamax` | 2e-3 | m, decaying max of \|g\| |
//! | [`NAdam`] | `NAdam` | 2e-3 | m, v, product of momentum coefficients |
//! | [`RAdam`] | `RAdam` | 1e-3 | m, v |
//! | [`Lion`] | none (the paper's definition) | 1e-4 | m |
//! - A new optimizer is a config type implementing [`UpdateRule`] (its formula) and
//!   [`Hyperparameters`]; [`Optim`] supplies groups, skipping and state dicts.
//! - Parameter groups give different parameters different hyperparameters:
//!   [`Optim::add_param_group`]. Parameters that are frozen or have no gradient are skipped.
//! - Every optimizer is generic over the float type (`Sgd<f64>` for an f64 model).
//! - [`Optimizer::state_dict`] and the schedulers' `state_dict` save everything a run needs to
//!   resume bit for bit (see [`state`] for the names).
//! - [`schedule`]: step, multi-step, exponential, cosine, warm restarts, linear warmup,
//!   one-cycle, sequential composition, reduce-on-plateau, and warm-up then cosine
//!   ([`schedule::WarmupCosineLr`], for language models).
//! - [`clip_grad_norm`] and [`clip_grad_value`]; [`Ewma`] for smoothed curves.
//! - Weight decay on matrices only ([`split_for_weight_decay`], [`adamw_decay_matrices`]):
//!   biases and normalisation gains are not decayed.

mod adadelta;
mod adagrad;
mod adam;
mod adamax;
mod clip;
mod decay;
mod ewma;
mod lion;
mod nadam;
mod optimizer;
mod radam;
mod rmsprop;
pub mod schedule;
mod sgd;
pub mod state;

pub use adadelta::{Adadelta, AdadeltaConfig, AdadeltaState};
pub use adagrad::{Adagrad, AdagradConfig, AdagradState};
pub use adam::{Adam, AdamConfig, AdamState, AdamW, AdamWConfig};
pub use adamax::{Adamax, AdamaxConfig, AdamaxState};
pub use clip::{clip_grad_norm, clip_grad_value};
pub use decay::{adamw_decay_matrices, split_for_weight_decay, DecaySplit};
pub use ewma::Ewma;
pub use lion::{Lion, LionConfig, LionState};
pub use nadam::{NAdam, NAdamConfig, NAdamState};
pub use optimizer::{Entry, Field, Hyperparameters, Optim, Optimizer, ParamGroup, ParamState, UpdateRule};
pub use radam::{RAdam, RAdamConfig, RAdamState};
pub use rmsprop::{Rmsprop, RmspropConfig, RmspropState};
pub use sgd::{Sgd, SgdConfig, SgdState};
pub use state::OptimError;
