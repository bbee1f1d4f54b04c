//! Metrics for generated token sequences: BLEU (corpus and sentence), exact match and token
//! accuracy.
//!
//! BLEU compares the n-grams (n = 1..=`max_n`) of each hypothesis with those of its
//! references: a hypothesis n-gram counts as matched at most as often as it occurs in any one
//! reference (clipping), matches and n-gram totals are summed over the corpus, and the score is
//! the geometric mean of the n-gram precisions times a brevity penalty
//! exp(1 − r / c) when the hypotheses (c tokens) are shorter than the references (r tokens,
//! for each sentence the reference length closest to its hypothesis, ties to the shorter).
//!
//! - The [`Bleu::score`] is on sacrebleu's scale, **0 to 100**; divide by 100 for NLTK's.
//! - [`Smoothing`] says what a zero precision becomes. `None`, `Exp` (sacrebleu's default),
//!   `Floor` and `AddK` reproduce sacrebleu's `corpus_bleu`/`sentence_bleu` (with
//!   `tokenize="none"`); `NltkMethod1` and `NltkMethod4` reproduce NLTK's `corpus_bleu` /
//!   `sentence_bleu` with `SmoothingFunction().method1` / `.method4`, including NLTK's way of
//!   counting (each sentence contributes at least 1 to every n-gram total; zero precisions
//!   left after smoothing are skipped in the mean).
//! - Tokens are anything comparable and hashable: words (`&str`, `String`) or token ids.
//!
//! ```
//! use kindling_metrics::metrics::text::{bleu, exact_match, sentence_bleu, token_accuracy, BleuOptions};
//!
//! let hyp = vec!["the", "cat", "sat", "on", "the", "mat"];
//! let refs = vec![vec!["the", "cat", "sat", "on", "the", "mat"], vec!["a", "cat", "sat"]];
//! let perfect = sentence_bleu(&hyp, &refs, &BleuOptions::sentence());
//! assert!((perfect.score - 100.0).abs() < 1e-9);
//!
//! let corpus = bleu(&[vec!["the", "cat", "sat"]], &[vec![vec!["the", "cat", "sat", "down"]]], &BleuOptions::default());
//! assert!((corpus.brevity_penalty - (1.0f64 - 4.0 / 3.0).exp()).abs() < 1e-12);
//!
//! let (hyps, targets) = (vec![vec![1, 2, 3], vec![4, 5]], vec![vec![1, 2, 3], vec![4, 6, 7]]);
//! assert_eq!(exact_match(&hyps, &targets), 0.5);
//! assert_eq!(token_accuracy(&hyps, &targets), 4.0 / 6.0);
//! ```

use super::ratio;
use std::collections::HashMap;
use std::hash::Hash;

/// What a zero n-gram precision becomes (Chen and Cherry, 2014, name these methods).
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Smoothing {
    /// None: a zero precision makes the score 0 (sacrebleu `"none"`).
    None,
    /// The k-th zero precision becomes 1 / (2^k · total) (sacrebleu `"exp"`, its default;
    /// mteval-v13a's method).
    Exp,
    /// A zero precision becomes value / total (sacrebleu `"floor"`, default value 0.1).
    Floor(f64),
    /// Add k to matches and totals of every order above 1 (sacrebleu `"add-k"`, default k 1).
    AddK(f64),
    /// A zero precision becomes epsilon / total (NLTK `method1`, default epsilon 0.1).
    NltkMethod1 {
        /// The matches a zero count is replaced with.
        epsilon: f64,
    },
    /// The i-th zero precision becomes ln(c) / (2^i · k · total), c the hypothesis length
    /// (NLTK `method4`, default k 5; left at 0 when c ≤ 1).
    NltkMethod4 {
        /// NLTK's `k`.
        k: f64,
    },
}

impl Smoothing {
    /// sacrebleu's `"floor"` with its default value 0.1.
    pub const FLOOR: Smoothing = Smoothing::Floor(0.1);
    /// sacrebleu's `"add-k"` with its default k = 1.
    pub const ADD_K: Smoothing = Smoothing::AddK(1.0);
    /// NLTK's `method1` with its default epsilon 0.1.
    pub const NLTK_METHOD1: Smoothing = Smoothing::NltkMethod1 { epsilon: 0.1 };
    /// NLTK's `method4` with its default k = 5.
    pub const NLTK_METHOD4: Smoothing = Smoothing::NltkMethod4 { k: 5.0 };

    fn is_nltk(self) -> bool {
        matches!(self, Smoothing::NltkMethod1 { .. } | Smoothing::NltkMethod4 { .. })
    }
}

/// How BLEU is computed.
#[derive(Clone, Debug, PartialEq)]
pub struct BleuOptions {
    /// The longest n-gram (4 for BLEU-4).
    pub max_n: usize,
    /// The weight of each order's log precision, `max_n` of them; `None` for uniform.
    pub weights: Option<Vec<f64>>,
    /// What a zero precision becomes.
    pub smoothing: Smoothing,
    /// Average only over the orders the hypotheses are long enough to have (sacrebleu's
    /// `use_effective_order`, on in its `sentence_bleu`; ignored by the NLTK methods).
    pub effective_order: bool,
}

impl Default for BleuOptions {
    /// sacrebleu's `corpus_bleu`: BLEU-4, uniform weights, `"exp"` smoothing.
    fn default() -> Self {
        BleuOptions { max_n: 4, weights: None, smoothing: Smoothing::Exp, effective_order: false }
    }
}

impl BleuOptions {
    /// sacrebleu's `sentence_bleu`: the defaults with effective order on.
    pub fn sentence() -> Self {
        BleuOptions { effective_order: true, ..BleuOptions::default() }
    }

    /// These options with another smoothing.
    pub fn smoothing(self, smoothing: Smoothing) -> Self {
        BleuOptions { smoothing, ..self }
    }
}

/// A BLEU score and what it is made of.
#[derive(Clone, Debug, PartialEq)]
pub struct Bleu {
    /// BLEU on sacrebleu's scale, 0 to 100.
    pub score: f64,
    /// The (smoothed) n-gram precisions in percent, as sacrebleu reports them; orders never
    /// reached are 0.
    pub precisions: Vec<f64>,
    /// exp(1 − r / c) when the hypotheses are shorter than the references, else 1 (0 for an
    /// empty hypothesis).
    pub brevity_penalty: f64,
    /// Total hypothesis length c.
    pub hyp_len: usize,
    /// Total closest-reference length r.
    pub ref_len: usize,
    /// Clipped n-gram matches per order, over the corpus.
    pub matches: Vec<usize>,
    /// Hypothesis n-grams per order, over the corpus.
    pub totals: Vec<usize>,
}

/// The n-gram counts of one token sequence for every order 1..=max_n.
fn ngram_counts<T: Eq + Hash>(tokens: &[T], max_n: usize) -> HashMap<&[T], usize> {
    let mut counts = HashMap::new();
    for n in 1..=max_n.min(tokens.len()) {
        for gram in tokens.windows(n) {
            *counts.entry(gram).or_insert(0) += 1;
        }
    }
    counts
}

/// The reference length closest to `hyp_len`, the shorter on a tie.
fn closest_length(hyp_len: usize, ref_lens: impl Iterator<Item = usize>) -> usize {
    ref_lens.min_by_key(|&r| (r.abs_diff(hyp_len), r)).unwrap_or(0)
}

/// Corpus BLEU of `hypotheses`, each against its list of references (see the
/// [module documentation](self)).
///
/// # Panics
/// If the numbers of hypotheses and reference lists differ, a hypothesis has no reference,
/// `max_n` is 0, or `weights` does not have `max_n` entries.
pub fn bleu<T: Eq + Hash>(hypotheses: &[Vec<T>], references: &[Vec<Vec<T>>], options: &BleuOptions) -> Bleu {
    assert_eq!(
        hypotheses.len(),
        references.len(),
        "bleu: {} hypotheses but {} reference lists",
        hypotheses.len(),
        references.len()
    );
    let max_n = options.max_n;
    assert!(max_n >= 1, "bleu: max_n must be at least 1");
    if let Some(w) = &options.weights {
        assert_eq!(w.len(), max_n, "bleu: {} weights for max_n {max_n}", w.len());
    }
    let nltk = options.smoothing.is_nltk();
    let (mut matches, mut totals, mut nltk_totals) = (vec![0; max_n], vec![0; max_n], vec![0; max_n]);
    let (mut hyp_len, mut ref_len) = (0, 0);
    for (i, (hyp, refs)) in hypotheses.iter().zip(references).enumerate() {
        assert!(!refs.is_empty(), "bleu: hypothesis {i} has no reference");
        // Each n-gram may match as often as it occurs in the reference that has it most.
        let mut allowed: HashMap<&[T], usize> = HashMap::new();
        for r in refs {
            for (gram, count) in ngram_counts(r, max_n) {
                let slot = allowed.entry(gram).or_insert(0);
                *slot = (*slot).max(count);
            }
        }
        for (gram, count) in ngram_counts(hyp, max_n) {
            matches[gram.len() - 1] += count.min(allowed.get(gram).copied().unwrap_or(0));
        }
        for n in 1..=max_n {
            let grams = (hyp.len() + 1).saturating_sub(n);
            totals[n - 1] += grams;
            nltk_totals[n - 1] += grams.max(1);
        }
        hyp_len += hyp.len();
        ref_len += closest_length(hyp.len(), refs.iter().map(Vec::len));
    }
    let brevity_penalty = if hyp_len >= ref_len {
        1.0
    } else if hyp_len == 0 {
        0.0
    } else {
        (1.0 - ref_len as f64 / hyp_len as f64).exp()
    };
    let (score, precisions) = if nltk {
        nltk_score(&matches, &nltk_totals, hyp_len, brevity_penalty, options)
    } else {
        sacrebleu_score(&matches, &totals, brevity_penalty, options)
    };
    Bleu { score, precisions, brevity_penalty, hyp_len, ref_len, matches, totals }
}

/// BLEU of one hypothesis against its references: [`bleu`] on a corpus of one. For sacrebleu's
/// `sentence_bleu` pass [`BleuOptions::sentence`] (effective order on).
pub fn sentence_bleu<T: Eq + Hash + Clone>(hypothesis: &[T], references: &[Vec<T>], options: &BleuOptions) -> Bleu {
    bleu(&[hypothesis.to_vec()], &[references.to_vec()], options)
}

fn weight(options: &BleuOptions, n: usize, orders: usize) -> f64 {
    options.weights.as_ref().map_or(1.0 / orders as f64, |w| w[n])
}

/// sacrebleu's `compute_bleu`: precisions in percent and the score.
fn sacrebleu_score(
    matches: &[usize],
    totals: &[usize],
    brevity_penalty: f64,
    options: &BleuOptions,
) -> (f64, Vec<f64>) {
    let max_n = options.max_n;
    let mut precisions = vec![0.0; max_n];
    if matches.iter().all(|&m| m == 0) {
        return (0.0, precisions);
    }
    let mut orders = max_n;
    let mut zeros_seen = 1.0;
    for n in 0..max_n {
        let (mut c, mut t) = (matches[n] as f64, totals[n] as f64);
        if let Smoothing::AddK(k) = options.smoothing {
            if n > 0 {
                c += k;
                t += k;
            }
        }
        if t == 0.0 {
            break;
        }
        if options.effective_order {
            orders = n + 1;
        }
        precisions[n] = if c > 0.0 {
            c / t
        } else {
            match options.smoothing {
                Smoothing::Exp => {
                    zeros_seen *= 2.0;
                    1.0 / (zeros_seen * t)
                }
                Smoothing::Floor(value) => value / t,
                _ => 0.0,
            }
        };
    }
    let used = &precisions[..orders];
    let score = if used.contains(&0.0) {
        0.0
    } else {
        let log_mean: f64 = used.iter().enumerate().map(|(n, p)| weight(options, n, orders) * p.ln()).sum();
        100.0 * brevity_penalty * log_mean.exp()
    };
    (score, precisions.into_iter().map(|p| 100.0 * p).collect())
}

/// NLTK's `corpus_bleu` after its smoothing function.
fn nltk_score(
    matches: &[usize],
    totals: &[usize],
    hyp_len: usize,
    brevity_penalty: f64,
    options: &BleuOptions,
) -> (f64, Vec<f64>) {
    let max_n = options.max_n;
    let raw: Vec<f64> = (0..max_n).map(|n| matches[n] as f64 / totals[n] as f64).collect();
    if matches[0] == 0 {
        return (0.0, raw.into_iter().map(|p| 100.0 * p).collect());
    }
    let mut zeros_seen = 0;
    let precisions: Vec<f64> = (0..max_n)
        .map(|n| {
            if matches[n] > 0 {
                return raw[n];
            }
            match options.smoothing {
                Smoothing::NltkMethod1 { epsilon } => epsilon / totals[n] as f64,
                Smoothing::NltkMethod4 { k } if hyp_len > 1 => {
                    zeros_seen += 1;
                    let numerator = 1.0 / (2f64.powi(zeros_seen) * k / (hyp_len as f64).ln());
                    numerator / totals[n] as f64
                }
                _ => 0.0,
            }
        })
        .collect();
    // NLTK leaves zero precisions out of the sum instead of failing the score.
    let log_mean: f64 =
        precisions.iter().enumerate().filter(|(_, &p)| p > 0.0).map(|(n, p)| weight(options, n, max_n) * p.ln()).sum();
    let score = 100.0 * brevity_penalty * log_mean.exp();
    (score, precisions.into_iter().map(|p| 100.0 * p).collect())
}

fn same_count(function: &str, hyps: usize, refs: usize) {
    assert_eq!(hyps, refs, "{function}: {hyps} hypotheses but {refs} references");
}

/// The fraction of hypotheses equal to their reference token for token (0 for none).
///
/// # Panics
/// If the numbers of hypotheses and references differ.
pub fn exact_match<T: PartialEq>(hypotheses: &[Vec<T>], references: &[Vec<T>]) -> f64 {
    same_count("exact_match", hypotheses.len(), references.len());
    let equal = hypotheses.iter().zip(references).filter(|(h, r)| h == r).count();
    ratio(equal as f64, references.len() as f64)
}

/// The fraction of reference tokens that the hypothesis has at the same position, over all
/// reference tokens of the corpus (missing positions count as wrong, extra hypothesis tokens
/// are ignored; 0 when there are no reference tokens).
///
/// # Panics
/// If the numbers of hypotheses and references differ.
pub fn token_accuracy<T: PartialEq>(hypotheses: &[Vec<T>], references: &[Vec<T>]) -> f64 {
    same_count("token_accuracy", hypotheses.len(), references.len());
    let correct: usize =
        hypotheses.iter().zip(references).map(|(h, r)| h.iter().zip(r).filter(|(a, b)| a == b).count()).sum();
    let total: usize = references.iter().map(Vec::len).sum();
    ratio(correct as f64, total as f64)
}
