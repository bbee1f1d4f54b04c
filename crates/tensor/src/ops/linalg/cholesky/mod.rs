//! The Cholesky factorisation `A = L·Lᵀ` of a symmetric positive-definite matrix, and the
//! solve that uses it (half the work of LU, and no pivoting needed).

pub mod fast;
pub mod naive;

use super::triangular::{lower_in_place, lower_transposed_in_place};
use super::{check_finite, matrix_tensor, rhs_f64, solution_tensor, square_f64, LinalgError};
use crate::kernels::use_fast;
use crate::shape::dims_str;
use crate::{Float, Tensor};

/// The lower factor of a Cholesky factorisation, naive or fast by the kernel mode.
pub(crate) fn factor(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    if use_fast() {
        fast::factor(a, n)
    } else {
        naive::factor(a, n)
    }
}

/// The Cholesky factor of a symmetric positive-definite matrix: the lower-triangular `L`
/// with a positive diagonal such that `A = L·Lᵀ`.
///
/// Only the lower triangle of `a` is read (as in LAPACK and NumPy; the upper one is assumed to
/// mirror it). Fails with [`LinalgError::NotPositiveDefinite`] when a pivot is not positive,
/// naming the first failing column, and with [`LinalgError::NonFinite`] for a NaN or an
/// infinity. Panics when `a` is not a square 2-D tensor.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[4.0f64, 2.0], [2.0, 5.0]]);
/// let l = linalg::cholesky(&a).unwrap();
/// assert_eq!(l.to_vec(), vec![2.0, 0.0, 1.0, 2.0]);
/// assert!(l.matmul(&l.t()).allclose(&a, Tolerance::STRICT));
/// ```
pub fn cholesky<T: Float>(a: &Tensor<T>) -> Result<Tensor<T>, LinalgError> {
    const OP: &str = "cholesky";
    let (values, n) = square_f64(OP, a);
    check_finite(OP, &values)?;
    let l = factor(&values, n).map_err(|index| LinalgError::NotPositiveDefinite { op: OP, index })?;
    Ok(matrix_tensor(l, n, n))
}

/// Solves `A·x = b` given the Cholesky factor `l` of `A` (from [`cholesky`]): a forward
/// substitution with `L`, then a back substitution with `Lᵀ`.
///
/// `b` is a vector `[n]` or a matrix `[n, k]`; the solution has the same shape. `l` comes from
/// a successful factorisation, so its diagonal is positive: this does not check it (a zero
/// there gives infinities). Panics when `l` is not square or `b` does not have `n` rows.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[4.0f64, 2.0], [2.0, 5.0]]);
/// let l = linalg::cholesky(&a).unwrap();
/// let x = linalg::cholesky_solve(&l, &Tensor::from([8.0, 12.0]));
/// assert!(x.allclose(&Tensor::from([1.0, 2.0]), Tolerance::STRICT));
/// ```
pub fn cholesky_solve<T: Float>(l: &Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    const OP: &str = "cholesky_solve";
    if l.rank() != 2 || l.shape()[0] != l.shape()[1] {
        panic!("{OP}: the factor must be a square 2-D tensor, got shape {}", dims_str(l.shape()));
    }
    let (l, n) = square_f64(OP, l);
    let (mut x, k, vector) = rhs_f64(OP, b, n);
    lower_in_place(&l, n, &mut x, k, false);
    lower_transposed_in_place(&l, n, &mut x, k);
    solution_tensor(x, n, k, vector)
}
