//! Fast GEMM (placeholder: the naive loop until the packed kernel lands).

use super::MatRef;
use crate::dtype::Numeric;

/// `c = a · b`, with `c` a row-major `a.rows × b.cols` buffer that is overwritten.
pub fn gemm<T: Numeric>(a: MatRef<T>, b: MatRef<T>, c: &mut [T]) {
    super::naive::gemm(a, b, c)
}
