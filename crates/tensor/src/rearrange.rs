//! Copies that rearrange elements without computing anything: `flip` and `repeat`. Strides
//! are unsigned, so a reversed axis cannot be a view; both are built from the gather and
//! broadcast machinery and produce a new contiguous tensor.

use crate::dtype::Element;
use crate::shape::{dims_str, normalize_axis, IntoDims};
use crate::tensor::Tensor;

impl<T: Element> Tensor<T> {
    /// Reverses the order of the elements along each of `axes` (PyTorch's `flip`). Copies.
    pub fn flip(&self, axes: impl IntoDims) -> Tensor<T> {
        let mut out = self.clone();
        let mut seen = vec![false; self.rank()];
        for a in axes.into_dims() {
            let axis = normalize_axis("flip", a, self.shape());
            if std::mem::replace(&mut seen[axis], true) {
                panic!("flip: axis {a} is named twice for shape {}", dims_str(self.shape()));
            }
            let n = self.shape()[axis] as i64;
            out = out.index_select(axis as isize, &Tensor::from_vec((0..n).rev().collect(), [n as usize]));
        }
        if out.shares_storage_with(self) {
            out = out.contiguous_copy();
        }
        out
    }

    /// Tiles the tensor `repeats[i]` times along axis i (PyTorch's `Tensor.repeat`). When
    /// `repeats` is longer than the rank, new leading axes of size 1 are added first. Copies.
    pub fn repeat(&self, repeats: &[usize]) -> Tensor<T> {
        let rank = self.rank();
        if repeats.len() < rank {
            panic!(
                "repeat: {} repeat counts for shape {}; need one per axis at least",
                repeats.len(),
                dims_str(self.shape())
            );
        }
        let mut shape = vec![1; repeats.len() - rank];
        shape.extend_from_slice(self.shape());
        // [s0, s1, ..] → [1, s0, 1, s1, ..] → broadcast to [r0, s0, r1, s1, ..] → merge pairs.
        let interleaved: Vec<usize> = shape.iter().flat_map(|&s| [1, s]).collect();
        let target: Vec<usize> = repeats.iter().zip(&shape).flat_map(|(&r, &s)| [r, s]).collect();
        let result: Vec<usize> = repeats.iter().zip(&shape).map(|(&r, &s)| r * s).collect();
        self.reshape(&interleaved[..]).broadcast_to(target).contiguous_copy().reshape(&result[..])
    }

    /// A fresh contiguous copy, never sharing storage with `self`.
    fn contiguous_copy(&self) -> Tensor<T> {
        Tensor::from_parts(self.to_vec(), self.shape())
    }
}
