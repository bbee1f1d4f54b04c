//! 2-D convolution and transposed convolution on `[N, C, H, W]` tensors, differentiable.
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
//! direct nested loops) and a [`fast`] one (im2col + GEMM on the tensor crate's fast matmul):
//! - `forward(x, w, b)` → y;
//! - `backward_input(dy, w)` → ∂x (the adjoint of the forward in x);
//! - `backward_weight(dy, x)` → ∂w.
//!
//! A transposed convolution is the adjoint of a convolution: its forward is `backward_input`,
//! its input gradient is `forward`, and its weight gradient is `backward_weight` with the roles
//! of input and output swapped. The kernel switch of the tensor crate
//! ([`kindling_tensor::with_kernel_mode`]) picks naive or fast for every call.

pub mod direct;
pub mod fast;
pub mod naive;

use kindling_autograd::Variable;
use kindling_tensor::shape::dims_str;
use kindling_tensor::{kernel_mode, Float, KernelMode, Tensor};

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
        let bad =
            |why: String| -> ! { panic!("{op}: input {} and weight {}: {why}", dims_str(input), dims_str(weight)) };
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

/// `conv2d` on plain tensors (no graph): `x` `[N, C, H, W]`, `weight` `[O, C/groups, kh, kw]`,
/// optional `bias` `[O]`.
pub fn conv2d_tensor<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    opts: &Conv2dOptions,
) -> Tensor<T> {
    let geom = ConvGeometry::conv("conv2d", x.shape(), weight.shape(), opts);
    check_bias("conv2d", bias.map(|b| b.shape()), geom.o, weight.shape());
    forward_kernel(&geom, &dense(x), &dense(weight), bias.map(dense).as_ref())
}

fn check_bias(op: &str, bias: Option<&[usize]>, channels: usize, weight: &[usize]) {
    if let Some(b) = bias {
        if b != [channels] {
            panic!("{op}: bias {} does not fit weight {}: expected [{channels}]", dims_str(b), dims_str(weight));
        }
    }
}

fn forward_kernel<T: Float>(g: &ConvGeometry, x: &Tensor<T>, w: &Tensor<T>, b: Option<&Tensor<T>>) -> Tensor<T> {
    let (x, w) = (x.as_slice().expect("dense"), w.as_slice().expect("dense"));
    let b = b.map(|b| b.as_slice().expect("dense"));
    let y = if use_fast() { fast::forward(g, x, w, b) } else { naive::forward(g, x, w, b) };
    Tensor::from_vec(y, g.output_shape())
}

fn backward_input_kernel<T: Float>(g: &ConvGeometry, dy: &Tensor<T>, w: &Tensor<T>) -> Tensor<T> {
    let (dy, w) = (dy.as_slice().expect("dense"), w.as_slice().expect("dense"));
    let dx = if use_fast() { fast::backward_input(g, dy, w) } else { naive::backward_input(g, dy, w) };
    Tensor::from_vec(dx, g.input_shape())
}

fn backward_weight_kernel<T: Float>(g: &ConvGeometry, dy: &Tensor<T>, x: &Tensor<T>) -> Tensor<T> {
    let (dy, x) = (dy.as_slice().expect("dense"), x.as_slice().expect("dense"));
    let dw = if use_fast() { fast::backward_weight(g, dy, x) } else { naive::backward_weight(g, dy, x) };
    Tensor::from_vec(dw, g.weight_shape())
}

/// Σ over batch and space of `[N, C, H, W]`: the gradient of a per-channel bias.
fn channel_sums<T: Float>(dy: &Tensor<T>) -> Tensor<T> {
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

/// Differentiable 2-D convolution (PyTorch's `F.conv2d`): `x` `[N, C, H, W]`, `weight`
/// `[O, C/groups, kh, kw]`, optional `bias` `[O]`; the result is `[N, O, Ho, Wo]`.
///
/// ```
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
/// use kindling_vision::ops::conv::{conv2d, Conv2dOptions};
///
/// let x = Variable::constant(Tensor::<f32>::ones([1, 1, 4, 4]));
/// let w = Variable::param(Tensor::ones([1, 1, 3, 3]));
/// let y = conv2d(&x, &w, None, &Conv2dOptions::default().padding(1));
/// assert_eq!(y.shape(), [1, 1, 4, 4]);
/// assert_eq!(y.value().get(&[0, 0, 0, 0]), 4.0); // a corner sees 2×2 ones
/// ```
pub fn conv2d<T: Float>(
    x: &Variable<T>,
    weight: &Variable<T>,
    bias: Option<&Variable<T>>,
    opts: &Conv2dOptions,
) -> Variable<T> {
    let geom = ConvGeometry::conv("conv2d", &x.shape(), &weight.shape(), opts);
    check_bias("conv2d", bias.map(|b| b.shape()).as_deref(), geom.o, &weight.shape());
    let (xv, wv) = (dense(&x.value()), dense(&weight.value()));
    let bv = bias.map(|b| dense(&b.value()));
    let y = forward_kernel(&geom, &xv, &wv, bv.as_ref());
    let mut inputs = vec![x.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    Variable::from_op("conv2d", y, inputs, move |g, needs| {
        let g = dense(g);
        let dx = needs[0].then(|| backward_input_kernel(&geom, &g, &wv));
        let dw = needs[1].then(|| backward_weight_kernel(&geom, &g, &xv));
        let mut grads = vec![dx, dw];
        if needs.len() > 2 {
            grads.push(needs[2].then(|| channel_sums(&g)));
        }
        grads
    })
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

/// `conv_transpose2d` on plain tensors (no graph).
pub fn conv_transpose2d_tensor<T: Float>(
    x: &Tensor<T>,
    weight: &Tensor<T>,
    bias: Option<&Tensor<T>>,
    opts: &ConvTranspose2dOptions,
) -> Tensor<T> {
    let geom = opts.geometry("conv_transpose2d", x.shape(), weight.shape());
    check_bias("conv_transpose2d", bias.map(|b| b.shape()), geom.c, weight.shape());
    let y = backward_input_kernel(&geom, &dense(x), &dense(weight));
    match bias {
        Some(b) => add_channel_bias(y, b),
        None => y,
    }
}

fn add_channel_bias<T: Float>(y: Tensor<T>, b: &Tensor<T>) -> Tensor<T> {
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

/// Differentiable transposed convolution (PyTorch's `F.conv_transpose2d`), the adjoint of
/// [`conv2d`]: `x` `[N, C_in, H, W]`, `weight` `[C_in, C_out/groups, kh, kw]`, optional bias
/// `[C_out]`; the output is `[N, C_out, (H − 1)·s − 2p + d·(k − 1) + output_padding + 1, …]`.
pub fn conv_transpose2d<T: Float>(
    x: &Variable<T>,
    weight: &Variable<T>,
    bias: Option<&Variable<T>>,
    opts: &ConvTranspose2dOptions,
) -> Variable<T> {
    let geom = opts.geometry("conv_transpose2d", &x.shape(), &weight.shape());
    check_bias("conv_transpose2d", bias.map(|b| b.shape()).as_deref(), geom.c, &weight.shape());
    let (xv, wv) = (dense(&x.value()), dense(&weight.value()));
    let mut y = backward_input_kernel(&geom, &xv, &wv);
    if let Some(b) = bias {
        y = add_channel_bias(y, &b.value());
    }
    let mut inputs = vec![x.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    Variable::from_op("conv_transpose2d", y, inputs, move |g, needs| {
        let g = dense(g);
        let dx = needs[0].then(|| forward_kernel(&geom, &g, &wv, None));
        let dw = needs[1].then(|| backward_weight_kernel(&geom, &xv, &g));
        let mut grads = vec![dx, dw];
        if needs.len() > 2 {
            grads.push(needs[2].then(|| channel_sums(&g)));
        }
        grads
    })
}
