//! Kindling's computer vision: convolution and pooling layers (each kernel naive and fast),
//! image decoding and tensors, seeded augmentation pipelines, an image-folder dataset and the
//! course's CNNs.
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
//! - [`ops::conv`] and [`ops::pool`]: the differentiable ops, with `naive` (nested loops) and
//!   `fast` (im2col + the tensor crate's GEMM, threads) kernels behind the tensor crate's
//!   kernel switch ([`kindling_tensor::with_kernel_mode`]).
//! - Layers as [`kindling_nn::Module`]s: [`Conv2d`], [`ConvTranspose2d`], [`MaxPool2d`],
//!   [`AvgPool2d`], [`AdaptiveAvgPool2d`], [`BatchNorm2d`], [`Dropout2d`].
//! - [`image`]: PNG/JPEG decoding to `[C, H, W]` tensors in [0, 1], resizing, normalising.
//! - [`transforms`]: composable augmentation pipelines seeded by (seed, epoch, index).
//! - [`folder::ImageFolder`]: one folder per class, a [`kindling_data::Dataset`].
//! - [`models`]: TinyVGG, LeNet-5, residual blocks and a small ResNet, the course's simple
//!   CNN and the DCGAN generator/discriminator.

pub mod folder;
pub mod image;
mod layers;
pub mod models;
pub mod ops;
pub mod transforms;

pub use layers::{AdaptiveAvgPool2d, AvgPool2d, BatchNorm2d, Conv2d, ConvTranspose2d, Dropout2d, MaxPool2d};
pub use ops::conv::{conv2d, conv_transpose2d, Conv2dOptions, ConvTranspose2dOptions, Padding};
pub use ops::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d, Pool2dOptions};
