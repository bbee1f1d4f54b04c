//! Pretraining with masked language modelling and fine-tuning a classifier, with the small
//! budgets of a chapter demo (book chapter 15).
//!
//! The recipe: train a WordPiece vocabulary on the corpus ([`train_tokenizer`]), encode each
//! passage as `[CLS] … [SEP]` ([`encode`]), pretrain a [`BertForMaskedLM`] on the passages
//! ([`pretrain_mlm`]), then fine-tune a [`BertForSequenceClassification`] made
//! [`from_pretrained`](BertForSequenceClassification::from_pretrained) and, with the same
//! budget, one made fresh ([`fine_tune`]), and compare their test accuracies.
//!
//! ```
//! use kindling_tensor::Rng;
//! use kindling_transformer::bert::train::{encode, fine_tune, pretrain_mlm, train_tokenizer, FineTuneConfig, PretrainConfig};
//! use kindling_transformer::bert::{BertConfig, BertForMaskedLM, BertForSequenceClassification};
//!
//! let texts = ["the king is dead", "long live the king", "the queen is here", "the queen speaks"];
//! let tokenizer = train_tokenizer(&texts, 60);
//! let sequences: Vec<Vec<i64>> = texts.iter().map(|t| encode(&tokenizer, t, 16)).collect();
//! let config = BertConfig { hidden_size: 16, num_hidden_layers: 1, num_attention_heads: 2,
//!                           intermediate_size: 32, max_position_embeddings: 16, ..BertConfig::tiny(tokenizer.vocab_size()) };
//! let mut rng = Rng::seed(0);
//! let mlm = BertForMaskedLM::<f32>::new(config, &mut rng);
//! let curve = pretrain_mlm(&mlm, &sequences, &PretrainConfig { steps: 3, batch_size: 4, ..PretrainConfig::default() });
//! assert_eq!(curve.losses.len(), 3);
//! let classifier = BertForSequenceClassification::from_pretrained(&mlm, 2, &mut rng);
//! let labels = [0, 0, 1, 1];
//! let history = fine_tune(&classifier, (&sequences, &labels), (&sequences, &labels),
//!                         &FineTuneConfig { epochs: 2, batch_size: 2, ..FineTuneConfig::default() });
//! assert_eq!(history.len(), 2);
//! ```

use super::mlm::{mask_tokens, MlmMasking};
use super::retrieval::pad_batch;
use super::{BertForMaskedLM, BertForSequenceClassification, IGNORE_INDEX};
use kindling_autograd::no_grad;
use kindling_data::text::{WordPiece, WordPieceScore, WordPieceTrainOptions};
use kindling_nn::{CrossEntropyLoss, Module};
use kindling_optim::schedule::{Scheduler, WarmupCosineLr};
use kindling_optim::{adamw_decay_matrices, clip_grad_norm, AdamW, AdamWConfig, Optimizer};
use kindling_tensor::{Float, Rng, Tensor};
use std::time::Instant;

/// BERT's special tokens, ids 0 to 4 in a vocabulary from [`train_tokenizer`].
pub const SPECIAL_TOKENS: [&str; 5] = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"];
/// The id of `[PAD]` (BERT's `pad_token_id`).
pub const PAD_ID: i64 = 0;
/// The id of `[CLS]`, which starts every sequence.
pub const CLS_ID: i64 = 2;
/// The id of `[SEP]`, which ends every sequence.
pub const SEP_ID: i64 = 3;
/// The id of `[MASK]`.
pub const MASK_ID: i64 = 4;

/// Lower-cases `text` and cuts it into BERT's words: runs of letters and digits, and every
/// other non-space character on its own.
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for chunk in text.split_whitespace() {
        let mut word = String::new();
        for c in chunk.chars().flat_map(char::to_lowercase) {
            if c.is_alphanumeric() {
                word.push(c);
            } else {
                out.extend((!word.is_empty()).then(|| std::mem::take(&mut word)));
                out.push(c.to_string());
            }
        }
        out.extend((!word.is_empty()).then_some(word));
    }
    out
}

/// An uncased WordPiece vocabulary of at most `vocab_size` tokens learned from `texts`, with
/// [`SPECIAL_TOKENS`] first. Merges by frequency (as Hugging Face's trainer), which keeps the
/// common words whole in a small vocabulary.
pub fn train_tokenizer<S: AsRef<str>>(texts: &[S], vocab_size: usize) -> WordPiece {
    let options = WordPieceTrainOptions {
        score: WordPieceScore::Frequency,
        special_tokens: SPECIAL_TOKENS.map(String::from).to_vec(),
        ..WordPieceTrainOptions::default()
    };
    WordPiece::train(texts.iter().flat_map(|t| words(t.as_ref())), vocab_size, &options)
}

/// `[CLS]`, the lower-cased text's WordPiece ids (cut to fit), `[SEP]`: at most `max_len` ids.
/// Panics when `max_len < 2` or the tokenizer was not made by [`train_tokenizer`].
pub fn encode(tokenizer: &WordPiece, text: &str, max_len: usize) -> Vec<i64> {
    if max_len < 2 {
        panic!("encode: max_len {max_len} leaves no room for [CLS] and [SEP]");
    }
    for (id, token) in SPECIAL_TOKENS.iter().enumerate() {
        if tokenizer.id(token) != Some(id as u32) {
            panic!("encode: the tokenizer's id of {token} is {:?}, not {id}", tokenizer.id(token));
        }
    }
    let mut ids = vec![CLS_ID];
    ids.extend(tokenizer.encode(&text.to_lowercase()).into_iter().take(max_len - 2).map(i64::from));
    ids.push(SEP_ID);
    ids
}

/// The settings of [`pretrain_mlm`].
#[derive(Clone, Debug, PartialEq)]
pub struct PretrainConfig {
    /// Optimizer steps.
    pub steps: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Peak learning rate (AdamW, weight decay on matrices only).
    pub lr: f64,
    /// Steps of linear warm-up before the cosine decay to lr/10.
    pub warmup: usize,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Gradients are clipped to this global norm.
    pub grad_clip: f64,
    /// What the model predicts (BERT's 15%, 80/10/10).
    pub masking: MlmMasking,
    /// Seeds the batches and the masks.
    pub seed: u64,
}

impl Default for PretrainConfig {
    /// 1,000 steps of 32 sequences at 1e-3 after 50 warm-up steps, weight decay 0.01,
    /// clipping at 1, BERT's masking, seed 0.
    fn default() -> Self {
        PretrainConfig {
            steps: 1000,
            batch_size: 32,
            lr: 1e-3,
            warmup: 50,
            weight_decay: 0.01,
            grad_clip: 1.0,
            masking: MlmMasking::default(),
            seed: 0,
        }
    }
}

/// The curve of a pretraining run.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct PretrainCurve {
    /// The masked-LM loss (nats per predicted token) of every step's batch.
    pub losses: Vec<f64>,
    /// Wall-clock seconds of the whole run.
    pub seconds: f64,
}

/// An AdamW with decay on matrices and the warm-up–cosine schedule for `steps` steps.
fn optimizer<T: Float>(
    model: &dyn Module<T>,
    lr: f64,
    weight_decay: f64,
    warmup: usize,
    steps: usize,
) -> (AdamW<T>, Scheduler<WarmupCosineLr>) {
    let mut optimizer =
        adamw_decay_matrices(model.named_parameters(), AdamWConfig { lr, weight_decay, ..AdamWConfig::default() });
    let schedule =
        WarmupCosineLr { warmup: warmup.min(steps.saturating_sub(1)), decay_steps: steps.max(1), min_lr: lr / 10.0 };
    let scheduler = Scheduler::new(&mut optimizer, schedule);
    (optimizer, scheduler)
}

/// Batches of indices into `n` items, reshuffled every pass, endlessly.
struct Shuffled {
    order: Vec<usize>,
    next: usize,
    rng: Rng,
}

impl Shuffled {
    fn new(n: usize, rng: Rng) -> Self {
        Shuffled { order: (0..n).collect(), next: n, rng }
    }

    fn batch(&mut self, size: usize) -> Vec<usize> {
        (0..size)
            .map(|_| {
                if self.next == self.order.len() {
                    self.rng.shuffle(&mut self.order);
                    self.next = 0;
                }
                self.next += 1;
                self.order[self.next - 1]
            })
            .collect()
    }
}

/// Pretrains `model` with masked language modelling on `sequences` (each `[CLS] … [SEP]`, ids
/// from [`encode`]) for `config.steps` steps, in training mode; returns every step's loss.
/// Panics when `sequences` is empty.
pub fn pretrain_mlm<T: Float>(
    model: &BertForMaskedLM<T>,
    sequences: &[Vec<i64>],
    config: &PretrainConfig,
) -> PretrainCurve {
    if sequences.is_empty() || config.batch_size == 0 {
        panic!("pretrain_mlm: no sequences (or a batch size of 0) to train on");
    }
    let start = Instant::now();
    let mut rng = Rng::seed(config.seed);
    let mut batches = Shuffled::new(sequences.len(), rng.fork());
    let (mut opt, mut scheduler) = optimizer(model, config.lr, config.weight_decay, config.warmup, config.steps);
    let vocab = model.config().vocab_size;
    let max_len = model.config().max_position_embeddings;
    let mut curve = PretrainCurve::default();
    model.train();
    for _ in 0..config.steps {
        let batch: Vec<Vec<i64>> = batches.batch(config.batch_size).into_iter().map(|i| sequences[i].clone()).collect();
        let (ids, attention) = pad_batch(&batch, max_len, PAD_ID);
        // A batch with nothing chosen (tiny inputs only) is masked again.
        let (inputs, labels) = loop {
            let (inputs, labels) = mask_tokens(&ids, &SPECIAL_TOKENS_IDS, MASK_ID, vocab, &config.masking, &mut rng);
            if labels.to_vec().iter().any(|&l| l != IGNORE_INDEX) {
                break (inputs, labels);
            }
        };
        opt.zero_grad();
        let loss = model.loss(&inputs, None, Some(&attention), &labels);
        loss.backward();
        clip_grad_norm(opt.params(), config.grad_clip);
        opt.step();
        scheduler.step(&mut opt);
        curve.losses.push(loss.item().to_f64());
    }
    model.eval();
    curve.seconds = start.elapsed().as_secs_f64();
    curve
}

/// The ids [`mask_tokens`] never chooses.
const SPECIAL_TOKENS_IDS: [i64; 5] = [0, 1, 2, 3, 4];

/// The settings of [`fine_tune`].
#[derive(Clone, Debug, PartialEq)]
pub struct FineTuneConfig {
    /// Passes over the training set.
    pub epochs: usize,
    /// Sequences per step.
    pub batch_size: usize,
    /// Peak learning rate (AdamW, weight decay on matrices only).
    pub lr: f64,
    /// The share of all steps spent warming up, before the cosine decay to lr/10.
    pub warmup_fraction: f64,
    /// AdamW's decoupled weight decay.
    pub weight_decay: f64,
    /// Gradients are clipped to this global norm.
    pub grad_clip: f64,
    /// Seeds the order of the batches.
    pub seed: u64,
}

impl Default for FineTuneConfig {
    /// 5 epochs of 32 sequences at 5e-4 with 10% warm-up, weight decay 0.01, clipping at 1.
    fn default() -> Self {
        FineTuneConfig {
            epochs: 5,
            batch_size: 32,
            lr: 5e-4,
            warmup_fraction: 0.1,
            weight_decay: 0.01,
            grad_clip: 1.0,
            seed: 0,
        }
    }
}

/// One epoch of [`fine_tune`].
#[derive(Clone, Debug, PartialEq)]
pub struct EpochRecord {
    /// The epoch, from 1.
    pub epoch: usize,
    /// The mean training loss over the epoch's batches (in training mode, dropout on).
    pub train_loss: f64,
    /// The share of training sequences classified right during the epoch.
    pub train_accuracy: f64,
    /// The mean loss on the test set after the epoch (evaluation mode).
    pub test_loss: f64,
    /// The share of test sequences classified right after the epoch.
    pub test_accuracy: f64,
    /// Wall-clock seconds since the run began.
    pub seconds: f64,
}

/// Labelled sequences: ids from [`encode`] and their classes.
pub type Labelled<'a> = (&'a [Vec<i64>], &'a [usize]);

/// The argmax of every row of `[B, K]` logits.
fn predictions<T: Float>(logits: &Tensor<T>) -> Vec<usize> {
    let k = logits.shape()[1];
    logits
        .to_vec()
        .chunks(k)
        .map(|row| (0..k).fold(0, |best, j| if row[j].to_f64() > row[best].to_f64() { j } else { best }))
        .collect()
}

fn labels_tensor(labels: &[usize]) -> Tensor<i64> {
    Tensor::from_vec(labels.iter().map(|&l| l as i64).collect(), [labels.len()])
}

/// The mean loss and the accuracy of `model` on `data`, in evaluation mode without a graph.
pub fn evaluate<T: Float>(
    model: &BertForSequenceClassification<T>,
    data: Labelled<'_>,
    batch_size: usize,
) -> (f64, f64) {
    let (sequences, labels) = data;
    check_labelled("evaluate", data);
    let was_training = model.is_training();
    model.eval();
    let max_len = model.bert().config().max_position_embeddings;
    let (mut loss, mut right) = (0.0, 0);
    for (seqs, labs) in sequences.chunks(batch_size.max(1)).zip(labels.chunks(batch_size.max(1))) {
        let (ids, attention) = pad_batch(seqs, max_len, PAD_ID);
        let logits = no_grad(|| model.forward(&ids, None, Some(&attention)));
        let batch_loss = no_grad(|| CrossEntropyLoss::new().indices(&logits, &labels_tensor(labs)));
        loss += batch_loss.item().to_f64() * seqs.len() as f64;
        right += predictions(&logits.value()).iter().zip(labs).filter(|(p, l)| p == l).count();
    }
    model.set_training(was_training);
    let n = sequences.len() as f64;
    (loss / n, right as f64 / n)
}

fn check_labelled(op: &str, (sequences, labels): Labelled<'_>) {
    if sequences.is_empty() || sequences.len() != labels.len() {
        panic!("{op}: {} sequences and {} labels (they must be equal and non-zero)", sequences.len(), labels.len());
    }
}

/// Fine-tunes `model` on `train` for `config.epochs` epochs (every parameter trains),
/// evaluating on `test` after each; returns one record per epoch and leaves the model in
/// evaluation mode.
pub fn fine_tune<T: Float>(
    model: &BertForSequenceClassification<T>,
    train: Labelled<'_>,
    test: Labelled<'_>,
    config: &FineTuneConfig,
) -> Vec<EpochRecord> {
    check_labelled("fine_tune (train)", train);
    check_labelled("fine_tune (test)", test);
    if config.batch_size == 0 {
        panic!("fine_tune: batch_size must be positive");
    }
    let start = Instant::now();
    let (sequences, labels) = train;
    let steps_per_epoch = sequences.len().div_ceil(config.batch_size);
    let total = steps_per_epoch * config.epochs;
    let warmup = (config.warmup_fraction * total as f64).round() as usize;
    let (mut opt, mut scheduler) = optimizer(model, config.lr, config.weight_decay, warmup, total);
    let mut rng = Rng::seed(config.seed);
    let max_len = model.bert().config().max_position_embeddings;
    let mut history = Vec::with_capacity(config.epochs);
    for epoch in 1..=config.epochs {
        model.train();
        let order = rng.permutation(sequences.len());
        let (mut loss_sum, mut right) = (0.0, 0);
        for chunk in order.chunks(config.batch_size) {
            let batch: Vec<Vec<i64>> = chunk.iter().map(|&i| sequences[i].clone()).collect();
            let batch_labels: Vec<usize> = chunk.iter().map(|&i| labels[i]).collect();
            let (ids, attention) = pad_batch(&batch, max_len, PAD_ID);
            opt.zero_grad();
            let logits = model.forward(&ids, None, Some(&attention));
            let loss = CrossEntropyLoss::new().indices(&logits, &labels_tensor(&batch_labels));
            loss.backward();
            clip_grad_norm(opt.params(), config.grad_clip);
            opt.step();
            scheduler.step(&mut opt);
            loss_sum += loss.item().to_f64() * chunk.len() as f64;
            right += predictions(&logits.value()).iter().zip(&batch_labels).filter(|(p, l)| p == l).count();
        }
        let (test_loss, test_accuracy) = evaluate(model, test, config.batch_size.max(64));
        let n = sequences.len() as f64;
        history.push(EpochRecord {
            epoch,
            train_loss: loss_sum / n,
            train_accuracy: right as f64 / n,
            test_loss,
            test_accuracy,
            seconds: start.elapsed().as_secs_f64(),
        });
    }
    model.eval();
    history
}
