//! Teacher-forced batches and a small training loop for [`Seq2SeqTransformer`] on pairs of
//! token sequences (the string tasks of `kindling_data::synthetic::string_task` pass their
//! `sources` and `targets`).

use super::model::{Seq2SeqTransformer, Seq2SeqTransformerConfig};
use kindling_data::synthetic::StringTask;
use kindling_nn::Module;
use kindling_optim::{clip_grad_norm, Adam, AdamConfig, Optimizer};
use kindling_sequence::pad_sequences;
use kindling_tensor::{Float, Rng, Tensor};
use std::time::Instant;

/// One teacher-forced batch: padded sources, the decoder's inputs (BOS then the target) and
/// what it must predict (the target then EOS), both padded with PAD, which the loss skips.
#[derive(Clone, Debug)]
pub struct PairBatch {
    /// `[B, S]`.
    pub src: Tensor<i64>,
    /// `[B, T + 1]`: BOS, target.
    pub tgt_in: Tensor<i64>,
    /// `[B, T + 1]`: target, EOS.
    pub tgt_out: Tensor<i64>,
}

impl PairBatch {
    /// The batch of `sources[i] → targets[i]` (unpadded, no BOS or EOS).
    pub fn new(sources: &[Vec<i64>], targets: &[Vec<i64>], config: &Seq2SeqTransformerConfig) -> Self {
        assert_eq!(
            sources.len(),
            targets.len(),
            "PairBatch::new: {} sources for {} targets",
            sources.len(),
            targets.len()
        );
        let (src, _) = pad_sequences(sources, config.pad, true);
        let tgt_in: Vec<Vec<i64>> = targets.iter().map(|t| [&[config.bos], &t[..]].concat()).collect();
        let tgt_out: Vec<Vec<i64>> = targets.iter().map(|t| [&t[..], &[config.eos]].concat()).collect();
        PairBatch {
            src,
            tgt_in: pad_sequences(&tgt_in, config.pad, true).0,
            tgt_out: pad_sequences(&tgt_out, config.pad, true).0,
        }
    }
}

/// The settings of [`train_pairs`]: Adam (β = (0.9, 0.98), as the transformer paper) on
/// random batches drawn with replacement, a linear warm-up then cosine decay to a tenth of
/// `lr`, gradient clipping.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainOptions {
    /// Optimizer steps.
    pub steps: usize,
    /// Examples per step.
    pub batch: usize,
    /// Peak learning rate.
    pub lr: f64,
    /// Warm-up steps.
    pub warmup: usize,
    /// Largest global gradient norm.
    pub clip: f64,
    /// Seeds the batch draws.
    pub seed: u64,
    /// Stop early after this much wall time.
    pub max_seconds: Option<f64>,
    /// Record (and report) the mean loss every this many steps.
    pub log_every: usize,
}

impl TrainOptions {
    /// `steps` steps of 64 examples at a peak rate of 10⁻³ after 100 warm-up steps, clipping
    /// at 1, logging every 100 steps.
    pub fn new(steps: usize) -> Self {
        TrainOptions { steps, batch: 64, lr: 1e-3, warmup: 100, clip: 1.0, seed: 0, max_seconds: None, log_every: 100 }
    }

    /// Chapter 12's budget for one of its string tasks (`kindling_data::synthetic::string_task`):
    /// 2,000 steps of 64 for reversal, 2,500 of 64 for sorting, 4,000 of 128 for addition,
    /// at a peak rate of 2·10⁻³ (pre-norm layers take it). Scale `steps` down for a quick run.
    pub fn for_string_task(task: StringTask) -> Self {
        let (steps, batch) = match task {
            StringTask::Reverse => (2_000, 64),
            StringTask::Sort => (2_500, 64),
            StringTask::Add => (4_000, 128),
        };
        TrainOptions { batch, lr: 2e-3, ..TrainOptions::new(steps) }
    }

    /// The learning rate at `step`: linear up to `lr` over the warm-up (at most a tenth of
    /// the steps), then a half cosine down to `lr / 10` at the last step.
    pub fn lr_at(&self, step: usize) -> f64 {
        let warmup = self.warmup.min(self.steps / 10).max(1);
        if step < warmup {
            return self.lr * (step + 1) as f64 / warmup as f64;
        }
        // The last step (steps − 1) runs at lr / 10.
        let progress = ((step - warmup) as f64 / (self.steps - 1).saturating_sub(warmup).max(1) as f64).min(1.0);
        let low = self.lr / 10.0;
        low + (self.lr - low) * 0.5 * (1.0 + (std::f64::consts::PI * progress).cos())
    }
}

/// What [`train_pairs`] measured.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainLog {
    /// (step, mean training loss over the steps since the last entry).
    pub losses: Vec<(usize, f64)>,
    /// Steps taken (fewer than asked when `max_seconds` ran out).
    pub steps: usize,
    /// Wall time of the loop.
    pub seconds: f64,
}

/// Trains `model` on `sources[i] → targets[i]` with teacher forcing, then leaves it in
/// evaluation mode. `progress(step, loss)` is called at every log entry.
pub fn train_pairs<T: Float>(
    model: &Seq2SeqTransformer<T>,
    sources: &[Vec<i64>],
    targets: &[Vec<i64>],
    options: &TrainOptions,
    mut progress: impl FnMut(usize, f64),
) -> TrainLog {
    assert!(
        !sources.is_empty() && sources.len() == targets.len(),
        "train_pairs: need as many targets as sources, and some, got {} and {}",
        sources.len(),
        targets.len()
    );
    assert!(options.log_every > 0, "train_pairs: log_every must be positive");
    let mut rng = Rng::seed(options.seed);
    let config = AdamConfig { lr: options.lr, betas: (0.9, 0.98), eps: 1e-9, ..Default::default() };
    let mut optimizer = Adam::new(model.parameters(), config);
    let start = Instant::now();
    let (mut losses, mut window, mut count, mut step) = (Vec::new(), 0.0, 0, 0);
    model.train();
    while step < options.steps && !options.max_seconds.is_some_and(|m| start.elapsed().as_secs_f64() > m) {
        let picks: Vec<usize> = (0..options.batch).map(|_| rng.below(sources.len() as u64) as usize).collect();
        let pick = |v: &[Vec<i64>]| picks.iter().map(|&i| v[i].clone()).collect::<Vec<_>>();
        let batch = PairBatch::new(&pick(sources), &pick(targets), &model.config);
        optimizer.set_learning_rate(options.lr_at(step));
        optimizer.zero_grad();
        let loss = model.loss(&batch.src, &batch.tgt_in, &batch.tgt_out);
        loss.backward();
        clip_grad_norm(&model.parameters(), options.clip);
        optimizer.step();
        window += loss.value().item().to_f64();
        count += 1;
        step += 1;
        if step % options.log_every == 0 {
            losses.push((step, window / count as f64));
            progress(step, window / count as f64);
            (window, count) = (0.0, 0);
        }
    }
    model.eval();
    TrainLog { losses, steps: step, seconds: start.elapsed().as_secs_f64() }
}
