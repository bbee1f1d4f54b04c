//! nanoGPT's training loop for language models (book chapter 14): random windows of a token
//! stream, AdamW with weight decay on matrices only, a warm-up then cosine learning rate,
//! gradient clipping by global norm, periodic evaluation on both splits, and checkpoints that
//! resume to the same bits.
//!
//! The loop knows the model only as a [`Module`] (its parameters, train/eval mode and state
//! dict) and a loss closure `(inputs, targets) -> mean cross-entropy`, so any model fits,
//! from a bigram table to the GPT:
//!
//! ```
//! use kindling_nn::{cross_entropy, Embedding, Forward};
//! use kindling_tensor::Rng;
//! use kindling_transformer::train::{train_lm, LmData, TrainConfig};
//!
//! // A bigram model: the logits for the next token are a row of a table.
//! let text: Vec<i64> = (0..400).map(|i| [0, 1, 2, 1][i % 4]).collect();
//! let data = LmData::split(&text, 0.9);
//! let table = Embedding::<f32>::new(3, 3, &mut Rng::seed(0));
//! let loss = |x: &kindling_tensor::Tensor<i64>, y: &kindling_tensor::Tensor<i64>| {
//!     cross_entropy(&table.forward(x).reshape([-1, 3]), &y.reshape([-1]))
//! };
//! let config = TrainConfig { max_iters: 60, batch_size: 4, block_size: 8, lr: 0.1, warmup_iters: 5,
//!     lr_decay_iters: 60, eval_interval: 30, eval_iters: 2, ..TrainConfig::default() };
//! let history = train_lm(&table, &loss, &data, &config).unwrap();
//! assert_eq!(history.iter().map(|r| r.iter).collect::<Vec<_>>(), [0, 30, 60]);
//! assert!(history[2].val_loss < history[0].val_loss);
//! ```
//!
//! # One iteration
//!
//! Iteration `i` (counted from 0) sets the rate of [`WarmupCosineLr`] for step `i`, draws a
//! batch of training windows, computes the loss, backpropagates, clips the gradients' global
//! norm to `grad_clip`, and takes one AdamW step. Before iterations 0, `eval_interval`,
//! 2·`eval_interval`, ... and after the last one, the model is evaluated (evaluation mode, no
//! graph) on `eval_iters` batches of each split, the result is appended to the history, and a
//! checkpoint is written (not at 0: there is nothing to keep yet).
//!
//! # Exact resumption
//!
//! Everything random is either saved or derived: the training batches come from one generator
//! whose state the checkpoint holds, the evaluation batches from a generator seeded by
//! `(seed, iteration)`, and dropout layers' generators are saved with the model
//! ([`Module::rng_states`]). So a run stopped at an evaluation and resumed with
//! [`LmTrainer::resume`] ends with the same parameters, optimizer state and history, bit for
//! bit, as a run that never stopped (the measured tokens per second aside).

mod checkpoint;
mod data;

pub use checkpoint::to_history;
pub use data::{LmData, Split};

use std::path::PathBuf;
use std::time::Instant;

use kindling_autograd::{no_grad, Variable};
use kindling_nn::Module;
use kindling_optim::schedule::{Scheduler, WarmupCosineLr};
use kindling_optim::{adamw_decay_matrices, clip_grad_norm, AdamW, AdamWConfig, Optimizer};
use kindling_tensor::{Float, Rng, Tensor};
use kindling_train::TrainError;

/// Everything a language-model run is configured by, with nanoGPT's names. The default is
/// nanoGPT's CPU recipe for Tiny Shakespeare characters (`train_shakespeare_char.py` with the
/// README's CPU overrides): batch 12, context 64, 2,000 iterations, learning rate 1e-3 decaying
/// to 1e-4 after 100 warm-up iterations, weight decay 0.1, betas (0.9, 0.99), clipping at 1,
/// evaluation every 250 iterations on 20 batches.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainConfig {
    /// Iterations (optimizer steps) in the whole run.
    pub max_iters: usize,
    /// Windows per batch.
    pub batch_size: usize,
    /// Tokens per window (the context the model sees).
    pub block_size: usize,
    /// The peak learning rate, reached at the end of the warm-up.
    pub lr: f64,
    /// The floor of the cosine.
    pub min_lr: f64,
    /// Iterations of linear warm-up.
    pub warmup_iters: usize,
    /// The iteration at which the cosine reaches `min_lr` (usually `max_iters`).
    pub lr_decay_iters: usize,
    /// AdamW's decoupled weight decay, applied to matrices only.
    pub weight_decay: f64,
    /// AdamW's (β1, β2).
    pub betas: (f64, f64),
    /// The largest global gradient norm; 0 turns clipping off.
    pub grad_clip: f64,
    /// Evaluate (and checkpoint) every this many iterations.
    pub eval_interval: usize,
    /// Batches per split in one evaluation.
    pub eval_iters: usize,
    /// Where to write the checkpoint at each evaluation; `None` writes none.
    pub checkpoint: Option<PathBuf>,
    /// Seeds the training batches and the evaluation batches.
    pub seed: u64,
    /// Print one line per evaluation to standard error.
    pub verbose: bool,
}

impl Default for TrainConfig {
    fn default() -> Self {
        TrainConfig {
            max_iters: 2000,
            batch_size: 12,
            block_size: 64,
            lr: 1e-3,
            min_lr: 1e-4,
            warmup_iters: 100,
            lr_decay_iters: 2000,
            weight_decay: 0.1,
            betas: (0.9, 0.99),
            grad_clip: 1.0,
            eval_interval: 250,
            eval_iters: 20,
            checkpoint: None,
            seed: 1337,
            verbose: false,
        }
    }
}

impl TrainConfig {
    /// The schedule this config describes.
    pub fn schedule(&self) -> WarmupCosineLr {
        WarmupCosineLr { warmup: self.warmup_iters, decay_steps: self.lr_decay_iters, min_lr: self.min_lr }
    }

    /// The AdamW settings of the decayed group (the other group has no decay).
    pub fn adamw(&self) -> AdamWConfig {
        AdamWConfig { lr: self.lr, betas: self.betas, weight_decay: self.weight_decay, ..AdamWConfig::default() }
    }

    /// Panics, naming the field, on a config no run can follow.
    fn check(&self) {
        let fail = |what: String| panic!("TrainConfig: {what}");
        if self.batch_size == 0 || self.block_size == 0 {
            fail(format!("batch_size and block_size must be >= 1, got {} and {}", self.batch_size, self.block_size));
        }
        if self.eval_interval == 0 || self.eval_iters == 0 {
            fail(format!(
                "eval_interval and eval_iters must be >= 1, got {} and {}",
                self.eval_interval, self.eval_iters
            ));
        }
        if self.grad_clip.is_nan() || self.grad_clip < 0.0 {
            fail(format!("grad_clip must be >= 0 (0 = off), got {}", self.grad_clip));
        }
    }
}

/// One evaluation: the losses of the model after `iter` iterations.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct EvalRecord {
    /// Iterations trained before this evaluation.
    pub iter: usize,
    /// Mean loss over `eval_iters` random training batches, in evaluation mode.
    pub train_loss: f64,
    /// Mean loss over `eval_iters` random validation batches.
    pub val_loss: f64,
    /// The learning rate of iteration `iter` (the next step's rate).
    pub lr: f64,
    /// Training throughput since the previous evaluation (evaluation time excluded); 0 at the
    /// first evaluation and right after a resume.
    pub tokens_per_sec: f64,
}

/// A loss closure: mean cross-entropy of the model on `(inputs, targets)`, both `[B, T]`.
pub type LossFn<'a, T> = dyn Fn(&Tensor<i64>, &Tensor<i64>) -> Variable<T> + 'a;

/// A language-model run in progress: the model, its optimizer and schedule, the batch
/// generator, the iteration and the history. [`train_lm`] and [`resume_lm`] are the one-call
/// forms.
pub struct LmTrainer<'a, T: Float = f32> {
    model: &'a dyn Module<T>,
    loss: &'a LossFn<'a, T>,
    config: TrainConfig,
    optimizer: AdamW<T>,
    scheduler: Scheduler<WarmupCosineLr>,
    rng: Rng,
    iter: usize,
    history: Vec<EvalRecord>,
}

impl<'a, T: Float> LmTrainer<'a, T> {
    /// A run at iteration 0: AdamW over the model's parameters (decay on matrices only, see
    /// [`kindling_optim::split_for_weight_decay`]) and the config's schedule. Panics on an
    /// invalid config.
    pub fn new(model: &'a dyn Module<T>, loss: &'a LossFn<'a, T>, config: &TrainConfig) -> Self {
        config.check();
        let mut optimizer = adamw_decay_matrices(model.named_parameters(), config.adamw());
        let scheduler = Scheduler::new(&mut optimizer, config.schedule());
        LmTrainer {
            model,
            loss,
            config: config.clone(),
            optimizer,
            scheduler,
            rng: Rng::seed(config.seed),
            iter: 0,
            history: Vec::new(),
        }
    }

    /// Iterations trained so far.
    pub fn iter(&self) -> usize {
        self.iter
    }

    /// Every evaluation so far.
    pub fn history(&self) -> &[EvalRecord] {
        &self.history
    }

    /// The optimizer (two groups: decayed matrices, then the rest).
    pub fn optimizer(&self) -> &AdamW<T> {
        &self.optimizer
    }

    /// The learning-rate scheduler.
    pub fn scheduler(&self) -> &Scheduler<WarmupCosineLr> {
        &self.scheduler
    }

    /// The generator the training batches are drawn from.
    pub fn batch_rng(&self) -> &Rng {
        &self.rng
    }

    /// Trains until `config.max_iters` iterations are done, evaluating and checkpointing on
    /// the way; returns the whole history. Errors only come from writing checkpoints.
    pub fn run(&mut self, data: &LmData) -> Result<&[EvalRecord], TrainError> {
        self.run_until(data, self.config.max_iters)
    }

    /// Trains until iteration `stop` (at most `config.max_iters`), as [`LmTrainer::run`]
    /// would have reached it: the schedule and the evaluation points are those of the whole
    /// run. Stopping at an evaluation point leaves a checkpoint to resume from.
    pub fn run_until(&mut self, data: &LmData, stop: usize) -> Result<&[EvalRecord], TrainError> {
        let stop = stop.min(self.config.max_iters);
        let tokens_per_batch = (self.config.batch_size * self.config.block_size) as f64;
        let (mut trained_tokens, mut train_seconds) = (0.0, 0.0);
        loop {
            let evaluated_here = self.history.last().is_some_and(|r| r.iter == self.iter);
            if self.is_eval_point(self.iter) && !evaluated_here {
                let tokens_per_sec = if train_seconds > 0.0 { trained_tokens / train_seconds } else { 0.0 };
                self.evaluate_and_record(data, tokens_per_sec)?;
                (trained_tokens, train_seconds) = (0.0, 0.0);
            }
            if self.iter >= stop {
                break;
            }
            let start = Instant::now();
            self.train_step(data);
            train_seconds += start.elapsed().as_secs_f64();
            trained_tokens += tokens_per_batch;
        }
        Ok(&self.history)
    }

    fn is_eval_point(&self, iter: usize) -> bool {
        iter.is_multiple_of(self.config.eval_interval) || iter == self.config.max_iters
    }

    /// One iteration: batch, forward, backward, clip, step, next rate. Returns the batch loss.
    pub fn train_step(&mut self, data: &LmData) -> f64 {
        let c = &self.config;
        let (inputs, targets) = data.batch(Split::Train, c.batch_size, c.block_size, &mut self.rng);
        self.model.train();
        let loss = (self.loss)(&inputs, &targets);
        self.optimizer.zero_grad();
        loss.backward();
        if c.grad_clip > 0.0 {
            clip_grad_norm(self.optimizer.params(), c.grad_clip);
        }
        self.optimizer.step();
        self.scheduler.step(&mut self.optimizer);
        self.iter += 1;
        loss.item().to_f64()
    }

    /// The mean loss of the model on `eval_iters` batches of each split, in evaluation mode
    /// without a graph, as `(train, val)`. The batches come from a generator seeded by the
    /// config's seed and the current iteration, so evaluating changes nothing in the run.
    pub fn evaluate(&self, data: &LmData) -> (f64, f64) {
        let c = &self.config;
        let was_training = self.model.is_training();
        self.model.eval();
        let mut rng =
            Rng::seed(c.seed ^ 0x9e37_79b9_7f4a_7c15 ^ (self.iter as u64).wrapping_mul(0x2545_f491_4f6c_dd1d));
        let mut mean = |split| {
            let total: f64 = (0..c.eval_iters)
                .map(|_| {
                    let (x, y) = data.batch(split, c.batch_size, c.block_size, &mut rng);
                    no_grad(|| (self.loss)(&x, &y).item().to_f64())
                })
                .sum();
            total / c.eval_iters as f64
        };
        let losses = (mean(Split::Train), mean(Split::Val));
        self.model.set_training(was_training);
        losses
    }

    fn evaluate_and_record(&mut self, data: &LmData, tokens_per_sec: f64) -> Result<(), TrainError> {
        let (train_loss, val_loss) = self.evaluate(data);
        let record =
            EvalRecord { iter: self.iter, train_loss, val_loss, lr: self.optimizer.learning_rate(), tokens_per_sec };
        if self.config.verbose {
            eprintln!(
                "iter {:>5}: train loss {:.4}, val loss {:.4}, lr {:.2e}, {:.0} tokens/s",
                record.iter, record.train_loss, record.val_loss, record.lr, record.tokens_per_sec
            );
        }
        self.history.push(record);
        if let (Some(path), true) = (&self.config.checkpoint, self.iter > 0) {
            self.to_checkpoint().save(path)?;
        }
        Ok(())
    }
}

/// Trains `model` from iteration 0 with `config` ([`LmTrainer::run`]) and returns the history
/// of evaluations.
pub fn train_lm<T: Float>(
    model: &dyn Module<T>,
    loss: &LossFn<'_, T>,
    data: &LmData,
    config: &TrainConfig,
) -> Result<Vec<EvalRecord>, TrainError> {
    let mut trainer = LmTrainer::new(model, loss, config);
    Ok(trainer.run(data)?.to_vec())
}

/// Continues the run saved in the checkpoint at `path` ([`LmTrainer::resume`]) until
/// `config.max_iters`, and returns the whole history, the saved part included.
pub fn resume_lm<T: Float>(
    model: &dyn Module<T>,
    loss: &LossFn<'_, T>,
    data: &LmData,
    config: &TrainConfig,
    path: impl AsRef<std::path::Path>,
) -> Result<Vec<EvalRecord>, TrainError> {
    let mut trainer = LmTrainer::resume(model, loss, config, path)?;
    Ok(trainer.run(data)?.to_vec())
}
