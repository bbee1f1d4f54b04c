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
