//! Blocked right-looking Cholesky, its trailing updates on the fast GEMM.
//!
//! # Version catalogue
//!
//! Bench: `cargo bench -p kindling-tensor --bench linalg -- cholesky`, and the NumPy table
//! `cargo run --release -p kindling-tensor --example linalg_vs_numpy`.
//!
//! - v1 naive (`naive.rs`): Cholesky–Banachiewicz, every entry of L a dot product of two rows
//!   already computed. `n³/3` multiply-adds, scalar, reading L by rows that fall out of cache.
//! - v2 blocked right-looking (here): columns in blocks of [`BLOCK`]. Per block: factor the
//!   diagonal block with v1; solve for the block column below it, `L21 = A21·L11⁻ᵀ`, as a
//!   forward substitution along each row (contiguous axpys); then update the trailing matrix,
//!   `A22 −= L21·L21ᵀ`, as one GEMM per block column of its lower triangle, which is where
//!   nearly all the work goes. Against NumPy (OpenBLAS `potrf`), one thread, medians of 3
//!   alternating rounds on the shared 2-core VM: 1.34× NumPy's time at 128, 1.16× at 256,
//!   0.72× at 512 (2.3 ms), 0.55× at 1024 (12 ms).

use super::naive;
use crate::ops::linalg::gemm_update::{copy_block, gemm_sub};
use crate::ops::matmul::MatRef;

/// Columns per block.
pub const BLOCK: usize = 64;

/// As [`naive::factor`]: L of a symmetric positive-definite `a` (lower triangle read), or the
/// first column whose pivot is not positive.
pub fn factor(a: &[f64], n: usize) -> Result<Vec<f64>, usize> {
    if n <= BLOCK {
        return naive::factor(a, n);
    }
    let mut l = a.to_vec();
    let mut panel = Vec::new();
    let mut scratch = Vec::new();
    let mut diag_t = vec![0.0; BLOCK * BLOCK];
    for k in (0..n).step_by(BLOCK) {
        let w = BLOCK.min(n - k);
        factor_diagonal_block(&mut l, n, k, w)?;
        if k + w == n {
            break;
        }
        // L11ᵀ, dense, so the substitution below reads it along rows.
        for i in 0..w {
            for j in 0..w {
                diag_t[i * w + j] = if j >= i { l[(k + j) * n + k + i] } else { 0.0 };
            }
        }
        // x·L11ᵀ = a for each row a of A21: x_j = (a_j − Σ_{p<j} x_p·L[j][p]) / L[j][j].
        for r in k + w..n {
            let row = &mut l[r * n + k..r * n + k + w];
            for j in 0..w {
                let x = row[j] / diag_t[j * w + j];
                row[j] = x;
                let u = &diag_t[j * w + j + 1..j * w + w];
                row[j + 1..].iter_mut().zip(u).for_each(|(r, u)| *r -= x * u);
            }
        }
        // A22 −= L21·L21ᵀ, lower triangle only, one block column at a time.
        let below = n - k - w;
        copy_block(&l, (k + w) * n + k, n, below, w, &mut panel);
        for j0 in (k + w..n).step_by(BLOCK) {
            let cols = BLOCK.min(n - j0);
            let from = (j0 - k - w) * w;
            let rows_ref = MatRef::row_major(&panel[from..], n - j0, w);
            let cols_ref = MatRef::row_major(&panel[from..], cols, w).t();
            gemm_sub(rows_ref, cols_ref, &mut l, j0 * n + j0, n, &mut scratch);
        }
    }
    for i in 0..n {
        l[i * n + i + 1..(i + 1) * n].iter_mut().for_each(|v| *v = 0.0);
    }
    Ok(l)
}

/// v1 on the `w × w` diagonal block at `(k, k)`, in place (its lower triangle).
fn factor_diagonal_block(l: &mut [f64], n: usize, k: usize, w: usize) -> Result<(), usize> {
    for i in k..k + w {
        for j in k..=i {
            let dot: f64 = (k..j).map(|p| l[i * n + p] * l[j * n + p]).sum();
            let value = l[i * n + j] - dot;
            if i == j {
                if value.is_nan() || value <= 0.0 {
                    return Err(j);
                }
                l[i * n + i] = value.sqrt();
            } else {
                l[i * n + j] = value / l[j * n + j];
            }
        }
    }
    Ok(())
}
