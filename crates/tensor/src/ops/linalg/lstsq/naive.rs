//! Least squares through the singular value decomposition, computed by one-sided Jacobi
//! rotations: slow (whole sweeps over every pair of columns) but simple and accurate, and it
//! sees the rank exactly as NumPy's `gelsd` does (singular values against `rcond·σ_max`). The
//! oracle for the QR-based fast path.

/// Rotation sweeps allowed before giving up; Jacobi converges quadratically, in well under 20
/// sweeps for the sizes an oracle is used at.
const MAX_SWEEPS: usize = 60;

/// The minimum-norm least-squares solution `x` (row-major `n × k`) of `A·x ≈ B` for a
/// row-major `m × n` `a` and `m × k` `b`, and the numerical rank: singular values at most
/// `rcond · σ_max` count as zero.
pub fn solve(a: &[f64], m: usize, n: usize, b: &[f64], k: usize, rcond: f64) -> (Vec<f64>, usize) {
    // Orthogonalise the columns of A (m ≥ n) or of Aᵀ (m < n), so the vectors rotated are the
    // longer ones and there are p = min(m, n) of them.
    let tall = m >= n;
    let (p, q) = (m.min(n), m.max(n));
    let mut w: Vec<Vec<f64>> =
        (0..p).map(|j| (0..q).map(|i| if tall { a[i * n + j] } else { a[j * n + i] }).collect()).collect();
    let mut v: Vec<Vec<f64>> = (0..p).map(|j| (0..p).map(|i| f64::from(u8::from(i == j))).collect()).collect();
    for _ in 0..MAX_SWEEPS {
        let mut rotated = false;
        for i in 0..p {
            for j in i + 1..p {
                rotated |= rotate_pair(&mut w, &mut v, i, j);
            }
        }
        if !rotated {
            break;
        }
    }
    // Now W = U·Σ and A = U·Σ·Vᵀ (tall) or Aᵀ = U·Σ·Vᵀ, A = V·Σ·Uᵀ (wide).
    let sigma: Vec<f64> = w.iter().map(|col| norm(col)).collect();
    let sigma_max = sigma.iter().copied().fold(0.0, f64::max);
    let kept: Vec<usize> = (0..p).filter(|&j| sigma[j] > rcond * sigma_max && sigma[j] > 0.0).collect();
    // x = Σ over kept j of right_j · (left_jᵀ b) / σ_j, with W's column j = σ_j · u_j.
    let mut x = vec![0.0; n * k];
    for &j in &kept {
        let s2 = sigma[j] * sigma[j];
        let (left, right, left_scale, right_scale) =
            if tall { (&w[j], &v[j], 1.0 / s2, 1.0) } else { (&v[j], &w[j], 1.0, 1.0 / s2) };
        for c in 0..k {
            let proj: f64 = (0..m).map(|i| left[i] * b[i * k + c]).sum::<f64>() * left_scale * right_scale;
            for r in 0..n {
                x[r * k + c] += right[r] * proj;
            }
        }
    }
    (x, kept.len())
}

fn norm(x: &[f64]) -> f64 {
    x.iter().map(|v| v * v).sum::<f64>().sqrt()
}

/// Rotates columns `i` and `j` of W (and of V alongside) so that they become orthogonal.
/// Returns whether they were far enough from orthogonal to need it.
fn rotate_pair(w: &mut [Vec<f64>], v: &mut [Vec<f64>], i: usize, j: usize) -> bool {
    let alpha: f64 = w[i].iter().map(|x| x * x).sum();
    let beta: f64 = w[j].iter().map(|x| x * x).sum();
    let gamma: f64 = w[i].iter().zip(&w[j]).map(|(x, y)| x * y).sum();
    if gamma == 0.0 || gamma.abs() <= f64::EPSILON * (alpha * beta).sqrt() {
        return false;
    }
    // The angle that zeroes the off-diagonal of [[α, γ], [γ, β]], taken as the smaller root.
    let zeta = (beta - alpha) / (2.0 * gamma);
    let t = zeta.signum() / (zeta.abs() + (1.0 + zeta * zeta).sqrt());
    let c = 1.0 / (1.0 + t * t).sqrt();
    let s = c * t;
    for cols in [w, v] {
        let (left, right) = cols.split_at_mut(j);
        for (x, y) in left[i].iter_mut().zip(right[0].iter_mut()) {
            let (xi, yj) = (*x, *y);
            *x = c * xi - s * yj;
            *y = s * xi + c * yj;
        }
    }
    true
}
