//! TEMPORARY: the attention API of the brief (branch h-attn), written with plain autograd ops
//! so this crate builds before that branch lands. Replaced by `kindling_tensor::attention` and
//! `kindling_autograd::attention` on merge.
#![allow(dead_code)]

use kindling_autograd::Variable;
use kindling_tensor::{Float, Tensor};

/// Which (query, key) pairs may interact.
#[derive(Clone)]
pub enum AttentionMask<T: Float> {
    /// true = may attend.
    Bool(Tensor<bool>),
    /// Added to the scaled scores.
    Additive(Tensor<T>),
}

/// The options of scaled dot-product attention.
#[derive(Clone, Default)]
pub struct AttentionConfig<T: Float> {
    pub mask: Option<AttentionMask<T>>,
    pub key_padding: Option<Tensor<bool>>,
    pub is_causal: bool,
    pub dropout: f64,
    pub seed: u64,
    pub scale: Option<f64>,
}

pub mod autograd {
    use super::*;

    pub fn attention_weights<T: Float>(q: &Variable<T>, k: &Variable<T>, cfg: &AttentionConfig<T>) -> Variable<T> {
        let e = *q.shape().last().unwrap();
        let scale = cfg.scale.unwrap_or(1.0 / (e as f64).sqrt());
        let scores = q.matmul(&k.transpose(-2, -1)).mul_scalar(T::from_f64(scale));
        let shape = scores.shape();
        let r = shape.len();
        let (l, s) = (shape[r - 2], shape[r - 1]);
        let mut scores = match &cfg.mask {
            Some(AttentionMask::Bool(m)) => scores.masked_fill(&m.logical_not(), T::from_f64(f64::NEG_INFINITY)),
            Some(AttentionMask::Additive(m)) => &scores + &Variable::constant(m.clone()),
            None => scores,
        };
        if let Some(kp) = &cfg.key_padding {
            let mut dims = vec![1usize; r];
            dims[0] = kp.shape()[0];
            dims[r - 1] = s;
            scores = scores.masked_fill(&kp.reshape(dims), T::from_f64(f64::NEG_INFINITY));
        }
        if cfg.is_causal {
            let upper: Vec<bool> = (0..l * s).map(|ij| ij % s > ij / s).collect();
            scores = scores.masked_fill(&Tensor::from_vec(upper, [l, s]), T::from_f64(f64::NEG_INFINITY));
        }
        scores.softmax(-1)
    }

    pub fn scaled_dot_product_attention<T: Float>(
        q: &Variable<T>,
        k: &Variable<T>,
        v: &Variable<T>,
        cfg: &AttentionConfig<T>,
    ) -> Variable<T> {
        attention_weights(q, k, cfg).matmul(v)
    }
}
