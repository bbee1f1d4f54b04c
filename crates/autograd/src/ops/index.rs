//! Indexing: the backward of picking elements is putting their gradients back (adding where
//! an element was picked more than once).

use super::sum_to;
use crate::Variable;
use kindling_tensor::shape::{dims_str, normalize_axis};
use kindling_tensor::{Float, Tensor};

impl<T: Float> Variable<T> {
    /// Slices `indices` along `axis`; repeated indices add their gradients.
    pub fn index_select(&self, axis: isize, indices: &Tensor<i64>) -> Variable<T> {
        let x = self.value();
        let a = normalize_axis("index_select", axis, x.shape()) as isize;
        let (shape, idx) = (x.shape().to_vec(), indices.clone());
        Variable::from_op("index_select", x.index_select(a, indices), vec![self.clone()], move |g, _| {
            vec![Some(Tensor::zeros(&shape).index_add(a, &idx, g))]
        })
    }

    /// Picks `self[index]` along `axis` (the cross-entropy lookup); backward is scatter-add.
    pub fn gather(&self, axis: isize, index: &Tensor<i64>) -> Variable<T> {
        let x = self.value();
        let (shape, idx) = (x.shape().to_vec(), index.clone());
        Variable::from_op("gather", x.gather(axis, index), vec![self.clone()], move |g, _| {
            vec![Some(Tensor::zeros(&shape).scatter_add(axis, &idx, g))]
        })
    }

    /// `self` with `src` added at `index` along `axis`. Gradients: all of `g` for `self`, and
    /// `g` gathered at `index` for `src`.
    pub fn scatter_add(&self, axis: isize, index: &Tensor<i64>, src: &Variable<T>) -> Variable<T> {
        let y = self.value().scatter_add(axis, index, &src.value());
        let idx = index.clone();
        Variable::from_op("scatter_add", y, vec![self.clone(), src.clone()], move |g, needs| {
            vec![needs[0].then(|| g.clone()), needs[1].then(|| g.gather(axis, &idx))]
        })
    }

    /// `value` where `mask` is true; the gradient is zero there.
    pub fn masked_fill(&self, mask: &Tensor<bool>, value: T) -> Variable<T> {
        let m = mask.clone();
        Variable::from_op("masked_fill", self.value().masked_fill(mask, value), vec![self.clone()], move |g, _| {
            vec![Some(g.masked_fill(&m, T::ZERO))]
        })
    }

    /// `on_true` where `condition` holds, else `on_false`, with broadcasting; each side gets
    /// the gradient where it was chosen.
    pub fn where_cond(condition: &Tensor<bool>, on_true: &Variable<T>, on_false: &Variable<T>) -> Variable<T> {
        let (a, b) = (on_true.value(), on_false.value());
        let y = Tensor::where_cond(condition, &a, &b);
        let (cond, sa, sb) = (condition.clone(), a.shape().to_vec(), b.shape().to_vec());
        Variable::from_op("where", y, vec![on_true.clone(), on_false.clone()], move |g, needs| {
            let zero = Tensor::scalar(T::ZERO);
            vec![
                needs[0].then(|| sum_to(&Tensor::where_cond(&cond, g, &zero), &sa)),
                needs[1].then(|| sum_to(&Tensor::where_cond(&cond, &zero, g), &sb)),
            ]
        })
    }

    /// Embedding lookup: row `indices[...]` of this `[vocabulary, dim]` table, for indices of
    /// any shape; the result has shape `indices.shape + [dim]`. Rows looked up several times
    /// add their gradients.
    pub fn embedding(&self, indices: &Tensor<i64>) -> Variable<T> {
        if self.rank() != 2 {
            panic!("embedding: the table must be [vocabulary, dim], got shape {}", dims_str(&self.shape()));
        }
        let dim = self.shape()[1];
        let mut out_shape = indices.shape().to_vec();
        out_shape.push(dim);
        self.index_select(0, &indices.reshape([-1])).reshape(out_shape)
    }
}
