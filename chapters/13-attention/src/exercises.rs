//! Chapter 13 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch13-attention --features learner          # every exercise
//! cargo test -p ch13-attention --features learner ex13_3   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use crate::Matrix;
use kindling_autograd::Variable;
use kindling_tensor::Tensor;
use kindling_transformer::attention::MultiheadAttention;
use kindling_transformer::layer::TransformerEncoderLayer;

// ANCHOR: ex13_1
/// Exercise 13.1. Scaled dot-product attention for one query: the scores
/// `q·k_j / √d_k` against every key, their softmax, and the weighted sum of the
/// values. `keys` is `[S, d_k]`, `values` `[S, d_v]`; returns the output `[d_v]`.
///
/// Hint: subtract the largest score before `exp`.
pub fn attend(query: &[f64], keys: &Matrix, values: &Matrix) -> Vec<f64> {
    // TODO(13.1): scores, softmax, weighted sum.
    unimplemented!("exercise 13.1: attend")
}
// ANCHOR_END: ex13_1

// ANCHOR: ex13_2
/// Exercise 13.2. The causal mask of a sequence of `n` tokens as an additive
/// `[n, n]` tensor: 0 where key j may be seen by query i (j ≤ i), −∞ where it may
/// not (j > i). Added to the scores, it gives every future key a weight of exactly
/// 0 after the softmax.
pub fn causal_mask(n: usize) -> Tensor<f64> {
    // TODO(13.2): zeros on and below the diagonal, -inf above.
    unimplemented!("exercise 13.2: causal_mask")
}
// ANCHOR_END: ex13_2

// ANCHOR: ex13_3
/// Exercise 13.3. Splits the width of `x [B, T, E]` into `heads` heads: returns
/// `[B, heads, T, E / heads]`, where head h holds the columns `h·E/heads ..
/// (h+1)·E/heads`.
///
/// Hint: a reshape to `[B, T, heads, E/heads]`, then swap two axes.
pub fn split_heads(x: &Variable<f64>, heads: usize) -> Variable<f64> {
    // TODO(13.3): reshape, then permute.
    unimplemented!("exercise 13.3: split_heads")
}
// ANCHOR_END: ex13_3

// ANCHOR: ex13_4
/// Exercise 13.4. Multi-head self-attention of `x [B, T, E]` (batch-first, no mask)
/// from the parameters of `mha` alone: project with `in_proj_weight` (rows `0..E`
/// give the queries, `E..2E` the keys, `2E..3E` the values) and `in_proj_bias`,
/// split the heads (13.3), run scaled dot-product attention in every head, join the
/// heads back to `[B, T, E]` and apply `out_proj`. The result must equal `mha`'s
/// own output.
///
/// Hint: `w.narrow(0, start, len)` takes rows; `Variable::softmax(-1)`; `matmul`
/// works on `[B, H, T, D]` batches; joining is the inverse of splitting.
pub fn self_attention_by_hand(
    mha: &MultiheadAttention<f64>,
    x: &Variable<f64>,
) -> Variable<f64> {
    // TODO(13.4): three projections, heads, attention, join, output projection.
    unimplemented!("exercise 13.4: self_attention_by_hand")
}
// ANCHOR_END: ex13_4

// ANCHOR: ex13_5
/// Exercise 13.5. Row `pos` of the sinusoidal table of width `d`: column 2i is
/// `sin(pos / 10000^(2i/d))` and column 2i+1 is `cos(pos / 10000^(2i/d))`.
pub fn sinusoidal_row(pos: usize, d: usize) -> Vec<f64> {
    // TODO(13.5): one sine and one cosine per frequency.
    unimplemented!("exercise 13.5: sinusoidal_row")
}
// ANCHOR_END: ex13_5

// ANCHOR: ex13_6
/// Exercise 13.6. Rotary position embedding of one head vector `x` (even length D)
/// at position `pos`: the pair `(x[i], x[i + D/2])` turns by the angle `pos ·
/// base^(−2i/D)`, i.e. becomes `(x[i]·cos θ − x[i+D/2]·sin θ, x[i]·sin θ +
/// x[i+D/2]·cos θ)`.
pub fn rotate(x: &[f64], pos: usize, base: f64) -> Vec<f64> {
    // TODO(13.6): rotate every pair (i, i + D/2).
    unimplemented!("exercise 13.6: rotate")
}
// ANCHOR_END: ex13_6

// ANCHOR: ex13_7
/// Exercise 13.7. The pre-norm encoder block from `layer`'s parts (ignore dropout
/// and masks): `x + self_attn(norm1(x))`, then `h + feed_forward(norm2(h))`. The
/// result must equal the layer's own output when it is built with
/// `.norm_first(true)`.
///
/// Hint: run the parts with `Forward::call` (`layer.norm1.call(x)`,
/// `layer.self_attn.call(&n)` is self-attention, `layer.feed_forward.call(&n)`).
pub fn pre_norm_block(
    layer: &TransformerEncoderLayer<f64>,
    x: &Variable<f64>,
) -> Variable<f64> {
    // TODO(13.7): two residual sub-layers, each reading a normalised input.
    unimplemented!("exercise 13.7: pre_norm_block")
}
// ANCHOR_END: ex13_7
