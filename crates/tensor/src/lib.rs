//! Kindling's tensor: an N-d strided array over shared storage.

pub mod dtype;
pub mod kernels;
pub mod ops;

pub use dtype::{DType, Element, Float, Numeric};
pub use kernels::{kernel_mode, set_kernel_mode, with_kernel_mode, KernelMode};
