//! The LU factorisation with partial pivoting, `P·A = L·U`, and what it gives: `solve`, the
//! inverse, the determinant and its logarithm.

pub mod fast;
pub mod naive;

use super::triangular::{lower_in_place, upper_in_place};
use super::{check_finite, matrix_tensor, rhs_f64, solution_tensor, square_f64, LinalgError};
use crate::kernels::use_fast;
use crate::{Float, Tensor};
use std::marker::PhantomData;

/// Factors `a` in place, naive or fast by the kernel mode.
pub(crate) fn factor(a: &mut [f64], n: usize) -> naive::Factored {
    if use_fast() {
        fast::factor(a, n)
    } else {
        naive::factor(a, n)
    }
}

/// An LU factorisation with partial pivoting, `P·A = L·U`: `L` unit lower triangular, `U`
/// upper triangular, `P` a row permutation. Made by [`lu`]; solve with it as many times as
/// needed.
#[derive(Clone, Debug)]
pub struct Lu<T: Float> {
    /// L below the diagonal and U on and above it, row-major `n × n`.
    packed: Vec<f64>,
    n: usize,
    perm: Vec<usize>,
    odd: bool,
    _element: PhantomData<T>,
}

impl<T: Float> Lu<T> {
    /// The order of the factored matrix.
    pub fn order(&self) -> usize {
        self.n
    }

    /// Solves `A·x = b` with the factors: permute `b`, then a forward and a back substitution.
    /// `b` is a vector `[n]` or a matrix `[n, k]`; the solution has the same shape. Panics
    /// when `b` does not have `n` rows.
    pub fn solve(&self, b: &Tensor<T>) -> Tensor<T> {
        let (b, k, vector) = rhs_f64("Lu::solve", b, self.n);
        let x = self.solve_f64(&b, k);
        solution_tensor(x, self.n, k, vector)
    }

    fn solve_f64(&self, b: &[f64], k: usize) -> Vec<f64> {
        let n = self.n;
        let mut x = Vec::with_capacity(n * k);
        for &row in &self.perm {
            x.extend_from_slice(&b[row * k..(row + 1) * k]);
        }
        lower_in_place(&self.packed, n, &mut x, k, true);
        upper_in_place(&self.packed, n, &mut x, k);
        x
    }

    /// The determinant: the product of U's diagonal, negated for an odd permutation.
    pub fn det(&self) -> T {
        let product: f64 = (0..self.n).map(|i| self.packed[i * self.n + i]).product();
        T::from_f64(if self.odd { -product } else { product })
    }

    /// The unit lower-triangular factor `L`, `[n, n]`.
    pub fn l(&self) -> Tensor<T> {
        let n = self.n;
        let l = (0..n * n)
            .map(|idx| match (idx / n, idx % n) {
                (i, j) if i == j => 1.0,
                (i, j) if j < i => self.packed[idx],
                _ => 0.0,
            })
            .collect();
        matrix_tensor(l, n, n)
    }

    /// The upper-triangular factor `U`, `[n, n]`.
    pub fn u(&self) -> Tensor<T> {
        let n = self.n;
        let u = (0..n * n).map(|idx| if idx % n >= idx / n { self.packed[idx] } else { 0.0 }).collect();
        matrix_tensor(u, n, n)
    }

    /// The permutation: row `i` of `P·A` is row `permutation()[i]` of `A`.
    pub fn permutation(&self) -> &[usize] {
        &self.perm
    }
}

/// Factors the `n × n` values `packed` and fails, naming `op`, when they are singular.
fn factor_checked<T: Float>(op: &'static str, mut packed: Vec<f64>, n: usize) -> Result<Lu<T>, LinalgError> {
    check_finite(op, &packed)?;
    let factored = factor(&mut packed, n);
    if let Some(index) = factored.zero_pivot {
        return Err(LinalgError::Singular { op, index });
    }
    Ok(Lu { packed, n, perm: factored.perm, odd: factored.odd, _element: PhantomData })
}

/// The LU factorisation of a square matrix with partial pivoting (the row with the largest
/// pivot is swapped up at each step, so `|L| ≤ 1`).
///
/// Fails with [`LinalgError::Singular`] when a pivot is exactly zero (the matrix is singular)
/// and [`LinalgError::NonFinite`] for a NaN or an infinity. Panics unless `a` is a square 2-D
/// tensor.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
/// let lu = linalg::lu(&a).unwrap();
/// assert_eq!(lu.permutation(), &[1, 0]);
/// assert!((lu.det() - -2.0f64).abs() < 1e-12);
/// let x = lu.solve(&Tensor::from([5.0, 11.0]));
/// assert!(x.allclose(&Tensor::from([1.0, 2.0]), Tolerance::STRICT));
/// ```
pub fn lu<T: Float>(a: &Tensor<T>) -> Result<Lu<T>, LinalgError> {
    let (values, n) = square_f64("lu", a);
    factor_checked("lu", values, n)
}

/// Solves `A·x = b` for a square, non-singular `a` by LU with partial pivoting.
///
/// `b` is a vector `[n]` or a matrix `[n, k]`; the solution has the same shape. Fails with
/// [`LinalgError::Singular`] when `a` is singular (use [`lstsq`](fn@super::lstsq) for a least-squares
/// or minimum-norm answer) and [`LinalgError::NonFinite`] for a NaN or an infinity. Panics
/// when `a` is not square or `b` does not have `n` rows.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[3.0f64, 1.0], [1.0, 2.0]]);
/// let x = linalg::solve(&a, &Tensor::from([9.0, 8.0])).unwrap();
/// assert!(x.allclose(&Tensor::from([2.0, 3.0]), Tolerance::STRICT));
/// ```
pub fn solve<T: Float>(a: &Tensor<T>, b: &Tensor<T>) -> Result<Tensor<T>, LinalgError> {
    const OP: &str = "solve";
    let (values, n) = square_f64(OP, a);
    let (b, k, vector) = rhs_f64(OP, b, n);
    let lu = factor_checked::<T>(OP, values, n)?;
    Ok(solution_tensor(lu.solve_f64(&b, k), n, k, vector))
}

/// The inverse of a square, non-singular matrix, by LU with partial pivoting (solving against
/// the identity).
///
/// Fails with [`LinalgError::Singular`] and [`LinalgError::NonFinite`] like [`solve`]. To
/// solve a system, call [`solve`]: it is cheaper and more accurate than multiplying by the
/// inverse.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[4.0f64, 7.0], [2.0, 6.0]]);
/// let a_inv = linalg::inv(&a).unwrap();
/// assert!(a.matmul(&a_inv).allclose(&Tensor::eye(2), Tolerance::STRICT));
/// ```
pub fn inv<T: Float>(a: &Tensor<T>) -> Result<Tensor<T>, LinalgError> {
    let (values, n) = square_f64("inv", a);
    let lu = factor_checked::<T>("inv", values, n)?;
    let mut identity = vec![0.0; n * n];
    (0..n).for_each(|i| identity[i * n + i] = 1.0);
    Ok(matrix_tensor(lu.solve_f64(&identity, n), n, n))
}

/// LU factors of any square matrix, singular or not, for the determinant.
fn factor_any<T: Float>(op: &'static str, a: &Tensor<T>) -> (Vec<f64>, usize, bool) {
    let (mut packed, n) = square_f64(op, a);
    let factored = factor(&mut packed, n);
    (packed, n, factored.odd)
}

/// The determinant of a square matrix, from its LU factors: zero for a singular matrix, NaN
/// when `a` holds a NaN. It overflows or underflows easily for large matrices; [`slogdet`]
/// does not. Panics unless `a` is a square 2-D tensor.
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let a = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
/// assert!((linalg::det(&a) - -2.0f64).abs() < 1e-12);
/// ```
pub fn det<T: Float>(a: &Tensor<T>) -> T {
    let (packed, n, odd) = factor_any("det", a);
    let product: f64 = (0..n).map(|i| packed[i * n + i]).product();
    T::from_f64(if odd { -product } else { product })
}

/// The sign and the natural logarithm of the absolute value of the determinant, `(sign,
/// ln|det A|)`, as NumPy's `slogdet`: the sum of logarithms does not overflow where the
/// product would. A singular matrix gives `(0, -∞)`. Panics unless `a` is a square 2-D tensor.
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let a = Tensor::from([[1.0f64, 2.0], [3.0, 4.0]]);
/// let (sign, logabs) = linalg::slogdet(&a);
/// assert_eq!(sign, -1.0);
/// assert!((logabs - 2f64.ln()).abs() < 1e-12);
/// ```
pub fn slogdet<T: Float>(a: &Tensor<T>) -> (T, T) {
    let (packed, n, odd) = factor_any("slogdet", a);
    let mut sign = if odd { -1.0 } else { 1.0 };
    let mut logabs = 0.0;
    for i in 0..n {
        let d = packed[i * n + i];
        if d == 0.0 {
            return (T::from_f64(0.0), T::NEG_INFINITY);
        }
        if d < 0.0 {
            sign = -sign;
        }
        logabs += d.abs().ln();
    }
    if logabs.is_nan() {
        sign = f64::NAN;
    }
    (T::from_f64(sign), T::from_f64(logabs))
}
