//! The one level-3 building block the blocked factorisations share: `C −= A·B` on a block of
//! a larger row-major matrix, through the fast GEMM.

use crate::ops::matmul::{fast::gemm, MatRef};

/// `C −= A·B`, where C is the `a.rows × b.cols` block starting at `c[offset]` of a row-major
/// matrix with row stride `ldc`. The GEMM overwrites its output, so the product goes to
/// `scratch` (grown as needed, reused across calls) and is subtracted from there.
pub(crate) fn gemm_sub(
    a: MatRef<f64>,
    b: MatRef<f64>,
    c: &mut [f64],
    offset: usize,
    ldc: usize,
    scratch: &mut Vec<f64>,
) {
    let (rows, cols) = (a.rows, b.cols);
    if rows == 0 || cols == 0 || a.cols == 0 {
        return;
    }
    if scratch.len() < rows * cols {
        scratch.resize(rows * cols, 0.0);
    }
    let product = &mut scratch[..rows * cols];
    gemm(a, b, product);
    for (i, from) in product.chunks_exact(cols).enumerate() {
        let to = &mut c[offset + i * ldc..offset + i * ldc + cols];
        to.iter_mut().zip(from).for_each(|(t, f)| *t -= f);
    }
}

/// Copies the `rows × cols` block at `a[offset]` (row stride `lda`) into a dense buffer.
pub(crate) fn copy_block(a: &[f64], offset: usize, lda: usize, rows: usize, cols: usize, to: &mut Vec<f64>) {
    to.clear();
    for i in 0..rows {
        to.extend_from_slice(&a[offset + i * lda..offset + i * lda + cols]);
    }
}
