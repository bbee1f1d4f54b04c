//! Views and joins. A view moves elements without changing them, so its backward moves the
//! gradient back: reshape back, permute back, or write it into zeros where the view looked.

use super::sum_to;
use crate::Variable;
use kindling_tensor::shape::{normalize_axis, normalize_insert_axis, IntoDims, Shape};
use kindling_tensor::{Float, Tensor};

impl<T: Float> Variable<T> {
    /// Same elements, new shape (one `-1` allowed).
    pub fn reshape(&self, dims: impl IntoDims) -> Variable<T> {
        let shape = self.shape();
        Variable::from_op("reshape", self.value().reshape(dims), vec![self.clone()], move |g, _| {
            vec![Some(g.reshape(&shape))]
        })
    }

    /// Merges axes `start..=end`.
    pub fn flatten(&self, start: isize, end: isize) -> Variable<T> {
        let shape = self.shape();
        Variable::from_op("flatten", self.value().flatten(start, end), vec![self.clone()], move |g, _| {
            vec![Some(g.reshape(&shape))]
        })
    }

    /// Reorders axes; the backward applies the inverse permutation.
    pub fn permute(&self, order: impl IntoDims) -> Variable<T> {
        let order = order.into_dims();
        let rank = self.rank();
        let axes: Vec<usize> = order.iter().map(|&a| normalize_axis("permute", a, &self.shape())).collect();
        let y = self.value().permute(order);
        let mut inverse = vec![0isize; rank];
        for (i, &a) in axes.iter().enumerate() {
            inverse[a] = i as isize;
        }
        Variable::from_op("permute", y, vec![self.clone()], move |g, _| vec![Some(g.permute(inverse.clone()))])
    }

    pub fn transpose(&self, a: isize, b: isize) -> Variable<T> {
        Variable::from_op("transpose", self.value().transpose(a, b), vec![self.clone()], move |g, _| {
            vec![Some(g.transpose(a, b))]
        })
    }

    /// Matrix transpose (rank 2).
    pub fn t(&self) -> Variable<T> {
        let _ = self.value().t(); // the rank check and its message
        self.transpose(0, 1)
    }

    pub fn squeeze(&self, axis: isize) -> Variable<T> {
        let a = normalize_axis("squeeze", axis, &self.shape()) as isize;
        Variable::from_op("squeeze", self.value().squeeze(a), vec![self.clone()], move |g, _| {
            vec![Some(g.unsqueeze(a))]
        })
    }

    pub fn unsqueeze(&self, axis: isize) -> Variable<T> {
        let a = normalize_insert_axis("unsqueeze", axis, &self.shape()) as isize;
        Variable::from_op("unsqueeze", self.value().unsqueeze(a), vec![self.clone()], move |g, _| {
            vec![Some(g.squeeze(a))]
        })
    }

    /// Every `step`-th element of `start..end` along `axis`; the gradient lands back in those
    /// places, zeros elsewhere.
    pub fn slice(&self, axis: isize, start: usize, end: usize, step: usize) -> Variable<T> {
        let x = self.value();
        let y = x.slice(axis, start, end, step);
        let shape = x.shape().to_vec();
        Variable::from_op("slice", y, vec![self.clone()], move |g, _| {
            vec![Some(Tensor::zeros(&shape).slice_scatter(g, axis, start, end, step))]
        })
    }

    /// Elements `start..start + len` along `axis`.
    pub fn narrow(&self, axis: isize, start: usize, len: usize) -> Variable<T> {
        let _ = self.value().narrow(axis, start, len); // bounds check and its message
        self.slice(axis, start, start + len, 1)
    }

    /// One index along `axis`, dropping the axis.
    pub fn select(&self, axis: isize, index: usize) -> Variable<T> {
        let a = normalize_axis("select", axis, &self.shape()) as isize;
        self.narrow(a, index, 1).squeeze(a)
    }

    /// Broadcasts to `shape` (a view); the backward sums the copies back up.
    pub fn broadcast_to(&self, shape: impl Into<Shape>) -> Variable<T> {
        let original = self.shape();
        Variable::from_op("broadcast_to", self.value().broadcast_to(shape), vec![self.clone()], move |g, _| {
            vec![Some(sum_to(g, &original))]
        })
    }

    /// PyTorch's `expand`: like `broadcast_to`, with `-1` keeping an axis.
    pub fn expand(&self, dims: impl IntoDims) -> Variable<T> {
        let shape = self.value().expand(dims).shape().to_vec();
        self.broadcast_to(shape)
    }

    /// Joins along an existing axis; each input gets back its slice of the gradient.
    pub fn cat(vars: &[&Variable<T>], axis: isize) -> Variable<T> {
        let values: Vec<Tensor<T>> = vars.iter().map(|v| v.value()).collect();
        let refs: Vec<&Tensor<T>> = values.iter().collect();
        let y = Tensor::cat(&refs, axis);
        let a = normalize_axis("cat", axis, values[0].shape()) as isize;
        let sizes: Vec<usize> = values.iter().map(|v| v.shape()[a as usize]).collect();
        Variable::from_op("cat", y, vars.iter().map(|v| (*v).clone()).collect(), move |g, needs| {
            let mut start = 0;
            sizes
                .iter()
                .zip(needs)
                .map(|(&n, &need)| {
                    let piece = need.then(|| g.narrow(a, start, n));
                    start += n;
                    piece
                })
                .collect()
        })
    }

    /// Joins equally shaped variables along a new axis.
    pub fn stack(vars: &[&Variable<T>], axis: isize) -> Variable<T> {
        let first = vars.first().unwrap_or_else(|| panic!("stack: needs at least one tensor"));
        let a = normalize_insert_axis("stack", axis, &first.shape()) as isize;
        let expanded: Vec<Variable<T>> = vars.iter().map(|v| v.unsqueeze(a)).collect();
        Variable::cat(&expanded.iter().collect::<Vec<_>>(), a)
    }

    /// Pieces of `size` along `axis` (the last may be smaller).
    pub fn split(&self, size: usize, axis: isize) -> Vec<Variable<T>> {
        let a = normalize_axis("split", axis, &self.shape());
        let pieces = self.value().split(size, axis);
        let mut start = 0;
        pieces
            .iter()
            .map(|p| {
                let n = p.shape()[a];
                let v = self.narrow(a as isize, start, n);
                start += n;
                v
            })
            .collect()
    }

    /// `chunks` nearly equal pieces along `axis`.
    pub fn chunk(&self, chunks: usize, axis: isize) -> Vec<Variable<T>> {
        let a = normalize_axis("chunk", axis, &self.shape());
        let size = self.shape()[a].div_ceil(chunks.max(1)).max(1);
        let _ = self.value().chunk(chunks, axis); // validates `chunks`
        self.split(size, axis)
    }
}

impl<T: Float> Variable<T> {
    /// Pieces of the given `sizes` along `axis` (they must add up to its length); each
    /// piece's gradient lands back in its own place.
    pub fn split_with_sizes(&self, sizes: &[usize], axis: isize) -> Vec<Variable<T>> {
        let a = normalize_axis("split_with_sizes", axis, &self.shape()) as isize;
        let _ = self.value().split_with_sizes(sizes, axis); // the sum check and its message
        let mut start = 0;
        sizes
            .iter()
            .map(|&n| {
                start += n;
                self.narrow(a, start - n, n)
            })
            .collect()
    }

    /// Reverses the order along each of `axes`; the backward flips the gradient back.
    pub fn flip(&self, axes: impl IntoDims) -> Variable<T> {
        let axes = axes.into_dims();
        let y = self.value().flip(axes.clone());
        Variable::from_op("flip", y, vec![self.clone()], move |g, _| vec![Some(g.flip(axes.clone()))])
    }

    /// Tiles `repeats[i]` times along axis i (PyTorch's `Tensor.repeat`; extra leading counts
    /// add axes). Every copy of an element sends its gradient back, so they are summed.
    pub fn repeat(&self, repeats: &[usize]) -> Variable<T> {
        let shape = self.shape();
        let y = self.value().repeat(repeats);
        let mut padded = vec![1; repeats.len() - shape.len()];
        padded.extend_from_slice(&shape);
        // The output seen as [r0, s0, r1, s1, ..]; summing the r axes folds the copies.
        let pairs: Vec<usize> = repeats.iter().zip(&padded).flat_map(|(&r, &s)| [r, s]).collect();
        let copy_axes: Vec<isize> = (0..repeats.len()).map(|i| 2 * i as isize).collect();
        Variable::from_op("repeat", y, vec![self.clone()], move |g, _| {
            vec![Some(g.reshape(&pairs[..]).sum(copy_axes.clone(), false).reshape(&shape[..]))]
        })
    }
}
