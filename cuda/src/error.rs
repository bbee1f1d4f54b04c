//! Typed errors for everything that touches the GPU. Each message says what to do next.

use cust::error::CudaError;
use std::fmt;

/// What went wrong talking to the GPU.
#[derive(Debug)]
pub enum Error {
    /// The CUDA driver could not be initialised (no kernel driver loaded, a driver too old for
    /// this build, or a stub `libcuda.so` with nothing behind it).
    NoDriver {
        /// The driver's own error.
        source: CudaError,
    },
    /// The driver works but reports no CUDA device.
    NoDevice,
    /// The driver refused our PTX (usually: the driver is older than the nvcc that made it).
    PtxRejected {
        /// The kernel file (module) whose PTX was refused.
        module: &'static str,
        /// The driver's own error.
        source: CudaError,
    },
    /// A kernel could not be found or launched, or failed while running.
    Launch {
        /// The kernel's entry point name.
        kernel: &'static str,
        /// The driver's own error.
        source: CudaError,
    },
    /// Allocating or copying device memory failed.
    Memory {
        /// What we were doing, e.g. "upload" or "allocate".
        what: &'static str,
        /// The driver's own error.
        source: CudaError,
    },
    /// Any other driver call (context, stream, event) failed.
    Driver {
        /// What we were doing.
        during: &'static str,
        /// The driver's own error.
        source: CudaError,
    },
}

/// Result with this crate's [`Error`].
pub type Result<T> = std::result::Result<T, Error>;

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::NoDriver { source } => write!(
                f,
                "no usable CUDA driver ({source}): run on a machine with an NVIDIA GPU and driver \
                 580 or newer (CUDA 13.0); make sure the loader finds that driver's libcuda.so.1 \
                 (not the unpacked Debian copy from .ci/cuda-setup, which has no driver behind it)"
            ),
            Error::NoDevice => write!(
                f,
                "no CUDA device: the driver loaded but sees no GPU; run on a GPU machine \
                 (check `nvidia-smi` there, and CUDA_VISIBLE_DEVICES)"
            ),
            Error::PtxRejected { module, source } => write!(
                f,
                "the driver rejected the PTX of kernels/{module}.cu ({source}): the PTX is ISA 9.0 \
                 from nvcc 13.0, which needs driver 580 or newer; update the driver, or rebuild \
                 with an nvcc no newer than the driver's CUDA version"
            ),
            Error::Launch { kernel, source } => write!(
                f,
                "kernel `{kernel}` failed ({source}): rerun the failing test alone under \
                 `compute-sanitizer` to locate the bad access or launch configuration"
            ),
            Error::Memory { what, source } => write!(
                f,
                "device memory {what} failed ({source}): use smaller sizes, or free memory held \
                 by other processes (see `nvidia-smi`)"
            ),
            Error::Driver { during, source } => write!(
                f,
                "CUDA driver call failed while {during} ({source}): check `nvidia-smi`; an earlier \
                 kernel fault can leave the context unusable, so rerun the failing test alone"
            ),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::NoDevice => None,
            Error::NoDriver { source }
            | Error::PtxRejected { source, .. }
            | Error::Launch { source, .. }
            | Error::Memory { source, .. }
            | Error::Driver { source, .. } => Some(source),
        }
    }
}

impl Error {
    /// Whether this error only means "there is no GPU here" (tests skip on it).
    pub fn is_no_gpu(&self) -> bool {
        matches!(self, Error::NoDriver { .. } | Error::NoDevice)
    }

    /// Sorts the error from `cuInit` or the first device query into no-device / no-driver.
    pub(crate) fn from_init(source: CudaError) -> Error {
        match source {
            CudaError::NoDevice | CudaError::InvalidDevice => Error::NoDevice,
            source => Error::NoDriver { source },
        }
    }
}
