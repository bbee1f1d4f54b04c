//! Convolution layers: Conv1d (sequences, signals), Conv2d (images) and ConvTranspose2d
//! (upsampling). Parameter names, shapes and default initialisation follow PyTorch, so state
//! dicts move between the two. The kernels are the tensor crate's (`ops::conv`), the graph
//! bookkeeping autograd's (`kindling_autograd::conv`).

use crate::init::{kaiming_uniform, uniform, FanMode, Nonlinearity};
use crate::{Forward, Module, Visitor};
use kindling_autograd::conv::{
    conv1d, conv2d, conv_transpose2d, Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Padding, Padding1d,
};
use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{Float, Rng, Tensor};

/// PyTorch's default for convolution weights: Kaiming-uniform with a = √5 over the fan-in
/// (U(±1/√fan_in)), and the bias U(±1/√fan_in).
fn default_init<T: Float, const R: usize>(
    shape: [usize; R],
    fan_in: usize,
    bias_len: Option<usize>,
    rng: &mut Rng,
) -> (Variable<T>, Option<Variable<T>>) {
    let w = kaiming_uniform(shape, FanMode::FanIn, Nonlinearity::LeakyRelu(5f64.sqrt()), rng);
    let bound = 1.0 / (fan_in.max(1) as f64).sqrt();
    let b = bias_len.map(|n| Variable::param(uniform([n], -bound, bound, rng)));
    (Variable::param(w), b)
}

/// 1-D convolution over `[N, C_in, L]` → `[N, C_out, Lo]`; weight `[C_out, C_in/groups, k]`,
/// bias `[C_out]`. Sequences and signals: a window of `k` steps slides along the length.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{Conv1d, Forward, Module};
/// use kindling_tensor::{Rng, Tensor};
///
/// let conv = Conv1d::<f32>::new(4, 8, 3, &mut Rng::seed(0)).padding(1);
/// let y = conv.forward(&Variable::constant(Tensor::zeros([2, 4, 50])));
/// assert_eq!(y.shape(), [2, 8, 50]);
/// assert_eq!(conv.num_parameters(), 8 * 4 * 3 + 8);
/// ```
pub struct Conv1d<T: Float = f32> {
    pub weight: Variable<T>,
    pub bias: Option<Variable<T>>,
    pub options: Conv1dOptions,
}

impl<T: Float> Conv1d<T> {
    /// A width-`k` convolution with stride 1, no padding, one group and a bias.
    pub fn new(in_channels: usize, out_channels: usize, k: usize, rng: &mut Rng) -> Self {
        Self::with_options(in_channels, out_channels, k, Conv1dOptions::default(), true, rng)
    }

    /// Any kernel width and options; `bias: false` leaves the bias out.
    pub fn with_options(
        in_channels: usize,
        out_channels: usize,
        k: usize,
        options: Conv1dOptions,
        bias: bool,
        rng: &mut Rng,
    ) -> Self {
        let g = options.groups;
        assert!(
            g > 0 && in_channels.is_multiple_of(g) && out_channels.is_multiple_of(g),
            "Conv1d: {in_channels} input and {out_channels} output channels cannot be split into {g} groups"
        );
        let shape = [out_channels, in_channels / g, k];
        let (weight, bias) = default_init(shape, shape[1] * k, bias.then_some(out_channels), rng);
        Conv1d { weight, bias, options }
    }

    /// A layer with the given weight `[O, C/groups, k]` and optional bias `[O]`.
    pub fn from_weights(weight: Tensor<T>, bias: Option<Tensor<T>>, options: Conv1dOptions) -> Self {
        assert_eq!(weight.rank(), 3, "Conv1d: the weight must be [O, C/groups, k], got {}", dims_str(weight.shape()));
        Conv1d { weight: Variable::param(weight), bias: bias.map(Variable::param), options }
    }

    pub fn stride(mut self, s: usize) -> Self {
        self.options.stride = s;
        self
    }

    pub fn padding(mut self, p: impl Into<Padding1d>) -> Self {
        self.options.padding = p.into();
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.options.dilation = d;
        self
    }

    pub fn in_channels(&self) -> usize {
        self.weight.shape()[1] * self.options.groups
    }

    pub fn out_channels(&self) -> usize {
        self.weight.shape()[0]
    }
}

impl<T: Float> Module<T> for Conv1d<T> {
    fn visit(&self, v: &mut Visitor<'_, T>) {
        v.param("weight", &self.weight);
        if let Some(b) = &self.bias {
            v.param("bias", b);
        }
    }
}

impl<T: Float> Forward<T> for Conv1d<T> {
    fn forward(&self, x: &Variable<T>) -> Variable<T> {
        conv1d(x, &self.weight, self.bias.as_ref(), &self.options)
    }
}

/// 2-D convolution over `[N, C_in, H, W]` → `[N, C_out, Ho, Wo]`; weight `[C_out,
/// C_in/groups, kh, kw]`, bias `[C_out]`.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_nn::{Forward, Module};
/// use kindling_tensor::{Rng, Tensor};
/// use kindling_nn::Conv2d;
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
