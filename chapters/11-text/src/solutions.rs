//! Reference answers to chapter 11's exercises (the same signatures as
//! `exercises.rs`). `cargo test -p ch11-text` checks these; try the exercises
//! first.

use std::collections::{BTreeMap, HashMap};

/// A corpus as BPE training sees it: each distinct word split into its current
/// symbols, with the number of times the word occurs.
pub type WordCounts = Vec<(Vec<String>, usize)>;

/// The loss of one skip-gram pair with negative sampling, and its gradients
/// (exercise 11.5).
#[derive(Clone, Debug, PartialEq)]
pub struct SgnsGrads {
    /// −ln σ(u_o·v) − Σ_k ln σ(−u_k·v).
    pub loss: f64,
    /// ∂L/∂v, the gradient for the centre word's input vector.
    pub centre: Vec<f64>,
    /// ∂L/∂u_o, the gradient for the context word's output vector.
    pub context: Vec<f64>,
    /// ∂L/∂u_k, one gradient per negative word's output vector.
    pub negatives: Vec<Vec<f64>>,
}

/// Exercise 11.1. Every run of `n` consecutive tokens, joined by one space.
pub fn ngrams(tokens: &[&str], n: usize) -> Vec<String> {
    assert!(n >= 1, "ngrams: n must be at least 1, got {n}");
    tokens.windows(n).map(|w| w.join(" ")).collect()
}

/// Exercise 11.2. The most frequent adjacent pair, weighted by word counts; ties to
/// the smallest.
pub fn most_frequent_pair(words: &WordCounts) -> Option<(String, String)> {
    let mut counts: BTreeMap<(&str, &str), usize> = BTreeMap::new();
    for (symbols, count) in words {
        for pair in symbols.windows(2) {
            *counts.entry((pair[0].as_str(), pair[1].as_str())).or_default() +=
                count;
        }
    }
    // max_by_key returns the last of equal maxima; iterate in reverse so that it is
    // the first.
    let (&(left, right), _) = counts.iter().rev().max_by_key(|(_, &c)| c)?;
    Some((left.to_string(), right.to_string()))
}

/// Exercise 11.2. Every occurrence of the pair merged into one symbol, left to
/// right.
pub fn merge_pair(symbols: &[String], pair: &(String, String)) -> Vec<String> {
    let mut merged = Vec::with_capacity(symbols.len());
    let mut i = 0;
    while i < symbols.len() {
        if i + 1 < symbols.len() && symbols[i] == pair.0 && symbols[i + 1] == pair.1
        {
            merged.push(format!("{}{}", pair.0, pair.1));
            i += 2;
        } else {
            merged.push(symbols[i].clone());
            i += 1;
        }
    }
    merged
}

/// Term counts per document and document frequencies, over a given vocabulary
/// order.
fn counts(docs: &[Vec<&str>], vocab: &[String]) -> (Vec<Vec<f64>>, Vec<f64>) {
    let index: HashMap<&str, usize> =
        vocab.iter().enumerate().map(|(i, t)| (t.as_str(), i)).collect();
    let mut tf = vec![vec![0.0; vocab.len()]; docs.len()];
    let mut df = vec![0.0; vocab.len()];
    for (row, doc) in tf.iter_mut().zip(docs) {
        for token in doc {
            row[index[token]] += 1.0;
        }
        for (d, &c) in df.iter_mut().zip(row.iter()) {
            if c > 0.0 {
                *d += 1.0;
            }
        }
    }
    (tf, df)
}

/// Exercise 11.3. Raw counts times ln(N / df), vocabulary in order of first
/// appearance.
pub fn tfidf_textbook(docs: &[Vec<&str>]) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut vocab: Vec<String> = Vec::new();
    for token in docs.iter().flatten() {
        if !vocab.iter().any(|t| t == token) {
            vocab.push(token.to_string());
        }
    }
    let (mut tf, df) = counts(docs, &vocab);
    let n = docs.len() as f64;
    for row in &mut tf {
        for (w, d) in row.iter_mut().zip(&df) {
            *w *= (n / d).ln();
        }
    }
    (vocab, tf)
}

/// Exercise 11.3. scikit-learn's defaults: sorted vocabulary, smoothed idf,
/// l2-normalised rows.
pub fn tfidf_sklearn(
    docs: &[Vec<&str>],
    sublinear_tf: bool,
) -> (Vec<String>, Vec<Vec<f64>>) {
    let mut vocab: Vec<String> =
        docs.iter().flatten().map(|t| t.to_string()).collect();
    vocab.sort();
    vocab.dedup();
    let (mut tf, df) = counts(docs, &vocab);
    let n = docs.len() as f64;
    for row in &mut tf {
        for (w, d) in row.iter_mut().zip(&df) {
            if sublinear_tf && *w > 0.0 {
                *w = 1.0 + w.ln();
            }
            *w *= ((1.0 + n) / (1.0 + d)).ln() + 1.0;
        }
        let norm = row.iter().map(|w| w * w).sum::<f64>().sqrt();
        if norm > 0.0 {
            row.iter_mut().for_each(|w| *w /= norm);
        }
    }
    (vocab, tf)
}

/// Exercise 11.4. Every (centre, context) pair within the window.
pub fn skipgram_pairs(sentence: &[usize], window: usize) -> Vec<(usize, usize)> {
    let mut pairs = Vec::new();
    for (i, &centre) in sentence.iter().enumerate() {
        let end = (i + window + 1).min(sentence.len());
        for (j, &context) in
            sentence.iter().enumerate().take(end).skip(i.saturating_sub(window))
        {
            if j != i {
                pairs.push((centre, context));
            }
        }
    }
    pairs
}

/// −ln σ(x) = ln(1 + e^(−x)), without overflow for large |x|.
fn neg_log_sigmoid(x: f64) -> f64 {
    (-x).max(0.0) + (-x.abs()).exp().ln_1p()
}

fn sigmoid(x: f64) -> f64 {
    1.0 / (1.0 + (-x).exp())
}

fn dot(a: &[f64], b: &[f64]) -> f64 {
    a.iter().zip(b).map(|(x, y)| x * y).sum()
}

/// Exercise 11.5. The negative-sampling loss of one pair and its gradients.
pub fn sgns_loss_and_grads(
    centre: &[f64],
    context: &[f64],
    negatives: &[Vec<f64>],
) -> SgnsGrads {
    let scale =
        |v: &[f64], s: f64| -> Vec<f64> { v.iter().map(|x| x * s).collect() };
    let positive = dot(context, centre);
    let mut loss = neg_log_sigmoid(positive);
    // d/dx of −ln σ(x) is σ(x) − 1; of −ln σ(−x) it is σ(x).
    let g_pos = sigmoid(positive) - 1.0;
    let mut grad_centre = scale(context, g_pos);
    let mut grad_negatives = Vec::with_capacity(negatives.len());
    for u in negatives {
        let score = dot(u, centre);
        loss += neg_log_sigmoid(-score);
        let g = sigmoid(score);
        for (gc, uk) in grad_centre.iter_mut().zip(u) {
            *gc += g * uk;
        }
        grad_negatives.push(scale(centre, g));
    }
    SgnsGrads {
        loss,
        centre: grad_centre,
        context: scale(centre, g_pos),
        negatives: grad_negatives,
    }
}

/// Exercise 11.6. a·b / (‖a‖ ‖b‖), 0 for a zero vector.
pub fn cosine(a: &[f64], b: &[f64]) -> f64 {
    let norms = dot(a, a).sqrt() * dot(b, b).sqrt();
    if norms == 0.0 {
        0.0
    } else {
        dot(a, b) / norms
    }
}

/// Exercise 11.6. 3CosAdd: the words nearest to unit(b) − unit(a) + unit(c), query
/// words left out.
pub fn analogy(
    words: &[&str],
    vectors: &[Vec<f64>],
    a: &str,
    b: &str,
    c: &str,
    k: usize,
) -> Vec<(String, f64)> {
    let unit = |v: &[f64]| -> Vec<f64> {
        let n = dot(v, v).sqrt();
        v.iter().map(|x| if n > 0.0 { x / n } else { 0.0 }).collect()
    };
    let find = |w: &str| -> Vec<f64> {
        let i = words
            .iter()
            .position(|x| *x == w)
            .unwrap_or_else(|| panic!("analogy: {w:?} is not in the vocabulary"));
        unit(&vectors[i])
    };
    let (va, vb, vc) = (find(a), find(b), find(c));
    let target: Vec<f64> = (0..va.len()).map(|i| vb[i] - va[i] + vc[i]).collect();
    let mut scored: Vec<(String, f64)> = words
        .iter()
        .zip(vectors)
        .filter(|(w, _)| ![a, b, c].contains(*w))
        .map(|(w, v)| (w.to_string(), cosine(&target, v)))
        .collect();
    scored.sort_by(|x, y| y.1.total_cmp(&x.1));
    scored.truncate(k);
    scored
}
