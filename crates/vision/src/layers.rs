//! The convolutional layers as [`Module`]s: Conv2d, ConvTranspose2d, MaxPool2d, AvgPool2d,
//! AdaptiveAvgPool2d (global average pooling is its 1×1 case), BatchNorm2d and Dropout2d.
//! Parameter and buffer names, shapes and default initialisation follow PyTorch, so state
//! dicts move between the two.

use crate::ops::conv::{conv2d, conv_transpose2d, Conv2dOptions, ConvTranspose2dOptions, Padding};
use crate::ops::pool::{adaptive_avg_pool2d, avg_pool2d, max_pool2d, Pool2dOptions};
use kindling_autograd::Variable;
use kindling_nn::init::{kaiming_uniform, uniform, FanMode, Nonlinearity};
use kindling_nn::{BatchNorm1d, Buffer, Dropout, Forward, Module, Visitor};
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// PyTorch's default for convolution weights: Kaiming-uniform with a = √5 over the fan-in
/// (U(±1/√fan_in)), and the bias U(±1/√fan_in).
fn default_init<T: Float>(
    shape: [usize; 4],
    fan_in: usize,
    bias_len: Option<usize>,
    rng: &mut Rng,
) -> (Variable<T>, Option<Variable<T>>) {
    let w = kaiming_uniform(shape, FanMode::FanIn, Nonlinearity::LeakyRelu(5f64.sqrt()), rng);
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    let b = bias_len.map(|n| Variable::param(uniform([n], -bound, bound, rng)));
    (Variable::param(w), b)
}

/// 2-D convolution over `[N, C_in, H, W]` → `[N, C_out, Ho, Wo]`; weight `[C_out,
/// C_in/groups, kh, kw]`, bias `[C_out]`.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{Forward, Module};
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_vision::Conv2d;
///
/// let mut rng = Rng::seed(0);
/// let conv = Conv2d::<f32>::new(3, 8, 3, &mut rng).padding(1);
/// let y = conv.forward(&Variable::constant(Tensor::zeros([2, 3, 32, 32])));
/// assert_eq!(y.shape(), [2, 8, 32, 32]);
/// assert_eq!(conv.num_parameters(), 8 * 3 * 3 * 3 + 8);
/// ```
pub struct Conv2d<T: Float = f32> {
    pub weight: Variable<T>,
    pub bias: Option<Variable<T>>,
    pub options: Conv2dOptions,
}

impl<T: Float> Conv2d<T> {
    /// A `k × k` convolution with stride 1, no padding, one group and a bias.
    pub fn new(in_channels: usize, out_channels: usize, k: usize, rng: &mut Rng) -> Self {
        Self::with_options(in_channels, out_channels, (k, k), Conv2dOptions::default(), true, rng)
    }

    /// Any kernel size and options; `bias: false` leaves the bias out (before a norm layer).
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        options: Conv2dOptions,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let g = options.groups;
        assert!(
            g > 0 && in_channels.is_multiple_of(g) && out_channels.is_multiple_of(g),
            "Conv2d: {in_channels} input and {out_channels} output channels cannot be split into {g} groups"
        );
        let shape = [out_channels, in_channels / g, kernel.0, kernel.1];
        let fan_in = shape[1] * shape[2] * shape[3];
        let (weight, bias) = default_init(shape, fan_in, bias.then_some(out_channels), rng);
        Conv2d { weight, bias, options }
    }

    /// A layer with the given weight `[O, C/groups, kh, kw]` and optional bias `[O]`.
    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>, options: Conv2dOptions) -> Self {
        assert_eq!(
            weight.rank(),
            4,
            "Conv2d: the weight must be [O, C/groups, kh, kw], got {}",
            dims_str(weight.shape())
        );
        Conv2d { weight: Variable::param(weight), bias: bias.map(Variable::param), options }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.options.stride = (s, s);
        self
    }

    pub fn padding(mut self, p: impl Into<Padding>) -> Self {
        self.options.padding = p.into();
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.options.dilation = (d, d);
        self
    }

    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1] * self.options.groups
    }

    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Conv2d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }
}

impl<T: Float> Forward<T> for Conv2d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        conv2d(x, &self.weight, self.bias.as_ref(), &self.options)
    }
}

/// Transposed convolution (upsampling), the adjoint of [`Conv2d`]: weight `[C_in,
/// C_out/groups, kh, kw]`, bias `[C_out]`, as in PyTorch.
pub struct ConvTranspose2d<T: Float = f32> {
    pub weight: Variable<T>,
    pub bias: Option<Variable<T>>,
    pub options: ConvTranspose2dOptions,
}

impl<T: Float> ConvTranspose2d<T> {
    pub fn new(in_channels: usize, out_channels: usize, k: usize, rng: &mut Rng) -> Self {
        Self::with_options(in_channels, out_channels, (k, k), ConvTranspose2dOptions::default(), true, rng)
    }

    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        kernel: (usize, usize),
        options: ConvTranspose2dOptions,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let g = options.groups;
        assert!(
            g > 0 && in_channels.is_multiple_of(g) && out_channels.is_multiple_of(g),
            "ConvTranspose2d: {in_channels} input and {out_channels} output channels cannot be split into {g} groups"
        );
        let shape = [in_channels, out_channels / g, kernel.0, kernel.1];
        // PyTorch takes the fan-in from dimension 1 of the weight here too.
        let fan_in = shape[1] * shape[2] * shape[3];
        let (weight, bias) = default_init(shape, fan_in, bias.then_some(out_channels), rng);
        ConvTranspose2d { weight, bias, options }
    }

    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>, options: ConvTranspose2dOptions) -> Self {
        assert_eq!(
            weight.rank(),
            4,
            "ConvTranspose2d: the weight must be [C_in, C_out/groups, kh, kw], got {}",
            dims_str(weight.shape())
        );
        ConvTranspose2d { weight: Variable::param(weight), bias: bias.map(Variable::param), options }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.options.stride = (s, s);
        self
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.options.padding = (p, p);
        self
    }

    pub fn output_padding(mut self, p: usize) -> Self {
        self.options.output_padding = (p, p);
        self
    }
}

impl<T: Float> Module<T> for ConvTranspose2d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }
}

impl<T: Float> Forward<T> for ConvTranspose2d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        conv_transpose2d(x, &self.weight, self.bias.as_ref(), &self.options)
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

/// Batch normalisation of `[N, C, H, W]` per channel, over the batch and both spatial axes.
/// The same statistics, buffers and names as [`BatchNorm1d`] (weight, bias, running_mean,
/// running_var, num_batches_tracked), which does the work on the `[N, C, H·W]` view.
pub struct BatchNorm2d<T: Float = f32> {
    pub inner: BatchNorm1d<T>,
}

impl<T: Float> BatchNorm2d<T> {
    pub fn new(num_features: usize) -> Self {
        BatchNorm2d { inner: BatchNorm1d::new(num_features) }
    }

    pub fn eps(mut self, eps: f64) -> Self {
        self.inner = self.inner.eps(eps);
        self
    }

    pub fn momentum(mut self, momentum: f64) -> Self {
        self.inner = self.inner.momentum(momentum);
        self
    }

    pub fn weight(&self) -> &Variable<T> {
        &self.inner.weight
    }

    pub fn bias(&self) -> &Variable<T> {
        &self.inner.bias
    }

    pub fn running_mean(&self) -> &Buffer<T> {
        &self.inner.running_mean
    }

    pub fn running_var(&self) -> &Buffer<T> {
        &self.inner.running_var
    }
}

impl<T: Float> Module<T> for BatchNorm2d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        // The inner layer's items under this layer's own names (no extra path segment).
        self.inner.visit(v);
    }
}

impl<T: Float> Forward<T> for BatchNorm2d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        let c = self.inner.weight.numel();
        if shape.len() != 4 || shape[1] != c {
            panic!("BatchNorm2d: expected input [N, {c}, H, W], got {}", dims_str(&shape));
        }
        let flat = x.reshape([shape[0] as isize, c as isize, -1]);
        self.inner.forward(&flat).reshape(shape)
    }
}

/// Channel dropout: in training, zeroes whole channels of `[N, C, H, W]` with probability `p`
/// and scales the rest by 1/(1 − p) (neighbouring pixels are correlated, so dropping single
/// pixels regularises little). The identity in evaluation.
pub struct Dropout2d {
    /// Plain dropout's mask, drawn per channel instead of per element.
    inner: Dropout,
}

impl Dropout2d {
    pub fn new(p: f64, rng: &mut Rng) -> Self {
        assert!((0.0..=1.0).contains(&p), "Dropout2d: probability {p} is outside [0, 1]");
        Dropout2d { inner: Dropout::new(p, rng) }
    }

    pub fn p(&self) -> f64 {
        self.inner.p()
    }
}

impl<T: Float> Module<T> for Dropout2d {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        Module::<T>::visit(&self.inner, v);
    }
}

impl<T: Float> Forward<T> for Dropout2d {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        let shape = x.shape();
        if shape.len() != 4 {
            panic!("Dropout2d: expected input [N, C, H, W], got {}", dims_str(&shape));
        }
        self.inner.apply(x, &[shape[0], shape[1], 1, 1])
    }
}
