//! Kindling's tensor: an N-d strided array over shared storage, with a naive and a fast
//! implementation of every kernel family.
//!
//! ```
//! use kindling_tensor::Tensor;
//!
//! let a = Tensor::from([[1.0f32, 2.0], [3.0, 4.0]]);
//! let b = Tensor::from([[5.0f32, 6.0], [7.0, 8.0]]);
//! assert_eq!(a.matmul(&b).to_vec(), vec![19.0, 22.0, 43.0, 50.0]);
//! assert_eq!((&a + 1.0).sum_all(), 14.0);
//! ```
//!
//! - [`Tensor`] and its views (`reshape`, `permute`, `narrow`, `expand`, ...) share one
//!   buffer; only the layout (shape, strides, offset) differs.
//! - Element types: `f32` (working type), `f64` (gradient checks), `i64`/`i32`/`u8` (labels,
//!   indices, image bytes) and `bool` (masks); see [`dtype`].
//! - Every kernel family lives in [`ops`] as `naive.rs` + `fast.rs`; [`set_kernel_mode`] or
//!   `KINDLING_KERNELS=naive` switches the whole process to the naive kernels.
//! - Shape, axis and type mistakes panic with a message that names the op and the shapes.

pub mod create;
pub mod device;
mod display;
pub mod dtype;
mod index;
pub mod kernels;
pub mod ops;
pub mod random;
pub mod safetensors;
pub mod shape;
pub mod storage;
mod tensor;
pub mod tolerance;
mod view;

pub use device::Device;
pub use dtype::{DType, Element, Float, Numeric};
pub use kernels::{kernel_mode, set_kernel_mode, with_kernel_mode, KernelMode};
pub use random::Rng;
pub use shape::{Axes, Shape};
pub use storage::live_buffers;
pub use tensor::Tensor;
pub use tolerance::{assert_close, Tolerance};
