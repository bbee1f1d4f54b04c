//! What the fast kernels share: `C −= A·B` on a block of a larger row-major matrix through the
//! fast GEMM (their level-3 building block), block copies, and a vectorisable dot product.

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

/// A dot product with eight partial sums, which the compiler keeps in vector registers (a
/// single running sum is a chain of dependent adds that cannot be vectorised).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    let mut acc = [0.0; 8];
    let (a8, b8) = (a.chunks_exact(8), b.chunks_exact(8));
    let tail: f64 = a8.remainder().iter().zip(b8.remainder()).map(|(x, y)| x * y).sum();
    for (x, y) in a8.zip(b8) {
        for l in 0..8 {
            acc[l] += x[l] * y[l];
        }
    }
    acc.iter().sum::<f64>() + tail
}
