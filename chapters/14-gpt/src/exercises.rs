//! Chapter 14 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch14-gpt --features learner          # every exercise
//! cargo test -p ch14-gpt --features learner ex14_3   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use kindling_transformer::gpt::GptConfig;

// ANCHOR: ex14_1
/// Exercise 14.1. One training window of a token stream: the `block` tokens from
/// `start` on are the input, and the targets are the same window shifted one token
/// to the right (the token that follows each input position). Panics when the
/// stream is too short.
///
/// Hint: a window of `block + 1` tokens holds both.
pub fn next_token_window(
    tokens: &[i64],
    start: usize,
    block: usize,
) -> (Vec<i64>, Vec<i64>) {
    // TODO(14.1): inputs tokens[start..start + block], targets one further.
    unimplemented!("exercise 14.1: next_token_window")
}
// ANCHOR_END: ex14_1

// ANCHOR: ex14_2
/// Exercise 14.2. The learning rate of iteration `it` under linear warm-up then
/// cosine decay: `lr·(it + 1)/(warmup + 1)` while `it < warmup`, `min_lr` after
/// `decay_iters`, and in between half a cosine from `lr` down to `min_lr`.
///
/// Hint: the fraction of the decay done is `(it − warmup) / (decay_iters −
/// warmup)`; the cosine's factor is `½(1 + cos(π · fraction))`.
pub fn warmup_cosine(
    it: usize,
    lr: f64,
    min_lr: f64,
    warmup: usize,
    decay_iters: usize,
) -> f64 {
    // TODO(14.2): three cases.
    unimplemented!("exercise 14.2: warmup_cosine")
}
// ANCHOR_END: ex14_2

// ANCHOR: ex14_3
/// Exercise 14.3. Whether AdamW should decay the parameter `name` of shape `shape`:
/// yes for weight matrices and embedding tables, no for biases and LayerNorm gains.
///
/// Hint: the name is not needed.
pub fn should_decay(name: &str, shape: &[usize]) -> bool {
    // TODO(14.3): decide by the shape.
    unimplemented!("exercise 14.3: should_decay")
}
// ANCHOR_END: ex14_3

// ANCHOR: ex14_4
/// Exercise 14.4. The nucleus of top-p sampling: the ids of the smallest set of
/// most likely tokens whose probabilities add up to at least `p`, most likely first
/// (equal probabilities: lower id first). `probs` sums to 1.
///
/// Hint: sort the ids by probability, descending, with a stable sort; keep adding
/// until the total reaches `p`.
pub fn nucleus(probs: &[f64], p: f64) -> Vec<usize> {
    // TODO(14.4): sort, then accumulate.
    unimplemented!("exercise 14.4: nucleus")
}
// ANCHOR_END: ex14_4

// ANCHOR: ex14_5
/// Exercise 14.5. CTRL's repetition penalty: every token that appears in `history`
/// has its logit divided by `penalty` when it is positive and multiplied by it when
/// it is negative (so with `penalty` > 1 a repeat always becomes less likely);
/// other logits are unchanged.
///
/// Hint: penalise each token once, however often it appears.
pub fn repetition_penalty(
    logits: &[f64],
    history: &[i64],
    penalty: f64,
) -> Vec<f64> {
    // TODO(14.5): scale the logits of the tokens already seen.
    unimplemented!("exercise 14.5: repetition_penalty")
}
// ANCHOR_END: ex14_5

// ANCHOR: ex14_6
/// Exercise 14.6. The number of parameters of a GPT with `config`, counted from the
/// architecture: token and position tables; per block two LayerNorms, the q/k/v
/// projection `c_attn` (C → 3C), the attention's output projection (C → C), the MLP
/// (C → 4C → C); a final LayerNorm; the head shares the token table. With `bias`
/// false there are no biases, in the linear layers or the LayerNorms.
///
/// Hint: about 12·C² per block; then add the vectors.
pub fn gpt_num_parameters(config: &GptConfig) -> usize {
    // TODO(14.6): count.
    unimplemented!("exercise 14.6: gpt_num_parameters")
}
// ANCHOR_END: ex14_6
