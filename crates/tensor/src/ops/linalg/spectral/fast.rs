//! Fast symmetric eigendecomposition and SVD.
//!
//! # Version catalogue
//!
//! f64, one thread, n = 512 unless noted, against NumPy 2.4/OpenBLAS (`OPENBLAS_NUM_THREADS=1`)
//! alternating in one run on the shared 2-core VM (medians of 7 rounds; the load moves both
//! sides, so read the ratios). Bench: `cargo bench -p kindling-tensor --bench linalg_spectral
//! -- <group>` with the group named on each line. Against NumPy: `cargo run --release -p
//! kindling-tensor --example linalg_vs_numpy -- --ops eigh,eigvalsh,svd,svd_tall 512`
//! (`SPECTRAL_TABLE=n` on the bench prints one line of medians, for an outside driver).
//!
//! - v1 naive (`super::naive`): cyclic Jacobi for `eigh`, one-sided Jacobi for `svd`
//!   (`eigh/naive`, `svd/naive`): at n = 128 already 80 and 31 ms, against 4.3 and 5.8 for
//!   v3/v4 in the same run.
//! - v2 tridiagonal `eigh`: Householder reduction to tridiagonal form, implicit QL for the
//!   eigenvalues (O(n²)), inverse iteration for the tridiagonal eigenvectors, the reflectors
//!   applied back one rank-one update at a time: about 4× NumPy's time.
//! - v3 (`eigh/fast`, `eigvalsh/fast`): one pass over the matrix per reduction step
//!   (`tridiagonal::tridiagonalise`: the lower triangle only, each step's update sharing its
//!   pass over the rows with the next step's product S·v); the reflectors applied back 32 at
//!   a time as I − Y·T·Yᵀ on the GEMM, to the eigenvectors held as rows
//!   (`tridiagonal::apply_q`); re-orthogonalisation in a window of close eigenvalues rather
//!   than along whole chains of them. `eigh` 37 ms (NumPy 23, ratio 1.6): reduction 11,
//!   QL 4, inverse iteration 10, back-transformation 9; `eigvalsh` 18 (NumPy 10, 1.8).
//!   Tried and dropped: LAPACK's panel scheme (`sytrd`: A·v corrected by the panel's V and
//!   W, the trailing update as one GEMM) ran slower here: 14.0 against 11.4 ms for the
//!   reduction alone, timed alternately in one process; the fused pass already reads the
//!   matrix once per step, and the GEMM then adds the other triangle.
//! - v4 preconditioned Jacobi `svd` (`svd/fast`, `svd_tall/fast`): the eigenvectors V of AᵀA
//!   (v3, with the GEMM for AᵀA) make the columns of A·V nearly orthogonal, so one-sided
//!   Jacobi finishes in a sweep or two instead of ten; the inner products of a sweep come
//!   from one GEMM, recomputed only for pairs whose rows were rotated. Jacobi on A·V (not the
//!   eigenvalues of AᵀA) gives the singular values, so the small ones keep the accuracy that
//!   squaring would lose. 512×512: 59 ms (NumPy 55, ratio 1.07); 1024×512: 65 (NumPy 96,
//!   0.68).

use super::naive::{dot, rotate_rows, rotation, MAX_SWEEPS};
use super::tridiagonal::{apply_q, tridiagonal_eigh, tridiagonalise};
use crate::ops::linalg::LinalgError;
use crate::ops::matmul::fast::gemm;
use crate::ops::matmul::MatRef;

/// The symmetric eigendecomposition of a row-major `n × n` matrix: `(values, vt)` with the
/// values ascending and the eigenvectors as the rows of `vt` (`None` unless `vectors`).
pub fn eigh(a: &[f64], n: usize, vectors: bool) -> Result<(Vec<f64>, Option<Vec<f64>>), LinalgError> {
    let mut work = a.to_vec();
    let (d, e, tau, reflectors) = tridiagonalise(&mut work, n);
    let (values, z) = tridiagonal_eigh(&d, &e, vectors)?;
    let vt = z.map(|mut zt| {
        apply_q(&reflectors, &tau, n, &mut zt, n);
        zt
    });
    Ok((values, vt))
}

/// The SVD of a row-major `m × n` matrix with `m >= n`: `(bt, vt)` as [`super::naive::svd`]
/// returns them (rows of `bt` orthogonal, their norms the singular values).
pub fn svd(a: &[f64], m: usize, n: usize) -> Result<(Vec<f64>, Vec<f64>), LinalgError> {
    assert!(m >= n, "svd (fast): expects m >= n, got {m}x{n}");
    let a_ref = MatRef::row_major(a, m, n);
    let mut gram = vec![0.0; n * n];
    gemm(a_ref.t(), a_ref, &mut gram);
    // Rounding in the product can break the symmetry the reduction relies on.
    for i in 0..n {
        for j in i + 1..n {
            let mean = 0.5 * (gram[i * n + j] + gram[j * n + i]);
            gram[i * n + j] = mean;
            gram[j * n + i] = mean;
        }
    }
    let (_, vt) = eigh(&gram, n, true)?;
    let mut vt = vt.expect("eigh was asked for vectors");
    // Bᵀ = Vᵀ·Aᵀ: the columns of A·V, each a contiguous row for the rotations.
    let mut bt = vec![0.0; n * m];
    gemm(MatRef::row_major(&vt, n, n), a_ref.t(), &mut bt);
    jacobi_polish(&mut bt, &mut vt, m, n)?;
    Ok((bt, vt))
}

/// One-sided Jacobi as in [`super::naive::one_sided_jacobi`], for rows that are already
/// nearly orthogonal: the inner products of a sweep come from one GEMM (`Bᵀ·B`), and only the
/// pairs touching a row rotated during the sweep recompute theirs. A well-conditioned matrix
/// then costs one GEMM and no rotation.
fn jacobi_polish(bt: &mut [f64], vt: &mut [f64], m: usize, n: usize) -> Result<(), LinalgError> {
    let tol = f64::EPSILON * m.max(8) as f64;
    let mut gram = vec![0.0; n * n];
    for _sweep in 0..MAX_SWEEPS {
        let rows = MatRef::row_major(bt, n, m);
        gemm(rows, rows.t(), &mut gram);
        let mut norms2: Vec<f64> = (0..n).map(|i| gram[i * n + i]).collect();
        let mut stale = vec![false; n];
        let mut rotated = false;
        for i in 0..n {
            for j in i + 1..n {
                let (alpha, beta) = (norms2[i], norms2[j]);
                if alpha == 0.0 || beta == 0.0 {
                    continue;
                }
                let gamma = if stale[i] || stale[j] {
                    dot(&bt[i * m..(i + 1) * m], &bt[j * m..(j + 1) * m])
                } else {
                    gram[i * n + j]
                };
                if gamma.abs() <= tol * (alpha.sqrt() * beta.sqrt()) {
                    continue;
                }
                rotated = true;
                let (c, s) = rotation((beta - alpha) / (2.0 * gamma));
                rotate_rows(bt, m, i, j, c, s);
                rotate_rows(vt, n, i, j, c, s);
                norms2[i] = dot(&bt[i * m..(i + 1) * m], &bt[i * m..(i + 1) * m]);
                norms2[j] = dot(&bt[j * m..(j + 1) * m], &bt[j * m..(j + 1) * m]);
                stale[i] = true;
                stale[j] = true;
            }
        }
        if !rotated {
            return Ok(());
        }
    }
    Err(LinalgError::NoConvergence { op: "svd", iterations: MAX_SWEEPS })
}
