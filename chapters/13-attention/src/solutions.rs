//! Reference answers to chapter 13's exercises (`src/exercises.rs` has the stubs).

use crate::Matrix;
use kindling_autograd::Variable;
use kindling_nn::Forward;
use kindling_tensor::Tensor;
use kindling_transformer::attention::MultiheadAttention;
use kindling_transformer::layer::TransformerEncoderLayer;

/// Exercise 13.1.
pub fn attend(query: &[f64], keys: &Matrix, values: &Matrix) -> Vec<f64> {
    let scale = 1.0 / (query.len() as f64).sqrt();
    let scores: Vec<f64> = keys
        .iter()
        .map(|k| scale * k.iter().zip(query).map(|(a, b)| a * b).sum::<f64>())
        .collect();
    let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
    let exps: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
    let total: f64 = exps.iter().sum();
    (0..values[0].len())
        .map(|c| exps.iter().zip(values).map(|(e, v)| e / total * v[c]).sum())
        .collect()
}

/// Exercise 13.2.
pub fn causal_mask(n: usize) -> Tensor<f64> {
    let data = (0..n * n)
        .map(|ij| if ij % n > ij / n { f64::NEG_INFINITY } else { 0.0 })
        .collect();
    Tensor::from_vec(data, [n, n])
}

/// Exercise 13.3.
pub fn split_heads(x: &Variable<f64>, heads: usize) -> Variable<f64> {
    let s = x.shape();
    x.reshape(vec![s[0], s[1], heads, s[2] / heads]).permute([0, 2, 1, 3])
}

/// Exercise 13.4.
pub fn self_attention_by_hand(
    mha: &MultiheadAttention<f64>,
    x: &Variable<f64>,
) -> Variable<f64> {
    let (e, heads) = (mha.embed_dim(), mha.num_heads());
    let project = |part: usize| {
        let w = mha.in_proj_weight.narrow(0, part * e, e);
        let b = mha.in_proj_bias.as_ref().expect("a bias").narrow(0, part * e, e);
        split_heads(&(&x.matmul(&w.t()) + &b), heads)
    };
    let (q, k, v) = (project(0), project(1), project(2));
    let scale = 1.0 / ((e / heads) as f64).sqrt();
    let weights = q.matmul(&k.transpose(-2, -1)).mul_scalar(scale).softmax(-1);
    let s = x.shape();
    let joined =
        weights.matmul(&v).permute([0, 2, 1, 3]).reshape(vec![s[0], s[1], e]);
    mha.out_proj.call(&joined)
}

/// Exercise 13.5.
pub fn sinusoidal_row(pos: usize, d: usize) -> Vec<f64> {
    (0..d)
        .map(|c| {
            let angle = pos as f64 / 10000f64.powf((2 * (c / 2)) as f64 / d as f64);
            if c % 2 == 0 {
                angle.sin()
            } else {
                angle.cos()
            }
        })
        .collect()
}

/// Exercise 13.6.
pub fn rotate(x: &[f64], pos: usize, base: f64) -> Vec<f64> {
    let half = x.len() / 2;
    let mut out = x.to_vec();
    for i in 0..half {
        let theta = pos as f64 * base.powf(-2.0 * i as f64 / x.len() as f64);
        let (c, s) = (theta.cos(), theta.sin());
        out[i] = x[i] * c - x[i + half] * s;
        out[i + half] = x[i] * s + x[i + half] * c;
    }
    out
}

/// Exercise 13.7.
pub fn pre_norm_block(
    layer: &TransformerEncoderLayer<f64>,
    x: &Variable<f64>,
) -> Variable<f64> {
    let h = x + &layer.self_attn.call(&layer.norm1.call(x));
    &h + &layer.feed_forward.call(&layer.norm2.call(&h))
}
