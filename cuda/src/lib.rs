//! # kindling-cuda: a CUDA kernel lab
//!
//! CUDA C kernels (`kernels/*.cu`), compiled to PTX by `build.rs` with nvcc, embedded in the
//! binary and launched through the [`cust`] driver-API bindings. Each kernel family comes in
//! versions from naive to optimized, every version is validated against a plain CPU
//! reference ([`mod@reference`]) over awkward shapes and several block sizes, and the
//! `cuda-bench` binary times them. The version catalogue of each family sits at the top of
//! its `.cu` file.
//!
//! Each kernel is declared once in Rust with the types of its parameters, and launched through
//! one typed helper, [`Gpu::launch`], which takes the arguments as a tuple of those types: a
//! wrong type or count does not compile ([`mod@kernel`] explains how).
//!
//! Families ([`kernels`]): elementwise and broadcasting, sum reduction, softmax and
//! log-softmax, layer norm, cross-entropy (forward and backward), SGEMM (naive to TF32 tensor
//! cores), convolution (direct, and im2col + SGEMM), attention (naive, and flash-style).
//!
//! This crate depends on no other Kindling crate, so it builds and benchmarks on its own.
//! Everything that touches the GPU returns [`Result`] with an [`Error`] that says what to do;
//! without a GPU, [`Gpu::new`] fails with [`Error::NoDriver`] or [`Error::NoDevice`].
//!
//! ```no_run
//! use kindling_cuda::{kernels::sgemm::{sgemm, Sgemm}, Gpu};
//! # fn main() -> kindling_cuda::Result<()> {
//! let gpu = Gpu::new()?;
//! let (m, n, k) = (3, 2, 4);
//! let a = gpu.upload(&vec![1.0f32; m * k])?;
//! let b = gpu.upload(&vec![0.5f32; k * n])?;
//! let mut c = gpu.zeros(m * n)?;
//! sgemm(&gpu, Sgemm::V4VecDbuf, &a, &b, &mut c, m, n, k)?;
//! assert_eq!(gpu.download(&c)?, vec![2.0; m * n]);
//! # Ok(())
//! # }
//! ```

pub mod device;
pub mod error;
pub mod kernel;
#[allow(clippy::too_many_arguments)]
pub mod kernels;
pub mod launch;
pub mod ptx;
pub mod reference;
pub mod tolerance;

pub use cust::memory::DeviceBuffer;
pub use device::{DeviceInfo, Gpu};
pub use error::{Error, Result};
pub use kernel::{DevicePtr, DevicePtrMut, Kernel};
pub use launch::LaunchConfig;
pub use ptx::Family;
pub use tolerance::Tolerance;
