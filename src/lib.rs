//! Kindling: deep learning from first sparks, in Rust.
//!
//! This umbrella crate re-exports the workspace's crates and holds the `kindling` command
//! (`cargo run --release -- bench` prints the kernel performance tables).
//!
//! ```
//! use kindling::prelude::*;
//!
//! let x = Tensor::<f32>::randn([4, 3], &mut Rng::seed(0));
//! let w = Tensor::<f32>::ones([3, 2]);
//! assert_eq!(x.matmul(&w).shape(), &[4, 2]);
//! ```

pub mod bench;

pub use kindling_autograd as autograd;
pub use kindling_data as data;
pub use kindling_metrics as metrics;
pub use kindling_nn as nn;
pub use kindling_optim as optim;
pub use kindling_sequence as sequence;
pub use kindling_tensor as tensor;
pub use kindling_train as train;
pub use kindling_transformer as transformer;
pub use kindling_vision as vision;

/// The names most programs need, in one import.
pub mod prelude {
    pub use kindling_autograd::{gradcheck, no_grad, GradCheck, Variable};
    pub use kindling_data::{DataLoader, Dataset, TensorDataset, Transform};
    pub use kindling_nn::{
        cross_entropy, mse_loss, summary, BatchNorm1d, Dropout, Embedding, Flatten, Forward, LayerNorm, Linear, Module,
        ReLU, Reduction, Sequential, Sigmoid, Softmax, Tanh,
    };
    pub use kindling_optim::{clip_grad_norm, Adam, AdamConfig, AdamW, AdamWConfig, Optimizer, Sgd, SgdConfig};
    pub use kindling_tensor::tolerance::{assert_close, Tolerance};
    pub use kindling_tensor::{
        set_kernel_mode, with_kernel_mode, Axes, DType, Device, Element, Float, KernelMode, Numeric, Rng, Shape, Tensor,
    };
    pub use kindling_vision::transforms::ImageTransform;
}

/// The README's Rust examples compile and run as doctests, so they cannot drift from the code.
#[doc = include_str!("../README.md")]
#[cfg(doctest)]
pub struct ReadmeDoctests;
