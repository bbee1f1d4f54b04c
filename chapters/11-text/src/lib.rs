//! Chapter 11 of the Kindling book: text and embeddings.
//!
//! The book includes the code between the `ANCHOR` markers of this file; the demo
//! (`cargo run --release -p ch11-text`, with `KINDLING_DATASETS` set to the folder
//! that holds `tinyshakespeare/input.txt`) runs it and writes what the chapter
//! shows. Your exercises are in [`exercises`]; check them with `cargo test -p
//! ch11-text --features learner`.

use kindling_data::text::{nearest, DocFrequency, TfidfOptions, TfidfVectorizer};
use kindling_sequence::word2vec::{Architecture, Word2VecConfig};
use kindling_tensor::Tensor;

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

// ANCHOR: speeches
/// One speech of a play: who speaks, and what they say (the lines joined by
/// spaces).
#[derive(Clone, Debug, PartialEq)]
pub struct Speech {
    /// The speaker, as the play names them ("ROMEO", "First Citizen").
    pub speaker: String,
    /// The speech, its lines joined by single spaces.
    pub text: String,
}

/// The speeches of a play laid out as Tiny Shakespeare is: blocks separated by
/// blank lines, each opening with a line `NAME:`. A block without such a line is
/// skipped.
pub fn speeches(play: &str) -> Vec<Speech> {
    let mut found = Vec::new();
    for block in play.split("\n\n") {
        let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
        let Some(speaker) = lines.next().and_then(|l| l.strip_suffix(':')) else {
            continue;
        };
        let text = lines.collect::<Vec<_>>().join(" ");
        if !text.is_empty() {
            found.push(Speech { speaker: speaker.to_string(), text });
        }
    }
    found
}
// ANCHOR_END: speeches

// ANCHOR: noise
/// The distribution that negative sampling draws its "noise" words from: each
/// word's corpus count raised to `power` (0.75 in word2vec and gensim), normalised
/// to sum to one. A power below one lifts rare words and damps the most frequent
/// ones.
pub fn noise_distribution(counts: &[usize], power: f64) -> Vec<f64> {
    let weights: Vec<f64> =
        counts.iter().map(|&c| (c as f64).powf(power)).collect();
    let total: f64 = weights.iter().sum();
    assert!(
        total > 0.0,
        "noise_distribution: every one of the {} counts is zero",
        counts.len()
    );
    weights.iter().map(|w| w / total).collect()
}
// ANCHOR_END: noise

// ANCHOR: subsampling
/// The probability that word2vec keeps one occurrence of a word that makes up
/// `fraction` of the corpus, with the threshold `sample` (gensim's default is
/// 1e-3): words rarer than about the threshold are always kept, the commonest ones
/// mostly dropped.
pub fn keep_probability(fraction: f64, sample: f64) -> f64 {
    assert!(
        fraction > 0.0 && sample > 0.0,
        "keep_probability: fraction {fraction} and threshold {sample} must be > 0"
    );
    (((fraction / sample).sqrt() + 1.0) * sample / fraction).min(1.0)
}
// ANCHOR_END: subsampling

// ANCHOR: decay
/// The learning rate after `progress` (0 at the start, 1 at the end) of all the
/// words of all the epochs: a straight line from `start` down to `end`, as word2vec
/// and gensim decay it.
pub fn linear_decay(start: f64, end: f64, progress: f64) -> f64 {
    start - (start - end) * progress.clamp(0.0, 1.0)
}
// ANCHOR_END: decay

// ANCHOR: sgns_update
/// The logistic function, 1 / (1 + e^(−x)).
pub fn sigmoid(x: f32) -> f32 {
    1.0 / (1.0 + (-x).exp())
}

/// One skip-gram update with negative sampling, done by hand as word2vec does it.
/// `input` and `output` are the two embedding tables, `dim` numbers per word, row
/// after row. The centre word's input vector is pushed towards the context word's
/// output vector and away from the negatives'; every output vector moves too.
/// Returns the pair's loss before the update, −ln σ(u_o·v) − Σ_k ln σ(−u_k·v).
#[allow(clippy::too_many_arguments)]
pub fn sgns_update(
    input: &mut [f32],
    output: &mut [f32],
    dim: usize,
    centre: usize,
    context: usize,
    negatives: &[usize],
    lr: f32,
) -> f32 {
    let v = &mut input[centre * dim..(centre + 1) * dim];
    let mut v_step = vec![0.0f32; dim];
    let mut loss = 0.0;
    let targets = std::iter::once((context, 1.0f32))
        .chain(negatives.iter().map(|&n| (n, 0.0)));
    for (word, label) in targets {
        let u = &mut output[word * dim..(word + 1) * dim];
        let p = sigmoid(u.iter().zip(v.iter()).map(|(a, b)| a * b).sum());
        loss -= if label == 1.0 { p.ln() } else { (1.0 - p).ln() };
        // (label − p) is minus the derivative of the loss with respect to the score
        // u·v.
        let g = lr * (label - p);
        for k in 0..dim {
            // the old u: v's step is summed before any u moves
            v_step[k] += g * u[k];
            u[k] += g * v[k];
        }
    }
    for (vk, sk) in v.iter_mut().zip(&v_step) {
        *vk += sk;
    }
    loss
}
// ANCHOR_END: sgns_update

// ANCHOR: word_sentences
/// The sentences word2vec trains on: one per non-empty line of the play, lowercased
/// and cut into runs of ASCII letters ("o'er" gives "o" and "er"). The gensim
/// comparison tokenises the same way, so the two train on the same words.
pub fn word_sentences(play: &str) -> Vec<Vec<String>> {
    play.lines()
        .map(|line| {
            line.to_lowercase()
                .split(|c: char| !c.is_ascii_lowercase())
                .filter(|w| !w.is_empty())
                .map(String::from)
                .collect::<Vec<_>>()
        })
        .filter(|s| !s.is_empty())
        .collect()
}
// ANCHOR_END: word_sentences

// ANCHOR: search
/// A small search engine over speeches: TF-IDF rows, compared with a query by
/// cosine similarity.
pub struct SpeechSearch {
    tfidf: TfidfVectorizer,
    /// One l2-normalised TF-IDF row per speech, `[speeches, terms]`.
    rows: Tensor<f32>,
}

impl SpeechSearch {
    /// Fits the vocabulary and the idf on the speeches and weights every speech.
    /// Terms in fewer than 3 speeches are left out (they would make the matrix wide
    /// and match almost nothing); a repeated word counts 1 + ln(count).
    pub fn new(speeches: &[Speech]) -> SpeechSearch {
        let texts: Vec<&str> = speeches.iter().map(|s| s.text.as_str()).collect();
        let options = TfidfOptions {
            min_df: DocFrequency::Count(3),
            sublinear_tf: true,
            ..TfidfOptions::default()
        };
        let mut tfidf = TfidfVectorizer::new(options);
        tfidf.fit(&texts);
        let rows = tfidf.transform_f32(&texts);
        SpeechSearch { tfidf, rows }
    }

    /// The number of terms, the width of every row.
    pub fn terms(&self) -> usize {
        self.tfidf.vocabulary().len()
    }

    /// The `k` speeches most similar to `query`, as (index, cosine similarity),
    /// best first.
    pub fn search(&self, query: &str, k: usize) -> Vec<(usize, f32)> {
        let q = self.tfidf.transform_f32(&[query]);
        nearest(&q.reshape([self.terms() as isize]), &self.rows, k)
    }
}
// ANCHOR_END: search

// ANCHOR: w2v_config
/// The word2vec settings of the chapter: skip-gram, 100 dimensions, a window of 5,
/// 5 negatives, words seen at least 5 times, subsampling at 1e-3, the learning rate
/// from 0.025 down to 1e-4 (gensim's defaults, and those of the speed comparison
/// with it).
pub fn word2vec_config(epochs: usize, threads: usize) -> Word2VecConfig {
    Word2VecConfig {
        architecture: Architecture::SkipGram,
        dim: 100,
        window: 5,
        negative: 5,
        min_count: 5,
        sample: 1e-3,
        alpha: 0.025,
        min_alpha: 1e-4,
        epochs,
        seed: 1,
        threads,
    }
}
// ANCHOR_END: w2v_config
