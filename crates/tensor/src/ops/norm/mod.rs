//! Layer normalisation as one kernel: each run of the last `normalized_len` elements (a
//! "row": one token's features in a transformer) is centred, scaled to unit variance and then
//! scaled by γ and shifted by β, elementwise:
//!
//! ```text
//! mean = Σ x / n      var = Σ (x − mean)² / n      rstd = 1 / √(var + eps)
//! y    = (x − mean) · rstd · γ + β
//! ```
//!
//! The forward pass also returns `mean` and `rstd` per row, which is all the backward pass
//! needs besides `x` (x̂ is recomputed, not stored). With x̂ = (x − mean)·rstd and g = dy·γ:
//!
//! ```text
//! dx = rstd · (g − mean(g) − x̂ · mean(g · x̂))      dγ = Σ_rows dy · x̂      dβ = Σ_rows dy
//! ```
//!
//! Composed from separate ops (mean, variance, subtract, divide, multiply, add) the same
//! layer makes six passes and six buffers forward and more backward; fused it makes one pass
//! each way. The differentiable op is `kindling_autograd`'s `Variable::layer_norm`;
//! `kindling_nn::LayerNorm` uses it. [`naive`] is the oracle, [`fast`] what training runs.

pub mod fast;
pub mod naive;

use crate::dtype::Float;
use crate::shape::dims_str;
use crate::storage::uninit_buffer;
use crate::tensor::Tensor;

/// The results of [`layer_norm`]: `y` with the shape of `x`, and per row (x's shape without its
/// normalized suffix) the `mean` and `rstd` = 1/√(biased variance + eps).
#[derive(Clone, Debug)]
pub struct LayerNormForward<T: Float> {
    pub y: Tensor<T>,
    pub mean: Tensor<T>,
    pub rstd: Tensor<T>,
}

/// The gradients from [`layer_norm_backward`]: `dx` with x's shape, `dweight` and `dbias` with
/// the weight's shape (each present when asked for).
#[derive(Clone, Debug)]
pub struct LayerNormGrads<T: Float> {
    pub dx: Option<Tensor<T>>,
    pub dweight: Option<Tensor<T>>,
    pub dbias: Option<Tensor<T>>,
}

/// The shape of one row's statistics: x's shape with the axes that multiply to
/// `normalized_len` at its end removed. Panics when no suffix of x's shape has that size.
fn stats_shape(op: &str, shape: &[usize], normalized_len: usize) -> Vec<usize> {
    if normalized_len == 0 {
        panic!("{op}: normalized_len must be at least 1, got 0 (input {})", dims_str(shape));
    }
    let mut size = 1;
    for k in (0..=shape.len()).rev() {
        if size == normalized_len {
            return shape[..k].to_vec();
        }
        if k == 0 || size > normalized_len {
            break;
        }
        size *= shape[k - 1];
    }
    panic!("{op}: the last axes of input {} do not multiply to normalized_len {normalized_len}", dims_str(shape))
}

fn check_affine<T: Float>(op: &str, what: &str, t: Option<&Tensor<T>>, normalized_len: usize) {
    if let Some(t) = t {
        if t.numel() != normalized_len {
            panic!(
                "{op}: {what} of shape {} has {} elements, expected normalized_len {normalized_len}",
                dims_str(t.shape()),
                t.numel()
            );
        }
    }
}

/// Contiguous elements of `t` (a cheap clone when it already is contiguous).
fn dense<T: Float>(t: &Tensor<T>) -> Tensor<T> {
    t.contiguous()
}

/// Layer normalisation of `x` over its last `normalized_len` elements (the product of its
/// trailing axes), with optional scale `weight` and shift `bias` of `normalized_len` elements.
/// Runs the naive or the fast kernel according to [`crate::kernel_mode`].
///
/// ```
/// use kindling_tensor::{norm::layer_norm, Tensor};
///
/// let x = Tensor::from([[1.0f64, 3.0], [2.0, 6.0]]);
/// let out = layer_norm(&x, 2, None, None, 0.0);
/// assert_eq!(out.y.to_vec(), vec![-1.0, 1.0, -1.0, 1.0]);
/// assert_eq!(out.mean.to_vec(), vec![2.0, 4.0]);
/// assert_eq!(out.rstd.to_vec(), vec![1.0, 0.5]); // 1/√(variance + eps)
/// ```
pub fn layer_norm<T: Float>(
    x: &Tensor<T>,
    normalized_len: usize,
    weight: Option<&Tensor<T>>,
    bias: Option<&Tensor<T>>,
    eps: f64,
) -> LayerNormForward<T> {
    const OP: &str = "layer_norm";
    let stats = stats_shape(OP, x.shape(), normalized_len);
    check_affine(OP, "weight", weight, normalized_len);
    check_affine(OP, "bias", bias, normalized_len);
    let (x, weight, bias) = (dense(x), weight.map(dense), bias.map(dense));
    let rows = x.numel() / normalized_len;
    let mut y = uninit_buffer::<T>(x.numel());
    y.resize(x.numel(), T::ZERO);
    let (mut mean, mut rstd) = (vec![T::ZERO; rows], vec![T::ZERO; rows]);
    let xs = x.as_slice().expect("contiguous");
    let w = weight.as_ref().map(|w| w.as_slice().expect("contiguous"));
    let b = bias.as_ref().map(|b| b.as_slice().expect("contiguous"));
    if crate::kernels::use_fast() {
        fast::layer_norm_forward(xs, normalized_len, w, b, eps, &mut y, &mut mean, &mut rstd);
    } else {
        naive::layer_norm_forward(xs, normalized_len, w, b, eps, &mut y, &mut mean, &mut rstd);
    }
    LayerNormForward {
        y: Tensor::from_vec(y, x.shape()),
        mean: Tensor::from_vec(mean, stats.clone()),
        rstd: Tensor::from_vec(rstd, stats),
    }
}

/// The gradients of [`layer_norm`] for the output gradient `dy`, from the forward's `x`,
/// `mean` and `rstd`. `needs` = (dx, dweight, dbias) says which to compute; dweight and dbias
/// take `param_shape` (the weight's; it must hold `normalized_len` elements). The weight
/// itself is needed only for dx, and is `None` when the layer has no scale.
#[allow(clippy::too_many_arguments)]
pub fn layer_norm_backward<T: Float>(
    dy: &Tensor<T>,
    x: &Tensor<T>,
    mean: &Tensor<T>,
    rstd: &Tensor<T>,
    normalized_len: usize,
    weight: Option<&Tensor<T>>,
    param_shape: &[usize],
    needs: (bool, bool, bool),
) -> LayerNormGrads<T> {
    const OP: &str = "layer_norm_backward";
    stats_shape(OP, x.shape(), normalized_len);
    if dy.shape() != x.shape() {
        panic!("{OP}: gradient of shape {} for an input of shape {}", dims_str(dy.shape()), dims_str(x.shape()));
    }
    let rows = x.numel() / normalized_len;
    if mean.numel() != rows || rstd.numel() != rows {
        panic!("{OP}: {rows} rows but mean has {} and rstd {} elements", mean.numel(), rstd.numel());
    }
    check_affine(OP, "weight", weight, normalized_len);
    if param_shape.iter().product::<usize>() != normalized_len {
        panic!("{OP}: parameter shape {} does not hold normalized_len {normalized_len}", dims_str(param_shape));
    }
    let (dy, x, mean, rstd, weight) = (dense(dy), dense(x), dense(mean), dense(rstd), weight.map(dense));
    let (dys, xs, ms, rs) = (
        dy.as_slice().expect("contiguous"),
        x.as_slice().expect("contiguous"),
        mean.as_slice().expect("contiguous"),
        rstd.as_slice().expect("contiguous"),
    );
    let w = weight.as_ref().map(|w| w.as_slice().expect("contiguous"));
    let mut dw = needs.1.then(|| vec![T::ZERO; normalized_len]);
    let mut db = needs.2.then(|| vec![T::ZERO; normalized_len]);
    let mut dx = if needs.0 || crate::kernels::use_fast() {
        let mut v = uninit_buffer::<T>(x.numel());
        v.resize(x.numel(), T::ZERO);
        Some(v)
    } else {
        None
    };
    if crate::kernels::use_fast() {
        let dxs = dx.as_deref_mut().expect("the fast kernel always writes dx");
        fast::layer_norm_backward(dys, xs, ms, rs, normalized_len, w, dxs, dw.as_deref_mut(), db.as_deref_mut());
    } else {
        naive::layer_norm_backward(
            dys,
            xs,
            ms,
            rs,
            normalized_len,
            w,
            dx.as_deref_mut(),
            dw.as_deref_mut(),
            db.as_deref_mut(),
        );
    }
    LayerNormGrads {
        dx: if needs.0 { dx.map(|v| Tensor::from_vec(v, x.shape())) } else { None },
        dweight: dw.map(|v| Tensor::from_vec(v, param_shape)),
        dbias: db.map(|v| Tensor::from_vec(v, param_shape)),
    }
}
