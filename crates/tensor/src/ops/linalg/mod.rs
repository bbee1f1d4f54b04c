//! Dense linear algebra, as a kernel family like the others: decompositions (QR, Cholesky,
//! LU, the symmetric eigendecomposition, the SVD), the solvers built on them and norms.
//!
//! The public functions take and return 2-D tensors and work in f64 whatever the element
//! type, on row-major buffers. Shape mistakes panic with the operation and the shapes; what
//! depends on the values (a singular matrix, one that is not positive definite) is a
//! [`LinalgError`], because a caller can sensibly react to it (regularise, fall back to least
//! squares).

pub mod qr;

pub use qr::{householder_qr, qr};

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
