//! The readable kernels: Jacobi rotations for both decompositions.
//!
//! A Jacobi rotation mixes two coordinates by an angle chosen to zero one off-diagonal entry.
//! Sweeping over every pair again and again drives the whole off-diagonal to zero; the
//! convergence is quadratic once it is small. Slower than the tridiagonal and bidiagonal
//! methods by a constant factor, but each step is a 2×2 problem anyone can check by hand, and
//! the results are as accurate as LAPACK's (more, for the small singular values).

use crate::ops::linalg::LinalgError;

/// Sweeps allowed before giving up; Jacobi needs under 15 on anything reasonable.
pub const MAX_SWEEPS: usize = 60;

/// The symmetric eigendecomposition of a row-major `n × n` matrix by cyclic Jacobi.
///
/// Returns `(values, vt)`: the eigenvalues in no particular order and the eigenvectors as the
/// rows of `vt` (row `j` belongs to `values[j]`).
pub fn eigh(a: &[f64], n: usize) -> Result<(Vec<f64>, Vec<f64>), LinalgError> {
    let mut a = a.to_vec();
    let mut vt = identity(n);
    // An entry below ε·‖A‖_F is at the level of the rounding already in A: treat it as zero.
    let tol = f64::EPSILON * a.iter().map(|x| x * x).sum::<f64>().sqrt();
    for _sweep in 0..MAX_SWEEPS {
        let mut rotated = false;
        for p in 0..n {
            for q in p + 1..n {
                let apq = a[p * n + q];
                if apq.abs() <= tol {
                    continue;
                }
                rotated = true;
                // tan of the angle that zeroes a[p][q]: the smaller root of t² + 2θt − 1 = 0.
                let theta = (a[q * n + q] - a[p * n + p]) / (2.0 * apq);
                let (c, s) = rotation(theta);
                // A ← A·J (columns p and q), then A ← Jᵀ·A (rows p and q).
                for k in 0..n {
                    let (akp, akq) = (a[k * n + p], a[k * n + q]);
                    a[k * n + p] = c * akp - s * akq;
                    a[k * n + q] = s * akp + c * akq;
                }
                for k in 0..n {
                    let (apk, aqk) = (a[p * n + k], a[q * n + k]);
                    a[p * n + k] = c * apk - s * aqk;
                    a[q * n + k] = s * apk + c * aqk;
                }
                a[p * n + q] = 0.0;
                a[q * n + p] = 0.0;
                // V ← V·J, on the rows of Vᵀ.
                rotate_rows(&mut vt, n, p, q, c, s);
            }
        }
        if !rotated {
            let values = (0..n).map(|i| a[i * n + i]).collect();
            return Ok((values, vt));
        }
    }
    Err(LinalgError::NoConvergence { op: "eigh", iterations: MAX_SWEEPS })
}

/// The SVD of a row-major `m × n` matrix with `m >= n`, by one-sided (Hestenes) Jacobi.
///
/// Returns `(bt, vt)`, both with `n` rows: rows of `bt` are the columns of `A·V`, mutually
/// orthogonal (their norms are the singular values, their directions the left singular
/// vectors), rows of `vt` the right singular vectors.
pub fn svd(a: &[f64], m: usize, n: usize) -> Result<(Vec<f64>, Vec<f64>), LinalgError> {
    assert!(m >= n, "svd (naive): expects m >= n, got {m}x{n}");
    let mut bt: Vec<f64> = (0..n).flat_map(|j| (0..m).map(move |i| a[i * n + j])).collect();
    let mut vt = identity(n);
    one_sided_jacobi(&mut bt, &mut vt, m, n)?;
    Ok((bt, vt))
}

/// Rotates pairs of rows of `bt` (`n` rows of length `m`) until they are mutually orthogonal,
/// applying the same rotations to the rows of `vt` (`n × n`).
///
/// A pair is left alone when the cosine of its angle is below `max(m, 8)·ε`: orthogonal to
/// working precision (the floor keeps a short column's rounding from re-triggering the same
/// rotation forever). The row norms are computed once a sweep and again after each rotation (not
/// updated by formula, which would lose the small ones to cancellation).
pub fn one_sided_jacobi(bt: &mut [f64], vt: &mut [f64], m: usize, n: usize) -> Result<(), LinalgError> {
    let tol = f64::EPSILON * m.max(8) as f64;
    for _sweep in 0..MAX_SWEEPS {
        let mut norms2: Vec<f64> = (0..n).map(|i| dot(&bt[i * m..(i + 1) * m], &bt[i * m..(i + 1) * m])).collect();
        let mut rotated = false;
        for i in 0..n {
            for j in i + 1..n {
                let (alpha, beta) = (norms2[i], norms2[j]);
                if alpha == 0.0 || beta == 0.0 {
                    continue;
                }
                let gamma = dot(&bt[i * m..(i + 1) * m], &bt[j * m..(j + 1) * m]);
                if gamma.abs() <= tol * (alpha.sqrt() * beta.sqrt()) {
                    continue;
                }
                rotated = true;
                let (c, s) = rotation((beta - alpha) / (2.0 * gamma));
                rotate_rows(bt, m, i, j, c, s);
                rotate_rows(vt, n, i, j, c, s);
                norms2[i] = dot(&bt[i * m..(i + 1) * m], &bt[i * m..(i + 1) * m]);
                norms2[j] = dot(&bt[j * m..(j + 1) * m], &bt[j * m..(j + 1) * m]);
            }
        }
        if !rotated {
            return Ok(());
        }
    }
    Err(LinalgError::NoConvergence { op: "svd", iterations: MAX_SWEEPS })
}

/// `(cos, sin)` of the rotation whose tangent is the smaller root of `t² + 2θt − 1 = 0`
/// (the angle at most 45°, which keeps the rotations, and so the rounding, small).
pub fn rotation(theta: f64) -> (f64, f64) {
    let t = if theta.is_infinite() { 0.0 } else { theta.signum() / (theta.abs() + (theta * theta + 1.0).sqrt()) };
    let c = 1.0 / (t * t + 1.0).sqrt();
    (c, c * t)
}

/// Rows `i` and `j` (of length `len`) become `c·xᵢ − s·xⱼ` and `s·xᵢ + c·xⱼ`.
pub fn rotate_rows(x: &mut [f64], len: usize, i: usize, j: usize, c: f64, s: f64) {
    debug_assert!(i < j);
    let (head, tail) = x.split_at_mut(j * len);
    let xi = &mut head[i * len..(i + 1) * len];
    let xj = &mut tail[..len];
    for (a, b) in xi.iter_mut().zip(xj.iter_mut()) {
        let (u, v) = (*a, *b);
        *a = c * u - s * v;
        *b = s * u + c * v;
    }
}

/// A dot product with eight running sums, so the compiler can keep them in SIMD lanes
/// (a single sum is a chain of dependent adds, one per cycle at best).
pub fn dot(x: &[f64], y: &[f64]) -> f64 {
    let mut acc = [0.0f64; 8];
    let (xc, yc) = (x.chunks_exact(8), y.chunks_exact(8));
    let tail: f64 = xc.remainder().iter().zip(yc.remainder()).map(|(a, b)| a * b).sum();
    for (a, b) in xc.zip(yc) {
        for k in 0..8 {
            acc[k] += a[k] * b[k];
        }
    }
    acc.iter().sum::<f64>() + tail
}

fn identity(n: usize) -> Vec<f64> {
    let mut eye = vec![0.0; n * n];
    (0..n).for_each(|i| eye[i * n + i] = 1.0);
    eye
}
