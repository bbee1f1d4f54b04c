//! Matrix multiplication.

pub mod fast;
pub mod naive;

/// A read-only matrix view inside a slice: element `(r, c)` is
/// `data[offset + r * row_stride + c * col_stride]`.
///
/// Strides are in elements, so a transposed or sliced tensor is multiplied without a copy.
#[derive(Clone, Copy, Debug)]
pub struct MatRef<'a, T> {
    pub data: &'a [T],
    pub offset: usize,
    pub rows: usize,
    pub cols: usize,
    pub row_stride: usize,
    pub col_stride: usize,
}

impl<'a, T: Copy> MatRef<'a, T> {
    /// A row-major, densely packed `rows × cols` matrix.
    pub fn row_major(data: &'a [T], rows: usize, cols: usize) -> Self {
        assert!(data.len() >= rows * cols, "MatRef::row_major: {} elements cannot hold {rows}x{cols}", data.len());
        MatRef { data, offset: 0, rows, cols, row_stride: cols, col_stride: 1 }
    }

    /// Element `(r, c)`.
    #[inline]
    pub fn at(&self, r: usize, c: usize) -> T {
        self.data[self.offset + r * self.row_stride + c * self.col_stride]
    }

    /// The same matrix, transposed (a view: strides swap).
    pub fn t(self) -> Self {
        MatRef { rows: self.cols, cols: self.rows, row_stride: self.col_stride, col_stride: self.row_stride, ..self }
    }
}

// ---------------------------------------------------------------------------------------------
// The tensor API: PyTorch's matmul rules on top of one 2-D kernel.

use crate::dtype::Numeric;
use crate::shape::{broadcast_shapes, dims_str, StridedOffsets};
use crate::storage::buffer_for_overwrite;
use crate::tensor::Tensor;
use rayon::prelude::*;

/// Batched products smaller than this many multiply-adds each run one batch per task
/// instead of threading inside one product.
const SMALL_GEMM: usize = 64 * 64 * 64;

impl<T: Numeric> Tensor<T> {
    /// Matrix product with PyTorch's rules:
    /// - 1-D · 1-D: the dot product (a scalar tensor);
    /// - 2-D · 2-D: the matrix product;
    /// - a 1-D operand is treated as a row (left) or column (right) vector, and that axis is
    ///   removed from the result;
    /// - higher ranks: a batch of matrices in the last two axes; batch axes broadcast.
    ///
    /// Transposed or sliced operands are multiplied in place, without a copy.
    pub fn matmul(&self, other: &Tensor<T>) -> Tensor<T> {
        self.same_device("matmul", other.device());
        if self.rank() == 0 || other.rank() == 0 {
            panic!(
                "matmul: both operands need at least one axis, got shapes {} and {}",
                dims_str(self.shape()),
                dims_str(other.shape())
            );
        }
        let a = if self.rank() == 1 { self.unsqueeze(0) } else { self.clone() };
        let b = if other.rank() == 1 { other.unsqueeze(1) } else { other.clone() };
        let (ra, rb) = (a.rank(), b.rank());
        let (m, k) = (a.shape()[ra - 2], a.shape()[ra - 1]);
        let (k2, n) = (b.shape()[rb - 2], b.shape()[rb - 1]);
        if k != k2 {
            panic!(
                "matmul: cannot multiply {} by {}: inner dimensions {k} and {k2} differ",
                dims_str(self.shape()),
                dims_str(other.shape())
            );
        }
        let batch = broadcast_shapes("matmul", &a.shape()[..ra - 2], &b.shape()[..rb - 2]);
        let a = a.broadcast_to([batch.as_slice(), &[m, k]].concat());
        let b = b.broadcast_to([batch.as_slice(), &[k, n]].concat());
        let r = batch.len();
        let a_starts: Vec<usize> = StridedOffsets::new(&batch, &a.strides()[..r], a.offset()).collect();
        let b_starts: Vec<usize> = StridedOffsets::new(&batch, &b.strides()[..r], b.offset()).collect();
        fn mat<T: Numeric>(t: &Tensor<T>, start: usize, rows: usize, cols: usize) -> MatRef<'_, T> {
            let r = t.rank() - 2;
            MatRef {
                data: t.buffer(),
                offset: start,
                rows,
                cols,
                row_stride: t.strides()[r],
                col_stride: t.strides()[r + 1],
            }
        }
        // Every path below writes all of its m × n outputs (k = 0 included: zeros).
        let mut out = buffer_for_overwrite(a_starts.len() * m * n);
        if m * n > 0 {
            let fast = crate::kernels::use_fast();
            let one = |i: usize, c: &mut [T]| {
                let (am, bm) = (mat(&a, a_starts[i], m, k), mat(&b, b_starts[i], k, n));
                if fast {
                    fast::gemm(am, bm, c)
                } else {
                    naive::gemm(am, bm, c)
                }
            };
            if fast && a_starts.len() > 1 && m * n * k < SMALL_GEMM {
                out.par_chunks_mut(m * n).enumerate().for_each(|(i, c)| one(i, c));
            } else {
                out.chunks_mut(m * n).enumerate().for_each(|(i, c)| one(i, c));
            }
        }
        let mut shape = batch;
        if self.rank() > 1 {
            shape.push(m);
        }
        if other.rank() > 1 {
            shape.push(n);
        }
        Tensor::from_parts(out, &shape)
    }

    /// Σ aᵢ·bᵢ of two 1-D tensors of the same length.
    pub fn dot(&self, other: &Tensor<T>) -> T {
        if self.rank() != 1 || other.rank() != 1 || self.numel() != other.numel() {
            panic!(
                "dot: expects two 1-D tensors of the same length, got shapes {} and {}",
                dims_str(self.shape()),
                dims_str(other.shape())
            );
        }
        self.matmul(other).item()
    }

    /// The outer product of two 1-D tensors: `out[i][j] = a[i]·b[j]`.
    pub fn outer(&self, other: &Tensor<T>) -> Tensor<T> {
        if self.rank() != 1 || other.rank() != 1 {
            panic!(
                "outer: expects two 1-D tensors, got shapes {} and {}",
                dims_str(self.shape()),
                dims_str(other.shape())
            );
        }
        &self.unsqueeze(1) * &other.unsqueeze(0)
    }
}
