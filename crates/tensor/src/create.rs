//! Making tensors: from data, filled, ranges, identity, and random draws.

use crate::dtype::{Element, Float, Numeric};
use crate::random::Rng;
use crate::shape::Shape;
use crate::tensor::Tensor;

/// `n` values drawn in order from `next`, in a buffer allocated like an op's result.
fn filled<T: Element>(n: usize, mut next: impl FnMut() -> T) -> Vec<T> {
    let mut data = crate::storage::zeroed_buffer(n);
    data.iter_mut().for_each(|x| *x = next());
    data
}

impl<T: Element> Tensor<T> {
    /// Every element equal to `value`.
    pub fn full(shape: impl Into<Shape>, value: T) -> Self {
        let shape = shape.into();
        let mut data = crate::storage::zeroed_buffer(shape.numel());
        if value != T::default() {
            data.fill(value);
        }
        Tensor::from_parts(data, &shape.0)
    }

    /// A tensor of the same shape as `self`, every element `value`.
    pub fn full_like(&self, value: T) -> Self {
        Tensor::full(self.shape(), value)
    }
}

impl<T: Numeric> Tensor<T> {
    pub fn zeros(shape: impl Into<Shape>) -> Self {
        Tensor::full(shape, T::ZERO)
    }

    pub fn ones(shape: impl Into<Shape>) -> Self {
        Tensor::full(shape, T::ONE)
    }

    pub fn zeros_like(&self) -> Self {
        Tensor::zeros(self.shape())
    }

    pub fn ones_like(&self) -> Self {
        Tensor::ones(self.shape())
    }

    /// `[start, start + step, ...]` up to but excluding `end`, like `torch.arange`.
    pub fn arange_step(start: T, end: T, step: T) -> Self {
        if step == T::ZERO {
            panic!("arange: step must not be zero (start {start}, end {end})");
        }
        let count = ((end.to_f64() - start.to_f64()) / step.to_f64()).ceil().max(0.0) as usize;
        let data: Vec<T> = (0..count).map(|i| start + T::from_f64(i as f64) * step).collect();
        Tensor::from_parts(data, &[count])
    }

    /// `[0, 1, ..., end - 1]`.
    pub fn arange(end: T) -> Self {
        Tensor::arange_step(T::ZERO, end, T::ONE)
    }

    /// The `n × n` identity matrix.
    pub fn eye(n: usize) -> Self {
        let mut data = vec![T::ZERO; n * n];
        for i in 0..n {
            data[i * n + i] = T::ONE;
        }
        Tensor::from_parts(data, &[n, n])
    }
}

impl<T: Float> Tensor<T> {
    /// `steps` evenly spaced values from `start` to `end`, both included.
    pub fn linspace(start: T, end: T, steps: usize) -> Self {
        let (a, b) = (start.to_f64(), end.to_f64());
        let data: Vec<T> = (0..steps)
            .map(|i| {
                if steps == 1 {
                    T::from_f64(a)
                } else {
                    // Interpolate from whichever end is nearer, as PyTorch does, so both ends
                    // are exact.
                    let step = (b - a) / (steps - 1) as f64;
                    if i < steps / 2 {
                        T::from_f64(a + step * i as f64)
                    } else {
                        T::from_f64(b - step * (steps - 1 - i) as f64)
                    }
                }
            })
            .collect();
        Tensor::from_parts(data, &[steps])
    }

    /// Uniform samples in `[0, 1)`.
    pub fn rand(shape: impl Into<Shape>, rng: &mut Rng) -> Self {
        Tensor::uniform(shape, T::ZERO, T::ONE, rng)
    }

    /// Uniform samples in `[low, high)`.
    pub fn uniform(shape: impl Into<Shape>, low: T, high: T, rng: &mut Rng) -> Self {
        let shape = shape.into();
        let (lo, width) = (low.to_f64(), high.to_f64() - low.to_f64());
        let data = filled(shape.numel(), || {
            let u = if T::DTYPE == crate::DType::F32 { rng.uniform_f32() as f64 } else { rng.uniform_f64() };
            T::from_f64(lo + width * u)
        });
        Tensor::from_parts(data, &shape.0)
    }

    /// Standard normal samples (mean 0, standard deviation 1).
    pub fn randn(shape: impl Into<Shape>, rng: &mut Rng) -> Self {
        Tensor::normal(shape, T::ZERO, T::ONE, rng)
    }

    /// Normal samples with the given mean and standard deviation.
    pub fn normal(shape: impl Into<Shape>, mean: T, std: T, rng: &mut Rng) -> Self {
        let shape = shape.into();
        let (m, s) = (mean.to_f64(), std.to_f64());
        let data = filled(shape.numel(), || T::from_f64(m + s * rng.normal_f64()));
        Tensor::from_parts(data, &shape.0)
    }

    /// Each element is 1 with probability `p`, else 0 (dropout masks).
    pub fn bernoulli(shape: impl Into<Shape>, p: f64, rng: &mut Rng) -> Self {
        assert!((0.0..=1.0).contains(&p), "bernoulli: probability {p} is outside [0, 1]");
        let shape = shape.into();
        let data = filled(shape.numel(), || if rng.uniform_f64() < p { T::ONE } else { T::ZERO });
        Tensor::from_parts(data, &shape.0)
    }

    /// Uniform samples in `[0, 1)` with the shape of `self`.
    pub fn rand_like(&self, rng: &mut Rng) -> Self {
        Tensor::rand(self.shape(), rng)
    }

    /// Standard normal samples with the shape of `self`.
    pub fn randn_like(&self, rng: &mut Rng) -> Self {
        Tensor::randn(self.shape(), rng)
    }
}

impl Tensor<i64> {
    /// A random permutation of `0..n` (for shuffling a dataset).
    pub fn randperm(n: usize, rng: &mut Rng) -> Self {
        let data = rng.permutation(n).into_iter().map(|i| i as i64).collect();
        Tensor::from_parts(data, &[n])
    }

    /// Uniform integers in `[low, high)`.
    pub fn randint(low: i64, high: i64, shape: impl Into<Shape>, rng: &mut Rng) -> Self {
        assert!(low < high, "randint: the range [{low}, {high}) is empty");
        let shape = shape.into();
        let span = (high as i128 - low as i128) as u64;
        let data = (0..shape.numel()).map(|_| low.wrapping_add(rng.below(span) as i64)).collect();
        Tensor::from_parts(data, &shape.0)
    }
}

// Nested arrays: `Tensor::from([[1.0, 2.0], [3.0, 4.0]])` has shape [2, 2].
impl<T: Element> From<T> for Tensor<T> {
    fn from(v: T) -> Self {
        Tensor::scalar(v)
    }
}
impl<T: Element> From<Vec<T>> for Tensor<T> {
    fn from(v: Vec<T>) -> Self {
        let n = v.len();
        Tensor::from_parts(v, &[n])
    }
}
impl<T: Element> From<&[T]> for Tensor<T> {
    fn from(v: &[T]) -> Self {
        Tensor::from_slice(v)
    }
}
impl<T: Element, const A: usize> From<[T; A]> for Tensor<T> {
    fn from(v: [T; A]) -> Self {
        Tensor::from_parts(v.to_vec(), &[A])
    }
}
impl<T: Element, const A: usize, const B: usize> From<[[T; B]; A]> for Tensor<T> {
    fn from(v: [[T; B]; A]) -> Self {
        Tensor::from_parts(v.iter().flatten().copied().collect(), &[A, B])
    }
}
impl<T: Element, const A: usize, const B: usize, const C: usize> From<[[[T; C]; B]; A]> for Tensor<T> {
    fn from(v: [[[T; C]; B]; A]) -> Self {
        Tensor::from_parts(v.iter().flatten().flatten().copied().collect(), &[A, B, C])
    }
}
impl<T: Element, const A: usize, const B: usize, const C: usize, const D: usize> From<[[[[T; D]; C]; B]; A]>
    for Tensor<T>
{
    fn from(v: [[[[T; D]; C]; B]; A]) -> Self {
        Tensor::from_parts(v.iter().flatten().flatten().flatten().copied().collect(), &[A, B, C, D])
    }
}
