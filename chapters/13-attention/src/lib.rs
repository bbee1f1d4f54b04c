//! Chapter 13 of the Kindling book: attention and the transformer.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch13-attention`) runs the worked example, measures why
//! the scores are scaled, trains small transformer encoders and writes what the
//! chapter shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch13-attention --features learner`.

use kindling_autograd::{no_grad, Variable};
use kindling_data::synthetic::{
    string_task, StringPairs, StringTask, STRING_VOCAB,
};
use kindling_metrics::metrics::text::{exact_match, token_accuracy};
use kindling_nn::{
    cross_entropy, Embedding, Forward, LayerNorm, Linear, Module, Visitor,
};
use kindling_optim::{Adam, AdamConfig, Optimizer};
use kindling_tensor::{Rng, Tensor};
use kindling_transformer::layer::{
    Activation, AttentionMasks, TransformerEncoder, TransformerEncoderLayer,
};
use kindling_transformer::position::{LearnedPositions, SinusoidalEncoding};
use std::time::Instant;

pub mod exercises;
pub mod memory;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

/// A small matrix as rows.
pub type Matrix = Vec<Vec<f64>>;

// ANCHOR: by_hand
/// Scaled dot-product attention with plain loops, for one sequence: returns the
/// weights `[L, S]` and the outputs `[L, d_v]`. With `causal`, query i only sees
/// keys j ≤ i.
pub fn attention_by_hand(
    q: &Matrix,
    k: &Matrix,
    v: &Matrix,
    causal: bool,
) -> (Matrix, Matrix) {
    let d_k = k[0].len() as f64;
    let mut weights = Vec::new();
    for (i, qi) in q.iter().enumerate() {
        // 1. scores: how well query i matches each key, scaled by 1/√d_k
        let scores: Vec<f64> = k
            .iter()
            .enumerate()
            .map(|(j, kj)| {
                if causal && j > i {
                    f64::NEG_INFINITY // masked: e^−∞ = 0 after the softmax
                } else {
                    qi.iter().zip(kj).map(|(a, b)| a * b).sum::<f64>() / d_k.sqrt()
                }
            })
            .collect();
        // 2. softmax over the keys (shifted by the largest score, for safety)
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        let exps: Vec<f64> = scores.iter().map(|s| (s - top).exp()).collect();
        let total: f64 = exps.iter().sum();
        weights.push(exps.iter().map(|e| e / total).collect::<Vec<f64>>());
    }
    // 3. each output is the weighted average of the values
    let outputs = weights
        .iter()
        .map(|w| {
            (0..v[0].len())
                .map(|c| w.iter().zip(v).map(|(wj, vj)| wj * vj[c]).sum())
                .collect()
        })
        .collect();
    (weights, outputs)
}
// ANCHOR_END: by_hand

// ANCHOR: tiny_example
/// The chapter's worked example: three tokens, d_k = 4 (so √d_k = 2), d_v = 2.
pub fn tiny_example() -> (Matrix, Matrix, Matrix) {
    let q = vec![
        vec![1.0, 0.0, 1.0, 0.0],
        vec![0.0, 1.0, 0.0, 1.0],
        vec![1.0, 1.0, 1.0, 1.0],
    ];
    let k = vec![
        vec![1.0, 0.0, 1.0, 0.0],
        vec![0.0, 1.0, 0.0, 1.0],
        vec![1.0, 1.0, 0.0, 0.0],
    ];
    let v = vec![vec![1.0, 0.0], vec![0.0, 1.0], vec![1.0, 1.0]];
    (q, k, v)
}
// ANCHOR_END: tiny_example

/// A `Matrix` as a tensor.
pub fn to_tensor(m: &Matrix) -> Tensor<f64> {
    Tensor::from_vec(m.concat(), [m.len(), m[0].len()])
}

// ANCHOR: scaling
/// Why the scores are divided by √d_k: for query and key components drawn
/// independently with mean 0 and variance 1, q·k has variance d_k. Returns, over
/// `trials` draws of one query against `keys` keys, (the standard deviation of q·k,
/// the mean largest softmax weight unscaled, the same scaled by 1/√d_k).
pub fn score_spread(
    d_k: usize,
    keys: usize,
    trials: usize,
    rng: &mut Rng,
) -> (f64, f64, f64) {
    let (mut sum_sq, mut top_raw, mut top_scaled) = (0.0, 0.0, 0.0);
    let largest_weight = |scores: &[f64]| {
        let top = scores.iter().copied().fold(f64::NEG_INFINITY, f64::max);
        1.0 / scores.iter().map(|s| (s - top).exp()).sum::<f64>()
    };
    for _ in 0..trials {
        let q: Vec<f64> = (0..d_k).map(|_| rng.normal_f64()).collect();
        let scores: Vec<f64> = (0..keys)
            .map(|_| (0..d_k).map(|c| q[c] * rng.normal_f64()).sum::<f64>())
            .collect();
        sum_sq += scores.iter().map(|s| s * s).sum::<f64>() / keys as f64;
        top_raw += largest_weight(&scores);
        let scaled: Vec<f64> =
            scores.iter().map(|s| s / (d_k as f64).sqrt()).collect();
        top_scaled += largest_weight(&scaled);
    }
    let n = trials as f64;
    ((sum_sq / n).sqrt(), top_raw / n, top_scaled / n)
}
// ANCHOR_END: scaling

/// How the model learns where each token is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Positions {
    /// Nothing: the encoder sees a bag of tokens.
    None,
    /// The fixed sine/cosine table.
    Sinusoidal,
    /// A trained table, one vector per position.
    Learned,
}

impl Positions {
    /// The name the tables use.
    pub fn name(self) -> &'static str {
        match self {
            Positions::None => "none",
            Positions::Sinusoidal => "sinusoidal",
            Positions::Learned => "learned",
        }
    }
}

/// The tagger's shape and its training recipe.
#[derive(Clone, Debug)]
pub struct Recipe {
    /// Reverse or sort.
    pub task: StringTask,
    /// Every string has this many digits (the output has as many, one per input
    /// token).
    pub len: usize,
    /// Training strings.
    pub n_train: usize,
    /// Held-out strings, never seen in training.
    pub n_held_out: usize,
    /// The model width.
    pub d_model: usize,
    /// Attention heads per layer.
    pub heads: usize,
    /// Encoder layers.
    pub layers: usize,
    /// The feed-forward sub-layer's inner width.
    pub dim_feedforward: usize,
    /// How positions are encoded.
    pub positions: Positions,
    /// Pre-norm (true) or post-norm layers.
    pub norm_first: bool,
    /// Optimiser steps.
    pub steps: usize,
    /// Strings per step.
    pub batch: usize,
    /// Adam's learning rate after the warm-up.
    pub lr: f64,
    /// Seeds the data, the initial weights and the batches.
    pub seed: u64,
}

impl Recipe {
    /// The chapter's recipe: strings of 8 digits, width 64, 4 heads, 2 pre-norm
    /// layers with a GELU feed-forward of 128; 1,500 steps of Adam at 10⁻³ (linear
    /// warm-up over 100 steps) on batches of 64.
    pub fn new(task: StringTask, positions: Positions) -> Self {
        Recipe {
            task,
            len: 8,
            n_train: 50_000,
            n_held_out: 1_000,
            d_model: 64,
            heads: 4,
            layers: 2,
            dim_feedforward: 128,
            positions,
            norm_first: true,
            steps: 1_500,
            batch: 64,
            lr: 1e-3,
            seed: 13,
        }
    }

    /// The training and held-out sets (disjoint).
    pub fn data(&self) -> (StringPairs, StringPairs) {
        string_task(
            self.task,
            self.n_train,
            self.n_held_out,
            self.len,
            self.len,
            self.seed,
        )
    }
}

// ANCHOR: tagger
/// A transformer encoder that reads a digit string and writes one output digit per
/// input position: token embedding + positions → encoder layers → final norm → a
/// linear head.
pub struct Tagger {
    /// Token embeddings, 14 × d_model.
    pub embed: Embedding,
    /// The fixed table, with `Positions::Sinusoidal`.
    pub sinusoidal: Option<SinusoidalEncoding>,
    /// The trained table, with `Positions::Learned`.
    pub learned: Option<LearnedPositions>,
    /// The stack of layers (and the final norm of a pre-norm stack).
    pub encoder: TransformerEncoder,
    /// d_model → one logit per token of the vocabulary.
    pub head: Linear,
}

impl Tagger {
    /// A fresh model for the recipe.
    pub fn new(r: &Recipe, rng: &mut Rng) -> Self {
        let layers = (0..r.layers)
            .map(|_| {
                TransformerEncoderLayer::new(
                    r.d_model,
                    r.heads,
                    r.dim_feedforward,
                    rng,
                )
                .batch_first(true)
                .norm_first(r.norm_first)
                .activation(Activation::Gelu)
                .dropout(0.0)
            })
            .collect();
        // A pre-norm stack ends with a norm; a post-norm one already did.
        let norm = r.norm_first.then(|| LayerNorm::new([r.d_model]));
        Tagger {
            embed: Embedding::new(STRING_VOCAB, r.d_model, rng),
            sinusoidal: (r.positions == Positions::Sinusoidal)
                .then(|| SinusoidalEncoding::new(r.len, r.d_model)),
            learned: (r.positions == Positions::Learned)
                .then(|| LearnedPositions::new(r.len, r.d_model, rng)),
            encoder: TransformerEncoder::new(layers, norm),
            head: Linear::new(r.d_model, STRING_VOCAB, rng),
        }
    }

    /// Token embeddings plus positions, `[B, T, d_model]`. The positions depend on
    /// the position only: they are added to the embeddings, not computed from them.
    pub fn embed_positions(&self, tokens: &Tensor<i64>) -> Variable<f32> {
        let x = self.embed.forward(tokens);
        match (&self.sinusoidal, &self.learned) {
            (Some(table), _) => table.forward(&x, 0),
            (_, Some(table)) => table.forward(&x, 0),
            _ => x,
        }
    }

    /// Logits `[B, T, vocabulary]` for tokens `[B, T]`.
    pub fn logits(&self, tokens: &Tensor<i64>) -> Variable<f32> {
        let h = self
            .encoder
            .encode(&self.embed_positions(tokens), &AttentionMasks::none());
        self.head.call(&h)
    }

    /// Every layer's attention weights `[B, heads, T, T]` on `tokens`.
    pub fn attention_maps(&self, tokens: &Tensor<i64>) -> Vec<Tensor<f32>> {
        no_grad(|| {
            let mut x = self.embed_positions(tokens);
            let mut maps = Vec::new();
            for layer in &self.encoder.layers {
                maps.push(
                    layer.attention_weights(&x, &AttentionMasks::none()).value(),
                );
                x = layer.encode(&x, &AttentionMasks::none());
            }
            maps
        })
    }

    /// The predicted digit strings (argmax at every position).
    pub fn predict(&self, sources: &[Vec<i64>]) -> Vec<Vec<i64>> {
        no_grad(|| {
            let logits = self.logits(&batch_tokens(sources)).value();
            let best = logits.argmax(-1, false).to_vec();
            best.chunks(sources[0].len()).map(<[i64]>::to_vec).collect()
        })
    }
}

impl Module for Tagger {
    fn visit(&self, v: &mut Visitor<'_, f32>) {
        v.child("embed", &self.embed);
        v.child("positions", &self.learned);
        v.child("encoder", &self.encoder);
        v.child("head", &self.head);
    }
}
// ANCHOR_END: tagger

/// Equal-length token strings as one `[B, T]` tensor.
pub fn batch_tokens(rows: &[Vec<i64>]) -> Tensor<i64> {
    let len = rows[0].len();
    assert!(
        rows.iter().all(|r| r.len() == len),
        "batch_tokens: the strings must all have {len} tokens"
    );
    Tensor::from_vec(rows.concat(), [rows.len(), len])
}

/// What a training run measured.
#[derive(Clone, Debug)]
pub struct TrainLog {
    /// (step, mean training loss over the last 50 steps).
    pub losses: Vec<(usize, f64)>,
    /// Wall time of the whole run.
    pub seconds: f64,
}

// ANCHOR: train
/// Trains with Adam on random batches (with replacement) for the recipe's steps;
/// the loss is the cross-entropy of every output position.
pub fn train(model: &Tagger, r: &Recipe, data: &StringPairs) -> TrainLog {
    let mut rng = Rng::seed(r.seed + 1);
    let mut optimizer = Adam::new(
        model.parameters(),
        AdamConfig { lr: r.lr, ..Default::default() },
    );
    let start = Instant::now();
    let (mut losses, mut window) = (Vec::new(), 0.0);
    for step in 0..r.steps {
        let picks: Vec<usize> =
            (0..r.batch).map(|_| rng.below(data.len() as u64) as usize).collect();
        let sources: Vec<Vec<i64>> =
            picks.iter().map(|&i| data.sources[i].clone()).collect();
        let targets: Vec<i64> =
            picks.iter().flat_map(|&i| data.targets[i].clone()).collect();
        let logits = model
            .logits(&batch_tokens(&sources))
            .reshape([-1, STRING_VOCAB as isize]);
        let loss =
            cross_entropy(&logits, &Tensor::from_vec(targets, [r.batch * r.len]));
        optimizer.set_learning_rate(r.lr * ((step + 1) as f64 / 100.0).min(1.0));
        optimizer.zero_grad();
        loss.backward();
        optimizer.step();
        window += loss.value().item() as f64;
        if (step + 1) % 50 == 0 {
            losses.push((step + 1, window / 50.0));
            window = 0.0;
        }
    }
    TrainLog { losses, seconds: start.elapsed().as_secs_f64() }
}
// ANCHOR_END: train

/// Token accuracy and exact match of the model's outputs on `pairs`.
pub fn evaluate(model: &Tagger, pairs: &StringPairs) -> (f64, f64) {
    let outputs: Vec<Vec<i64>> =
        pairs.sources.chunks(250).flat_map(|c| model.predict(c)).collect();
    (
        token_accuracy(&outputs, &pairs.targets),
        exact_match(&outputs, &pairs.targets),
    )
}
