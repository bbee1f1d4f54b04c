//! Dense linear algebra, as a kernel family like the others: decompositions (QR, Cholesky,
//! LU, the symmetric eigendecomposition, the SVD), the solvers built on them and norms.
//!
//! The public functions take and return 2-D tensors and work in f64 whatever the element
//! type, on row-major buffers. Shape mistakes panic with the operation and the shapes; what
//! depends on the values (a singular matrix, one that is not positive definite) is a
//! [`LinalgError`], because a caller can sensibly react to it (regularise, fall back to least
//! squares).

pub mod cholesky;
mod gemm_update;
pub mod lstsq;
pub mod lu;
pub mod qr;
pub mod triangular;

pub use cholesky::{cholesky, cholesky_solve};
pub use lstsq::{lstsq, Lstsq};
pub use lu::{det, inv, lu, slogdet, solve, Lu};
pub use qr::{householder_qr, qr};
pub use triangular::solve_triangular;

use crate::shape::dims_str;
use crate::{Float, Tensor};

// --- L2: eigendecomposition, SVD and norms (spectral/, norms.rs) ---
pub mod norms;
pub mod spectral;
pub use norms::{matrix_norm, vector_norm, MatrixNorm};
pub use spectral::{cond, eigh, eigvalsh, matrix_rank, pinv, svd, svdvals, Eigh, Svd};
// --- end L2 ---

use std::fmt;

/// Why a decomposition or a solve could not be computed for these values.
#[derive(Clone, Debug, PartialEq)]
pub enum LinalgError {
    /// The matrix is singular (to working precision): a zero pivot at `index`.
    Singular {
        /// The operation (`"solve"`).
        op: &'static str,
        /// The row or column where elimination met a zero pivot.
        index: usize,
    },
    /// Cholesky needs a symmetric positive-definite matrix; the leading minor of order
    /// `index + 1` is not positive.
    NotPositiveDefinite {
        /// The operation.
        op: &'static str,
        /// The first failing diagonal position.
        index: usize,
    },
    /// The input holds a NaN or an infinity.
    NonFinite {
        /// The operation.
        op: &'static str,
    },
    /// An iterative method (eigenvalues, SVD) did not converge.
    NoConvergence {
        /// The operation.
        op: &'static str,
        /// The iterations spent.
        iterations: usize,
    },
}

impl fmt::Display for LinalgError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LinalgError::Singular { op, index } => write!(
                f,
                "{op}: the matrix is singular (zero pivot at {index}); use lstsq for a least-squares or minimum-norm solution"
            ),
            LinalgError::NotPositiveDefinite { op, index } => write!(
                f,
                "{op}: the matrix is not positive definite (leading minor {} is not positive); add a small ridge to the diagonal or use an LU solve",
                index + 1
            ),
            LinalgError::NonFinite { op } => write!(f, "{op}: the matrix holds a NaN or an infinity"),
            LinalgError::NoConvergence { op, iterations } => {
                write!(f, "{op}: did not converge after {iterations} iterations")
            }
        }
    }
}

impl std::error::Error for LinalgError {}

/// A 2-D tensor's values in f64, row-major, with its shape. Panics naming `op` otherwise.
pub(crate) fn matrix_f64<T: Float>(op: &str, what: &str, a: &Tensor<T>) -> (Vec<f64>, usize, usize) {
    if a.rank() != 2 {
        panic!("{op}: {what} must be a 2-D tensor, got shape {}", dims_str(a.shape()));
    }
    let values = a.to_vec().into_iter().map(T::to_f64).collect();
    (values, a.shape()[0], a.shape()[1])
}

/// A square 2-D tensor's values in f64 and its order. Panics naming `op` otherwise.
pub(crate) fn square_f64<T: Float>(op: &str, a: &Tensor<T>) -> (Vec<f64>, usize) {
    let (values, m, n) = matrix_f64(op, "the matrix", a);
    if m != n {
        panic!("{op}: expects a square matrix, got shape {}", dims_str(a.shape()));
    }
    (values, n)
}

/// A right-hand side: a vector `[n]` (one column) or a matrix `[n, k]`, as an `n × k` row-major
/// buffer, with `k` and whether it was a vector. Panics naming `op` unless it has `n` rows.
pub(crate) fn rhs_f64<T: Float>(op: &str, b: &Tensor<T>, n: usize) -> (Vec<f64>, usize, bool) {
    let (k, vector) = match b.shape() {
        [rows] if *rows == n => (1, true),
        [rows, k] if *rows == n => (*k, false),
        _ => panic!(
            "{op}: the right-hand side must have shape [{n}] or [{n}, k] to match the matrix, got {}",
            dims_str(b.shape())
        ),
    };
    (b.to_vec().into_iter().map(T::to_f64).collect(), k, vector)
}

/// Back from f64: a `rows × k` buffer as `[rows]` when the right-hand side was a vector, else
/// `[rows, k]`.
pub(crate) fn solution_tensor<T: Float>(x: Vec<f64>, rows: usize, k: usize, vector: bool) -> Tensor<T> {
    let values: Vec<T> = x.into_iter().map(T::from_f64).collect();
    if vector {
        Tensor::from_vec(values, [rows])
    } else {
        Tensor::from_vec(values, [rows, k])
    }
}

/// A row-major `rows × cols` f64 buffer as a tensor of `T`.
pub(crate) fn matrix_tensor<T: Float>(x: Vec<f64>, rows: usize, cols: usize) -> Tensor<T> {
    Tensor::from_vec(x.into_iter().map(T::from_f64).collect(), [rows, cols])
}

/// Fails with [`LinalgError::NonFinite`] when any value is a NaN or an infinity.
pub(crate) fn check_finite(op: &'static str, values: &[f64]) -> Result<(), LinalgError> {
    if values.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(LinalgError::NonFinite { op })
    }
}
