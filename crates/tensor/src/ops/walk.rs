//! Walking several operands of one (broadcast) shape row by row.
//!
//! The fast elementwise path does not visit elements one at a time. It merges axes that every
//! operand walks densely ([`coalesce`]), then hands whole rows of the innermost axis to a
//! slice kernel: a contiguous tensor is one long row, a row-vector broadcast is `rows` rows
//! whose second operand has stride 0. Rows are split across threads when there is enough work.

use crate::shape::coalesce;
use rayon::prelude::*;

/// Below this many output elements, a whole op runs on the calling thread: spawning costs
/// more than it saves.
pub const PARALLEL_MIN_ELEMENTS: usize = 1 << 15;

/// `K` operands broadcast to one output shape, described row by row.
pub struct RowWalk<const K: usize> {
    outer_shape: Vec<usize>,
    outer_strides: [Vec<usize>; K],
    /// Length of each row (the innermost merged axis).
    pub inner: usize,
    /// Stride of each operand along a row (0 = broadcast, 1 = dense).
    pub inner_strides: [usize; K],
    bases: [usize; K],
}

impl<const K: usize> RowWalk<K> {
    /// `strides[k]` are operand k's strides already broadcast to `shape`; `offsets[k]` its
    /// start in its buffer.
    pub fn new(shape: &[usize], strides: [&[usize]; K], offsets: [usize; K]) -> Self {
        let (mut merged, mut merged_strides) = coalesce(shape, &strides);
        if merged.is_empty() {
            // A scalar (or all axes of size 1): one row of one element.
            merged.push(1);
            for s in merged_strides.iter_mut() {
                s.push(0);
            }
        }
        let inner = *merged.last().unwrap();
        let inner_strides = std::array::from_fn(|k| *merged_strides[k].last().unwrap());
        merged.pop();
        let outer_strides = std::array::from_fn(|k| {
            let mut s = std::mem::take(&mut merged_strides[k]);
            s.pop();
            s
        });
        RowWalk { outer_shape: merged, outer_strides, inner, inner_strides, bases: offsets }
    }

    /// Number of rows.
    pub fn rows(&self) -> usize {
        self.outer_shape.iter().product()
    }

    /// Where row `r` starts in each operand's buffer.
    #[inline]
    pub fn row_starts(&self, mut r: usize) -> [usize; K] {
        let mut starts = self.bases;
        for axis in (0..self.outer_shape.len()).rev() {
            let i = r % self.outer_shape[axis];
            r /= self.outer_shape[axis];
            for (k, start) in starts.iter_mut().enumerate() {
                *start += i * self.outer_strides[k][axis];
            }
        }
        starts
    }

    /// Fills `out` (the dense output, `rows × inner`) by calling `row(out_row, starts)` for
    /// every row, on several threads when the output is large.
    pub fn fill<O: Send>(&self, out: &mut [O], row: impl Fn(&mut [O], [usize; K]) + Sync) {
        let inner = self.inner;
        if inner == 0 || out.is_empty() {
            return;
        }
        if out.len() < PARALLEL_MIN_ELEMENTS || rayon::current_num_threads() == 1 {
            for (r, chunk) in out.chunks_mut(inner).enumerate() {
                row(chunk, self.row_starts(r));
            }
            return;
        }
        // Give each task at least PARALLEL_MIN_ELEMENTS / 4 elements (whole rows).
        let rows_per_task = (PARALLEL_MIN_ELEMENTS / 4).div_ceil(inner).max(1);
        out.par_chunks_mut(rows_per_task * inner).enumerate().for_each(|(task, block)| {
            for (i, chunk) in block.chunks_mut(inner).enumerate() {
                row(chunk, self.row_starts(task * rows_per_task + i));
            }
        });
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_column_broadcast_walks_rows_with_a_stride_zero_operand() {
        // [3, 4] + [3, 1]: rows of 4; the second operand repeats one value per row.
        let w = RowWalk::new(&[3, 4], [&[4, 1], &[1, 0]], [0, 10]);
        assert_eq!((w.rows(), w.inner, w.inner_strides), (3, 4, [1, 0]));
        assert_eq!(w.row_starts(2), [8, 12]);
    }

    #[test]
    fn a_scalar_is_one_row_of_one() {
        let w = RowWalk::<1>::new(&[], [&[]], [5]);
        assert_eq!((w.rows(), w.inner, w.row_starts(0)), (1, 1, [5]));
    }
}
