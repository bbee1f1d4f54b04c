//! Differentiable pooling (PyTorch's `F.max_pool1d/2d`, `F.avg_pool1d/2d`,
//! `F.adaptive_avg_pool2d`). The kernels live in [`kindling_tensor::kernel_api::pool`]; a 1-D pooling
//! is the 2-D one of height 1. The options (stride, padding, `ceil_mode`, `count_include_pad`)
//! are resolved once into a geometry that forward and backward share, so a partial window at
//! the end gets back exactly the share of the gradient its forward divisor implies.

use crate::Variable;
use kindling_tensor::kernel_api::pool::{self as kernels, AdaptiveGeometry, PoolGeometry};
use kindling_tensor::Float;

pub use kindling_tensor::pool::{Pool1dOptions, Pool2dOptions};

/// Max pooling over `[N, C, H, W]`; the gradient goes to the position of each window's maximum.
///
/// ```
/// use kindling_autograd::pool::{max_pool2d, Pool2dOptions};
/// use kindling_autograd::Variable;
/// use kindling_tensor::Tensor;
///
/// let x = Variable::param(Tensor::<f32>::arange(16.0).reshape([1, 1, 4, 4]));
/// let y = max_pool2d(&x, &Pool2dOptions::new(2));
/// assert_eq!(y.value().to_vec(), vec![5.0, 7.0, 13.0, 15.0]);
/// ```
pub fn max_pool2d<T: Float>(x: &Variable<T>, opts: &Pool2dOptions) -> Variable<T> {
    max_pool("max_pool2d", PoolGeometry::new("max_pool2d", &x.shape(), opts), x)
}

/// Max pooling over `[N, C, L]`.
pub fn max_pool1d<T: Float>(x: &Variable<T>, opts: &Pool1dOptions) -> Variable<T> {
    let g = PoolGeometry::new_1d("max_pool1d", &x.shape(), opts);
    max_pool("max_pool1d", g, &x.unsqueeze(2)).squeeze(2)
}

fn max_pool<T: Float>(op: &'static str, g: PoolGeometry, x: &Variable<T>) -> Variable<T> {
    let (y, idx) = kernels::max_forward(&g, &x.value());
    Variable::from_op(op, y, vec![x.clone()], move |dy, _| vec![Some(kernels::max_backward(&g, dy, &idx))])
}

/// Average pooling over `[N, C, H, W]`; each window's gradient is shared equally.
pub fn avg_pool2d<T: Float>(x: &Variable<T>, opts: &Pool2dOptions) -> Variable<T> {
    avg_pool("avg_pool2d", PoolGeometry::new("avg_pool2d", &x.shape(), opts), x)
}

/// Average pooling over `[N, C, L]`.
pub fn avg_pool1d<T: Float>(x: &Variable<T>, opts: &Pool1dOptions) -> Variable<T> {
    let g = PoolGeometry::new_1d("avg_pool1d", &x.shape(), opts);
    avg_pool("avg_pool1d", g, &x.unsqueeze(2)).squeeze(2)
}

fn avg_pool<T: Float>(op: &'static str, g: PoolGeometry, x: &Variable<T>) -> Variable<T> {
    let y = kernels::avg_forward(&g, &x.value());
    Variable::from_op(op, y, vec![x.clone()], move |dy, _| vec![Some(kernels::avg_backward(&g, dy))])
}

/// Adaptive average pooling: every channel plane is averaged down to `out` = (rows, columns),
/// whatever the input size. `(1, 1)` is global average pooling.
pub fn adaptive_avg_pool2d<T: Float>(x: &Variable<T>, out: (usize, usize)) -> Variable<T> {
    let g = AdaptiveGeometry::new("adaptive_avg_pool2d", &x.shape(), out);
    let y = kindling_tensor::pool::adaptive_avg_pool2d(&x.value(), out);
    Variable::from_op("adaptive_avg_pool2d", y, vec![x.clone()], move |dy, _| {
        vec![Some(kernels::adaptive_avg_backward(&g, dy))]
    })
}
