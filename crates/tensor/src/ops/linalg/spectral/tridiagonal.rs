//! The symmetric tridiagonal route to the eigendecomposition: reduce A to a tridiagonal T by
//! Householder reflections (A = Q·T·Qᵀ), find T's eigenvalues by implicit QL with shifts,
//! its eigenvectors by inverse iteration, and carry them back through Q.

use super::naive::dot;
use crate::ops::linalg::LinalgError;
use crate::ops::matmul::fast::gemm;
use crate::ops::matmul::MatRef;

/// QL iterations allowed per eigenvalue, on average over a block (two or three are typical;
/// a graded matrix can need many more for a few of them).
pub const MAX_QL_ITERATIONS: usize = 30;

/// Inverse-iteration solves per eigenvector: each gains about 1/ε once the eigenvalue is
/// accurate, so two reach full precision and the third is insurance.
pub const INVERSE_ITERATIONS: usize = 3;

/// Eigenvalues closer than this fraction of ‖T‖ share a cluster: their vectors are
/// re-orthogonalised against each other (inverse iteration alone would let them drift
/// together). Farther apart, the vectors are orthogonal to ε/gap ≤ 1e-13 by themselves.
pub const CLUSTER_GAP: f64 = 1e-3;

/// Reflectors applied per GEMM in [`apply_q`].
pub const WY_BLOCK: usize = 32;

/// The reduction A = Q·T·Qᵀ of the row-major `n × n` symmetric `a` (only its lower triangle
/// is read; it is overwritten).
///
/// Returns `(d, e, tau, reflectors)`: T's diagonal, its off-diagonal (`n − 1` values), the
/// reflector scales and a row-major `n × n` buffer whose row `k` holds reflector `k`'s vector
/// `v` from column `k + 1` on (`v[k + 1] = 1`); reflector `k` is `H = I − τ·v·vᵀ` and
/// Q = H₀·H₁⋯.
///
/// Step k turns the trailing block S into H·S·H = S − v·wᵀ − w·vᵀ, with p = τ·S·v and
/// w = p − (τ/2)(pᵀv)·v. Only the lower triangle is kept, and each step's update shares one
/// pass over the rows with the next step's product S·v (whose v is found first, from the
/// updated column alone): one read of the matrix per step instead of four.
pub fn tridiagonalise(a: &mut [f64], n: usize) -> (Vec<f64>, Vec<f64>, Vec<f64>, Vec<f64>) {
    let mut d: Vec<f64> = (0..n).map(|i| a[i * n + i]).collect();
    let mut e: Vec<f64> = (1..n).map(|i| a[i * n + i - 1]).collect();
    let mut tau = vec![0.0; n.saturating_sub(2)];
    let mut reflectors = vec![0.0; n * n];
    if n < 3 {
        return (d, e, tau, reflectors);
    }
    let mut v: Vec<f64> = (1..n).map(|i| a[i * n]).collect();
    (e[0], tau[0]) = householder(&mut v);
    let mut p = vec![0.0; n - 1];
    for i in 1..n {
        lower_row_times(&a[i * n + 1..=i * n + i], &v, &mut p, tau[0]);
    }
    for k in 0..n - 2 {
        let off = k + 1;
        let r = n - off;
        let half = 0.5 * tau[k] * dot(&p, &v);
        let w: Vec<f64> = p.iter().zip(&v).map(|(pi, vi)| pi - half * vi).collect();
        reflectors[k * n + off..(k + 1) * n].copy_from_slice(&v);
        let has_next = k + 1 < n - 2;
        let mut next_v = Vec::new();
        if has_next {
            // The updated column off (rows off..): its diagonal, then the next reflector.
            let column: Vec<f64> = (off..n).map(|i| a[i * n + off] - v[i - off] * w[0] - w[i - off] * v[0]).collect();
            d[off] = column[0];
            next_v = column[1..].to_vec();
            (e[off], tau[off]) = householder(&mut next_v);
        }
        let mut next_p = vec![0.0; r.saturating_sub(1)];
        for i in off..n {
            let (vi, wi) = (v[i - off], w[i - off]);
            let row = &mut a[i * n + off..=i * n + i];
            if has_next && i > off {
                update_and_multiply(row, &v, &w, vi, wi, &next_v, &mut next_p);
            } else {
                row.iter_mut().zip(&v).zip(&w).for_each(|((s, vj), wj)| *s -= vi * wj + wi * vj);
            }
        }
        if has_next {
            let t = tau[off];
            next_p.iter_mut().for_each(|x| *x *= t);
            v = next_v;
            p = next_p;
        }
    }
    d[n - 2] = a[(n - 2) * n + n - 2];
    d[n - 1] = a[(n - 1) * n + n - 1];
    e[n - 2] = a[(n - 1) * n + n - 2];
    (d, e, tau, reflectors)
}

/// One row of the fused pass: `row −= vi·w + wi·v` (the entries 0..=i of the lower triangle),
/// then the updated entries 1..=i times `next_v` into `next_p`, as [`lower_row_times`] does,
/// in a single loop over the row (eight lanes of partial sums for the dot product).
fn update_and_multiply(row: &mut [f64], v: &[f64], w: &[f64], vi: f64, wi: f64, next_v: &[f64], next_p: &mut [f64]) {
    let len = row.len();
    let i = len - 2; // this row's index in next_v / next_p
    row[0] -= vi * w[0] + wi * v[0];
    let nvi = next_v[i];
    let mut acc = [0.0f64; 8];
    let body = len - 2; // strictly below the diagonal, from entry 1
    let chunks = body / 8 * 8;
    {
        let (r, vv, ww) = (&mut row[1..1 + chunks], &v[1..1 + chunks], &w[1..1 + chunks]);
        let (nv, np) = (&next_v[..chunks], &mut next_p[..chunks]);
        for ((((rc, vc), wc), nvc), npc) in r
            .chunks_exact_mut(8)
            .zip(vv.chunks_exact(8))
            .zip(ww.chunks_exact(8))
            .zip(nv.chunks_exact(8))
            .zip(np.chunks_exact_mut(8))
        {
            for l in 0..8 {
                let s = rc[l] - (vi * wc[l] + wi * vc[l]);
                rc[l] = s;
                acc[l] += s * nvc[l];
                npc[l] += nvi * s;
            }
        }
    }
    let mut sum: f64 = acc.iter().sum();
    for j in 1 + chunks..len {
        let s = row[j] - (vi * w[j] + wi * v[j]);
        row[j] = s;
        if j < len - 1 {
            sum += s * next_v[j - 1];
            next_p[j - 1] += nvi * s;
        } else {
            sum += s * nvi;
        }
    }
    next_p[i] += sum;
}

/// Turns `x` into a reflector's `v` (`v[0] = 1`) with `(I − τ·v·vᵀ)·x = β·e₀`; returns `(β, τ)`.
/// A vector already along e₀ needs no reflection: τ = 0.
fn householder(x: &mut [f64]) -> (f64, f64) {
    let alpha = x[0];
    let tail_norm = dot(&x[1..], &x[1..]).sqrt();
    if tail_norm == 0.0 {
        x[0] = 1.0;
        x[1..].iter_mut().for_each(|v| *v = 0.0);
        return (alpha, 0.0);
    }
    // β takes the sign opposite to α so that α − β adds magnitudes.
    let beta = -alpha.signum() * alpha.hypot(tail_norm);
    let scale = 1.0 / (alpha - beta);
    x[0] = 1.0;
    x[1..].iter_mut().for_each(|v| *v *= scale);
    (beta, (beta - alpha) / beta)
}

/// Row `i` of a symmetric matrix's lower triangle (`row` = entries 0..=i) times `v`, into
/// `p`: the row gives p[i] a dot product and, as the column above the diagonal, adds
/// v[i]·row to p[0..i].
fn lower_row_times(row: &[f64], v: &[f64], p: &mut [f64], scale: f64) {
    let i = row.len() - 1;
    let vi = scale * v[i];
    p[i] += scale * dot(&row[..i], &v[..i]) + row[i] * vi;
    p[..i].iter_mut().zip(&row[..i]).for_each(|(pj, s)| *pj += vi * s);
}

/// Multiplies each row `x` of the row-major `rows × n` matrix `zt` by Q (x ← Q·x, that is
/// Zᵀ ← Zᵀ·Qᵀ), with the reflectors of [`tridiagonalise`]: [`WY_BLOCK`] of them at once, last
/// block first, as I − Y·T·Yᵀ (T upper triangular), which is two GEMMs per block. Working on
/// the rows keeps each eigenvector contiguous from inverse iteration to the result.
pub fn apply_q(reflectors: &[f64], tau: &[f64], n: usize, zt: &mut [f64], rows: usize) {
    let count = tau.len();
    let mut block_start = count / WY_BLOCK * WY_BLOCK;
    if block_start == count && count > 0 {
        block_start -= WY_BLOCK;
    }
    loop {
        let nb = (count - block_start).min(WY_BLOCK);
        if nb > 0 {
            apply_block(reflectors, &tau[block_start..block_start + nb], n, block_start, zt, rows);
        }
        if block_start == 0 {
            break;
        }
        block_start -= WY_BLOCK;
    }
}

/// Zᵀ ← Zᵀ·(I − Y·T·Yᵀ)ᵀ = Zᵀ − (Zᵀ·Y)·Tᵀ·Yᵀ for reflectors `k0 .. k0 + nb`, which touch
/// coordinates `k0 + 1 ..` only.
fn apply_block(reflectors: &[f64], tau: &[f64], n: usize, k0: usize, zt: &mut [f64], rows: usize) {
    let nb = tau.len();
    let len = n - k0 - 1;
    // Y: len × nb, column j is reflector k0 + j (zero above its leading one).
    let mut y = vec![0.0; len * nb];
    for j in 0..nb {
        let k = k0 + j;
        for i in j..len {
            y[i * nb + j] = reflectors[k * n + k0 + 1 + i];
        }
    }
    // T (nb × nb, upper): T[j][j] = τⱼ, T[..j][j] = −τⱼ·T[..j][..j]·(Y[:, ..j]ᵀ·yⱼ).
    let mut t = vec![0.0; nb * nb];
    for j in 0..nb {
        let overlaps: Vec<f64> = (0..j).map(|l| (j..len).map(|i| y[i * nb + l] * y[i * nb + j]).sum()).collect();
        for l in 0..j {
            t[l * nb + j] = -tau[j] * (l..j).map(|q| t[l * nb + q] * overlaps[q]).sum::<f64>();
        }
        t[j * nb + j] = tau[j];
    }
    let y_ref = MatRef::row_major(&y, len, nb);
    let z_cols = MatRef { data: &*zt, offset: k0 + 1, rows, cols: len, row_stride: n, col_stride: 1 };
    let mut w = vec![0.0; rows * nb];
    gemm(z_cols, y_ref, &mut w);
    // W ← W·Tᵀ: entry l of a row takes entries q ≥ l, so ascending l reads only old values.
    for row in w.chunks_exact_mut(nb) {
        for l in 0..nb {
            row[l] = (l..nb).map(|q| row[q] * t[l * nb + q]).sum();
        }
    }
    let mut update = vec![0.0; rows * len];
    gemm(MatRef::row_major(&w, rows, nb), y_ref.t(), &mut update);
    for (r, u) in update.chunks_exact(len.max(1)).enumerate().take(rows) {
        let dst = &mut zt[r * n + k0 + 1..(r + 1) * n];
        dst.iter_mut().zip(u).for_each(|(z, u)| *z -= u);
    }
}

/// The eigenvalues (ascending) and, when asked, eigenvectors of the symmetric tridiagonal
/// matrix with diagonal `d` and off-diagonal `e`.
///
/// Vectors come back as the rows of a row-major `n × n` matrix (row `j` for value `j`).
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
                let row = (values.len() + j) * n + lo;
                z[row..row + k].copy_from_slice(vec);
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
    let mut iterations = 0;
    for l in 0..n {
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
            if iterations > MAX_QL_ITERATIONS * n {
                return Err(LinalgError::NoConvergence { op: "eigh", iterations: MAX_QL_ITERATIONS * n });
            }
            // Shift: the eigenvalue of the top 2×2 block nearer to d[l].
            let g0 = (d[l + 1] - d[l]) / (2.0 * e[l]);
            // (hypot is exact but several times slower than a square root; the scaled inputs
            // cannot overflow the squares except for a huge g0, where r0 = |g0| anyway.)
            let r0 = if g0.abs() > 1e100 { g0.abs() } else { (g0 * g0 + 1.0).sqrt() };
            let mut g = d[m] - d[l] + e[l] / (g0 + r0.copysign(g0));
            let (mut s, mut c, mut p) = (1.0, 1.0, 0.0);
            let mut deflated = false;
            for i in (l..m).rev() {
                let f = s * e[i];
                let b = c * e[i];
                let r = (f * f + g * g).sqrt();
                e[i + 1] = r;
                if r == 0.0 {
                    // An exact zero appeared mid-chase: the block split; restart on it.
                    d[i + 1] -= p;
                    e[m] = 0.0;
                    deflated = true;
                    break;
                }
                let inverse_r = 1.0 / r;
                s = f * inverse_r;
                c = g * inverse_r;
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
    let mut previous = f64::NEG_INFINITY;
    let mut x = vec![0.0; k];
    let mut seed = 0x9e37_79b9_7f4a_7c15_u64;
    for (j, &value) in values.iter().enumerate() {
        let mut lambda = value;
        // The vectors found for values within CLUSTER_GAP below this one (a window, not the
        // whole chain of close values, which on a dense spectrum would be everything).
        let cluster_start = values[..j].partition_point(|&v| value - v > CLUSTER_GAP * norm);
        if lambda <= previous + nudge {
            lambda = previous + nudge;
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
    inverse_diag: Vec<f64>,
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
        // The back substitution is a chain of dependent steps: a multiply there is several
        // times quicker than a divide.
        let inverse_diag = diag.iter().map(|d| 1.0 / d).collect();
        TridiagonalLu { inverse_diag, super1, super2, multipliers, swapped }
    }

    /// Overwrites `x` with (T − λI)⁻¹·x.
    fn solve(&self, x: &mut [f64]) {
        let k = x.len();
        // The swaps follow the signs of the data, so a branch on them mispredicts about half
        // the time; selects carry no prediction.
        let mut carry = x[0];
        for i in 0..k - 1 {
            let next = x[i + 1];
            let swap = self.swapped[i];
            let top = if swap { next } else { carry };
            let bottom = if swap { carry } else { next };
            x[i] = top;
            carry = bottom - self.multipliers[i] * top;
        }
        x[k - 1] = carry;
        // Back substitution; super1 and super2 are zero past the end, so no bounds tests.
        let (mut after1, mut after2) = (0.0, 0.0);
        for i in (0..k).rev() {
            let v = (x[i] - self.super1[i] * after1 - self.super2[i] * after2) * self.inverse_diag[i];
            x[i] = v;
            after2 = after1;
            after1 = v;
        }
    }
}
