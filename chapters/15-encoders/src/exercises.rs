//! Chapter 15 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch15-encoders --features learner          # every exercise
//! cargo test -p ch15-encoders --features learner ex15_3   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use kindling_tensor::{Rng, Tensor};

// ANCHOR: ex15_1
/// Exercise 15.1. BERT's masking of one sequence for masked language modelling.
/// Each position whose id is not in `special` is chosen with probability
/// `mask_prob`; a chosen position's label is its original id, and its input becomes
/// `mask_id` 80% of the time, a random id below `vocab_size` 10% of the time, and
/// stays as it is the other 10%. Positions not chosen keep their id and get the
/// label −100 (ignored by the loss). Returns `(inputs, labels)`.
///
/// Hint: per position, one draw `rng.uniform_f64() < mask_prob` to choose it; for a
/// chosen one a second uniform draw picks among the three cases and
/// `rng.below(vocab_size as u64)` gives the random id.
pub fn mlm_mask(
    ids: &[i64],
    special: &[i64],
    mask_id: i64,
    vocab_size: usize,
    mask_prob: f64,
    rng: &mut Rng,
) -> (Vec<i64>, Vec<i64>) {
    // TODO(15.1): choose, then replace 80/10/10.
    unimplemented!("exercise 15.1 is yours to write")
}
// ANCHOR_END: ex15_1

// ANCHOR: ex15_2
/// Exercise 15.2. Which keys each query may attend to, as a `[T, T]` table
/// (`allowed[i][j]`: may query `i` look at key `j`?). `is_token[j]` is false at
/// padding. An encoder's mask (`causal` false) only hides padding: every query sees
/// every real token, before and after it. A decoder's (`causal` true) also hides
/// every key after the query.
///
/// Hint: two conditions on `j`, one of them only when `causal`.
pub fn attention_allowed(is_token: &[bool], causal: bool) -> Vec<Vec<bool>> {
    // TODO(15.2): allowed[i][j] for every pair.
    unimplemented!("exercise 15.2 is yours to write")
}
// ANCHOR_END: ex15_2

// ANCHOR: ex15_3
/// Exercise 15.3. Mean pooling: one vector per sequence from an encoder's output
/// `hidden` `[B, T, H]`, the mean of the vectors of its real tokens
/// (`attention_mask[b][t]` is 1 for a token, 0 for padding). Returns `[B, H]`; a
/// sequence with no token at all gives zeros.
///
/// Hint: `hidden.to_vec()` is row-major: the vector of token `t` of sequence `b`
/// starts at `(b·T + t)·H`.
pub fn mean_pool(hidden: &Tensor<f64>, attention_mask: &[Vec<i64>]) -> Tensor<f64> {
    // TODO(15.3): sum the real tokens' vectors, divide by their count.
    unimplemented!("exercise 15.3 is yours to write")
}
// ANCHOR_END: ex15_3

// ANCHOR: ex15_4
/// Exercise 15.4. Retrieval: the `k` documents whose embeddings are most
/// cosine-similar to `query`, as `(index, similarity)` pairs, most similar first
/// (equal similarities: lower index first). A zero vector is 0-similar to
/// everything. Fewer than `k` when there are fewer documents.
///
/// Hint: cos(a, b) = a·b / (‖a‖‖b‖); a stable sort keeps ties in index order.
pub fn cosine_top_k(
    query: &[f64],
    docs: &[Vec<f64>],
    k: usize,
) -> Vec<(usize, f64)> {
    // TODO(15.4): score every document, sort, keep k.
    unimplemented!("exercise 15.4 is yours to write")
}
// ANCHOR_END: ex15_4

// ANCHOR: ex15_5
/// Exercise 15.5. Cuts an image `[C, H, W]` into non-overlapping `patch × patch`
/// squares and flattens each: the result is `[N, C·patch·patch]` with `N =
/// (H/patch)·(W/patch)`, patches in reading order (left to right, then top to
/// bottom), each flattened channel by channel, then row by row, then column by
/// column (the layout of a convolution's kernel, so that a vision transformer's
/// patch embedding is one matrix product). Panics, naming the function, when
/// `patch` does not divide both sides.
///
/// Hint: patch (r, c), channel ch, offset (i, j) reads pixel (ch, r·patch + i,
/// c·patch + j).
pub fn patchify(image: &Tensor<f64>, patch: usize) -> Tensor<f64> {
    // TODO(15.5): loop over patches, channels, rows, columns.
    unimplemented!("exercise 15.5 is yours to write")
}
// ANCHOR_END: ex15_5

// ANCHOR: ex15_6
/// Exercise 15.6. A vision transformer's input sequence: the learned `class_token`
/// `[D]` in front of the `N` embedded patches (`[N, D]`), then the learned
/// `positions` (`[N + 1, D]`) added, position 0 to the class token. Returns `N + 1`
/// vectors. Panics, naming the function, when `positions` does not have `N + 1`
/// rows.
///
/// Hint: the head later reads only row 0, the class token's, after the encoder has
/// mixed the patches into it.
pub fn vit_tokens(
    patches: &[Vec<f64>],
    class_token: &[f64],
    positions: &[Vec<f64>],
) -> Vec<Vec<f64>> {
    // TODO(15.6): prepend, then add.
    unimplemented!("exercise 15.6 is yours to write")
}
// ANCHOR_END: ex15_6

// ANCHOR: ex15_7
/// Exercise 15.7. BERT's input embedding before its LayerNorm: for position `t`,
/// row `ids[t]` of the word table `[V, H]`, plus row `t` of the position table `[P,
/// H]`, plus row `token_types[t]` of the segment table `[2, H]` (0 for the first
/// sentence, 1 for the second). Returns `[T, H]`. Panics, naming the function, when
/// the sequence is longer than the position table.
///
/// Hint: three lookups and a sum per position.
pub fn bert_embedding_sum(
    ids: &[i64],
    token_types: &[i64],
    word: &Tensor<f64>,
    position: &Tensor<f64>,
    segment: &Tensor<f64>,
) -> Tensor<f64> {
    // TODO(15.7): sum three rows per position.
    unimplemented!("exercise 15.7 is yours to write")
}
// ANCHOR_END: ex15_7

// ANCHOR: ex15_8
/// Exercise 15.8. A tensor of a Hugging Face GPT-2 checkpoint in the layout of our
/// `Linear` (`[out, in]`, used as `x·Wᵀ`). GPT-2's four projections per block,
/// `attn.c_attn`, `attn.c_proj`, `mlp.c_fc` and `mlp.c_proj`, are `Conv1D` layers
/// that store their weight as `[in, out]` (used as `x·W`): their `.weight` must be
/// transposed (and made contiguous). Every other tensor (biases, LayerNorms, the
/// embedding tables) loads unchanged.
///
/// Hint: decide by the name's ending; `Tensor::t` and `contiguous`.
pub fn gpt2_tensor_for_linear(name: &str, tensor: &Tensor<f32>) -> Tensor<f32> {
    // TODO(15.8): transpose the four Conv1D weights only.
    unimplemented!("exercise 15.8 is yours to write")
}
// ANCHOR_END: ex15_8
