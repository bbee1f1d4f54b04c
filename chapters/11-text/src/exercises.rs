//! Chapter 11 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch11-text --features learner          # every exercise
//! cargo test -p ch11-text --features learner ex11_2   # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. Plain Rust is enough for all of them.
//! The reference answers are in `solutions.rs`: try first, then compare.
#![allow(unused_variables, dead_code)]

pub use crate::solutions::{SgnsGrads, WordCounts};

// ANCHOR: ex11_1
/// Exercise 11.1. The n-grams of a list of tokens: every run of `n` consecutive
/// tokens, joined by one space, in order. `["I", "love", "NLP"]` has the bigrams
/// `["I love", "love NLP"]`; a list shorter than `n` has none.
///
/// Panics with a message starting `ngrams: n must be at least 1` when `n` is 0.
///
/// Hint: `slice::windows`.
pub fn ngrams(tokens: &[&str], n: usize) -> Vec<String> {
    // TODO(11.1): one n-gram per start position.
    unimplemented!("exercise 11.1: ngrams")
}
// ANCHOR_END: ex11_1

// ANCHOR: ex11_2
/// Exercise 11.2, first half. The adjacent pair of symbols that occurs most often
/// in a corpus given as a word-frequency table (each word split into its current
/// symbols, with its count): a pair inside a word that occurs 5 times counts 5. On
/// a tie the smallest pair wins (compare the first symbols, then the second ones,
/// as strings). `None` when no word has two symbols.
///
/// Hint: a `BTreeMap<(&str, &str), usize>` keeps the pairs sorted, so the first of
/// the largest counts is the smallest pair.
pub fn most_frequent_pair(words: &WordCounts) -> Option<(String, String)> {
    // TODO(11.2): count the pairs, weighted by the words' counts; pick the largest
    // count.
    unimplemented!("exercise 11.2: most_frequent_pair")
}

/// Exercise 11.2, second half. `symbols` with every occurrence of the pair `(left,
/// right)` replaced by one symbol `left + right`, scanning left to right: `a a a`
/// with the pair `(a, a)` becomes `aa a`, not `a aa`.
pub fn merge_pair(symbols: &[String], pair: &(String, String)) -> Vec<String> {
    // TODO(11.2): after a merge, skip both symbols of the pair.
    unimplemented!("exercise 11.2: merge_pair")
}
// ANCHOR_END: ex11_2

// ANCHOR: ex11_3
/// Exercise 11.3, first half. TF-IDF as textbooks write it, for documents given as
/// token lists: tf(t, d) is the number of times t occurs in d, idf(t) = ln(N /
/// df(t)) with N documents and df(t) of them containing t, and the weight is their
/// product. The vocabulary lists the terms in the order they first appear; row d
/// holds document d's weights in that order. No lowercasing, no normalisation.
pub fn tfidf_textbook(docs: &[Vec<&str>]) -> (Vec<String>, Vec<Vec<f64>>) {
    // TODO(11.3): count document frequencies first, then weight every count.
    unimplemented!("exercise 11.3: tfidf_textbook")
}

/// Exercise 11.3, second half. TF-IDF with scikit-learn's defaults: the vocabulary
/// sorted (as strings), the smoothed idf(t) = ln((1 + N) / (1 + df(t))) + 1, tf the
/// raw count or, with `sublinear_tf`, 1 + ln(count) for a count above zero, and
/// every row scaled to unit Euclidean length.
pub fn tfidf_sklearn(
    docs: &[Vec<&str>],
    sublinear_tf: bool,
) -> (Vec<String>, Vec<Vec<f64>>) {
    // TODO(11.3): the same counts, another idf, then an l2 normalisation per row.
    unimplemented!("exercise 11.3: tfidf_sklearn")
}
// ANCHOR_END: ex11_3

// ANCHOR: ex11_4
/// Exercise 11.4. The (centre, context) training pairs of skip-gram over one
/// sentence of word ids, with a fixed `window`: for every position i, every
/// position j ≠ i with |i − j| ≤ window, in order of i, then j. `[a, b, c]` with
/// window 1 gives (a, b), (b, a), (b, c), (c, b).
pub fn skipgram_pairs(sentence: &[usize], window: usize) -> Vec<(usize, usize)> {
    // TODO(11.4): mind the sentence's two ends.
    unimplemented!("exercise 11.4: skipgram_pairs")
}
// ANCHOR_END: ex11_4

// ANCHOR: ex11_5
/// Exercise 11.5. The negative-sampling loss of one (centre, context) pair and its
/// gradients: with v the centre word's input vector, u_o the context word's output
/// vector and u_k the negatives' output vectors,
///
/// ```text
/// L = −ln σ(u_o·v) − Σ_k ln σ(−u_k·v)
/// ∂L/∂v   = (σ(u_o·v) − 1) u_o + Σ_k σ(u_k·v) u_k
/// ∂L/∂u_o = (σ(u_o·v) − 1) v
/// ∂L/∂u_k = σ(u_k·v) v
/// ```
///
/// Compute −ln σ(x) as ln(1 + e^(−x)) in a form that neither overflows nor returns
/// infinity for large |x| (a score of ±50 is ordinary in a badly trained model).
pub fn sgns_loss_and_grads(
    centre: &[f64],
    context: &[f64],
    negatives: &[Vec<f64>],
) -> SgnsGrads {
    // TODO(11.5): one score per output vector; −ln σ(x) = max(−x, 0) + ln(1 +
    // e^(−|x|)).
    unimplemented!("exercise 11.5: sgns_loss_and_grads")
}
// ANCHOR_END: ex11_5

// ANCHOR: ex11_6
/// Exercise 11.6, first half. The cosine of the angle between two vectors, a·b /
/// (‖a‖ ‖b‖); 0 when either is all zeros.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    // TODO(11.6): a dot product and two norms.
    unimplemented!("exercise 11.6: cosine")
}

/// Exercise 11.6, second half. "`a` is to `b` as `c` is to ?" by 3CosAdd: scale
/// every vector to unit length, form b − a + c, and return the `k` words whose
/// vectors have the largest cosine with it, best first, leaving out `a`, `b` and
/// `c` themselves. `words[i]` names `vectors[i]`. Panics with a message naming the
/// word when a query word is missing.
pub fn analogy(
    words: &[&str],
    vectors: &[Vec<f64>],
    a: &str,
    b: &str,
    c: &str,
    k: usize,
) -> Vec<(String, f64)> {
    // TODO(11.6): normalise, add, rank by cosine, skip the three query words.
    unimplemented!("exercise 11.6: analogy")
}
// ANCHOR_END: ex11_6
