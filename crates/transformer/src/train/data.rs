//! Token streams cut into random training windows.

use kindling_tensor::{Rng, Tensor};

/// Which part of the data a batch comes from.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Split {
    /// The tokens the model learns from.
    Train,
    /// The held-out tokens its generalisation is measured on.
    Val,
}

/// A language model's data: one long stream of token ids for training and one for
/// validation. A batch is `batch` windows of `block + 1` consecutive tokens, each starting at a
/// uniformly random position; the first `block` tokens are the input and the last `block` (the
/// same window shifted by one) the targets, so position t is trained to predict token t + 1
/// from tokens 0..=t. With a causal model that is `block` predictions per window.
#[derive(Clone, Debug, PartialEq)]
pub struct LmData {
    train: Vec<i64>,
    val: Vec<i64>,
}

impl LmData {
    /// Data from its two streams.
    pub fn new(train: Vec<i64>, val: Vec<i64>) -> Self {
        LmData { train, val }
    }

    /// The first `train_fraction` of `tokens` for training, the rest for validation (nanoGPT
    /// keeps 0.9 for training). The split is by position, not at random: random windows drawn
    /// from one stream would overlap the other's text. Panics, naming the function, when the
    /// fraction is not in (0, 1).
    pub fn split(tokens: &[i64], train_fraction: f64) -> Self {
        if !(train_fraction > 0.0 && train_fraction < 1.0) {
            panic!("LmData::split: train_fraction must be in (0, 1), got {train_fraction}");
        }
        let cut = (tokens.len() as f64 * train_fraction) as usize;
        LmData { train: tokens[..cut].to_vec(), val: tokens[cut..].to_vec() }
    }

    /// The token stream of `split`.
    pub fn tokens(&self, split: Split) -> &[i64] {
        match split {
            Split::Train => &self.train,
            Split::Val => &self.val,
        }
    }

    /// `batch` random windows of `split`: inputs and targets, both `[batch, block]`, with
    /// `targets[b][t] = inputs[b][t + 1]` inside a window. Draws `batch` numbers from `rng`
    /// (one start per window), nothing else, so a generator saved between batches replays the
    /// same batches. Panics, naming the function, when the stream is shorter than `block + 1`
    /// tokens or a size is 0.
    pub fn batch(&self, split: Split, batch: usize, block: usize, rng: &mut Rng) -> (Tensor<i64>, Tensor<i64>) {
        let tokens = self.tokens(split);
        if batch == 0 || block == 0 {
            panic!("LmData::batch: batch and block must be at least 1, got batch {batch}, block {block}");
        }
        if tokens.len() <= block {
            panic!(
                "LmData::batch: the {split:?} split holds {} tokens, too few for windows of block {block} + 1",
                tokens.len()
            );
        }
        let starts = tokens.len() - block;
        let mut inputs = Vec::with_capacity(batch * block);
        let mut targets = Vec::with_capacity(batch * block);
        for _ in 0..batch {
            let start = rng.below(starts as u64) as usize;
            inputs.extend_from_slice(&tokens[start..start + block]);
            targets.extend_from_slice(&tokens[start + 1..start + block + 1]);
        }
        (Tensor::from_vec(inputs, [batch, block]), Tensor::from_vec(targets, [batch, block]))
    }
}
