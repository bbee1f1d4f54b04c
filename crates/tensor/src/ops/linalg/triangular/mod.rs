//! Triangular solves: forward substitution for a lower-triangular matrix, back substitution
//! for an upper one. They finish every other solver here (Cholesky, LU, least squares).

pub mod fast;
pub mod naive;

use super::{check_finite, rhs_f64, solution_tensor, square_f64, LinalgError};
use crate::kernels::use_fast;
use crate::{Float, Tensor};

/// The first zero on the diagonal of a square row-major matrix, if any.
pub(crate) fn first_zero_diagonal(a: &[f64], n: usize) -> Option<usize> {
    (0..n).find(|&i| a[i * n + i] == 0.0)
}

/// `L·X = B` in place, naive or fast by the kernel mode.
pub(crate) fn lower_in_place(l: &[f64], n: usize, b: &mut [f64], k: usize, unit_diagonal: bool) {
    if use_fast() {
        fast::solve_lower(l, n, b, k, unit_diagonal)
    } else {
        naive::solve_lower(l, n, b, k, unit_diagonal)
    }
}

/// `U·X = B` in place, naive or fast by the kernel mode.
pub(crate) fn upper_in_place(u: &[f64], n: usize, b: &mut [f64], k: usize) {
    if use_fast() {
        fast::solve_upper(u, n, b, k)
    } else {
        naive::solve_upper(u, n, b, k)
    }
}

/// `Lᵀ·X = B` in place for a lower-triangular `l`, naive or fast by the kernel mode.
pub(crate) fn lower_transposed_in_place(l: &[f64], n: usize, b: &mut [f64], k: usize) {
    if use_fast() {
        fast::solve_lower_transposed(l, n, b, k)
    } else {
        naive::solve_lower_transposed(l, n, b, k)
    }
}

/// Solves `A·x = b` for a triangular `a`: lower when `lower` is true (only the diagonal and
/// the entries below it are read), upper otherwise (the diagonal and above).
///
/// `b` is a vector `[n]` or `n × k` matrix `[n, k]` of right-hand sides; the solution has the
/// same shape. Fails with [`LinalgError::Singular`] when the diagonal holds a zero (the index
/// is the first one) and [`LinalgError::NonFinite`] for a NaN or an infinity in `a`. Panics when
/// `a` is not square or `b` does not have `n` rows.
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let l = Tensor::from([[2.0f64, 0.0], [1.0, 4.0]]);
/// let x = linalg::solve_triangular(&l, &Tensor::from([2.0, 9.0]), true).unwrap();
/// assert_eq!(x.to_vec(), vec![1.0, 2.0]);
/// ```
pub fn solve_triangular<T: Float>(a: &Tensor<T>, b: &Tensor<T>, lower: bool) -> Result<Tensor<T>, LinalgError> {
    const OP: &str = "solve_triangular";
    let (a, n) = square_f64(OP, a);
    let (mut x, k, vector) = rhs_f64(OP, b, n);
    check_finite(OP, &a)?;
    if let Some(index) = first_zero_diagonal(&a, n) {
        return Err(LinalgError::Singular { op: OP, index });
    }
    if lower {
        lower_in_place(&a, n, &mut x, k, false);
    } else {
        upper_in_place(&a, n, &mut x, k);
    }
    Ok(solution_tensor(x, n, k, vector))
}
