//! Kernel functions, one entry at a time (the naive path) or as blocks of rows through the
//! GEMM (the fast path).
//!
//! Every kernel here is a function of the dot product ⟨x, z⟩ (RBF through
//! ‖x − z‖² = ‖x‖² + ‖z‖² − 2⟨x, z⟩), so a block of kernel rows is one matrix product
//! followed by an elementwise map: the products go through `kernel_api::gemm` (which reads a
//! handful of rows without packing and packs larger blocks), the map through the SIMD `exp`.

use super::Kernel;
use kindling_tensor::kernel_api::elementwise::unary;
use kindling_tensor::kernel_api::{gemm, MatRef, UnaryOp};

/// A kernel with its gamma resolved to a number.
#[derive(Clone, Copy, Debug, PartialEq)]
pub(crate) struct KernelFn {
    pub kernel: Kernel,
    pub gamma: f64,
}

/// The rows of a row-major `[rows, dims]` matrix, with their squared norms (for RBF).
pub(crate) struct Rows<'a> {
    pub data: &'a [f64],
    pub rows: usize,
    pub dims: usize,
    pub norms: Vec<f64>,
}

impl<'a> Rows<'a> {
    pub fn new(data: &'a [f64], rows: usize, dims: usize) -> Self {
        let norms = (0..rows).map(|i| dot(row(data, dims, i), row(data, dims, i))).collect();
        Rows { data, rows, dims, norms }
    }

    pub fn row(&self, i: usize) -> &[f64] {
        row(self.data, self.dims, i)
    }

    fn mat(&self) -> MatRef<'_, f64> {
        MatRef::row_major(self.data, self.rows, self.dims)
    }

    /// The rows transposed, `[dims, rows]` row-major.
    pub fn transposed(&self) -> Vec<f64> {
        let mut out = vec![0.0; self.rows * self.dims];
        for (i, r) in self.data.chunks(self.dims.max(1)).take(self.rows).enumerate() {
            for (k, v) in r.iter().enumerate() {
                out[k * self.rows + i] = *v;
            }
        }
        out
    }
}

fn row(data: &[f64], dims: usize, i: usize) -> &[f64] {
    &data[i * dims..(i + 1) * dims]
}

/// A plain dot product (the naive path's arithmetic).
pub(crate) fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

impl KernelFn {
    /// k(a, b) straight from the definition.
    pub fn value(&self, a: &[f64], b: &[f64]) -> f64 {
        match self.kernel {
            Kernel::Linear => dot(a, b),
            Kernel::Poly { degree, coef0 } => (self.gamma * dot(a, b) + coef0).powi(degree as i32),
            Kernel::Rbf => {
                let squared: f64 = a.iter().zip(b).map(|(x, y)| (x - y) * (x - y)).sum();
                (-self.gamma * squared).exp()
            }
            Kernel::Sigmoid { coef0 } => (self.gamma * dot(a, b) + coef0).tanh(),
        }
    }

    /// `out[r, c] = k(left[r], right[c])` for a `[left.rows, right.rows]` row-major `out`:
    /// the products by one GEMM, then the kernel's map over the block.
    pub fn block(&self, left: &Rows<'_>, right: &Rows<'_>, out: &mut [f64]) {
        let (m, n) = (left.rows, right.rows);
        let out = &mut out[..m * n];
        gemm(left.mat(), right.mat().t(), out);
        self.finish(out, n, &left.norms, &right.norms);
    }

    /// Kernel rows for the listed rows of `left` against all rows of `right`, into `out`
    /// (`[picked.len(), right.rows]`). `right_t` is `right` transposed (`[dims, right.rows]`
    /// row-major): with a handful of picked rows the GEMM then sums scaled rows of `right_t`,
    /// long contiguous vectors, instead of one short dot product per output.
    pub fn rows_of(&self, left: &Rows<'_>, picked: &[usize], right: &Rows<'_>, right_t: &[f64], out: &mut [f64]) {
        let mut gathered = Vec::with_capacity(picked.len() * left.dims);
        for &i in picked {
            gathered.extend_from_slice(left.row(i));
        }
        let n = right.rows;
        let out = &mut out[..picked.len() * n];
        let a = MatRef::row_major(&gathered, picked.len(), left.dims);
        gemm(a, MatRef::row_major(right_t, left.dims, n), out);
        let norms: Vec<f64> = picked.iter().map(|&i| left.norms[i]).collect();
        self.finish(out, n, &norms, &right.norms);
    }

    /// Turns dot products into kernel values in place (`out` is `[m, n]`).
    fn finish(&self, out: &mut [f64], n: usize, left_norms: &[f64], right_norms: &[f64]) {
        let g = self.gamma;
        match self.kernel {
            Kernel::Linear => {}
            Kernel::Poly { degree, coef0 } => out.iter_mut().for_each(|v| *v = (g * *v + coef0).powi(degree as i32)),
            Kernel::Sigmoid { coef0 } => out.iter_mut().for_each(|v| *v = (g * *v + coef0).tanh()),
            Kernel::Rbf => {
                for (r, chunk) in out.chunks_mut(n.max(1)).enumerate() {
                    let left = left_norms[r];
                    for (v, right) in chunk.iter_mut().zip(right_norms) {
                        // Rounding can make a point's distance to itself slightly negative.
                        *v = -g * (left + right - 2.0 * *v).max(0.0);
                    }
                }
                let scratch = out.to_vec();
                unary(UnaryOp::Exp, &scratch, out);
            }
        }
    }
}
