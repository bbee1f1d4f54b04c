//! Linear least squares, `min ‖A·x − b‖₂`, with the minimum-norm solution when `A` is rank
//! deficient (as NumPy's `lstsq`, which calls LAPACK's `gelsd`).

pub mod fast;
pub mod naive;

use super::{check_finite, matrix_f64, rhs_f64, solution_tensor};
use crate::kernels::use_fast;
use crate::shape::dims_str;
use crate::{Float, Tensor};

/// The result of [`lstsq`].
#[derive(Clone, Debug)]
pub struct Lstsq<T: Float> {
    /// The minimum-norm least-squares solution: `[n]` for a vector `b`, `[n, k]` for a matrix.
    pub solution: Tensor<T>,
    /// The squared residual norm `‖A·x − b‖²` of each column of `b` (`[k]`, `[1]` for a
    /// vector), as NumPy gives it: only when `A` has full column rank and more rows than
    /// columns; `None` otherwise.
    pub residuals: Option<Tensor<T>>,
    /// The numerical rank of `A`.
    pub rank: usize,
}

/// The solution and the rank, naive or fast by the kernel mode.
pub(crate) fn solve_f64(a: &[f64], m: usize, n: usize, b: &[f64], k: usize, rcond: f64) -> (Vec<f64>, usize) {
    if use_fast() {
        fast::solve(a, m, n, b, k, rcond)
    } else {
        naive::solve(a, m, n, b, k, rcond)
    }
}

/// The least-squares solution of `A·x ≈ b` for an `m × n` `a`: the `x` that minimises
/// `‖A·x − b‖₂`, and among those (when `A` is rank deficient) the one of smallest norm.
///
/// `b` is a vector `[m]` or a matrix `[m, k]` (one problem per column). `rcond` sets the
/// numerical rank: singular values at most `rcond · σ_max` count as zero; `None` means
/// `f64::EPSILON · max(m, n)`, NumPy's default. Never fails: a singular `A` is what least
/// squares is for; a NaN or an infinity in `a` or `b` gives a solution of NaNs with rank 0.
/// Panics when `a` is not 2-D or `b` does not have `m` rows.
///
/// The naive kernel computes the SVD (one-sided Jacobi), as NumPy's `gelsd`, and keeps the
/// singular values above `rcond · σ_max`; the fast one uses QR with column pivoting and a
/// complete orthogonal decomposition, as LAPACK's `gelsy`, and keeps the leading `|R_kk|`
/// above `rcond · |R_00|`. They agree on the rank unless singular values sit at the
/// threshold, and with an explicit `rcond` that drops a small but non-negligible singular
/// value the two truncations differ by about the ratio of the dropped to the last kept one.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// // The line through (0, 1), (1, 3), (2, 5): y = 1 + 2x, fitted exactly.
/// let a = Tensor::from([[1.0f64, 0.0], [1.0, 1.0], [1.0, 2.0]]);
/// let fit = linalg::lstsq(&a, &Tensor::from([1.0, 3.0, 5.0]), None);
/// assert_eq!(fit.rank, 2);
/// assert!(fit.solution.allclose(&Tensor::from([1.0, 2.0]), Tolerance::STRICT));
/// ```
pub fn lstsq<T: Float>(a: &Tensor<T>, b: &Tensor<T>, rcond: Option<f64>) -> Lstsq<T> {
    const OP: &str = "lstsq";
    let (a_values, m, n) = matrix_f64(OP, "a", a);
    if b.rank() == 0 || b.rank() > 2 || b.shape()[0] != m {
        panic!(
            "{OP}: b must have shape [{m}] or [{m}, k] to match a of shape {}, got {}",
            dims_str(a.shape()),
            dims_str(b.shape())
        );
    }
    let (b_values, k, vector) = rhs_f64(OP, b, m);
    let rcond = rcond.unwrap_or(f64::EPSILON * m.max(n) as f64);
    if check_finite(OP, &a_values).and(check_finite(OP, &b_values)).is_err() {
        // No rank can be read off a NaN: say so in every entry rather than return zeros.
        let solution = solution_tensor(vec![f64::NAN; n * k], n, k, vector);
        return Lstsq { solution, residuals: None, rank: 0 };
    }
    let (x, rank) = solve_f64(&a_values, m, n, &b_values, k, rcond);
    let residuals = (rank == n && m > n).then(|| {
        let mut sums = vec![0.0; k];
        for i in 0..m {
            for (c, sum) in sums.iter_mut().enumerate() {
                let fitted: f64 = (0..n).map(|j| a_values[i * n + j] * x[j * k + c]).sum();
                *sum += (b_values[i * k + c] - fitted).powi(2);
            }
        }
        Tensor::from_vec(sums.into_iter().map(T::from_f64).collect(), [k])
    });
    Lstsq { solution: solution_tensor(x, n, k, vector), residuals, rank }
}
