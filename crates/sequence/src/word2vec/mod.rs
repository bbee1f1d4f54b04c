//! word2vec: word vectors learned by predicting a word's neighbours (skip-gram) or a word from
//! its neighbours (CBOW), with negative sampling, frequent-word subsampling and a linearly
//! decaying learning rate, trained by hand-written SGD on several threads (Hogwild), as the
//! original word2vec.c and gensim do it (no autograd: the gradient of each step is three lines).
//!
//! ```
//! use kindling_sequence::word2vec::{Architecture, Word2Vec, Word2VecConfig};
//!
//! // Two "animals" and two "fruits" that share their contexts.
//! let mut sentences = Vec::new();
//! for i in 0..200 {
//!     let animal = if i % 2 == 0 { "cat" } else { "dog" };
//!     let fruit = if i % 3 == 0 { "apple" } else { "pear" };
//!     sentences.push(format!("the {animal} runs and the {animal} sleeps"));
//!     sentences.push(format!("we eat a ripe {fruit} with a ripe {fruit} pie"));
//! }
//! let sentences: Vec<Vec<String>> =
//!     sentences.iter().map(|s| s.split(' ').map(String::from).collect()).collect();
//! let config = Word2VecConfig { dim: 16, min_count: 1, epochs: 10, threads: 1, sample: 0.0, ..Default::default() };
//! let vectors = Word2Vec::train(&sentences, &config);
//! assert_eq!(vectors.most_similar("cat", 1)[0].0, "dog");
//! assert!(vectors.similarity("apple", "pear") > vectors.similarity("apple", "cat"));
//! ```
//!
//! # The model
//! Every word w has two vectors: an input vector v_w (the embedding we keep) and an output
//! vector u_w. Skip-gram turns each (centre c, context o) pair inside a window into the
//! question "is c really next to o?", scored as σ(v_o · u_c). Asking it only for the true
//! pair would be solved by making every score large, so each true pair comes with `negative`
//! noise words n drawn at random, which should score low. The loss of one pair is
//!
//! ```text
//! L = −log σ(v_o · u_c) − Σ_n log σ(−v_o · u_n)
//! ```
//!
//! and with g = alpha · (y − σ(s)) for each target (y = 1 for c, 0 for each n) one SGD step is
//! u_t += g · v_o for each target and v_o += Σ_t g · u_t (see `train.rs`'s `skipgram_pair`).
//! CBOW replaces v_o by the mean of the context's input vectors and predicts the centre.
//!
//! Why negative sampling: the full softmax over a vocabulary of V words costs V dot products
//! per pair; a handful of noise words cost 1 + k, and still push unrelated words apart. Noise
//! is drawn with probability proportional to count^0.75, which flattens the unigram
//! distribution so rare words are drawn more often than their share ([`NoiseSampler`]).
//!
//! Why subsampling: "the", "and" and "of" appear next to almost everything and teach little;
//! dropping each occurrence of a frequent word with the probability of [`keep_probability`]
//! (before windows are formed, so windows reach further) speeds training several-fold and
//! improves the vectors of rarer words.
//!
//! Other details as the original: the window radius is drawn uniformly from 1..=window for
//! each centre word (near words count more), the learning rate falls linearly from `alpha`
//! to `min_alpha` over all epochs by words processed ([`learning_rate`]), input vectors start
//! uniform in [−0.5/dim, 0.5/dim) and output vectors at zero.
//!
//! Queries, the 2-D projection and the word2vec text format (which gensim reads and writes)
//! are in [`WordVectors`]. The book's chapter 11, "Text and embeddings", walks through it.

mod train;
mod vectors;
mod vocab;

pub use train::{learning_rate, SigmoidTable};
pub use vectors::{WordVectors, WordVectorsError};
pub use vocab::{keep_probability, NoiseSampler, Vocabulary};

use kindling_tensor::Rng;
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::time::Instant;
use train::{Job, SharedMatrix, Weights, Worker};

/// Which prediction task trains the vectors.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Architecture {
    /// Predict each context word from the centre word (gensim `sg=1`).
    SkipGram,
    /// Predict the centre word from the mean of its context (gensim `sg=0`, `cbow_mean=1`).
    Cbow,
}

/// The settings of a run. `Default` is gensim 4's defaults, except `threads` (all cores).
#[derive(Clone, Debug, PartialEq)]
pub struct Word2VecConfig {
    /// Skip-gram or CBOW (default CBOW, as gensim and word2vec.c).
    pub architecture: Architecture,
    /// Vector length (default 100).
    pub dim: usize,
    /// The largest distance between a centre word and a context word (default 5).
    pub window: usize,
    /// Noise words per true pair (default 5).
    pub negative: usize,
    /// Words seen fewer times are dropped (default 5).
    pub min_count: u64,
    /// The subsampling threshold (default 1e-3; 0 turns subsampling off).
    pub sample: f64,
    /// The starting learning rate (default 0.025).
    pub alpha: f32,
    /// The learning rate at the end of the last epoch (default 1e-4).
    pub min_alpha: f32,
    /// Passes over the corpus (default 5).
    pub epochs: usize,
    /// Seeds the initial vectors and every random draw (default 1, as gensim).
    pub seed: u64,
    /// Worker threads; with 1 a run is deterministic (default: the available cores).
    pub threads: usize,
}

impl Default for Word2VecConfig {
    fn default() -> Self {
        Word2VecConfig {
            architecture: Architecture::Cbow,
            dim: 100,
            window: 5,
            negative: 5,
            min_count: 5,
            sample: 1e-3,
            alpha: 0.025,
            min_alpha: 1e-4,
            epochs: 5,
            seed: 1,
            threads: std::thread::available_parallelism().map_or(1, |n| n.get()),
        }
    }
}

/// What one epoch did.
#[derive(Clone, Debug, PartialEq)]
pub struct EpochReport {
    /// 0-based.
    pub epoch: usize,
    /// Every token read, including words below `min_count` (gensim's "raw words").
    pub raw_words: u64,
    /// Tokens trained on: in the vocabulary and kept by subsampling (gensim's "effective
    /// words", the quantity of its "effective words/s").
    pub effective_words: u64,
    /// Wall-clock seconds.
    pub seconds: f64,
    /// The learning rate at the end of the epoch.
    pub alpha: f32,
}

impl EpochReport {
    /// Effective words per second (what gensim logs).
    pub fn words_per_second(&self) -> f64 {
        self.effective_words as f64 / self.seconds
    }

    /// Raw words per second.
    pub fn raw_words_per_second(&self) -> f64 {
        self.raw_words as f64 / self.seconds
    }
}

/// What a whole run did.
#[derive(Clone, Debug, PartialEq)]
pub struct TrainReport {
    /// One entry per epoch.
    pub epochs: Vec<EpochReport>,
    /// Words kept by `min_count`.
    pub vocab_size: usize,
    /// Seconds spent building the vocabulary and the tables before the first epoch.
    pub setup_seconds: f64,
}

impl TrainReport {
    /// Seconds spent in the epochs.
    pub fn seconds(&self) -> f64 {
        self.epochs.iter().map(|e| e.seconds).sum()
    }

    /// Effective words per second over all epochs (gensim's figure).
    pub fn words_per_second(&self) -> f64 {
        self.epochs.iter().map(|e| e.effective_words).sum::<u64>() as f64 / self.seconds()
    }

    /// Raw words per second over all epochs.
    pub fn raw_words_per_second(&self) -> f64 {
        self.epochs.iter().map(|e| e.raw_words).sum::<u64>() as f64 / self.seconds()
    }
}

/// The trainer (a namespace for the two entry points).
pub struct Word2Vec;

/// Sentences are handed to threads in batches of about this many tokens (gensim's job size).
const BATCH_WORDS: u64 = 10_000;

impl Word2Vec {
    /// Trains word vectors on `sentences` (each a list of tokens).
    ///
    /// Panics if a setting is out of range or no word occurs `min_count` times.
    pub fn train(sentences: &[Vec<String>], config: &Word2VecConfig) -> WordVectors {
        Word2Vec::train_with_report(sentences, config, |_| {}).0
    }

    /// [`Word2Vec::train`], calling `on_epoch` after each epoch and returning the timings.
    pub fn train_with_report(
        sentences: &[Vec<String>],
        config: &Word2VecConfig,
        mut on_epoch: impl FnMut(&EpochReport),
    ) -> (WordVectors, TrainReport) {
        check_config(config);
        let start = Instant::now();
        let vocab = Vocabulary::build(sentences, config.min_count);
        assert!(
            !vocab.is_empty(),
            "Word2Vec::train: no word occurs at least min_count={} times in {} sentences of {} words",
            config.min_count,
            sentences.len(),
            vocab.raw_words()
        );
        // Sentences as word ids (words below min_count dropped, as gensim), and their raw
        // lengths, which drive the learning-rate schedule.
        let ids: Vec<Vec<u32>> = sentences.iter().map(|s| s.iter().filter_map(|w| vocab.id(w)).collect()).collect();
        let batches = batches(sentences);
        let (dim, v) = (config.dim, vocab.len());
        let mut input = initial_vectors(v, dim, config.seed);
        let mut output = vec![0.0f32; v * dim];
        let job = Job {
            config,
            weights: Weights { input: SharedMatrix::new(&mut input, dim), output: SharedMatrix::new(&mut output, dim) },
            sigmoid: train::SigmoidTable::new(),
            noise: NoiseSampler::new(vocab.counts(), 0.75),
            keep: vocab.keep_probabilities(config.sample),
        };
        let setup_seconds = start.elapsed().as_secs_f64();
        let total_words = (vocab.raw_words() * config.epochs as u64).max(1) as f64;
        let words_done = AtomicU64::new(0);
        let mut reports = Vec::with_capacity(config.epochs);
        for epoch in 0..config.epochs {
            let epoch_start = Instant::now();
            let next_batch = AtomicUsize::new(0);
            let effective = AtomicU64::new(0);
            std::thread::scope(|scope| {
                for thread in 0..config.threads {
                    let (job, ids, batches) = (&job, &ids, &batches);
                    let (next_batch, words_done, effective) = (&next_batch, &words_done, &effective);
                    let stream =
                        config.seed ^ ((epoch as u64) << 32 | thread as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    scope.spawn(move || {
                        let mut worker = Worker::new(dim, Rng::seed(stream));
                        let mut kept = 0u64;
                        loop {
                            let b = next_batch.fetch_add(1, Ordering::Relaxed);
                            let Some(batch) = batches.get(b) else { break };
                            let mut done = words_done.load(Ordering::Relaxed);
                            for s in batch.clone() {
                                let alpha = learning_rate(config.alpha, config.min_alpha, done as f64 / total_words);
                                kept += train::train_sentence(job, &mut worker, &ids[s], alpha) as u64;
                                done += sentences[s].len() as u64;
                            }
                            let raw: u64 = batch.clone().map(|s| sentences[s].len() as u64).sum();
                            words_done.fetch_add(raw, Ordering::Relaxed);
                        }
                        effective.fetch_add(kept, Ordering::Relaxed);
                    });
                }
            });
            let done = words_done.load(Ordering::Relaxed) as f64;
            let report = EpochReport {
                epoch,
                raw_words: vocab.raw_words(),
                effective_words: effective.into_inner(),
                seconds: epoch_start.elapsed().as_secs_f64().max(1e-9),
                alpha: learning_rate(config.alpha, config.min_alpha, done / total_words),
            };
            on_epoch(&report);
            reports.push(report);
        }
        drop(job);
        let vectors = WordVectors::new(vocab.words().to_vec(), input, dim);
        (vectors, TrainReport { epochs: reports, vocab_size: v, setup_seconds })
    }
}

fn check_config(c: &Word2VecConfig) {
    let positive = [("dim", c.dim), ("window", c.window), ("epochs", c.epochs), ("threads", c.threads)];
    for (name, value) in positive {
        assert!(value > 0, "Word2Vec::train: {name} must be at least 1, got {value}");
    }
    assert!(
        c.alpha > 0.0 && c.min_alpha >= 0.0 && c.min_alpha <= c.alpha,
        "Word2Vec::train: need 0 <= min_alpha <= alpha and alpha > 0, got alpha {} and min_alpha {}",
        c.alpha,
        c.min_alpha
    );
    assert!(c.sample >= 0.0, "Word2Vec::train: sample must be 0 (off) or positive, got {}", c.sample);
}

/// Consecutive sentences grouped into batches of about [`BATCH_WORDS`] tokens.
fn batches(sentences: &[Vec<String>]) -> Vec<std::ops::Range<usize>> {
    let mut out = Vec::new();
    let (mut start, mut words) = (0, 0u64);
    for (i, s) in sentences.iter().enumerate() {
        words += s.len() as u64;
        if words >= BATCH_WORDS {
            out.push(start..i + 1);
            (start, words) = (i + 1, 0);
        }
    }
    if start < sentences.len() {
        out.push(start..sentences.len());
    }
    out
}

/// gensim's initialisation: input vectors uniform in [−0.5/dim, 0.5/dim).
fn initial_vectors(words: usize, dim: usize, seed: u64) -> Vec<f32> {
    let mut rng = Rng::seed(seed);
    (0..words * dim).map(|_| (rng.uniform_f32() - 0.5) / dim as f32).collect()
}
