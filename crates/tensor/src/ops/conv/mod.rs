//! Convolution on plain tensors: 2-D and transposed over `[N, C, H, W]`, and 1-D over
//! `[N, C, L]` as the 2-D case of height 1. The differentiable ops that record these kernels
//! are `kindling_autograd::conv`.
//!
//! A convolution slides each of `O` filters of shape `[C/groups, kh, kw]` over the input and
//! takes a dot product at every position:
//!
//! ```text
//! y[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x[n, g·C/groups + c, i·sh + u·dh − pt, j·sw + v·dw − pl]
//! ```
//!
//! where `g = o / (O/groups)` is the group of filter `o` and positions outside the image read
//! zero (padding). The output size along each axis is `⌊(H + pt + pb − dh·(kh − 1) − 1)/sh⌋ + 1`.
//!
//! Three kernels cover both layers and their backward passes, in a [`naive`] version (the
//! direct nested loops), a [`fast`] one (im2col + GEMM on the tensor crate's fast matmul) and,
//! for few channels at stride 1, the AVX-512 kernels of [`direct`]:
//! - `forward(x, w, b)` → y;
//! - `backward_input(dy, w)` → ∂x (the adjoint of the forward in x);
//! - `backward_weight(dy, x)` → ∂w.
//!
//! A transposed convolution is the adjoint of a convolution: its forward is `backward_input`,
//! its input gradient is `forward`, and its weight gradient is `backward_weight` with the roles
//! of input and output swapped. The kernel switch of the tensor crate
//! ([`crate::with_kernel_mode`]) picks naive or fast for every call.

pub mod direct;
pub mod fast;
pub mod naive;

use crate::shape::dims_str;
use crate::{kernel_mode, Float, KernelMode, Tensor};

/// How much zero padding surrounds the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding {
    /// No padding (`padding="valid"`).
    Valid,
    /// Enough padding that a stride-1 convolution keeps the spatial size (`padding="same"`);
    /// when the total is odd, the extra row/column goes at the bottom/right, as in PyTorch.
    Same,
    /// `(ph, pw)` rows above and below, columns left and right.
    Explicit(usize, usize),
    /// Top, bottom, left, right.
    Asymmetric { top: usize, bottom: usize, left: usize, right: usize },
}

impl From<usize> for Padding {
    fn from(p: usize) -> Self {
        Padding::Explicit(p, p)
    }
}

impl From<(usize, usize)> for Padding {
    fn from((ph, pw): (usize, usize)) -> Self {
        Padding::Explicit(ph, pw)
    }
}

/// The hyperparameters of a convolution (everything but the tensors).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv2dOptions {
    pub stride: (usize, usize),
    pub padding: Padding,
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl Default for Conv2dOptions {
    fn default() -> Self {
        Conv2dOptions { stride: (1, 1), padding: Padding::Valid, dilation: (1, 1), groups: 1 }
    }
}

impl Conv2dOptions {
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }

    pub fn stride2(mut self, sh: usize, sw: usize) -> Self {
        self.stride = (sh, sw);
        self
    }

    pub fn padding(mut self, p: impl Into<Padding>) -> Self {
        self.padding = p.into();
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = (d, d);
        self
    }

    pub fn dilation2(mut self, dh: usize, dw: usize) -> Self {
        self.dilation = (dh, dw);
        self
    }

    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }
}

/// Zero padding of a 1-D convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Padding1d {
    /// No padding.
    Valid,
    /// Enough that a stride-1 convolution keeps the length (the odd extra goes on the right).
    Same,
    /// The same count on both ends.
    Explicit(usize),
    /// Left and right.
    Asymmetric { left: usize, right: usize },
}

impl From<usize> for Padding1d {
    fn from(p: usize) -> Self {
        Padding1d::Explicit(p)
    }
}

/// The hyperparameters of a 1-D convolution over `[N, C, L]` (PyTorch's `nn.Conv1d`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Conv1dOptions {
    pub stride: usize,
    pub padding: Padding1d,
    pub dilation: usize,
    pub groups: usize,
}

impl Default for Conv1dOptions {
    fn default() -> Self {
        Conv1dOptions { stride: 1, padding: Padding1d::Valid, dilation: 1, groups: 1 }
    }
}

impl Conv1dOptions {
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = s;
        self
    }

    pub fn padding(mut self, p: impl Into<Padding1d>) -> Self {
        self.padding = p.into();
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = d;
        self
    }

    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The same convolution over `[N, C, 1, L]`: a 1-D convolution is a 2-D one of height 1,
    /// so it runs on the 2-D kernels (direct, im2col + GEMM, naive) unchanged.
    pub fn as_2d(&self) -> Conv2dOptions {
        let padding = match self.padding {
            Padding1d::Valid => Padding::Valid,
            Padding1d::Same => Padding::Same,
            Padding1d::Explicit(p) => Padding::Explicit(0, p),
            Padding1d::Asymmetric { left, right } => Padding::Asymmetric { top: 0, bottom: 0, left, right },
        };
        Conv2dOptions { stride: (1, self.stride), padding, dilation: (1, self.dilation), groups: self.groups }
    }
}

/// Every size of one convolution, resolved and checked: input `[n, c, h, w]`, weight
/// `[o, c/groups, kh, kw]`, output `[n, o, ho, wo]`. Transposed convolutions are described by
/// the convolution they are the adjoint of.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvGeometry {
    pub n: usize,
    pub c: usize,
    pub h: usize,
    pub w: usize,
    pub o: usize,
    pub kh: usize,
    pub kw: usize,
    pub sh: usize,
    pub sw: usize,
    /// Padding: top, bottom, left, right.
    pub pt: usize,
    pub pb: usize,
    pub pl: usize,
    pub pr: usize,
    pub dh: usize,
    pub dw: usize,
    pub groups: usize,
    pub ho: usize,
    pub wo: usize,
}

impl ConvGeometry {
    /// Input channels per group.
    pub fn cg(&self) -> usize {
        self.c / self.groups
    }

    /// Filters per group.
    pub fn og(&self) -> usize {
        self.o / self.groups
    }

    /// Length of one filter (`c/groups · kh · kw`): the inner dimension of the GEMM.
    pub fn patch(&self) -> usize {
        self.cg() * self.kh * self.kw
    }

    pub fn input_shape(&self) -> [usize; 4] {
        [self.n, self.c, self.h, self.w]
    }

    pub fn weight_shape(&self) -> [usize; 4] {
        [self.o, self.cg(), self.kh, self.kw]
    }

    pub fn output_shape(&self) -> [usize; 4] {
        [self.n, self.o, self.ho, self.wo]
    }

    /// Multiply-adds of the forward pass (the backward passes cost the same each).
    pub fn macs(&self) -> usize {
        self.n * self.o * self.ho * self.wo * self.patch()
    }

    /// Resolves a convolution of `input` `[N, C, H, W]` by `weight` `[O, C/groups, kh, kw]`,
    /// panicking with the op name and both shapes when they do not fit.
    pub fn conv(op: &str, input: &[usize], weight: &[usize], opts: &Conv2dOptions) -> ConvGeometry {
        Self::resolve(op, input, weight, opts, (input, weight))
    }

    /// Resolves a 1-D convolution of `input` `[N, C, L]` by `weight` `[O, C/groups, k]` as the
    /// 2-D convolution of height 1 that computes it; messages name the 1-D shapes.
    pub fn conv1d(op: &str, input: &[usize], weight: &[usize], opts: &Conv1dOptions) -> ConvGeometry {
        let bad = |why: &str| -> ! { panic!("{op}: input {} and weight {}: {why}", dims_str(input), dims_str(weight)) };
        if input.len() != 3 {
            bad("the input must be [N, C, L]");
        }
        if weight.len() != 3 {
            bad("the weight must be [out_channels, in_channels/groups, k]");
        }
        if opts.padding == Padding1d::Same && opts.stride != 1 {
            bad(&format!("padding \"same\" needs stride 1, got {}", opts.stride));
        }
        let (x4, w4) = ([input[0], input[1], 1, input[2]], [weight[0], weight[1], 1, weight[2]]);
        Self::resolve(op, &x4, &w4, &opts.as_2d(), (input, weight))
    }

    /// The checks and sizes behind [`ConvGeometry::conv`]; `shown` are the shapes a message
    /// names (the caller's, which differ from the 4-D ones for a 1-D convolution).
    fn resolve(
        op: &str,
        input: &[usize],
        weight: &[usize],
        opts: &Conv2dOptions,
        shown: (&[usize], &[usize]),
    ) -> ConvGeometry {
        let bad =
            |why: String| -> ! { panic!("{op}: input {} and weight {}: {why}", dims_str(shown.0), dims_str(shown.1)) };
        if input.len() != 4 {
            bad("the input must be [N, C, H, W]".into());
        }
        if weight.len() != 4 {
            bad("the weight must be [out_channels, in_channels/groups, kh, kw]".into());
        }
        let (g, (sh, sw), (dh, dw)) = (opts.groups, opts.stride, opts.dilation);
        if g == 0 || sh == 0 || sw == 0 || dh == 0 || dw == 0 {
            bad(format!(
                "groups, stride and dilation must be positive, got {g}, {:?} and {:?}",
                opts.stride, opts.dilation
            ));
        }
        let [n, c, h, w] = [input[0], input[1], input[2], input[3]];
        let [o, cg, kh, kw] = [weight[0], weight[1], weight[2], weight[3]];
        if !c.is_multiple_of(g) || !o.is_multiple_of(g) {
            bad(format!("{c} input and {o} output channels cannot be split into {g} groups"));
        }
        if cg * g != c {
            bad(format!("the input has {c} channels but the weight expects {} ({cg} per group × {g} groups)", cg * g));
        }
        if kh == 0 || kw == 0 {
            bad("the kernel is empty".into());
        }
        let (ekh, ekw) = (dh * (kh - 1) + 1, dw * (kw - 1) + 1);
        let (pt, pb, pl, pr) = match opts.padding {
            Padding::Valid => (0, 0, 0, 0),
            Padding::Explicit(ph, pw) => (ph, ph, pw, pw),
            Padding::Asymmetric { top, bottom, left, right } => (top, bottom, left, right),
            Padding::Same => {
                if sh != 1 || sw != 1 {
                    bad(format!("padding \"same\" needs stride 1, got {:?}", opts.stride));
                }
                let (th, tw) = (ekh - 1, ekw - 1);
                (th / 2, th - th / 2, tw / 2, tw - tw / 2)
            }
        };
        let (hp, wp) = (h + pt + pb, w + pl + pr);
        if hp < ekh || wp < ekw {
            bad(format!("the padded input ({hp}×{wp}) is smaller than the dilated kernel ({ekh}×{ekw})"));
        }
        let (ho, wo) = ((hp - ekh) / sh + 1, (wp - ekw) / sw + 1);
        ConvGeometry { n, c, h, w, o, kh, kw, sh, sw, pt, pb, pl, pr, dh, dw, groups: g, ho, wo }
    }
}

/// Which kernel set runs: the tensor crate's naive/fast switch.
fn use_fast() -> bool {
    kernel_mode() == KernelMode::Fast
}

fn dense<T: Float>(t: &Tensor<T>) -> Tensor<T> {
    t.contiguous()
}

/// 2-D convolution (PyTorch's `F.conv2d` without the graph): `x` `[N, C, H, W]`, `weight`
/// `[O, C/groups, kh, kw]`, optional `bias` `[O]`; the result is `[N, O, Ho, Wo]`. The
/// differentiable version is `kindling_autograd::conv::conv2d`.
///
/// ```
/// use kindling_tensor::conv::{conv2d, Conv2dOptions};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::<f32>::ones([1, 1, 4, 4]);
/// let y = conv2d(&x, &Tensor::ones([1, 1, 3, 3]), None, &Conv2dOptions::default().padding(1));
/// assert_eq!(y.shape(), [1, 1, 4, 4]);
/// assert_eq!(y.get(&[0, 0, 0, 0]), 4.0); // a corner sees 2×2 ones
/// ```
pub fn conv2d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    opts: &Conv2dOptions,
) -> Tensor<T> {
    let geom = ConvGeometry::conv("conv2d", x.shape(), weight.shape(), opts);
    check_bias("conv2d", bias.map(|b| b.shape()), geom.o, weight.shape());
    forward(&geom, x, weight, bias)
}

/// 1-D convolution (PyTorch's `F.conv1d` without the graph): `x` `[N, C, L]`, `weight`
/// `[O, C/groups, k]`, optional `bias` `[O]`; the result is `[N, O, Lo]`. It runs as the 2-D
/// convolution of height 1 (see [`Conv1dOptions::as_2d`]).
///
/// ```
/// use kindling_tensor::conv::{conv1d, Conv1dOptions};
/// use kindling_tensor::Tensor;
///
/// let x = Tensor::from([[[1.0f32, 2.0, 3.0, 4.0]]]);
/// let w = Tensor::from([[[1.0f32, -1.0]]]); // a difference filter
/// assert_eq!(conv1d(&x, &w, None, &Conv1dOptions::default()).to_vec(), vec![-1.0, -1.0, -1.0]);
/// ```
pub fn conv1d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    opts: &Conv1dOptions,
) -> Tensor<T> {
    let geom = ConvGeometry::conv1d("conv1d", x.shape(), weight.shape(), opts);
    check_bias("conv1d", bias.map(|b| b.shape()), geom.o, weight.shape());
    let (x4, w4) = (x.unsqueeze(2), weight.unsqueeze(2));
    forward(&geom, &x4, &w4, bias).squeeze(2)
}

/// Panics unless `bias` is `[channels]`, naming the op and the weight's shape.
pub fn check_bias(op: &str, bias: Option<&[usize]>, channels: usize, weight: &[usize]) {
    if let Some(b) = bias {
        if b != [channels] {
            panic!("{op}: bias {} does not fit weight {}: expected [{channels}]", dims_str(b), dims_str(weight));
        }
    }
}

/// The forward kernel of a resolved geometry: `y = x ⋆ w + b`. Inputs of any layout.
pub fn forward<T: Float>(g: &ConvGeometry, x: &Tensor<T>, w: &Tensor<T>, b: Option<&Tensor<T>>) -> Tensor<T> {
    let (x, w, b) = (dense(x), dense(w), b.map(dense));
    let (x, w) = (x.as_slice().expect("dense"), w.as_slice().expect("dense"));
    let b = b.as_ref().map(|b| b.as_slice().expect("dense"));
    let y = if use_fast() { fast::forward(g, x, w, b) } else { naive::forward(g, x, w, b) };
    Tensor::from_vec(y, g.output_shape())
}

/// The adjoint of [`forward`] in `x`: the input gradient `∂x` from `∂y` (and the forward pass
/// of a transposed convolution).
pub fn backward_input<T: Float>(g: &ConvGeometry, dy: &Tensor<T>, w: &Tensor<T>) -> Tensor<T> {
    let (dy, w) = (dense(dy), dense(w));
    let (dy, w) = (dy.as_slice().expect("dense"), w.as_slice().expect("dense"));
    let dx = if use_fast() { fast::backward_input(g, dy, w) } else { naive::backward_input(g, dy, w) };
    Tensor::from_vec(dx, g.input_shape())
}

/// The weight gradient `∂w` from `∂y` and the forward's input `x`.
pub fn backward_weight<T: Float>(g: &ConvGeometry, dy: &Tensor<T>, x: &Tensor<T>) -> Tensor<T> {
    let (dy, x) = (dense(dy), dense(x));
    let (dy, x) = (dy.as_slice().expect("dense"), x.as_slice().expect("dense"));
    let dw = if use_fast() { fast::backward_weight(g, dy, x) } else { naive::backward_weight(g, dy, x) };
    Tensor::from_vec(dw, g.weight_shape())
}

/// Σ over batch and space of `[N, C, H, W]`: the gradient of a per-channel bias.
pub fn channel_sums<T: Float>(dy: &Tensor<T>) -> Tensor<T> {
    let dy = dense(dy);
    let s = dy.shape();
    let (n, c, hw) = (s[0], s[1], s[2] * s[3]);
    let d = dy.as_slice().expect("dense");
    let mut out = vec![T::ZERO; c];
    for i in 0..n {
        for (ch, o) in out.iter_mut().enumerate() {
            // Sixteen running sums, so the adds vectorise instead of waiting on each other.
            let plane = &d[(i * c + ch) * hw..][..hw];
            let mut lanes = [T::ZERO; 16];
            let mut chunks = plane.chunks_exact(16);
            for chunk in &mut chunks {
                lanes.iter_mut().zip(chunk).for_each(|(l, &v)| *l += v);
            }
            let tail = chunks.remainder().iter().fold(T::ZERO, |a, &v| a + v);
            *o += lanes.iter().fold(tail, |a, &v| a + v);
        }
    }
    Tensor::from_vec(out, [c])
}

/// The hyperparameters of a transposed convolution.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ConvTranspose2dOptions {
    pub stride: (usize, usize),
    /// Rows/columns removed from each side of the full output (PyTorch's `padding`).
    pub padding: (usize, usize),
    /// Extra rows/columns added at the bottom/right, to pick among the output sizes a strided
    /// convolution maps to the same input size; must be smaller than the stride or the dilation.
    pub output_padding: (usize, usize),
    pub dilation: (usize, usize),
    pub groups: usize,
}

impl Default for ConvTranspose2dOptions {
    fn default() -> Self {
        ConvTranspose2dOptions { stride: (1, 1), padding: (0, 0), output_padding: (0, 0), dilation: (1, 1), groups: 1 }
    }
}

impl ConvTranspose2dOptions {
    pub fn stride(mut self, s: usize) -> Self {
        self.stride = (s, s);
        self
    }

    pub fn padding(mut self, p: usize) -> Self {
        self.padding = (p, p);
        self
    }

    pub fn output_padding(mut self, p: usize) -> Self {
        self.output_padding = (p, p);
        self
    }

    pub fn dilation(mut self, d: usize) -> Self {
        self.dilation = (d, d);
        self
    }

    pub fn groups(mut self, g: usize) -> Self {
        self.groups = g;
        self
    }

    /// The geometry of the convolution this transposed convolution is the adjoint of: that
    /// convolution maps the (larger) output of shape `[N, C_out, Hy, Wy]` to the input
    /// `[N, C_in, H, W]` with the same weight `[C_in, C_out/groups, kh, kw]`.
    pub fn geometry(&self, op: &str, input: &[usize], weight: &[usize]) -> ConvGeometry {
        let bad =
            |why: String| -> ! { panic!("{op}: input {} and weight {}: {why}", dims_str(input), dims_str(weight)) };
        if input.len() != 4 || weight.len() != 4 {
            bad("expected input [N, C_in, H, W] and weight [C_in, C_out/groups, kh, kw]".into());
        }
        let g = self.groups;
        if g == 0 || !weight[0].is_multiple_of(g) {
            bad(format!("{} input channels cannot be split into {g} groups", weight[0]));
        }
        if input[1] != weight[0] {
            bad(format!("the input has {} channels but the weight expects {}", input[1], weight[0]));
        }
        let (sh, sw) = self.stride;
        let (dh, dw) = self.dilation;
        let (oph, opw) = self.output_padding;
        if oph >= sh.max(dh) || opw >= sw.max(dw) {
            bad(format!(
                "output_padding {:?} must be smaller than the stride {:?} or the dilation {:?}",
                self.output_padding, self.stride, self.dilation
            ));
        }
        let (ph, pw) = self.padding;
        let full_h = (input[2].max(1) - 1) * sh + dh * (weight[2] - 1) + 1 + oph;
        let full_w = (input[3].max(1) - 1) * sw + dw * (weight[3] - 1) + 1 + opw;
        if full_h <= 2 * ph || full_w <= 2 * pw {
            bad(format!("padding {:?} removes the whole output ({full_h}×{full_w})", self.padding));
        }
        let out = [input[0], weight[1] * g, full_h - 2 * ph, full_w - 2 * pw];
        let opts = Conv2dOptions {
            stride: self.stride,
            padding: Padding::Explicit(ph, pw),
            dilation: self.dilation,
            groups: g,
        };
        let geom = ConvGeometry::conv(op, &out, weight, &opts);
        debug_assert_eq!((geom.ho, geom.wo), (input[2], input[3]));
        geom
    }
}

/// Transposed convolution (PyTorch's `F.conv_transpose2d` without the graph), the adjoint of
/// [`conv2d`]: `x` `[N, C_in, H, W]`, `weight` `[C_in, C_out/groups, kh, kw]`, optional bias
/// `[C_out]`; the output is `[N, C_out, (H − 1)·s − 2p + d·(k − 1) + output_padding + 1, …]`.
pub fn conv_transpose2d<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    opts: &ConvTranspose2dOptions,
) -> Tensor<T> {
    let geom = opts.geometry("conv_transpose2d", x.shape(), weight.shape());
    check_bias("conv_transpose2d", bias.map(|b| b.shape()), geom.c, weight.shape());
    let y = backward_input(&geom, x, weight);
    match bias {
        Some(b) => add_channel_bias(y, b),
        None => y,
    }
}

/// Adds `b[c]` to every element of channel `c` of a dense `[N, C, H, W]` tensor.
pub fn add_channel_bias<T: Float>(y: Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
    let c = b.numel();
    let hw = y.shape()[2] * y.shape()[3];
    let bias = b.to_vec();
    let mut y = y;
    for (i, plane) in y.make_mut().chunks_mut(hw).enumerate() {
        let bi = bias[i % c];
        plane.iter_mut().for_each(|v| *v += bi);
    }
    y
}
