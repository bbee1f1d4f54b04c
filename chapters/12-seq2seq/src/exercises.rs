//! Chapter 12 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch12-seq2seq --features learner          # every exercise
//! cargo test -p ch12-seq2seq --features learner ex12_3   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

use kindling_autograd::Variable;

// ANCHOR: ex12_1
/// Exercise 12.1. Attention weights from raw scores over a source of which only the
/// first `len` positions are real: a softmax over `scores[..len]`, and exactly 0
/// for every padded position. The result has `scores.len()` entries.
///
/// Hint: subtract the largest real score before `exp` so nothing overflows; never
/// look at the padded scores (they can be anything, even huge).
pub fn masked_softmax(scores: &[f64], len: usize) -> Vec<f64> {
    // TODO(12.1): softmax over the first len scores, zeros after.
    unimplemented!("exercise 12.1: masked_softmax")
}
// ANCHOR_END: ex12_1

// ANCHOR: ex12_2
/// Exercise 12.2. Bahdanau's additive scores of one query against every key:
///
/// ```text
/// score_s = vᵀ tanh(W_q q + W_k k_s)
/// ```
///
/// with `query` `[Q]`, `keys` `[S, K]`, `w_q` `[A, Q]`, `w_k` `[A, K]`, `v` `[A]`.
/// Returns the scores `[S]` as a differentiable variable.
///
/// Hint: `keys.matmul(&w_k.t())` is `[S, A]`; `w_q.matmul(query)` is `[A]` and
/// broadcasts over the S rows; `matmul` with the vector `v` gives `[S]`.
pub fn additive_scores(
    query: &Variable<f64>,
    keys: &Variable<f64>,
    w_q: &Variable<f64>,
    w_k: &Variable<f64>,
    v: &Variable<f64>,
) -> Variable<f64> {
    // TODO(12.2): one tanh layer, then the dot product with v.
    unimplemented!("exercise 12.2: additive_scores")
}
// ANCHOR_END: ex12_2

// ANCHOR: ex12_3
/// Exercise 12.3. One step of beam search for one example. `beams` are the live
/// hypotheses (tokens, summed log-probability); `next[i][v]` is log p(v | beam i).
/// Returns the `k` best extensions (beam's tokens followed by v, beam's
/// log-probability plus `next[i][v]`), best first; on equal scores the lower beam
/// index, then the lower token, comes first.
///
/// Hint: collect all `beams.len() × V` candidates, sort them by score (a stable
/// sort keeps the tie order), keep `k`.
pub fn beam_step(
    beams: &[(Vec<i64>, f64)],
    next: &[Vec<f64>],
    k: usize,
) -> Vec<(Vec<i64>, f64)> {
    // TODO(12.3): every beam times every token, best k.
    unimplemented!("exercise 12.3: beam_step")
}
// ANCHOR_END: ex12_3

// ANCHOR: ex12_4
/// Exercise 12.4. The index of the best finished hypothesis (tokens with EOS
/// counted, summed log-probability) under GNMT's length normalisation:
///
/// ```text
/// score = log p / ((5 + len) / 6)^α
/// ```
///
/// The first of equal scores wins.
///
/// Hint: at α = 0 this is the highest log-probability, which favours short outputs.
pub fn best_normalized(hypotheses: &[(usize, f64)], alpha: f64) -> usize {
    // TODO(12.4): divide by the length penalty, then take the arg max.
    unimplemented!("exercise 12.4: best_normalized")
}
// ANCHOR_END: ex12_4

// ANCHOR: ex12_5
/// Exercise 12.5. Scheduled sampling's inputs for one decoder step. The
/// teacher-forcing ratio at training step `step` follows the inverse sigmoid ε = k
/// / (k + exp(step / k)); each row reads the true previous token `gold[i]` when its
/// coin `coins[i]` (uniform in [0, 1)) is below ε, else the model's own prediction
/// `predicted[i]`.
///
/// Hint: compute ε once; a coin of exactly ε means "not forced".
pub fn scheduled_inputs(
    gold: &[i64],
    predicted: &[i64],
    coins: &[f64],
    k: f64,
    step: usize,
) -> Vec<i64> {
    // TODO(12.5): the inverse-sigmoid ratio, then one coin per row.
    unimplemented!("exercise 12.5: scheduled_inputs")
}
// ANCHOR_END: ex12_5

// ANCHOR: ex12_6
/// Exercise 12.6. Token accuracy: over every position of every reference, the share
/// where the output has the same token at the same position (a missing position is
/// wrong; extra output tokens past the reference's end are not counted). 0 when
/// there are no reference tokens.
///
/// Hint: the denominator is the total reference length, not the output length.
pub fn token_accuracy(outputs: &[Vec<i64>], references: &[Vec<i64>]) -> f64 {
    // TODO(12.6): position-wise comparison against the references.
    unimplemented!("exercise 12.6: token_accuracy")
}
// ANCHOR_END: ex12_6
