//! Chapter 12 of the Kindling book: sequence to sequence with attention.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch12-seq2seq`) trains the models and writes what the
//! chapter shows. Your exercises are in [`exercises`]; check them with
//! `cargo test -p ch12-seq2seq --features learner`.

use kindling_autograd::no_grad;
use kindling_data::synthetic::{
    string_task, StringPairs, StringTask, STRING_VOCAB,
};
use kindling_metrics::metrics::text::exact_match;
use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::seq2seq::{
    beam_search, greedy, Attention, Decoded, Seq2Seq, Seq2SeqBatch, Seq2SeqConfig,
    TeacherForcing,
};
use kindling_tensor::Rng;
use std::time::Instant;

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

// ANCHOR: recipe
/// Everything one training run needs: the task, the model's shape and the
/// optimisation.
#[derive(Clone, Debug)]
pub struct Recipe {
    pub task: StringTask,
    /// Source lengths (digits per number for addition).
    pub min_len: usize,
    pub max_len: usize,
    pub n_train: usize,
    pub n_held_out: usize,
    pub model: Seq2SeqConfig,
    pub steps: usize,
    pub batch: usize,
    /// Peak learning rate of Adam; a short warm-up, then cosine decay to a tenth.
    pub lr: f64,
    pub forcing: TeacherForcing,
    pub clip: f64,
    pub seed: u64,
}

impl Recipe {
    /// The chapter's recipe for `task`: a bidirectional GRU encoder of 2 × 64
    /// units, a GRU decoder of 128, `attention`, Adam with a warm-up and a cosine
    /// decay. Reversal and sorting (5 to 20 digits) take batches of 64 at 2·10⁻³;
    /// addition (1 to 3 digits per number) is slower to learn and takes more,
    /// larger batches at 3·10⁻³.
    pub fn new(task: StringTask, attention: Attention) -> Self {
        let (min_len, max_len, steps, batch, lr) = match task {
            StringTask::Reverse => (5, 20, 2_000, 64, 2e-3),
            StringTask::Sort => (5, 20, 2_500, 64, 2e-3),
            StringTask::Add => (1, 3, 4_000, 128, 3e-3),
        };
        Recipe {
            task,
            min_len,
            max_len,
            n_train: 100_000,
            n_held_out: 2_000,
            model: Seq2SeqConfig::new(STRING_VOCAB)
                .embed(32)
                .hidden(64)
                .attention_dim(64)
                .attention(attention),
            steps,
            batch,
            lr,
            forcing: TeacherForcing::Always,
            clip: 1.0,
            seed: 12,
        }
    }

    /// The longest target the task can have, plus room for EOS: the decoders'
    /// `max_len`.
    pub fn max_output(&self) -> usize {
        match self.task {
            StringTask::Add => self.max_len + 2,
            _ => self.max_len + 1,
        }
    }

    /// Learning rate at `step`: linear warm-up over 100 steps, then cosine down to
    /// lr / 10.
    pub fn lr_at(&self, step: usize) -> f64 {
        let warmup = 100.min(self.steps / 10).max(1);
        if step < warmup {
            return self.lr * (step + 1) as f64 / warmup as f64;
        }
        let progress = (step - warmup) as f64 / (self.steps - warmup).max(1) as f64;
        let low = self.lr / 10.0;
        low + (self.lr - low)
            * 0.5
            * (1.0 + (std::f64::consts::PI * progress.min(1.0)).cos())
    }
}
// ANCHOR_END: recipe

/// The training and held-out sets of a recipe (disjoint, by seed).
pub fn task_data(recipe: &Recipe) -> (StringPairs, StringPairs) {
    string_task(
        recipe.task,
        recipe.n_train,
        recipe.n_held_out,
        recipe.min_len,
        recipe.max_len,
        recipe.seed,
    )
}

/// What a training run measured.
#[derive(Clone, Debug)]
pub struct TrainLog {
    /// (step, mean training loss over the last stretch).
    pub losses: Vec<(usize, f64)>,
    pub seconds: f64,
    pub steps: usize,
}

// ANCHOR: train
/// Trains `model` on random batches of `train` (drawn with replacement) for the
/// recipe's steps or until `max_seconds`, with the teacher-forcing ratio of the
/// recipe's schedule. `progress(step, loss)` is called every 100 steps.
pub fn train(
    model: &Seq2Seq<f32>,
    recipe: &Recipe,
    train: &StringPairs,
    max_seconds: Option<f64>,
    mut progress: impl FnMut(usize, f64),
) -> TrainLog {
    let mut rng = Rng::seed(recipe.seed + 1);
    let mut optimizer = Adam::new(
        model.parameters(),
        AdamConfig { lr: recipe.lr, ..Default::default() },
    );
    let start = Instant::now();
    let (mut losses, mut window, mut count) = (Vec::new(), 0.0, 0);
    model.train();
    let mut step = 0;
    while step < recipe.steps {
        if max_seconds.is_some_and(|m| start.elapsed().as_secs_f64() > m) {
            break;
        }
        let picks: Vec<usize> = (0..recipe.batch)
            .map(|_| rng.below(train.len() as u64) as usize)
            .collect();
        let sources: Vec<Vec<i64>> =
            picks.iter().map(|&i| train.sources[i].clone()).collect();
        let targets: Vec<Vec<i64>> =
            picks.iter().map(|&i| train.targets[i].clone()).collect();
        let batch = Seq2SeqBatch::new(&sources, &targets, &recipe.model);
        optimizer.set_learning_rate(recipe.lr_at(step));
        optimizer.zero_grad();
        let loss = model.loss(&batch, recipe.forcing.ratio(step), &mut rng);
        loss.backward();
        clip_grad_norm(&model.parameters(), recipe.clip);
        optimizer.step();
        window += loss.value().item() as f64;
        count += 1;
        step += 1;
        if step % 100 == 0 {
            losses.push((step, window / count as f64));
            progress(step, window / count as f64);
            (window, count) = (0.0, 0);
        }
    }
    model.eval();
    TrainLog { losses, seconds: start.elapsed().as_secs_f64(), steps: step }
}
// ANCHOR_END: train

// ANCHOR: decode
/// Decodes every source of `pairs` in batches of 256: greedy for `beam_width` 1,
/// else beam search with GNMT's length penalty at α = 0.6.
pub fn decode_all(
    model: &Seq2Seq<f32>,
    sources: &[Vec<i64>],
    beam_width: usize,
    max_len: usize,
) -> Vec<Decoded<f32>> {
    no_grad(|| {
        sources
            .chunks(256)
            .flat_map(|chunk| {
                if beam_width == 1 {
                    greedy(model, chunk, max_len)
                } else {
                    beam_search(model, chunk, beam_width, max_len, 0.6)
                }
            })
            .collect()
    })
}
// ANCHOR_END: decode

// ANCHOR: by_length
/// Exact match (`kindling_metrics::metrics::text::exact_match`) per source length:
/// `(length, share right, examples)` for every length present.
pub fn exact_match_by_length(
    outputs: &[Vec<i64>],
    pairs: &StringPairs,
) -> Vec<(usize, f64, usize)> {
    assert_eq!(
        outputs.len(),
        pairs.len(),
        "exact_match_by_length: {} outputs for {} pairs",
        outputs.len(),
        pairs.len()
    );
    let longest = pairs.sources.iter().map(Vec::len).max().unwrap_or(0);
    (1..=longest)
        .filter_map(|len| {
            let idx: Vec<usize> = (0..pairs.len())
                .filter(|&i| pairs.sources[i].len() == len)
                .collect();
            if idx.is_empty() {
                return None;
            }
            let pick = |v: &[Vec<i64>]| {
                idx.iter().map(|&i| v[i].clone()).collect::<Vec<_>>()
            };
            Some((
                len,
                exact_match(&pick(outputs), &pick(&pairs.targets)),
                idx.len(),
            ))
        })
        .collect()
}
// ANCHOR_END: by_length

/// A fresh model for the recipe (seeded).
pub fn new_model(recipe: &Recipe) -> Seq2Seq<f32> {
    Seq2Seq::new(recipe.model.clone(), &mut Rng::seed(recipe.seed))
}
