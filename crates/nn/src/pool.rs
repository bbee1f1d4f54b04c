//! Pooling layers: max and average pooling over sequences (`[N, C, L]`) and images
//! (`[N, C, H, W]`), and adaptive average pooling (global average pooling is its 1×1 case).
//! They have no parameters; the kernels are the tensor crate's (`ops::pool`).

use crate::{Forward, Module, Visitor};
use kindling_autograd::pool::{
    adaptive_avg_pool2d, avg_pool1d, avg_pool2d, max_pool1d, max_pool2d, Pool1dOptions, Pool2dOptions,
};
use kindling_autograd::Variable;
use kindling_tensor::Float;

/// 1-D max pooling over `[N, C, L]` (`MaxPool1d(2)` halves the length).
#[derive(Clone, Copy, Debug)]
pub struct MaxPool1d {
    pub options: Pool1dOptions,
}

impl MaxPool1d {
    /// A window of `k` with stride `k`.
    pub fn new(k: usize) -> Self {
        MaxPool1d { options: Pool1dOptions::new(k) }
    }

    pub fn with_options(options: Pool1dOptions) -> Self {
        MaxPool1d { options }
    }

    /// Keeps a last, partial window when the stride does not divide the padded length
    /// (PyTorch's `ceil_mode`); see [`Pool1dOptions::ceil_mode`].
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options.ceil_mode = on;
        self
    }
}

impl<T: Float> Module<T> for MaxPool1d {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for MaxPool1d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        max_pool1d(x, &self.options)
    }
}

/// 1-D average pooling over `[N, C, L]`.
#[derive(Clone, Copy, Debug)]
pub struct AvgPool1d {
    pub options: Pool1dOptions,
}

impl AvgPool1d {
    pub fn new(k: usize) -> Self {
        AvgPool1d { options: Pool1dOptions::new(k) }
    }

    pub fn with_options(options: Pool1dOptions) -> Self {
        AvgPool1d { options }
    }

    /// Keeps a last, partial window when the stride does not divide the padded length
    /// (PyTorch's `ceil_mode`); see [`Pool1dOptions::ceil_mode`].
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options.ceil_mode = on;
        self
    }

    /// Whether padded zeros count in each window's divisor (on by default, as in PyTorch).
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.options.count_include_pad = on;
        self
    }
}

impl<T: Float> Module<T> for AvgPool1d {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for AvgPool1d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        avg_pool1d(x, &self.options)
    }
}

/// Max pooling (`MaxPool2d(2)` halves height and width).
#[derive(Clone, Copy, Debug)]
pub struct MaxPool2d {
    pub options: Pool2dOptions,
}

impl MaxPool2d {
    /// A `k × k` window with stride `k`.
    pub fn new(k: usize) -> Self {
        MaxPool2d { options: Pool2dOptions::new(k) }
    }

    pub fn with_options(options: Pool2dOptions) -> Self {
        MaxPool2d { options }
    }

    /// Keeps a last, partial window when the stride does not divide the padded length
    /// (PyTorch's `ceil_mode`); see [`Pool2dOptions::ceil_mode`].
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options.ceil_mode = on;
        self
    }
}

impl<T: Float> Module<T> for MaxPool2d {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for MaxPool2d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        max_pool2d(x, &self.options)
    }
}

/// Average pooling.
#[derive(Clone, Copy, Debug)]
pub struct AvgPool2d {
    pub options: Pool2dOptions,
}

impl AvgPool2d {
    pub fn new(k: usize) -> Self {
        AvgPool2d { options: Pool2dOptions::new(k) }
    }

    pub fn with_options(options: Pool2dOptions) -> Self {
        AvgPool2d { options }
    }

    /// Keeps a last, partial window when the stride does not divide the padded length
    /// (PyTorch's `ceil_mode`); see [`Pool2dOptions::ceil_mode`].
    pub fn ceil_mode(mut self, on: bool) -> Self {
        self.options.ceil_mode = on;
        self
    }

    /// Whether padded zeros count in each window's divisor (on by default, as in PyTorch).
    pub fn count_include_pad(mut self, on: bool) -> Self {
        self.options.count_include_pad = on;
        self
    }
}

impl<T: Float> Module<T> for AvgPool2d {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for AvgPool2d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        avg_pool2d(x, &self.options)
    }
}

/// Average pooling to a fixed output size, whatever the input size; `global()` (1×1) is the
/// global average pooling that ends a ResNet.
#[derive(Clone, Copy, Debug)]
pub struct AdaptiveAvgPool2d {
    pub output_size: (usize, usize),
}

impl AdaptiveAvgPool2d {
    pub fn new(h: usize, w: usize) -> Self {
        AdaptiveAvgPool2d { output_size: (h, w) }
    }

    /// Global average pooling: one value per channel (`[N, C, 1, 1]`).
    pub fn global() -> Self {
        Self::new(1, 1)
    }
}

impl<T: Float> Module<T> for AdaptiveAvgPool2d {
    fn visit(&self, _: &mut Visitor<'_, T>) {}
}

impl<T: Float> Forward<T> for AdaptiveAvgPool2d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        adaptive_avg_pool2d(x, self.output_size)
    }
}
