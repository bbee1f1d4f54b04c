//! Blocked right-looking LU with partial pivoting, its trailing updates on the fast GEMM.
//!
//! # Version catalogue
//!
//! Bench: `cargo bench -p kindling-tensor --bench linalg -- lu`, and the NumPy table
//! `cargo run --release -p kindling-tensor --example linalg_vs_numpy`.
//!
//! - v1 naive (`naive.rs`): one column at a time, a rank-1 update of the whole trailing matrix
//!   after each: `2n³/3` flops that stream the matrix through memory `n` times.
//! - v2 blocked right-looking (here, LAPACK's `getrf` order): columns in panels of [`BLOCK`].
//!   Factor the panel with v1 restricted to its columns (whole rows are swapped, which is
//!   cheap row-major); solve `U12 = L11⁻¹·A12` by row axpys; then `A22 −= L21·U12` as one GEMM.
//!   The trailing matrix is read once per panel instead of once per column.

use super::naive::{self, Factored};
use crate::ops::linalg::gemm_update::{copy_block, gemm_sub};
use crate::ops::matmul::MatRef;

/// Columns per panel.
pub const BLOCK: usize = 64;

/// As [`naive::factor`]: `P·A = L·U` in place.
pub fn factor(a: &mut [f64], n: usize) -> Factored {
    if n <= BLOCK {
        return naive::factor(a, n);
    }
    let mut perm: Vec<usize> = (0..n).collect();
    let mut odd = false;
    let mut zero_pivot = None;
    let (mut l_panel, mut u_panel, mut scratch) = (Vec::new(), Vec::new(), Vec::new());
    for k in (0..n).step_by(BLOCK) {
        let w = BLOCK.min(n - k);
        let end = k + w;
        for j in k..end {
            let mut pivot = j;
            for i in j + 1..n {
                if a[i * n + j].abs() > a[pivot * n + j].abs() {
                    pivot = i;
                }
            }
            if pivot != j {
                let (top, bottom) = a.split_at_mut(pivot * n);
                top[j * n..(j + 1) * n].swap_with_slice(&mut bottom[..n]);
                perm.swap(j, pivot);
                odd = !odd;
            }
            let d = a[j * n + j];
            if d == 0.0 {
                zero_pivot.get_or_insert(j);
                continue;
            }
            let (top, bottom) = a.split_at_mut((j + 1) * n);
            let pivot_row = &top[j * n + j + 1..j * n + end];
            for row in bottom.chunks_exact_mut(n) {
                let factor = row[j] / d;
                row[j] = factor;
                row[j + 1..end].iter_mut().zip(pivot_row).for_each(|(r, p)| *r -= factor * p);
            }
        }
        if end == n {
            break;
        }
        // U12 = L11⁻¹·A12, L11 unit lower: row i −= L[i][p]·row p for p < i.
        for i in k + 1..end {
            let (above, current) = a.split_at_mut(i * n);
            let (l_part, row) = current[..n].split_at_mut(end);
            for p in k..i {
                let factor = l_part[p];
                let solved = &above[p * n + end..(p + 1) * n];
                row.iter_mut().zip(solved).for_each(|(r, s)| *r -= factor * s);
            }
        }
        // A22 −= L21·U12.
        copy_block(a, end * n + k, n, n - end, w, &mut l_panel);
        copy_block(a, k * n + end, n, w, n - end, &mut u_panel);
        let l21 = MatRef::row_major(&l_panel, n - end, w);
        let u12 = MatRef::row_major(&u_panel, w, n - end);
        gemm_sub(l21, u12, a, end * n + end, n, &mut scratch);
    }
    Factored { perm, odd, zero_pivot }
}
