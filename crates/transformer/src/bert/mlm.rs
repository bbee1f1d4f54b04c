//! Choosing what a masked language model predicts: Hugging Face's
//! `DataCollatorForLanguageModeling` rule.
//!
//! Each position that is not a special token (padding, `[CLS]`, `[SEP]`, …) is chosen with
//! probability `mask_prob` (15%). Of the chosen positions, a share `mask_ratio` (80%) is
//! replaced by `[MASK]`, a share `random_ratio` (10%) by a token drawn uniformly from the whole
//! vocabulary, and the rest (10%) is left as it was, so the model cannot learn that only
//! `[MASK]` positions matter. The labels hold the original token at chosen positions and −100
//! (ignored by the loss) everywhere else.
//!
//! ```
//! use kindling_transformer::bert::mlm::{mask_tokens, MlmMasking};
//! use kindling_tensor::{Rng, Tensor};
//!
//! let ids = Tensor::from([[2i64, 10, 11, 12, 3, 0]]); // [CLS] … [SEP] [PAD]
//! let (inputs, labels) = mask_tokens(&ids, &[0, 2, 3], 4, 20, &MlmMasking::default(), &mut Rng::seed(1));
//! for ((&i, &l), &orig) in inputs.to_vec().iter().zip(&labels.to_vec()).zip(&ids.to_vec()) {
//!     assert!(l == -100 && i == orig || l == orig); // unchosen positions are untouched
//! }
//! ```

use super::heads::IGNORE_INDEX;
use kindling_tensor::{Rng, Tensor};

/// The probabilities of the masking rule (default BERT's 15% chosen, 80/10/10).
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct MlmMasking {
    /// The chance that a non-special position is chosen for prediction.
    pub mask_prob: f64,
    /// The share of chosen positions replaced by `[MASK]`.
    pub mask_ratio: f64,
    /// The share of chosen positions replaced by a random token (the rest stay unchanged).
    pub random_ratio: f64,
}

impl Default for MlmMasking {
    fn default() -> Self {
        MlmMasking { mask_prob: 0.15, mask_ratio: 0.8, random_ratio: 0.1 }
    }
}

/// Applies the rule to token ids (any shape): returns the model's inputs and the labels
/// (the original id where chosen, −100 elsewhere), both shaped as `ids`. Positions holding one
/// of `special_ids` are never chosen; random replacements are drawn from `0..vocab_size`.
/// The same `rng` state gives the same result. Panics on probabilities outside [0, 1] or
/// ratios summing past 1.
pub fn mask_tokens(
    ids: &Tensor<i64>,
    special_ids: &[i64],
    mask_id: i64,
    vocab_size: usize,
    m: &MlmMasking,
    rng: &mut Rng,
) -> (Tensor<i64>, Tensor<i64>) {
    let probability = |p: f64| (0.0..=1.0).contains(&p);
    if !probability(m.mask_prob) || !probability(m.mask_ratio) || !probability(m.random_ratio) {
        panic!("mask_tokens: every probability of {m:?} must be in [0, 1]");
    }
    if m.mask_ratio + m.random_ratio > 1.0 + 1e-12 {
        panic!("mask_tokens: mask_ratio + random_ratio of {m:?} exceed 1");
    }
    if vocab_size == 0 || !(0..vocab_size as i64).contains(&mask_id) {
        panic!("mask_tokens: mask_id {mask_id} is outside the vocabulary of {vocab_size}");
    }
    // Of the chosen positions not masked, the share to randomise.
    let random_given_kept = if m.mask_ratio < 1.0 { m.random_ratio / (1.0 - m.mask_ratio) } else { 0.0 };
    let mut inputs = ids.to_vec();
    let mut labels = vec![IGNORE_INDEX; inputs.len()];
    for (input, label) in inputs.iter_mut().zip(labels.iter_mut()) {
        if special_ids.contains(input) || rng.uniform_f64() >= m.mask_prob {
            continue;
        }
        *label = *input;
        if rng.uniform_f64() < m.mask_ratio {
            *input = mask_id;
        } else if rng.uniform_f64() < random_given_kept {
            *input = rng.below(vocab_size as u64) as i64;
        }
    }
    let shape = ids.shape().to_vec();
    (Tensor::from_vec(inputs, shape.clone()), Tensor::from_vec(labels, shape))
}
