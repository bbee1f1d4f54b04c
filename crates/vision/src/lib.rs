//! Kindling's computer vision: image decoding and tensors, seeded augmentation pipelines, an
//! image-folder dataset and the course's CNNs.
//!
//! ```
//! use kindling_autograd::Variable;
//! use kindling_nn::{Forward, Module};
//! use kindling_tensor::{Rng, Tensor};
//! use kindling_vision::models::TinyVgg;
//!
//! let mut rng = Rng::seed(42);
//! let model = TinyVgg::<f32>::new(1, 10, 10, (28, 28), &mut rng);
//! let logits = model.forward(&Variable::constant(Tensor::zeros([4, 1, 28, 28])));
//! assert_eq!(logits.shape(), [4, 10]);
//! ```
//!
//! - The layers a CNN is built from are general and live in `kindling_nn` (as PyTorch keeps
//!   them in `torch.nn`); they are re-exported here so image code reads as before:
//!   [`Conv2d`], [`ConvTranspose2d`], [`MaxPool2d`], [`AvgPool2d`], [`AdaptiveAvgPool2d`],
//!   [`BatchNorm2d`], [`Dropout2d`]. Their kernels (naive, im2col + GEMM, direct) are the
//!   tensor crate's `ops::conv` and `ops::pool`; the differentiable ops are
//!   `kindling_autograd::{conv, pool}`.
//! - [`image`]: PNG/JPEG decoding to `[C, H, W]` tensors in [0, 1] within
//!   [`image::DecodeLimits`] (an oversize header or a file cut short is an error), resizing,
//!   normalising.
//! - [`transforms`]: composable augmentation pipelines seeded by (seed, epoch, index).
//! - [`folder::ImageFolder`]: one folder per class, a [`kindling_data::Dataset`].
//! - [`models`]: TinyVGG, LeNet-5, residual blocks and a small ResNet, the course's simple
//!   CNN and the DCGAN generator/discriminator.

pub mod folder;
pub mod image;
pub mod models;
pub mod transforms;

pub use kindling_autograd::conv::{conv2d, conv_transpose2d, Conv2dOptions, ConvTranspose2dOptions, Padding};
pub use kindling_autograd::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d, Pool2dOptions};
pub use kindling_nn::{AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout2d, MaxPool2d};
