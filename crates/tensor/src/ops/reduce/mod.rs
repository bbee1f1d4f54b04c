//! Reductions: sum, prod, max, min (and their arg versions), cumulative sums.

pub mod fast;
pub mod naive;

use crate::dtype::Numeric;

/// An associative reduction with an identity element.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReduceOp {
    Sum,
    Prod,
    Max,
    Min,
}

impl ReduceOp {
    /// The value the reduction of an empty set gives.
    #[inline]
    pub fn identity<T: Numeric>(self) -> T {
        match self {
            ReduceOp::Sum => T::ZERO,
            ReduceOp::Prod => T::ONE,
            ReduceOp::Max => T::LOWEST,
            ReduceOp::Min => T::HIGHEST,
        }
    }

    #[inline]
    pub fn combine<T: Numeric>(self, acc: T, x: T) -> T {
        match self {
            ReduceOp::Sum => acc + x,
            ReduceOp::Prod => acc * x,
            ReduceOp::Max => acc.max_of(x),
            ReduceOp::Min => acc.min_of(x),
        }
    }

    pub fn name(self) -> &'static str {
        match self {
            ReduceOp::Sum => "sum",
            ReduceOp::Prod => "prod",
            ReduceOp::Max => "max",
            ReduceOp::Min => "min",
        }
    }
}

/// Max or min together with the position of the winner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgOp {
    Max,
    Min,
}

impl ArgOp {
    /// Whether `candidate` replaces `best`. Ties keep the first; a NaN wins and stays.
    #[inline]
    pub fn better<T: Numeric>(self, candidate: T, best: T) -> bool {
        if best.is_nan() {
            return false;
        }
        if candidate.is_nan() {
            return true;
        }
        match self {
            ArgOp::Max => candidate > best,
            ArgOp::Min => candidate < best,
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The tensor API.

use crate::dtype::Float;
use crate::shape::{dims_str, normalize_axes, normalize_axis, Axes};
use crate::storage::zeroed_buffer;
use crate::tensor::Tensor;

/// A contiguous tensor seen as `[outer, len, inner]` with the reduced axes in the middle: the
/// form every fast reduction kernel takes. When the axes are not adjacent, they are moved to
/// the end first (one copy).
pub(crate) struct Block<T: crate::Element> {
    pub data: Tensor<T>,
    pub outer: usize,
    pub len: usize,
    pub inner: usize,
}

pub(crate) fn as_block<T: crate::Element>(x: &Tensor<T>, axes: &[usize]) -> Block<T> {
    let shape = x.shape();
    let adjacent = axes.windows(2).all(|w| w[1] == w[0] + 1);
    if axes.is_empty() {
        return Block { data: x.contiguous(), outer: x.numel(), len: 1, inner: 1 };
    }
    if adjacent {
        let (lo, hi) = (axes[0], *axes.last().unwrap());
        return Block {
            data: x.contiguous(),
            outer: shape[..lo].iter().product(),
            len: shape[lo..=hi].iter().product(),
            inner: shape[hi + 1..].iter().product(),
        };
    }
    let mut order: Vec<isize> = (0..shape.len()).filter(|i| !axes.contains(i)).map(|i| i as isize).collect();
    let outer = order.iter().map(|&i| shape[i as usize]).product();
    order.extend(axes.iter().map(|&a| a as isize));
    let len = axes.iter().map(|&a| shape[a]).product();
    Block { data: x.permute(order).contiguous(), outer, len, inner: 1 }
}

/// The result shape of a reduction over `axes`.
pub(crate) fn reduced_shape(shape: &[usize], axes: &[usize], keepdim: bool) -> Vec<usize> {
    if keepdim {
        naive::kept_shape(shape, axes)
    } else {
        shape.iter().enumerate().filter(|(i, _)| !axes.contains(i)).map(|(_, &d)| d).collect()
    }
}

fn reduce_op<T: Numeric>(op: ReduceOp, x: &Tensor<T>, axes: Axes, keepdim: bool) -> Tensor<T> {
    let axes = normalize_axes(op.name(), &axes, x.shape());
    if matches!(op, ReduceOp::Max | ReduceOp::Min) && axes.iter().any(|&a| x.shape()[a] == 0) {
        panic!("{}: cannot reduce over an empty axis (shape {})", op.name(), dims_str(x.shape()));
    }
    let shape = reduced_shape(x.shape(), &axes, keepdim);
    if !crate::kernels::use_fast() {
        return naive::reduce(op, x, &axes).reshape(shape);
    }
    let b = as_block(x, &axes);
    let mut out = zeroed_buffer(b.outer * b.inner);
    fast::reduce(op, b.data.as_slice().expect("contiguous"), b.outer, b.len, b.inner, &mut out);
    Tensor::from_vec(out, shape)
}

fn arg_reduce_op<T: Numeric>(
    op: ArgOp,
    name: &str,
    x: &Tensor<T>,
    axis: isize,
    keepdim: bool,
) -> (Tensor<T>, Tensor<i64>) {
    let a = normalize_axis(name, axis, x.shape());
    if x.shape()[a] == 0 {
        panic!("{name}: cannot reduce over an empty axis (shape {})", dims_str(x.shape()));
    }
    let shape = reduced_shape(x.shape(), &[a], keepdim);
    if !crate::kernels::use_fast() {
        let (v, i) = naive::arg_reduce(op, x, a);
        return (v.reshape(&shape), i.reshape(&shape));
    }
    let b = as_block(x, &[a]);
    let mut values = zeroed_buffer(b.outer * b.inner);
    let mut indices = zeroed_buffer(b.outer * b.inner);
    fast::arg_reduce(op, b.data.as_slice().expect("contiguous"), b.outer, b.len, b.inner, &mut values, &mut indices);
    (Tensor::from_vec(values, shape.clone()), Tensor::from_vec(indices, shape))
}

impl<T: Numeric> Tensor<T> {
    /// Sum over `axes` (an axis, an array of axes, or `Axes::All`); `keepdim` keeps them as
    /// size-1 axes so the result broadcasts against the input.
    pub fn sum(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        reduce_op(ReduceOp::Sum, self, axes.into(), keepdim)
    }

    /// Product over `axes`.
    pub fn prod(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        reduce_op(ReduceOp::Prod, self, axes.into(), keepdim)
    }

    /// Largest value over `axes` (NaN wins). Use [`Tensor::max_with_indices`] for positions.
    pub fn max(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        reduce_op(ReduceOp::Max, self, axes.into(), keepdim)
    }

    /// Smallest value over `axes` (NaN wins).
    pub fn min(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        reduce_op(ReduceOp::Min, self, axes.into(), keepdim)
    }

    /// Largest value along `axis` and its index; ties give the first index.
    pub fn max_with_indices(&self, axis: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        arg_reduce_op(ArgOp::Max, "max_with_indices", self, axis, keepdim)
    }

    /// Smallest value along `axis` and its index; ties give the first index.
    pub fn min_with_indices(&self, axis: isize, keepdim: bool) -> (Tensor<T>, Tensor<i64>) {
        arg_reduce_op(ArgOp::Min, "min_with_indices", self, axis, keepdim)
    }

    /// Index of the largest value along `axis` (first on ties): class predictions.
    pub fn argmax(&self, axis: isize, keepdim: bool) -> Tensor<i64> {
        arg_reduce_op(ArgOp::Max, "argmax", self, axis, keepdim).1
    }

    /// Index of the smallest value along `axis` (first on ties).
    pub fn argmin(&self, axis: isize, keepdim: bool) -> Tensor<i64> {
        arg_reduce_op(ArgOp::Min, "argmin", self, axis, keepdim).1
    }

    /// The sum of every element.
    pub fn sum_all(&self) -> T {
        self.sum(Axes::All, false).item()
    }

    /// The largest element (NaN wins).
    pub fn max_all(&self) -> T {
        self.max(Axes::All, false).item()
    }

    /// The smallest element (NaN wins).
    pub fn min_all(&self) -> T {
        self.min(Axes::All, false).item()
    }

    /// Row-major position of the largest element (first on ties).
    pub fn argmax_all(&self) -> usize {
        self.reshape([-1]).argmax(0, false).item() as usize
    }

    /// Running sum along `axis` (same shape as the input).
    pub fn cumsum(&self, axis: isize) -> Tensor<T> {
        let a = normalize_axis("cumsum", axis, self.shape());
        if !crate::kernels::use_fast() {
            return naive::cumsum(self, a);
        }
        let b = as_block(self, &[a]);
        let mut out = zeroed_buffer(self.numel());
        fast::cumsum(b.data.as_slice().expect("contiguous"), b.outer, b.len, b.inner, &mut out);
        Tensor::from_vec(out, self.shape())
    }
}

impl<T: Float> Tensor<T> {
    /// Mean over `axes`.
    pub fn mean(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        let axes = axes.into();
        let count: usize = normalize_axes("mean", &axes, self.shape()).iter().map(|&a| self.shape()[a]).product();
        self.sum(axes, keepdim) / T::from_f64(count as f64)
    }

    /// The mean of every element.
    pub fn mean_all(&self) -> T {
        self.mean(Axes::All, false).item()
    }

    /// Variance with `correction` subtracted from the count: 0 gives the population variance
    /// (divide by N), 1 the unbiased sample variance (divide by N − 1).
    pub fn var_with_correction(&self, axes: impl Into<Axes>, correction: usize, keepdim: bool) -> Tensor<T> {
        let axes = axes.into();
        let count: usize = normalize_axes("var", &axes, self.shape()).iter().map(|&a| self.shape()[a]).product();
        // Two passes (subtract the mean, then square) avoid the cancellation of E[x²] − E[x]².
        let centered = self - &self.mean(axes.clone(), true);
        let denom = count.saturating_sub(correction);
        centered.square().sum(axes, keepdim) / T::from_f64(denom as f64)
    }

    /// Sample variance (divides by N − 1, PyTorch's default).
    pub fn var(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        self.var_with_correction(axes, 1, keepdim)
    }

    /// Population variance (divides by N).
    pub fn var_population(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        self.var_with_correction(axes, 0, keepdim)
    }

    /// Standard deviation with `correction` as in [`Tensor::var_with_correction`].
    pub fn std_with_correction(&self, axes: impl Into<Axes>, correction: usize, keepdim: bool) -> Tensor<T> {
        self.var_with_correction(axes, correction, keepdim).sqrt()
    }

    /// Sample standard deviation (N − 1).
    pub fn std(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        self.var(axes, keepdim).sqrt()
    }

    /// Population standard deviation (N).
    pub fn std_population(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<T> {
        self.var_population(axes, keepdim).sqrt()
    }
}

impl Tensor<bool> {
    /// True where every element over `axes` is true.
    pub fn all(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<bool> {
        self.cast::<u8>().min(axes, keepdim).cast::<bool>()
    }

    /// True where any element over `axes` is true.
    pub fn any(&self, axes: impl Into<Axes>, keepdim: bool) -> Tensor<bool> {
        self.cast::<u8>().max(axes, keepdim).cast::<bool>()
    }

    /// Whether every element is true (true for an empty tensor).
    pub fn all_true(&self) -> bool {
        self.to_vec().iter().all(|&x| x)
    }

    /// Whether any element is true (false for an empty tensor).
    pub fn any_true(&self) -> bool {
        self.to_vec().iter().any(|&x| x)
    }
}
