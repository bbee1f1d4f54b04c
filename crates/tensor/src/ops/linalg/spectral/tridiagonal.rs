//! The symmetric tridiagonal route to the eigendecomposition: reduce A to a tridiagonal T by
//! Householder reflections (A = Q·T·Qᵀ), find T's eigenvalues by implicit QL with shifts,
//! its eigenvectors by inverse iteration, and carry them back through Q.

use super::naive::dot;
use crate::ops::linalg::LinalgError;

/// QL iterations allowed per eigenvalue (two or three are typical).
const MAX_QL_ITERATIONS: usize = 30;

/// Inverse-iteration solves per eigenvector: each gains about 1/ε once the eigenvalue is
/// accurate, so two reach full precision and the third is insurance.
const INVERSE_ITERATIONS: usize = 3;

/// Eigenvalues closer than this fraction of ‖T‖ share a cluster: their vectors are
/// re-orthogonalised against each other (inverse iteration alone would let them drift
/// together).
const CLUSTER_GAP: f64 = 1e-3;

/// The reduction A = Q·T·Qᵀ, overwriting the row-major `n × n` symmetric `a`.
///
/// Returns `(d, e, tau)`: T's diagonal, its off-diagonal (`n − 1` values), and the reflector
/// scales. Reflector `k` is `H = I − τ·v·vᵀ` with `v` zero up to position `k`, one at `k + 1`
/// and the rest stored in row `k` of `a` after column `k + 1`; Q = H₀·H₁⋯.
pub fn tridiagonalise(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut d = vec![0.0; n];
    let mut e = vec![0.0; n.saturating_sub(1)];
    let mut tau = vec![0.0; n.saturating_sub(2)];
    let mut p = vec![0.0; n];
    for k in 0..n.saturating_sub(2) {
        d[k] = a[k * n + k];
        // Column k below the diagonal is row k right of it (A stays symmetric).
        let x = &mut a[k * n + k + 1..(k + 1) * n];
        let alpha = x[0];
        let tail_norm = dot(&x[1..], &x[1..]).sqrt();
        if tail_norm == 0.0 {
            e[k] = alpha;
            continue;
        }
        // β takes the sign opposite to α so that α − β adds magnitudes.
        let beta = -alpha.signum() * alpha.hypot(tail_norm);
        tau[k] = (beta - alpha) / beta;
        let scale = 1.0 / (alpha - beta);
        x[0] = 1.0;
        x[1..].iter_mut().for_each(|v| *v *= scale);
        e[k] = beta;
        let v = x.to_vec();
        // The trailing block S (rows and columns k+1..) becomes H·S·H = S − v·wᵀ − w·vᵀ with
        // p = τ·S·v and w = p − (τ/2)(pᵀv)·v.
        let r = n - k - 1;
        let start = (k + 1) * n + k + 1;
        for i in 0..r {
            p[i] = tau[k] * dot(&a[start + i * n..start + i * n + r], &v);
        }
        let half = 0.5 * tau[k] * dot(&p[..r], &v);
        for i in 0..r {
            p[i] -= half * v[i];
        }
        let w = &p[..r];
        for i in 0..r {
            let row = &mut a[start + i * n..start + i * n + r];
            let (vi, wi) = (v[i], w[i]);
            for ((s, vj), wj) in row.iter_mut().zip(&v).zip(w) {
                *s -= vi * wj + wi * vj;
            }
        }
    }
    if n >= 2 {
        d[n - 2] = a[(n - 2) * n + n - 2];
        e[n - 2] = a[(n - 2) * n + n - 1];
    }
    if n >= 1 {
        d[n - 1] = a[(n - 1) * n + n - 1];
    }
    (d, e, tau)
}

/// V = Q·Z for a row-major `n × cols` matrix `z`, applying the reflectors left in `a` by
/// [`tridiagonalise`], last first: each is a rank-one update of whole rows.
pub fn apply_q(a: &[f64], tau: &[f64], n: usize, z: &mut [f64], cols: usize) {
    let mut w = vec![0.0; cols];
    for k in (0..tau.len()).rev() {
        if tau[k] == 0.0 {
            continue;
        }
        let v = &a[k * n + k + 1..(k + 1) * n];
        // w = vᵀ·Z (rows k+1..), then Z −= τ·v·wᵀ; v[0] is the implicit one.
        w.copy_from_slice(&z[(k + 1) * cols..(k + 2) * cols]);
        for (i, &vi) in v.iter().enumerate().skip(1) {
            let row = &z[(k + 1 + i) * cols..(k + 2 + i) * cols];
            w.iter_mut().zip(row).for_each(|(wj, zj)| *wj += vi * zj);
        }
        for (i, &vi) in v.iter().enumerate() {
            let f = tau[k] * if i == 0 { 1.0 } else { vi };
            let row = &mut z[(k + 1 + i) * cols..(k + 2 + i) * cols];
            row.iter_mut().zip(&w).for_each(|(zj, wj)| *zj -= f * wj);
        }
    }
}

/// The eigenvalues (ascending) and, when asked, eigenvectors of the symmetric tridiagonal
/// matrix with diagonal `d` and off-diagonal `e`.
///
/// Vectors come back as a row-major `n × n` matrix whose column `j` belongs to value `j`.
pub fn tridiagonal_eigh(d: &[f64], e: &[f64], vectors: bool) -> Result<(Vec<f64>, Option<Vec<f64>>), LinalgError> {
    let n = d.len();
    let mut values = Vec::with_capacity(n);
    let mut z = vectors.then(|| vec![0.0; n * n]);
    // Split where an off-diagonal is negligible: the blocks are independent problems.
    let mut lo = 0;
    for hi in 1..=n {
        let split = hi == n || e[hi - 1].abs() <= f64::EPSILON * (d[hi - 1].abs() + d[hi].abs());
        if !split {
            continue;
        }
        let (bd, be) = (&d[lo..hi], &e[lo..hi - 1]);
        let mut block_values = ql_eigenvalues(bd, be)?;
        block_values.sort_by(f64::total_cmp);
        if let Some(z) = z.as_mut() {
            let vecs = inverse_iteration(bd, be, &block_values);
            let k = hi - lo;
            for (j, vec) in vecs.chunks_exact(k).enumerate() {
                for (i, x) in vec.iter().enumerate() {
                    z[(lo + i) * n + values.len() + j] = *x;
                }
            }
        }
        values.extend(block_values);
        lo = hi;
    }
    Ok((values, z))
}

/// Eigenvalues of an unreduced tridiagonal block by implicit QL with Wilkinson-style shifts:
/// each iteration chases a bulge up the matrix with plane rotations, and the bottom-left
/// off-diagonal shrinks cubically.
fn ql_eigenvalues(d: &[f64], e: &[f64]) -> Result<Vec<f64>, LinalgError> {
    let n = d.len();
    let mut d = d.to_vec();
    let mut e: Vec<f64> = e.iter().copied().chain(std::iter::once(0.0)).collect();
    for l in 0..n {
        let mut iterations = 0;
        loop {
            // The first negligible off-diagonal at or after l closes the active block [l, m].
            let mut m = l;
            while m + 1 < n && e[m].abs() > f64::EPSILON * (d[m].abs() + d[m + 1].abs()) {
                m += 1;
            }
            if m == l {
                break;
            }
            iterations += 1;
            if iterations > MAX_QL_ITERATIONS {
                return Err(LinalgError::NoConvergence { op: "eigh", iterations: MAX_QL_ITERATIONS * n });
            }
            // Shift: the eigenvalue of the top 2×2 block nearer to d[l].
            let g0 = (d[l + 1] - d[l]) / (2.0 * e[l]);
            let r0 = g0.hypot(1.0);
            let mut g = d[m] - d[l] + e[l] / (g0 + r0.copysign(g0));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                let r = f.hypot(g);
                e[i + 1] = r;
                if r == 0.0 {
                    // An exact zero appeared mid-chase: the block split; restart on it.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                s = f / r;
                c = g / r;
                let g1 = d[i + 1] - p;
                let r1 = (d[i] - g1) * s + 2.0 * c * b;
                p = s * r1;
                d[i + 1] = g1 + p;
                g = c * r1 - b;
            }
            if deflated {
                continue;
            }
            d[l] -= p;
            e[l] = g;
            e[m] = 0.0;
        }
    }
    Ok(d)
}

/// Eigenvectors of an unreduced tridiagonal block for its (ascending) eigenvalues, by inverse
/// iteration: solving (T − λI)·x = b amplifies the component of b along λ's eigenvector by
/// 1/(rounding error in λ). Returns the vectors one after another.
fn inverse_iteration(d: &[f64], e: &[f64], values: &[f64]) -> Vec<f64> {
    let k = d.len();
    let mut out = vec![0.0; k * k];
    if k == 1 {
        out[0] = 1.0;
        return out;
    }
    let norm = (0..k)
        .map(|i| d[i].abs() + if i > 0 { e[i - 1].abs() } else { 0.0 } + if i + 1 < k { e[i].abs() } else { 0.0 })
        .fold(0.0, f64::max);
    // Equal eigenvalues would give equal solves: nudge each just past its neighbour.
    let nudge = 10.0 * f64::EPSILON * norm;
    let mut cluster_start = 0;
    let mut previous = f64::NEG_INFINITY;
    let mut x = vec![0.0; k];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for (j, &value) in values.iter().enumerate() {
        let mut lambda = value;
        if j > 0 {
            if lambda - values[j - 1] > CLUSTER_GAP * norm {
                cluster_start = j;
            }
            if lambda <= previous + nudge {
                lambda = previous + nudge;
            }
        }
        previous = lambda;
        let lu = TridiagonalLu::new(d, e, lambda, f64::EPSILON * norm.max(f64::MIN_POSITIVE));
        // A pseudo-random start has a component along every eigenvector.
        for xi in x.iter_mut() {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            *xi = (seed >> 11) as f64 / (1u64 << 53) as f64 - 0.5;
        }
        for _ in 0..INVERSE_ITERATIONS {
            normalise(&mut x);
            lu.solve(&mut x);
            // Within a cluster, keep only what is new against the vectors already found.
            for prev in cluster_start..j {
                let q = &out[prev * k..(prev + 1) * k];
                let proj = dot(&x, q);
                x.iter_mut().zip(q).for_each(|(xi, qi)| *xi -= proj * qi);
            }
        }
        normalise(&mut x);
        out[j * k..(j + 1) * k].copy_from_slice(&x);
    }
    out
}

fn normalise(x: &mut [f64]) {
    let max = x.iter().fold(0.0f64, |m, v| m.max(v.abs()));
    if max == 0.0 {
        x[0] = 1.0;
        return;
    }
    // Scale by the largest entry first: after a solve the entries can be near overflow.
    x.iter_mut().for_each(|v| *v /= max);
    let norm = dot(x, x).sqrt();
    x.iter_mut().for_each(|v| *v /= norm);
}

/// T − λI = P·L·U by Gaussian elimination with partial pivoting (row swaps give U a second
/// superdiagonal); zero pivots become `tiny`, which is what inverse iteration wants.
struct TridiagonalLu {
    diag: Vec<f64>,
    super1: Vec<f64>,
    super2: Vec<f64>,
    multipliers: Vec<f64>,
    swapped: Vec<bool>,
}

impl TridiagonalLu {
    fn new(d: &[f64], e: &[f64], lambda: f64, tiny: f64) -> Self {
        let k = d.len();
        let mut diag: Vec<f64> = d.iter().map(|x| x - lambda).collect();
        let mut super1: Vec<f64> = e.to_vec();
        super1.push(0.0);
        let mut super2 = vec![0.0; k];
        let mut multipliers = vec![0.0; k];
        let mut swapped = vec![false; k];
        for i in 0..k - 1 {
            let below = e[i];
            if diag[i].abs() >= below.abs() {
                if diag[i] == 0.0 {
                    diag[i] = tiny;
                }
                let m = below / diag[i];
                multipliers[i] = m;
                diag[i + 1] -= m * super1[i];
            } else {
                // Row i+1 (below, diag[i+1], super1[i+1]) moves up.
                let m = diag[i] / below;
                multipliers[i] = m;
                swapped[i] = true;
                let (next_diag, next_super) = (diag[i + 1], super1[i + 1]);
                diag[i] = below;
                diag[i + 1] = super1[i] - m * next_diag;
                super1[i] = next_diag;
                super2[i] = next_super;
                super1[i + 1] = -m * next_super;
            }
        }
        if diag[k - 1] == 0.0 {
            diag[k - 1] = tiny;
        }
        TridiagonalLu { diag, super1, super2, multipliers, swapped }
    }

    /// Overwrites `x` with (T − λI)⁻¹·x.
    fn solve(&self, x: &mut [f64]) {
        let k = x.len();
        for i in 0..k - 1 {
            if self.swapped[i] {
                x.swap(i, i + 1);
            }
            x[i + 1] -= self.multipliers[i] * x[i];
        }
        for i in (0..k).rev() {
            let mut v = x[i];
            if i + 1 < k {
                v -= self.super1[i] * x[i + 1];
            }
            if i + 2 < k {
                v -= self.super2[i] * x[i + 2];
            }
            x[i] = v / self.diag[i];
        }
    }
}
