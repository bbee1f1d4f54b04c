//! Blocked triangular solves with many right-hand sides (`L·X = B`, `U·X = B`, `Lᵀ·X = B`).
//!
//! # Version catalogue
//!
//! Bench: `cargo bench -p kindling-tensor --bench linalg -- solve_triangular`, and the NumPy
//! table `cargo run --release -p kindling-tensor --example linalg_vs_numpy`.
//!
//! - v1 naive (`naive.rs`): substitution row after row, each row of X an axpy over the `k`
//!   right-hand sides. Memory-bound: every row of X re-reads all the rows above it.
//! - v2 blocked, left-looking (here): rows in blocks of [`BLOCK`]; a block first subtracts what
//!   the solved rows contribute, `B_i −= L_{i,0:i}·X_{0:i}`, as one GEMM, then substitutes
//!   within its diagonal block. Nearly all of the `n²·k` multiply-adds run in the GEMM. Below
//!   [`MIN_RHS`] right-hand sides the GEMM's packing does not pay and v1 runs, except for a
//!   single right-hand side with `L` or `U` (a vector solve, the common case), which takes
//!   each `x_i` as one vectorised dot product of a row of the matrix with the solved `x`.
//!   Measured through `inv` (LU, then one solve with L and one with U, each with n right-hand
//!   sides, which is most of its flops): 0.80× NumPy's time at 512, 0.94× at 1024.

use super::naive;
use crate::ops::linalg::gemm_update::{dot, gemm_sub};
use crate::ops::matmul::MatRef;

/// Rows per block.
pub const BLOCK: usize = 64;

/// Fewer right-hand sides than this take the naive substitution (a matrix-vector product is
/// memory-bound either way).
pub const MIN_RHS: usize = 8;

/// `L·X = B` in place (`b` is row-major `n × k`); `unit_diagonal` as in the naive version.
pub fn solve_lower(l: &[f64], n: usize, b: &mut [f64], k: usize, unit_diagonal: bool) {
    if k == 1 {
        for i in 0..n {
            let (solved, rest) = b.split_at_mut(i);
            let x = rest[0] - dot(&l[i * n..i * n + i], solved);
            rest[0] = if unit_diagonal { x } else { x / l[i * n + i] };
        }
        return;
    }
    if k < MIN_RHS || n <= BLOCK {
        return naive::solve_lower(l, n, b, k, unit_diagonal);
    }
    let mut scratch = Vec::new();
    for i0 in (0..n).step_by(BLOCK) {
        let w = BLOCK.min(n - i0);
        let (solved, rest) = b.split_at_mut(i0 * k);
        let l_block = MatRef { data: l, offset: i0 * n, rows: w, cols: i0, row_stride: n, col_stride: 1 };
        gemm_sub(l_block, MatRef::row_major(solved, i0, k), rest, 0, k, &mut scratch);
        substitute_lower(l, n, i0, w, &mut rest[..w * k], k, unit_diagonal);
    }
}

/// `U·X = B` in place.
pub fn solve_upper(u: &[f64], n: usize, b: &mut [f64], k: usize) {
    if k == 1 {
        for i in (0..n).rev() {
            let (head, solved) = b.split_at_mut(i + 1);
            head[i] = (head[i] - dot(&u[i * n + i + 1..(i + 1) * n], solved)) / u[i * n + i];
        }
        return;
    }
    if k < MIN_RHS || n <= BLOCK {
        return naive::solve_upper(u, n, b, k);
    }
    let mut scratch = Vec::new();
    let blocks = n.div_ceil(BLOCK);
    for block in (0..blocks).rev() {
        let i0 = block * BLOCK;
        let w = BLOCK.min(n - i0);
        let (rest, solved) = b.split_at_mut((i0 + w) * k);
        let u_block =
            MatRef { data: u, offset: i0 * n + i0 + w, rows: w, cols: n - i0 - w, row_stride: n, col_stride: 1 };
        gemm_sub(u_block, MatRef::row_major(solved, n - i0 - w, k), rest, i0 * k, k, &mut scratch);
        substitute_upper(&|i, j| u[i * n + j], i0, w, &mut rest[i0 * k..], k);
    }
}

/// `Lᵀ·X = B` in place for a lower-triangular `l`: the upper solve with `U[i][j] = L[j][i]`,
/// read through a transposed view rather than a copy.
pub fn solve_lower_transposed(l: &[f64], n: usize, b: &mut [f64], k: usize) {
    if k < MIN_RHS || n <= BLOCK {
        return naive::solve_lower_transposed(l, n, b, k);
    }
    let mut scratch = Vec::new();
    let blocks = n.div_ceil(BLOCK);
    for block in (0..blocks).rev() {
        let i0 = block * BLOCK;
        let w = BLOCK.min(n - i0);
        let (rest, solved) = b.split_at_mut((i0 + w) * k);
        // Rows i0..i0+w, columns i0+w..n of Lᵀ: the transpose of L's rows i0+w..n, columns i0..i0+w.
        let below =
            MatRef { data: l, offset: (i0 + w) * n + i0, rows: n - i0 - w, cols: w, row_stride: n, col_stride: 1 };
        gemm_sub(below.t(), MatRef::row_major(solved, n - i0 - w, k), rest, i0 * k, k, &mut scratch);
        substitute_upper(&|i, j| l[j * n + i], i0, w, &mut rest[i0 * k..], k);
    }
}

/// Forward substitution inside the diagonal block at rows/columns `i0..i0+w` of `l`; `x` holds
/// those `w` rows of the right-hand side.
fn substitute_lower(l: &[f64], n: usize, i0: usize, w: usize, x: &mut [f64], k: usize, unit_diagonal: bool) {
    for i in 0..w {
        let (above, row) = x.split_at_mut(i * k);
        let row = &mut row[..k];
        for (j, solved) in above.chunks_exact(k).enumerate() {
            let factor = l[(i0 + i) * n + i0 + j];
            row.iter_mut().zip(solved).for_each(|(r, s)| *r -= factor * s);
        }
        if !unit_diagonal {
            let inv = 1.0 / l[(i0 + i) * n + i0 + i];
            row.iter_mut().for_each(|r| *r *= inv);
        }
    }
}

/// Back substitution inside the diagonal block at `i0..i0+w` of an upper-triangular matrix
/// read through `u(i, j)`; `x` holds those rows of the right-hand side (and possibly more).
fn substitute_upper(u: &dyn Fn(usize, usize) -> f64, i0: usize, w: usize, x: &mut [f64], k: usize) {
    for i in (0..w).rev() {
        let (row, below) = x.split_at_mut((i + 1) * k);
        let row = &mut row[i * k..];
        for (j, solved) in below.chunks_exact(k).take(w - i - 1).enumerate() {
            let factor = u(i0 + i, i0 + i + 1 + j);
            row.iter_mut().zip(solved).for_each(|(r, s)| *r -= factor * s);
        }
        let inv = 1.0 / u(i0 + i, i0 + i);
        row.iter_mut().for_each(|r| *r *= inv);
    }
}
