//! Chapter 14 of the Kindling book: GPT, a decoder-only language model.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch14-gpt`, with `KINDLING_DATASETS` set) trains the
//! tiny GPT on Tiny Shakespeare and writes what the chapter shows. Your exercises
//! are in [`exercises`]; check them with `cargo test -p ch14-gpt --features
//! learner`.

use std::time::Instant;

use kindling_autograd::no_grad;
use kindling_data::text::bpe::{BpeTrainOptions, ByteBpe};
use kindling_data::CharVocab;
use kindling_nn::Module;
use kindling_tensor::{Rng, Tensor};
use kindling_train::TrainError;
use kindling_transformer::generate::Sampler;
use kindling_transformer::gpt::{Gpt, GptConfig};
use kindling_transformer::train::{EvalRecord, LmData, LmTrainer, TrainConfig};

pub mod exercises;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

// ANCHOR: char_data
/// Tiny Shakespeare as character ids: the vocabulary is every distinct character
/// (65 of them), the first 90% of the text trains and the last 10% validates.
pub fn char_data(text: &str) -> (CharVocab, LmData) {
    let vocab = CharVocab::new(text);
    let ids = vocab
        .encode(text)
        .expect("every character of the text is in its own vocabulary")
        .to_vec();
    (vocab, LmData::split(&ids, 0.9))
}
// ANCHOR_END: char_data

// ANCHOR: bpe_data
/// The same text as byte-level BPE ids. The merges are learned from the training
/// part only, so the validation text is encoded as unseen text would be.
pub fn bpe_data(text: &str, vocab_size: usize) -> (ByteBpe, LmData) {
    let cut = text
        .char_indices()
        .nth(text.chars().count() * 9 / 10)
        .map_or(text.len(), |(i, _)| i);
    let (train_text, val_text) = text.split_at(cut);
    let bpe = ByteBpe::train(train_text, vocab_size, &BpeTrainOptions::default());
    let ids =
        |t: &str| bpe.encode(t).into_iter().map(i64::from).collect::<Vec<i64>>();
    let data = LmData::new(ids(train_text), ids(val_text));
    (bpe, data)
}
// ANCHOR_END: bpe_data

// ANCHOR: train
/// Trains `model` with nanoGPT's loop ([`kindling_transformer::train`]): AdamW with
/// decay on matrices only, warm-up then cosine, clipping, an evaluation (and a
/// checkpoint, when the config names a file) every `eval_interval` iterations. The
/// loop only needs the loss.
pub fn train_gpt(
    model: &Gpt,
    data: &LmData,
    config: &TrainConfig,
) -> Result<Vec<EvalRecord>, TrainError> {
    let loss = |x: &Tensor<i64>, y: &Tensor<i64>| model.loss(x, y);
    let mut trainer = LmTrainer::new(model, &loss, config);
    Ok(trainer.run(data)?.to_vec())
}
// ANCHOR_END: train

/// Nats per token to bits per character: `tokens / chars` tokens per character, and
/// ln 2 nats per bit. Compares models whose tokens differ (characters, BPE pieces).
pub fn bits_per_char(nats_per_token: f64, tokens: usize, chars: usize) -> f64 {
    nats_per_token * tokens as f64 / chars as f64 / std::f64::consts::LN_2
}

// ANCHOR: sample
/// `new_tokens` tokens after `prompt`, chosen by `sampler` with the KV cache,
/// seeded.
pub fn sample(
    model: &Gpt,
    prompt: &[i64],
    new_tokens: usize,
    sampler: &Sampler,
    seed: u64,
) -> Vec<i64> {
    let out =
        model.generate(prompt, new_tokens, sampler, &mut Rng::seed(seed), true);
    out[prompt.len()..].to_vec()
}
// ANCHOR_END: sample

/// One measurement of generation speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct GenerationSpeed {
    /// New tokens per second with the KV cache.
    pub cached: f64,
    /// New tokens per second re-reading the whole context each step.
    pub uncached: f64,
}

impl GenerationSpeed {
    /// How many times faster the cache is.
    pub fn speedup(&self) -> f64 {
        self.cached / self.uncached
    }
}

// ANCHOR: kv_speed
/// Generation tokens/s with and without the KV cache, from a one-token prompt up to
/// the model's whole context (`block_size` tokens), greedy so both pick the same
/// tokens; the best of `runs` runs each, alternating.
pub fn generation_speed(model: &Gpt, runs: usize) -> GenerationSpeed {
    let new_tokens = model.config().block_size - 1;
    let time = |cache: bool| {
        let start = Instant::now();
        let out = model.generate(
            &[0],
            new_tokens,
            &Sampler::greedy(),
            &mut Rng::seed(0),
            cache,
        );
        (start.elapsed().as_secs_f64(), out)
    };
    let (mut best_cached, mut best_uncached) = (f64::INFINITY, f64::INFINITY);
    for _ in 0..runs.max(1) {
        let (with, a) = time(true);
        let (without, b) = time(false);
        assert_eq!(a, b, "generation_speed: the cache changed the tokens");
        best_cached = best_cached.min(with);
        best_uncached = best_uncached.min(without);
    }
    GenerationSpeed {
        cached: new_tokens as f64 / best_cached,
        uncached: new_tokens as f64 / best_uncached,
    }
}
// ANCHOR_END: kv_speed

// ANCHOR: chain_rule
/// log P(x_1, ..., x_T) of a whole sequence by the chain rule: one forward pass
/// gives, at every position t, the distribution of the next token given x_1..x_t;
/// the sequence's log-probability is the sum of the log-probabilities of the tokens
/// that did come next (the first token is given, not predicted). This is −(T − 1)×
/// the mean cross-entropy the model is trained on.
pub fn sequence_log_prob(model: &Gpt, tokens: &[i64]) -> f64 {
    let t = tokens.len();
    assert!(t >= 2, "sequence_log_prob: needs at least 2 tokens, got {t}");
    let input = Tensor::from_vec(tokens[..t - 1].to_vec(), [1, t - 1]);
    let logits = no_grad(|| model.forward(&input)).value().cast::<f64>().to_vec();
    let vocab = model.config().vocab_size;
    (0..t - 1)
        .map(|pos| {
            let row = &logits[pos * vocab..(pos + 1) * vocab];
            let max = row.iter().copied().fold(f64::NEG_INFINITY, f64::max);
            let log_sum =
                max + row.iter().map(|z| (z - max).exp()).sum::<f64>().ln();
            row[tokens[pos + 1] as usize] - log_sum
        })
        .sum()
}
// ANCHOR_END: chain_rule

/// A GPT with `config`, in evaluation-free training mode, from `seed`.
pub fn new_gpt(config: GptConfig, seed: u64) -> Gpt {
    let model = Gpt::new(config, &mut Rng::seed(seed));
    model.train();
    model
}
