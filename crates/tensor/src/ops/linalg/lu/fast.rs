//! Blocked right-looking LU with partial pivoting, its trailing updates on the fast GEMM.
//!
//! # Version catalogue
//!
//! Bench: `cargo bench -p kindling-tensor --bench linalg -- det` (the factorisation alone),
//! and the NumPy table `cargo run --release -p kindling-tensor --example linalg_vs_numpy`.
//!
//! - v1 naive (`naive.rs`): one column at a time, a rank-1 update of the whole trailing matrix
//!   after each: `2n³/3` flops that stream the matrix through memory `n` times.
//! - v2 blocked right-looking (LAPACK's `getrf` order): columns in panels of [`BLOCK`]. Factor
//!   the panel with v1 restricted to its columns (whole rows are swapped, which is cheap
//!   row-major); solve `U12 = L11⁻¹·A12` by row axpys; then `A22 −= L21·U12` as one GEMM. The
//!   trailing matrix is read once per panel instead of once per column. At n = 512 the panels,
//!   still column by column, did about half of the time in a tenth of the flops.
//! - v3 recursive panels (here, as LAPACK's `getrf2`): a panel is split into halves, the left
//!   half factored (recursively), the right half updated by the same solve-and-GEMM step as
//!   the trailing matrix, then factored; below [`LEAF`] columns v1 runs. The panels' flops
//!   move onto the GEMM too. Det (the factorisation alone) vs NumPy, one thread, medians of 3
//!   alternating rounds: 1.07× NumPy's time at 128, 1.16× at 256, 1.08× at 512 (3.2 ms),
//!   1.02× at 1024 (21 ms); `solve` 1.11×, 1.19×, 1.07×, 1.05×; `inv` 0.87×, 0.74×, 0.80×,
//!   0.94×. v2 on the same day, a noisier hour: det 1.09× at 512 and 1024. Panels of 128
//!   instead of 64: 1.29× at 512 (the smaller GEMMs of 64 suit this GEMM better).

use super::naive::{self, Factored};
use crate::ops::linalg::gemm_update::{copy_block, gemm_sub};
use crate::ops::matmul::MatRef;

/// Columns per panel.
pub const BLOCK: usize = 64;

/// Panels at most this wide are factored column by column.
pub const LEAF: usize = 8;

/// The pivots so far and the buffers the updates reuse.
struct State {
    perm: Vec<usize>,
    odd: bool,
    zero_pivot: Option<usize>,
    l_panel: Vec<f64>,
    u_panel: Vec<f64>,
    scratch: Vec<f64>,
}

/// As [`naive::factor`]: `P·A = L·U` in place.
pub fn factor(a: &mut [f64], n: usize) -> Factored {
    if n <= BLOCK {
        return naive::factor(a, n);
    }
    let mut state = State {
        perm: (0..n).collect(),
        odd: false,
        zero_pivot: None,
        l_panel: Vec::new(),
        u_panel: Vec::new(),
        scratch: Vec::new(),
    };
    for k in (0..n).step_by(BLOCK) {
        let end = (k + BLOCK).min(n);
        factor_columns(a, n, k, end, &mut state);
        update_right(a, n, k, end, n, &mut state);
    }
    Factored { perm: state.perm, odd: state.odd, zero_pivot: state.zero_pivot }
}

/// Factors columns `c0..c1` (rows `c0..n`), swapping whole rows.
fn factor_columns(a: &mut [f64], n: usize, c0: usize, c1: usize, state: &mut State) {
    if c1 - c0 <= LEAF {
        return factor_leaf(a, n, c0, c1, state);
    }
    let mid = c0 + (c1 - c0) / 2;
    factor_columns(a, n, c0, mid, state);
    update_right(a, n, c0, mid, c1, state);
    factor_columns(a, n, mid, c1, state);
}

/// Given columns `c0..mid` factored, brings columns `mid..c1` up to date: `U12 = L11⁻¹·A12`
/// on rows `c0..mid`, then `A22 −= L21·U12` on rows `mid..n`.
fn update_right(a: &mut [f64], n: usize, c0: usize, mid: usize, c1: usize, state: &mut State) {
    if mid == c1 {
        return;
    }
    for i in c0 + 1..mid {
        let (above, current) = a.split_at_mut(i * n);
        let (l_part, row) = current[..c1].split_at_mut(mid);
        for p in c0..i {
            let factor = l_part[p];
            let solved = &above[p * n + mid..p * n + c1];
            row.iter_mut().zip(solved).for_each(|(r, s)| *r -= factor * s);
        }
    }
    if mid == n {
        return;
    }
    let (w, cols) = (mid - c0, c1 - mid);
    copy_block(a, mid * n + c0, n, n - mid, w, &mut state.l_panel);
    copy_block(a, c0 * n + mid, n, w, cols, &mut state.u_panel);
    let l21 = MatRef::row_major(&state.l_panel, n - mid, w);
    let u12 = MatRef::row_major(&state.u_panel, w, cols);
    gemm_sub(l21, u12, a, mid * n + mid, n, &mut state.scratch);
}

/// v1 on columns `c0..c1` (rows `c0..n`).
fn factor_leaf(a: &mut [f64], n: usize, c0: usize, c1: usize, state: &mut State) {
    for j in c0..c1 {
        let mut pivot = j;
        for i in j + 1..n {
            if a[i * n + j].abs() > a[pivot * n + j].abs() {
                pivot = i;
            }
        }
        if pivot != j {
            let (top, bottom) = a.split_at_mut(pivot * n);
            top[j * n..(j + 1) * n].swap_with_slice(&mut bottom[..n]);
            state.perm.swap(j, pivot);
            state.odd = !state.odd;
        }
        let d = a[j * n + j];
        if d == 0.0 {
            state.zero_pivot.get_or_insert(j);
            continue;
        }
        let (top, bottom) = a.split_at_mut((j + 1) * n);
        let pivot_row = &top[j * n + j + 1..j * n + c1];
        for row in bottom.chunks_exact_mut(n) {
            let factor = row[j] / d;
            row[j] = factor;
            row[j + 1..c1].iter_mut().zip(pivot_row).for_each(|(r, p)| *r -= factor * p);
        }
    }
}
