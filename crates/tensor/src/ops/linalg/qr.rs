//! The QR decomposition by Householder reflections.

use crate::shape::dims_str;
use crate::{Float, Tensor};

/// A = QR by Householder reflections, for a row-major `m × n` matrix `a`.
///
/// With `p = min(m, n)`, returns the thin factors: `q` is `m × p` with orthonormal columns and
/// `r` is `p × n`, upper triangular, both row-major. Each reflector zeroes one column below the
/// diagonal and is chosen to add, not subtract, magnitudes on the diagonal, so nothing cancels.
/// The signs are then fixed so that R's diagonal is never negative (Q's column j and R's row j
/// are flipped together, which leaves QR unchanged): for a full-rank A that makes the
/// factorisation unique, and for a Gaussian A it makes Q uniformly distributed over the
/// orthogonal matrices (which is what orthogonal initialisation needs).
pub fn householder_qr(a: &[f64], m: usize, n: usize) -> (Vec<f64>, Vec<f64>) {
    assert_eq!(a.len(), m * n, "householder_qr: {} values cannot be a {m}x{n} matrix", a.len());
    let p = m.min(n);
    let mut a = a.to_vec();
    let mut reflectors: Vec<Vec<f64>> = Vec::with_capacity(p);
    let mut diag_sign = vec![1.0; p];
    for k in 0..p {
        let norm = (k..m).map(|i| a[i * n + k].powi(2)).sum::<f64>().sqrt();
        let alpha = if a[k * n + k] > 0.0 { -norm } else { norm };
        let mut v: Vec<f64> = (k..m).map(|i| a[i * n + k]).collect();
        v[0] -= alpha;
        let v_norm = v.iter().map(|x| x * x).sum::<f64>().sqrt();
        if v_norm > 0.0 {
            v.iter_mut().for_each(|x| *x /= v_norm);
            // A ← (I − 2vvᵀ) A on rows k.., columns k..
            for j in k..n {
                let dot: f64 = (k..m).map(|i| v[i - k] * a[i * n + j]).sum();
                (k..m).for_each(|i| a[i * n + j] -= 2.0 * v[i - k] * dot);
            }
        }
        diag_sign[k] = if a[k * n + k] < 0.0 { -1.0 } else { 1.0 };
        reflectors.push(v);
    }
    // Q = H₀H₁…H₍ₚ₋₁₎ applied to the first p columns of the identity.
    let mut q = vec![0.0; m * p];
    (0..p).for_each(|j| q[j * p + j] = 1.0);
    for (k, v) in reflectors.iter().enumerate().rev() {
        for j in 0..p {
            let dot: f64 = (k..m).map(|i| v[i - k] * q[i * p + j]).sum();
            (k..m).for_each(|i| q[i * p + j] -= 2.0 * v[i - k] * dot);
        }
    }
    for i in 0..m {
        for j in 0..p {
            q[i * p + j] *= diag_sign[j];
        }
    }
    // R is what the reflections left on and above the diagonal (below it, rounding residue).
    let mut r = vec![0.0; p * n];
    for k in 0..p {
        for j in k..n {
            r[k * n + j] = diag_sign[k] * a[k * n + j];
        }
    }
    (q, r)
}

/// The thin QR decomposition of a 2-D tensor: `(q, r)` with `q.matmul(&r) ≈ a`, `q` of shape
/// `[m, p]` with orthonormal columns and `r` of shape `[p, n]`, upper triangular with a
/// non-negative diagonal (`p = min(m, n)`). Computed in f64 whatever `T` is; see
/// [`householder_qr`].
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let a = Tensor::from([[3.0f64, 1.0], [4.0, 2.0]]);
/// let (q, r) = linalg::qr(&a);
/// assert!(q.matmul(&r).allclose(&a, kindling_tensor::Tolerance::STRICT));
/// assert_eq!(r.get(&[1, 0]), 0.0);
/// ```
pub fn qr<T: Float>(a: &Tensor<T>) -> (Tensor<T>, Tensor<T>) {
    if a.rank() != 2 {
        panic!("qr: expects a 2-D tensor, got shape {}", dims_str(a.shape()));
    }
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let values: Vec<f64> = a.to_vec().into_iter().map(T::to_f64).collect();
    let (q, r) = householder_qr(&values, m, n);
    let p = m.min(n);
    let cast = |v: Vec<f64>| v.into_iter().map(T::from_f64).collect::<Vec<T>>();
    (Tensor::from_vec(cast(q), [m, p]), Tensor::from_vec(cast(r), [p, n]))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Rng, Tolerance};

    /// Square, tall, wide, a single column and a single row.
    const SHAPES: [(usize, usize); 7] = [(1, 1), (3, 3), (8, 8), (7, 3), (65, 7), (4, 9), (1, 5)];

    #[test]
    fn q_is_orthonormal_r_is_upper_triangular_and_qr_is_a() {
        for (i, &(m, n)) in SHAPES.iter().enumerate() {
            let a = Tensor::<f64>::randn([m, n], &mut Rng::seed(i as u64));
            let (q, r) = qr(&a);
            let p = m.min(n);
            assert_eq!((q.shape(), r.shape()), (&[m, p][..], &[p, n][..]), "{m}x{n}");
            let qtq = q.t().matmul(&q);
            crate::assert_close(&qtq, &Tensor::eye(p), Tolerance::STRICT);
            for k in 0..p {
                assert!(r.get(&[k, k]) >= 0.0, "{m}x{n}: R[{k}, {k}] = {}", r.get(&[k, k]));
                for j in 0..k.min(n) {
                    assert_eq!(r.get(&[k, j]), 0.0, "{m}x{n}: R[{k}, {j}] below the diagonal");
                }
            }
            crate::assert_close(&q.matmul(&r), &a, Tolerance::STRICT);
        }
    }

    #[test]
    fn a_rank_deficient_matrix_still_factors() {
        // Two equal columns: the second reflector meets a zero column below the diagonal.
        let a = Tensor::from([[1.0f64, 1.0], [2.0, 2.0], [2.0, 2.0]]);
        let (q, r) = qr(&a);
        crate::assert_close(&q.matmul(&r), &a, Tolerance::STRICT);
        crate::assert_close(&q.t().matmul(&q), &Tensor::eye(2), Tolerance::STRICT);
    }

    #[test]
    #[should_panic(expected = "qr: expects a 2-D tensor, got shape [2, 2, 2]")]
    fn qr_of_a_3d_tensor_panics() {
        qr(&Tensor::<f64>::zeros([2, 2, 2]));
    }
}
