//! Kindling's neural-network building blocks: modules and layers, losses, initialisers, state
//! dicts and model summaries, on top of [`kindling_autograd`].
//!
//! A model is a [`Module`] (it owns named parameters, buffers and submodules, and knows
//! train/eval mode) that implements [`Forward`] (its input in, a differentiable tensor out; the
//! input is one `Variable` unless the module reads token ids or several inputs). Layers
//! compose with [`Sequential`] or with plain structs and the [`module!`] macro:
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_nn::{cross_entropy, Dropout, Forward, Linear, Module, ReLU, Sequential};
//! use kindling_tensor::{Rng, Tensor};
//!
//! let mut rng = Rng::seed(0);
//! let model = Sequential::new()
//!     .add(Linear::new(4, 16, &mut rng))
//!     .add(ReLU)
//!     .add(Dropout::new(0.3, &mut rng))
//!     .add(Linear::new(16, 3, &mut rng));
//!
//! let x = Variable::constant(Tensor::randn([8, 4], &mut rng));
//! let labels = Tensor::from([0i64, 1, 2, 0, 1, 2, 0, 1]);
//! let loss = cross_entropy(&model.forward(&x), &labels);
//! loss.backward();
//! assert!(model.parameters().iter().all(|p| p.grad().is_some()));
//!
//! model.eval(); // dropout off for evaluation
//! assert!(!model.is_training());
//! ```
//!
//! - Parameter names follow PyTorch (`0.weight`, `bn.running_var`), so state dicts saved with
//!   [`Module::save`] as safetensors load in PyTorch and the other way round.
//! - Every layer is generic over the float type (`Linear<f64>` for gradient checks) with f32
//!   as the default, and initialised as PyTorch initialises it.
//! - [`check_module`] gradient-checks a whole layer (its input and every parameter).
//! - [`summary()`] prints each layer's output shape and parameter count, like torchinfo.
//! - The general layers PyTorch keeps in `torch.nn` live here whatever the data: [`Linear`],
//!   [`Embedding`], [`Conv1d`], [`Conv2d`], [`ConvTranspose2d`], the pools ([`MaxPool1d`],
//!   [`MaxPool2d`], [`AvgPool1d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`]), the norms
//!   ([`BatchNorm1d`], [`BatchNorm2d`], [`LayerNorm`], [`GroupNorm`], [`RMSNorm`]), [`Dropout`] and [`Dropout2d`].

mod activation;
pub mod check;
mod conv;
pub mod init;
mod layers;
pub mod loss;
mod module;
mod norm;
mod pool;
pub mod state;
pub mod summary;

pub use activation::{
    Hardtanh, LeakyReLU, LogSoftmax, PReLU, ReLU, SiLU, Sigmoid, Softmax, Softplus, Step, Tanh, ELU, GELU,
};
pub use check::{check_module, gradcheck_module};
pub use conv::{Conv1d, Conv2d, ConvTranspose2d};
pub use kindling_autograd::conv::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Padding, Padding1d};
pub use kindling_autograd::pool::{Pool1dOptions, Pool2dOptions};
pub use kindling_tensor::Float;
pub use layers::{Dropout, Dropout2d, Embedding, Flatten, Identity, Linear, Residual};
pub use loss::*;
pub use module::{Buffer, BufferSlot, Forward, Item, Module, Sequential, TrainingFlag, Visitor, Walker};
pub use norm::{BatchNorm1d, BatchNorm2d, ElementwiseAffine, GroupNorm, LayerNorm, RMSNorm};
pub use pool::{AdaptiveAvgPool2d, AvgPool1d, AvgPool2d, MaxPool1d, MaxPool2d};
pub use state::{LoadError, StateDictError};
pub use summary::{summary, summary_with, Summary, SummaryRow};
