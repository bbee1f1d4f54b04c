//! The textbook triple loop: `c[i][j] = Σ_p a[i][p] · b[p][j]`.

use super::MatRef;
use crate::dtype::Numeric;

/// `c = a · b`, with `c` a row-major `a.rows × b.cols` buffer that is overwritten.
pub fn gemm<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    assert_eq!(a.cols, b.rows, "gemm: inner dimensions differ");
    for i in 0..a.rows {
        for j in 0..b.cols {
            let mut acc = T::ZERO;
            for p in 0..a.cols {
                acc += a.at(i, p) * b.at(p, j);
            }
            c[i * b.cols + j] = acc;
        }
    }
}
