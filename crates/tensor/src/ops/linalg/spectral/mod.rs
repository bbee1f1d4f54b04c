//! The symmetric eigendecomposition and the singular value decomposition, and what is built on
//! the SVD: the pseudo-inverse, the numerical rank and the condition number.
//!
//! Both decompositions are unique only up to the sign of each vector (and, for repeated
//! values, up to a rotation within their subspace). Kindling fixes the signs so results are
//! reproducible: the largest-magnitude component of each eigenvector, and of each right
//! singular vector (row of `vt`), is positive; the left singular vector follows its partner.
//!
//! Inputs are scaled by a power of two (exact) so that the largest entry is near one before
//! the kernels run, which keeps AᵀA and the inverse-iteration solves away from overflow.

pub mod fast;
pub mod naive;
pub mod tridiagonal;

use crate::kernels::use_fast;
use crate::ops::linalg::LinalgError;
use crate::ops::matmul::fast::gemm;
use crate::ops::matmul::MatRef;
use crate::shape::dims_str;
use crate::{Float, Tensor};

/// The eigendecomposition `A = V·diag(values)·Vᵀ` of a symmetric matrix.
#[derive(Clone, Debug)]
pub struct Eigh<T: Float> {
    /// The eigenvalues, ascending, shape `[n]`.
    pub values: Tensor<T>,
    /// The orthonormal eigenvectors as columns, shape `[n, n]` (column `j` for `values[j]`).
    pub vectors: Tensor<T>,
}

/// The thin SVD `A = U·diag(s)·Vᵀ` of an `m × n` matrix, with `p = min(m, n)`.
#[derive(Clone, Debug)]
pub struct Svd<T: Float> {
    /// Left singular vectors as columns, shape `[m, p]`.
    pub u: Tensor<T>,
    /// Singular values, descending and non-negative, shape `[p]`.
    pub s: Tensor<T>,
    /// Right singular vectors as rows, shape `[p, n]`.
    pub vt: Tensor<T>,
}

/// The eigenvalues and eigenvectors of a symmetric matrix (only the lower triangle is read,
/// as in NumPy). Values ascending, vectors as columns with the sign convention of the module.
///
/// ```
/// use kindling_tensor::{linalg, Tensor};
///
/// let a = Tensor::from([[2.0f64, 1.0], [1.0, 2.0]]);
/// let eig = linalg::eigh(&a).unwrap();
/// assert!((eig.values.get(&[0]) - 1.0).abs() < 1e-12 && (eig.values.get(&[1]) - 3.0).abs() < 1e-12);
/// ```
pub fn eigh<T: Float>(a: &Tensor<T>) -> Result<Eigh<T>, LinalgError> {
    let (sym, n, scale) = prepare_symmetric(a, "eigh")?;
    let (mut values, vt) = if use_fast() {
        let (values, vt) = fast::eigh(&sym, n, true)?;
        (values, vt.expect("vectors were asked for"))
    } else {
        naive::eigh(&sym, n)?
    };
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&i, &j| values[i].total_cmp(&values[j]));
    let mut sorted = Vec::with_capacity(n * n);
    for &src in &order {
        let start = sorted.len();
        sorted.extend_from_slice(&vt[src * n..(src + 1) * n]);
        fix_sign(&mut sorted[start..], &mut []);
    }
    let vectors = transpose(&sorted, n, n);
    values = order.iter().map(|&i| values[i] / scale).collect();
    Ok(Eigh { values: to_tensor(values, &[n]), vectors: to_tensor(vectors, &[n, n]) })
}

/// The eigenvalues of a symmetric matrix, ascending (lower triangle read). Cheaper than
/// [`eigh`] on the fast path: no vectors are formed.
pub fn eigvalsh<T: Float>(a: &Tensor<T>) -> Result<Tensor<T>, LinalgError> {
    let (sym, n, scale) = prepare_symmetric(a, "eigvalsh")?;
    let mut values = if use_fast() { fast::eigh(&sym, n, false)?.0 } else { naive::eigh(&sym, n)?.0 };
    values.sort_by(f64::total_cmp);
    Ok(to_tensor(values.into_iter().map(|v| v / scale).collect(), &[n]))
}

/// The thin singular value decomposition, with the sign convention of the module.
///
/// ```
/// use kindling_tensor::{linalg, Tensor, Tolerance};
///
/// let a = Tensor::from([[3.0f64, 0.0], [4.0, 5.0]]);
/// let svd = linalg::svd(&a).unwrap();
/// let s = svd.s.to_vec();
/// assert!((s[0] - 45f64.sqrt()).abs() < 1e-12 && (s[1] - 5f64.sqrt()).abs() < 1e-12);
/// let us = &svd.u * &svd.s.reshape([1, 2]);
/// assert!(us.matmul(&svd.vt).allclose(&a, Tolerance::STRICT));
/// ```
pub fn svd<T: Float>(a: &Tensor<T>) -> Result<Svd<T>, LinalgError> {
    let parts = decompose(a, "svd")?;
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let p = parts.s.len();
    let u = transpose(&parts.ut, p, m);
    Ok(Svd { u: to_tensor(u, &[m, p]), s: to_tensor(parts.s, &[p]), vt: to_tensor(parts.vt, &[p, n]) })
}

/// The singular values, descending.
pub fn svdvals<T: Float>(a: &Tensor<T>) -> Result<Tensor<T>, LinalgError> {
    let parts = decompose(a, "svdvals")?;
    let p = parts.s.len();
    Ok(to_tensor(parts.s, &[p]))
}

/// The Moore–Penrose pseudo-inverse `V·diag(1/s)·Uᵀ`, shape `[n, m]`, dropping the singular
/// values at or below `rcond · s_max` (default `1e-15`, NumPy's).
pub fn pinv<T: Float>(a: &Tensor<T>, rcond: Option<f64>) -> Result<Tensor<T>, LinalgError> {
    let (m, n) = (a.shape().first().copied().unwrap_or(0), a.shape().get(1).copied().unwrap_or(0));
    let parts = decompose(a, "pinv")?;
    let p = parts.s.len();
    let cutoff = rcond.unwrap_or(1e-15) * parts.s.first().copied().unwrap_or(0.0);
    // W = diag(1/s)·Uᵀ, then pinv = V·W.
    let mut w = parts.ut.clone();
    for (j, &s) in parts.s.iter().enumerate() {
        let inv = if s > cutoff { 1.0 / s } else { 0.0 };
        w[j * m..(j + 1) * m].iter_mut().for_each(|x| *x *= inv);
    }
    let mut out = vec![0.0; n * m];
    if p > 0 {
        gemm(MatRef::row_major(&parts.vt, p, n).t(), MatRef::row_major(&w, p, m), &mut out);
    }
    Ok(to_tensor(out, &[n, m]))
}

/// The number of singular values above `tol`; by default NumPy's
/// `s_max · max(m, n) · ε`.
pub fn matrix_rank<T: Float>(a: &Tensor<T>, tol: Option<f64>) -> Result<usize, LinalgError> {
    let (m, n) = (a.shape().first().copied().unwrap_or(0), a.shape().get(1).copied().unwrap_or(0));
    let s = decompose(a, "matrix_rank")?.s;
    let tol = tol.unwrap_or_else(|| s.first().copied().unwrap_or(0.0) * m.max(n) as f64 * f64::EPSILON);
    Ok(s.iter().filter(|&&v| v > tol).count())
}

/// The 2-norm condition number `s_max / s_min` (infinite for a singular matrix).
pub fn cond<T: Float>(a: &Tensor<T>) -> Result<T, LinalgError> {
    let s = decompose(a, "cond")?.s;
    assert!(!s.is_empty(), "cond: the condition number of an empty matrix is undefined");
    let (max, min) = (s[0], s[s.len() - 1]);
    Ok(T::from_f64(if min == 0.0 { f64::INFINITY } else { max / min }))
}

/// A finished SVD in row form: `ut` holds the left singular vectors as rows (`p × m`).
struct SvdParts {
    ut: Vec<f64>,
    s: Vec<f64>,
    vt: Vec<f64>,
}

/// The SVD of a 2-D tensor: kernel, normalisation, ordering and signs.
fn decompose<T: Float>(a: &Tensor<T>, op: &'static str) -> Result<SvdParts, LinalgError> {
    if a.rank() != 2 {
        panic!("{op}: expects a 2-D tensor, got shape {}", dims_str(a.shape()));
    }
    let (m, n) = (a.shape()[0], a.shape()[1]);
    let mut x: Vec<f64> = a.to_vec().into_iter().map(T::to_f64).collect();
    check_finite(&x, op)?;
    let scale = power_of_two_scale(&x);
    x.iter_mut().for_each(|v| *v *= scale);
    // A wide matrix is decomposed through its transpose: Aᵀ = U·S·Vᵀ gives A = V·S·Uᵀ.
    let wide = m < n;
    let (rows, cols) = if wide { (n, m) } else { (m, n) };
    if wide {
        x = (0..n).flat_map(|j| x.iter().skip(j).step_by(n).copied().collect::<Vec<_>>()).collect();
    }
    let (bt, mut vt) = if cols == 0 {
        (Vec::new(), Vec::new())
    } else if use_fast() {
        fast::svd(&x, rows, cols)?
    } else {
        naive::svd(&x, rows, cols)?
    };
    let p = cols;
    let mut s: Vec<f64> = bt.chunks_exact(rows.max(1)).take(p).map(|b| naive::dot(b, b).sqrt()).collect();
    let mut ut = bt;
    for (j, &sj) in s.iter().enumerate() {
        if sj > 0.0 {
            ut[j * rows..(j + 1) * rows].iter_mut().for_each(|v| *v /= sj);
        }
    }
    complete_zero_rows(&mut ut, &s, rows);
    // Descending order, then signs on the right singular vectors (of A, not of Aᵀ).
    let mut order: Vec<usize> = (0..p).collect();
    order.sort_by(|&i, &j| s[j].total_cmp(&s[i]));
    let gather =
        |x: &[f64], len: usize| order.iter().flat_map(|&i| x[i * len..(i + 1) * len].to_vec()).collect::<Vec<f64>>();
    ut = gather(&ut, rows);
    vt = gather(&vt, cols);
    s = order.iter().map(|&i| s[i] / scale).collect();
    let (mut ut, mut vt) = if wide { (vt, ut) } else { (ut, vt) };
    for j in 0..p {
        fix_sign(&mut vt[j * n..(j + 1) * n], &mut ut[j * m..(j + 1) * m]);
    }
    Ok(SvdParts { ut, s, vt })
}

/// Rows of `ut` whose singular value is exactly zero carry no direction: replace each by a
/// unit vector orthogonal to all the others (Gram–Schmidt on the coordinate vectors).
fn complete_zero_rows(ut: &mut [f64], s: &[f64], len: usize) {
    for j in (0..s.len()).filter(|&j| s[j] == 0.0) {
        for k in 0..len {
            let mut cand = vec![0.0; len];
            cand[k] = 1.0;
            for _ in 0..2 {
                for (i, _) in s.iter().enumerate().filter(|&(i, &si)| i != j && (si > 0.0 || i < j)) {
                    let q = &ut[i * len..(i + 1) * len];
                    let proj = naive::dot(&cand, q);
                    cand.iter_mut().zip(q).for_each(|(c, qi)| *c -= proj * qi);
                }
            }
            let norm = naive::dot(&cand, &cand).sqrt();
            if norm > 0.5 {
                ut[j * len..(j + 1) * len].iter_mut().zip(&cand).for_each(|(u, c)| *u = c / norm);
                break;
            }
        }
    }
}

/// Flips `v` (and its `partner`) so that the largest-magnitude component of `v` is positive.
fn fix_sign(v: &mut [f64], partner: &mut [f64]) {
    let largest = v.iter().copied().fold(0.0f64, |best, x| if x.abs() > best.abs() { x } else { best });
    if largest < 0.0 {
        v.iter_mut().for_each(|x| *x = -*x);
        partner.iter_mut().for_each(|x| *x = -*x);
    }
}

/// The square matrix as f64 with its lower triangle mirrored, and the power-of-two scale
/// applied; panics on a shape mistake.
fn prepare_symmetric<T: Float>(a: &Tensor<T>, op: &'static str) -> Result<(Vec<f64>, usize, f64), LinalgError> {
    if a.rank() != 2 || a.shape()[0] != a.shape()[1] {
        panic!("{op}: expects a square 2-D tensor, got shape {}", dims_str(a.shape()));
    }
    let n = a.shape()[0];
    let mut x: Vec<f64> = a.to_vec().into_iter().map(T::to_f64).collect();
    // Mirror the lower triangle over the upper, in tiles (a column walk misses the cache).
    const TILE: usize = 32;
    for i0 in (0..n).step_by(TILE) {
        for j0 in (0..=i0).step_by(TILE) {
            for i in i0..(i0 + TILE).min(n) {
                for j in j0..(j0 + TILE).min(i) {
                    x[j * n + i] = x[i * n + j];
                }
            }
        }
    }
    check_finite(&x, op)?;
    let scale = power_of_two_scale(&x);
    x.iter_mut().for_each(|v| *v *= scale);
    Ok((x, n, scale))
}

fn check_finite(x: &[f64], op: &'static str) -> Result<(), LinalgError> {
    if x.iter().all(|v| v.is_finite()) {
        Ok(())
    } else {
        Err(LinalgError::NonFinite { op })
    }
}

/// A power of two that brings the largest magnitude into [0.5, 1) (exact in binary).
fn power_of_two_scale(x: &[f64]) -> f64 {
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max == 0.0 {
        return 1.0;
    }
    let exponent = (max.log2().floor() as i32 + 1).clamp(-1000, 1000);
    2f64.powi(-exponent)
}

/// The transpose of a row-major `rows × cols` matrix, in 32×32 tiles so that both the reads
/// and the writes stay within a few cache lines at a time.
fn transpose(x: &[f64], rows: usize, cols: usize) -> Vec<f64> {
    const TILE: usize = 32;
    let mut out = vec![0.0; rows * cols];
    for i0 in (0..rows).step_by(TILE) {
        for j0 in (0..cols).step_by(TILE) {
            for i in i0..(i0 + TILE).min(rows) {
                for j in j0..(j0 + TILE).min(cols) {
                    out[j * rows + i] = x[i * cols + j];
                }
            }
        }
    }
    out
}

fn to_tensor<T: Float>(values: Vec<f64>, shape: &[usize]) -> Tensor<T> {
    Tensor::from_vec(values.into_iter().map(T::from_f64).collect::<Vec<T>>(), shape.to_vec())
}
