//! Least squares through the singular value decomposition, by the naive one-sided Jacobi SVD
//! of [`crate::ops::linalg::spectral::naive`]: slow (whole sweeps over every pair of columns)
//! but simple and accurate, and it sees the rank exactly as NumPy's `gelsd` does (singular
//! values against `rcond·σ_max`). The oracle for the QR-based fast path.

use crate::ops::linalg::spectral::naive::{dot, one_sided_jacobi};

/// The minimum-norm least-squares solution `x` (row-major `n × k`) of `A·x ≈ B` for a
/// row-major `m × n` `a` and `m × k` `b`, and the numerical rank: singular values at most
/// `rcond · σ_max` count as zero.
pub fn solve(a: &[f64], m: usize, n: usize, b: &[f64], k: usize, rcond: f64) -> (Vec<f64>, usize) {
    // Orthogonalise the columns of A (m ≥ n) or of Aᵀ (m < n), so the vectors rotated are the
    // longer ones and there are p = min(m, n) of them: W = rows of length q, V = p × p.
    let tall = m >= n;
    let (p, q) = (m.min(n), m.max(n));
    let mut w: Vec<f64> =
        (0..p).flat_map(|j| (0..q).map(move |i| if tall { a[i * n + j] } else { a[j * n + i] })).collect();
    let mut v: Vec<f64> = (0..p * p).map(|i| f64::from(u8::from(i / p == i % p))).collect();
    // Jacobi converges in well under its sweep limit at an oracle's sizes; if it ever stopped
    // short, the rows are still nearly orthogonal and the solution nearly right.
    let _ = one_sided_jacobi(&mut w, &mut v, q, p);
    // Now W's rows are σ_j·u_j and A = U·Σ·Vᵀ (tall), or Aᵀ = U·Σ·Vᵀ and A = V·Σ·Uᵀ (wide).
    let row = |x: &[f64], len: usize, j: usize| x[j * len..(j + 1) * len].to_vec();
    let sigma: Vec<f64> = (0..p).map(|j| dot(&w[j * q..(j + 1) * q], &w[j * q..(j + 1) * q]).sqrt()).collect();
    let sigma_max = sigma.iter().copied().fold(0.0, f64::max);
    let kept: Vec<usize> = (0..p).filter(|&j| sigma[j] > rcond * sigma_max && sigma[j] > 0.0).collect();
    // x = Σ over kept j of right_j · (left_jᵀ b) / σ_j, with W's row j = σ_j · u_j.
    let mut x = vec![0.0; n * k];
    for &j in &kept {
        let (wj, vj) = (row(&w, q, j), row(&v, p, j));
        let (left, right) = if tall { (wj, vj) } else { (vj, wj) };
        let scale = 1.0 / (sigma[j] * sigma[j]);
        for c in 0..k {
            let proj: f64 = (0..m).map(|i| left[i] * b[i * k + c]).sum::<f64>() * scale;
            for r in 0..n {
                x[r * k + c] += right[r] * proj;
            }
        }
    }
    (x, kept.len())
}
