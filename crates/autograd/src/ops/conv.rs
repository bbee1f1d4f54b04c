//! Differentiable convolutions (PyTorch's `F.conv1d`, `F.conv2d`, `F.conv_transpose2d`). The
//! kernels and their naive/fast/direct versions live in [`kindling_tensor::kernel_api::conv`]; this
//! module records which of them maps an output gradient back to each input.
//!
//! A convolution's three passes are three kernels: `forward(x, w)` → y, `backward_input(∂y, w)`
//! → ∂x and `backward_weight(∂y, x)` → ∂w. A transposed convolution is the adjoint of a
//! convolution, so it reuses them with roles swapped. A 1-D convolution is the 2-D one of
//! height 1: the input and weight gain an axis of size 1 (a view, differentiable), and the
//! result loses it again.

use crate::Variable;
use kindling_tensor::kernel_api::conv::{self as kernels, check_bias, ConvGeometry};
use kindling_tensor::{Float, Tensor};

pub use kindling_tensor::conv::{Conv1dOptions, Conv2dOptions, ConvTranspose2dOptions, Padding, Padding1d};

/// 2-D convolution: `x` `[N, C, H, W]`, `weight` `[O, C/groups, kh, kw]`, optional `bias`
/// `[O]`; the result is `[N, O, Ho, Wo]`.
///
/// ```
/// use kindling_autograd::conv::{conv2d, Conv2dOptions};
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
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
    conv_with_geometry("conv2d", geom, x, weight, bias)
}

/// 1-D convolution: `x` `[N, C, L]`, `weight` `[O, C/groups, k]`, optional `bias` `[O]`; the
/// result is `[N, O, Lo]`, computed as the 2-D convolution of height 1.
///
/// ```
/// use kindling_autograd::conv::{conv1d, Conv1dOptions};
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
///
/// let x = Variable::constant(Tensor::from([[[1.0f32, 2.0, 4.0, 7.0]]]));
/// let w = Variable::param(Tensor::from([[[-1.0f32, 1.0]]])); // forward differences
/// let y = conv1d(&x, &w, None, &Conv1dOptions::default());
/// assert_eq!(y.value().to_vec(), vec![1.0, 2.0, 3.0]);
/// ```
pub fn conv1d<T: Float>(
    x: &Variable<T>,
    weight: &Variable<T>,
    bias: Option<&Variable<T>>,
    opts: &Conv1dOptions,
) -> Variable<T> {
    let geom = ConvGeometry::conv1d("conv1d", &x.shape(), &weight.shape(), opts);
    check_bias("conv1d", bias.map(|b| b.shape()).as_deref(), geom.o, &weight.shape());
    let (x4, w4) = (x.unsqueeze(2), weight.unsqueeze(2));
    conv_with_geometry("conv1d", geom, &x4, &w4, bias).squeeze(2)
}

fn conv_with_geometry<T: Float>(
    op: &'static str,
    geom: ConvGeometry,
    x: &Variable<T>,
    weight: &Variable<T>,
    bias: Option<&Variable<T>>,
) -> Variable<T> {
    // Dense copies are made once and kept for the backward pass.
    let (xv, wv) = (x.value().contiguous(), weight.value().contiguous());
    let bv = bias.map(|b| b.value());
    let y = kernels::forward(&geom, &xv, &wv, bv.as_ref());
    let mut inputs = vec![x.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    Variable::from_op(op, y, inputs, move |g, needs| {
        let g = g.contiguous();
        let dx = needs[0].then(|| kernels::backward_input(&geom, &g, &wv));
        let dw = needs[1].then(|| kernels::backward_weight(&geom, &g, &xv));
        let mut grads = vec![dx, dw];
        if needs.len() > 2 {
            grads.push(needs[2].then(|| kernels::channel_sums(&g)));
        }
        grads
    })
}

/// Transposed convolution, the adjoint of [`conv2d`]: `x` `[N, C_in, H, W]`, `weight`
/// `[C_in, C_out/groups, kh, kw]`, optional bias `[C_out]`; the output is
/// `[N, C_out, (H − 1)·s − 2p + d·(k − 1) + output_padding + 1, …]`.
pub fn conv_transpose2d<T: Float>(
    x: &Variable<T>,
    weight: &Variable<T>,
    bias: Option<&Variable<T>>,
    opts: &ConvTranspose2dOptions,
) -> Variable<T> {
    let geom = opts.geometry("conv_transpose2d", &x.shape(), &weight.shape());
    check_bias("conv_transpose2d", bias.map(|b| b.shape()).as_deref(), geom.c, &weight.shape());
    let (xv, wv) = (x.value().contiguous(), weight.value().contiguous());
    let mut y = kernels::backward_input(&geom, &xv, &wv);
    if let Some(b) = bias {
        y = kernels::add_channel_bias(y, &b.value());
    }
    let mut inputs = vec![x.clone(), weight.clone()];
    inputs.extend(bias.cloned());
    Variable::from_op("conv_transpose2d", y, inputs, move |g, needs| {
        let g: Tensor<T> = g.contiguous();
        let dx = needs[0].then(|| kernels::forward(&geom, &g, &wv, None));
        let dw = needs[1].then(|| kernels::backward_weight(&geom, &xv, &g));
        let mut grads = vec![dx, dw];
        if needs.len() > 2 {
            grads.push(needs[2].then(|| kernels::channel_sums(&g)));
        }
        grads
    })
}
