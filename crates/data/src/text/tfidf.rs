//! Bag of words and TF-IDF with scikit-learn's conventions, plus cosine similarity and nearest
//! rows for a small retrieval demo.
//!
//! - **Tokens**: the text is lowercased (optional), then split into maximal runs of word
//!   characters (letters, digits, `_`); runs shorter than `min_token_chars` (2, as in
//!   scikit-learn's default `token_pattern`) are dropped. Word n-grams for `ngram_range`
//!   are joined by one space. Word characters are those of `char::is_alphanumeric` and `_`,
//!   which agrees with Python's `\w` except for the combining vowel signs of some scripts
//!   (Devanagari, for one), which Rust counts as letters and Python does not.
//! - **Vocabulary**: every term seen in `fit`, pruned by document frequency (`min_df`,
//!   `max_df`) and then by corpus frequency (`max_features`, ties broken by vocabulary order),
//!   sorted by code point as scikit-learn sorts it (or in order of first appearance).
//! - **TF-IDF**: `tf × idf`, then each row scaled to unit L2 (or L1) norm. With `smooth_idf`,
//!   idf = ln((1 + n) / (1 + df)) + 1, else ln(n / df) + 1; `sublinear_tf` replaces tf by
//!   1 + ln tf. [`TfidfOptions::textbook`] gives the course's plain idf = ln(n / df).
//!
//! ```
//! use kindling_data::{cosine_similarity, nearest, TfidfOptions, TfidfVectorizer};
//!
//! let docs = ["The cat sat on the mat.", "A dog sat on a log.", "Cats and dogs!"];
//! let mut tfidf = TfidfVectorizer::new(TfidfOptions::default());
//! let x = tfidf.fit_transform(&docs);
//! assert_eq!(x.shape(), [3, 10]);
//! assert_eq!(tfidf.vocabulary()[..3], ["and", "cat", "cats"]);
//!
//! let query = tfidf.transform(&["where is the cat?"]);
//! let similar = cosine_similarity(&query, &x);
//! assert_eq!(similar.shape(), [1, 3]);
//! let best = nearest(&query.reshape([10]), &x, 1);
//! assert_eq!(best[0].0, 0); // the first document shares "the" and "cat"
//! ```

use kindling_tensor::{Float, Tensor};
use std::collections::HashMap;

/// A document-frequency threshold: a number of documents, or a proportion of them.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum DocFrequency {
    /// At least (for `min_df`) or at most (for `max_df`) this many documents.
    Count(usize),
    /// This share of the documents, in `[0, 1]` (scikit-learn compares `df` with
    /// `proportion × n` without rounding).
    Proportion(f64),
}

impl DocFrequency {
    fn documents(self, n_docs: usize, what: &str) -> f64 {
        match self {
            DocFrequency::Count(c) => c as f64,
            DocFrequency::Proportion(p) => {
                assert!((0.0..=1.0).contains(&p), "CountVectorizer::fit: {what} proportion {p} is outside [0, 1]");
                p * n_docs as f64
            }
        }
    }
}

/// How each row of a TF-IDF matrix is scaled.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Norm {
    /// Sum of absolute values 1.
    L1,
    /// Euclidean length 1 (scikit-learn's default): dot products are cosine similarities.
    L2,
}

/// The order of the vocabulary, which is the order of the matrix columns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum VocabularyOrder {
    /// By code point, as scikit-learn sorts (`"Zebra" < "apple" < "café"`).
    Sorted,
    /// In order of first appearance in the corpus (the course's worked example).
    FirstSeen,
}

/// How documents become term counts: the options a [`CountVectorizer`] takes.
#[derive(Clone, Debug, PartialEq)]
pub struct CountOptions {
    /// Lowercase the text before splitting it.
    pub lowercase: bool,
    /// The shortest run of word characters kept as a token (scikit-learn's pattern: 2).
    pub min_token_chars: usize,
    /// The smallest and largest n of the word n-grams counted.
    pub ngram_range: (usize, usize),
    /// Drop terms found in fewer documents.
    pub min_df: DocFrequency,
    /// Drop terms found in more documents.
    pub max_df: DocFrequency,
    /// Keep only this many terms, the most frequent in the corpus.
    pub max_features: Option<usize>,
    /// Record presence (1) instead of counts.
    pub binary: bool,
    /// The column order.
    pub order: VocabularyOrder,
}

impl Default for CountOptions {
    /// scikit-learn's `CountVectorizer()`.
    fn default() -> Self {
        CountOptions {
            lowercase: true,
            min_token_chars: 2,
            ngram_range: (1, 1),
            min_df: DocFrequency::Count(1),
            max_df: DocFrequency::Proportion(1.0),
            max_features: None,
            binary: false,
            order: VocabularyOrder::Sorted,
        }
    }
}

/// Everything a [`TfidfVectorizer`] takes: the counting options and the weighting.
#[derive(Clone, Debug, PartialEq)]
pub struct TfidfOptions {
    /// Lowercase the text before splitting it.
    pub lowercase: bool,
    /// The shortest run of word characters kept as a token (scikit-learn's pattern: 2).
    pub min_token_chars: usize,
    /// The smallest and largest n of the word n-grams counted.
    pub ngram_range: (usize, usize),
    /// Drop terms found in fewer documents.
    pub min_df: DocFrequency,
    /// Drop terms found in more documents.
    pub max_df: DocFrequency,
    /// Keep only this many terms, the most frequent in the corpus.
    pub max_features: Option<usize>,
    /// Use presence (1) instead of counts as tf.
    pub binary: bool,
    /// The column order.
    pub order: VocabularyOrder,
    /// Multiply tf by idf (off: the matrix holds normalised tf).
    pub use_idf: bool,
    /// Count one extra document holding every term: idf = ln((1 + n) / (1 + df)).
    pub smooth_idf: bool,
    /// Add 1 to the idf, so a term in every document still counts (scikit-learn's choice).
    pub idf_add_one: bool,
    /// Replace tf by 1 + ln tf.
    pub sublinear_tf: bool,
    /// Scale each row to unit norm.
    pub norm: Option<Norm>,
}

impl Default for TfidfOptions {
    /// scikit-learn's `TfidfVectorizer()`.
    fn default() -> Self {
        let count = CountOptions::default();
        TfidfOptions {
            lowercase: count.lowercase,
            min_token_chars: count.min_token_chars,
            ngram_range: count.ngram_range,
            min_df: count.min_df,
            max_df: count.max_df,
            max_features: count.max_features,
            binary: count.binary,
            order: count.order,
            use_idf: true,
            smooth_idf: true,
            idf_add_one: true,
            sublinear_tf: false,
            norm: Some(Norm::L2),
        }
    }
}

impl TfidfOptions {
    /// The textbook TF-IDF of the course: raw counts times idf = ln(n / df), no smoothing, no
    /// normalisation, case kept, one-letter words kept, columns in order of first appearance.
    ///
    /// ```
    /// use kindling_data::{TfidfOptions, TfidfVectorizer};
    ///
    /// let mut tfidf = TfidfVectorizer::new(TfidfOptions::textbook());
    /// let x = tfidf.fit_transform(&["I love NLP", "I love machine learning"]);
    /// assert_eq!(tfidf.vocabulary(), ["I", "love", "NLP", "machine", "learning"]);
    /// let ln2 = 2f64.ln();
    /// assert_eq!(x.to_vec(), [0.0, 0.0, ln2, 0.0, 0.0, 0.0, 0.0, 0.0, ln2, ln2]);
    /// ```
    pub fn textbook() -> Self {
        TfidfOptions {
            lowercase: false,
            min_token_chars: 1,
            order: VocabularyOrder::FirstSeen,
            smooth_idf: false,
            idf_add_one: false,
            norm: None,
            ..TfidfOptions::default()
        }
    }

    /// The counting part of these options.
    pub fn count_options(&self) -> CountOptions {
        CountOptions {
            lowercase: self.lowercase,
            min_token_chars: self.min_token_chars,
            ngram_range: self.ngram_range,
            min_df: self.min_df,
            max_df: self.max_df,
            max_features: self.max_features,
            binary: self.binary,
            order: self.order,
        }
    }
}

/// Calls `visit` with each term of one document, in order: tokens, then n-grams joined by one
/// space. Terms are lent, not allocated: this loop is most of the time of `fit` and `transform`.
fn for_each_term(text: &str, options: &CountOptions, mut visit: impl FnMut(&str)) {
    let lowered;
    let text = if options.lowercase {
        lowered = text.to_lowercase();
        &lowered
    } else {
        text
    };
    let is_word = |c: char| c.is_alphanumeric() || c == '_';
    let min_chars = options.min_token_chars.max(1);
    let tokens: Vec<&str> = text.split(|c: char| !is_word(c)).filter(|t| t.chars().count() >= min_chars).collect();
    let (lo, hi) = options.ngram_range;
    let mut gram = String::new();
    for n in lo..=hi.min(tokens.len()) {
        for window in tokens.windows(n) {
            if let [token] = window {
                visit(token);
            } else {
                gram.clear();
                for (i, token) in window.iter().enumerate() {
                    if i > 0 {
                        gram.push(' ');
                    }
                    gram.push_str(token);
                }
                visit(&gram);
            }
        }
    }
}

/// Term counts: a vocabulary learned by [`fit`](Self::fit), then one row of counts per
/// document (scikit-learn's `CountVectorizer`).
///
/// ```
/// use kindling_data::{CountOptions, CountVectorizer};
///
/// let mut bow = CountVectorizer::new(CountOptions::default());
/// let x = bow.fit_transform(&["Red fish, blue fish.", "One fish"]);
/// assert_eq!(bow.vocabulary(), ["blue", "fish", "one", "red"]);
/// assert_eq!(x.to_vec(), [1.0, 2.0, 0.0, 1.0, 0.0, 1.0, 1.0, 0.0]);
/// ```
#[derive(Clone, Debug)]
pub struct CountVectorizer {
    options: CountOptions,
    vocabulary: Vec<String>,
    columns: HashMap<String, usize>,
    document_frequency: Vec<usize>,
}

impl CountVectorizer {
    /// An unfitted vectorizer.
    ///
    /// # Panics
    /// If `ngram_range` is not `1 <= lo <= hi`.
    pub fn new(options: CountOptions) -> Self {
        let (lo, hi) = options.ngram_range;
        assert!(1 <= lo && lo <= hi, "CountVectorizer::new: ngram_range ({lo}, {hi}) must have 1 <= lo <= hi");
        CountVectorizer { options, vocabulary: Vec::new(), columns: HashMap::new(), document_frequency: Vec::new() }
    }

    /// Learns the vocabulary of `docs`.
    ///
    /// # Panics
    /// If `max_df` stands for fewer documents than `min_df`, a proportion is outside `[0, 1]`,
    /// or no term survives (no word in the documents, or thresholds too strict).
    pub fn fit<S: AsRef<str>>(&mut self, docs: &[S]) -> &mut Self {
        let mut seen: HashMap<String, usize> = HashMap::new();
        let mut terms: Vec<String> = Vec::new();
        let (mut df, mut total) = (Vec::<usize>::new(), Vec::<usize>::new());
        for doc in docs {
            let mut ids: Vec<usize> = Vec::new();
            for_each_term(doc.as_ref(), &self.options, |term| {
                let id = match seen.get(term) {
                    Some(&id) => id,
                    None => {
                        seen.insert(term.to_string(), terms.len());
                        terms.push(term.to_string());
                        df.push(0);
                        total.push(0);
                        terms.len() - 1
                    }
                };
                ids.push(id);
            });
            ids.sort_unstable();
            for run in ids.chunk_by(|a, b| a == b) {
                df[run[0]] += 1;
                total[run[0]] += if self.options.binary { 1 } else { run.len() };
            }
        }
        let n = docs.len();
        let high = self.options.max_df.documents(n, "max_df");
        let low = self.options.min_df.documents(n, "min_df");
        assert!(
            high >= low,
            "CountVectorizer::fit: max_df {:?} stands for {high} documents, fewer than min_df {:?} ({low})",
            self.options.max_df,
            self.options.min_df
        );
        // Candidate columns in the final order, so that max_features ties fall as they do there.
        let mut order: Vec<usize> = (0..terms.len()).collect();
        if self.options.order == VocabularyOrder::Sorted {
            order.sort_by(|&a, &b| terms[a].cmp(&terms[b]));
        }
        let mut kept: Vec<usize> =
            order.into_iter().filter(|&t| (df[t] as f64) <= high && (df[t] as f64) >= low).collect();
        if let Some(limit) = self.options.max_features {
            if kept.len() > limit {
                let mut by_frequency: Vec<usize> = (0..kept.len()).collect();
                by_frequency.sort_by(|&a, &b| total[kept[b]].cmp(&total[kept[a]]));
                let mut chosen: Vec<usize> = by_frequency[..limit].to_vec();
                chosen.sort_unstable();
                kept = chosen.into_iter().map(|i| kept[i]).collect();
            }
        }
        assert!(
            !kept.is_empty(),
            "CountVectorizer::fit: no term remains from {n} documents (no words, or min_df/max_df/max_features too strict)"
        );
        self.document_frequency = kept.iter().map(|&t| df[t]).collect();
        self.vocabulary = kept.into_iter().map(|t| std::mem::take(&mut terms[t])).collect();
        self.columns = self.vocabulary.iter().enumerate().map(|(i, t)| (t.clone(), i)).collect();
        self
    }

    /// The `[docs, terms]` counts (or presence) of the vocabulary's terms; unknown words are
    /// ignored.
    ///
    /// # Panics
    /// If the vectorizer has not been fitted.
    pub fn transform<S: AsRef<str>>(&self, docs: &[S]) -> Tensor<f64> {
        assert!(!self.vocabulary.is_empty(), "CountVectorizer::transform: call fit first");
        Tensor::from_vec(self.count_rows(docs, |_, _| {}), [docs.len(), self.vocabulary.len()])
    }

    /// The row-major `[docs, terms]` counts behind [`transform`](Self::transform). After each
    /// row, `finish_row` gets it with its nonzero columns in order, so that weighting touches
    /// only those.
    fn count_rows<S: AsRef<str>>(&self, docs: &[S], mut finish_row: impl FnMut(&mut [f64], &[usize])) -> Vec<f64> {
        let width = self.vocabulary.len();
        let mut data = vec![0.0f64; docs.len() * width];
        let mut nonzero = Vec::new();
        for (row, doc) in data.chunks_mut(width).zip(docs) {
            nonzero.clear();
            for_each_term(doc.as_ref(), &self.options, |term| {
                if let Some(&j) = self.columns.get(term) {
                    if row[j] == 0.0 {
                        nonzero.push(j);
                    }
                    row[j] = if self.options.binary { 1.0 } else { row[j] + 1.0 };
                }
            });
            nonzero.sort_unstable();
            finish_row(row, &nonzero);
        }
        data
    }

    /// [`fit`](Self::fit), then [`transform`](Self::transform) of the same documents.
    pub fn fit_transform<S: AsRef<str>>(&mut self, docs: &[S]) -> Tensor<f64> {
        self.fit(docs).transform(docs)
    }

    /// The terms, in column order (scikit-learn's `get_feature_names_out()`).
    pub fn vocabulary(&self) -> &[String] {
        &self.vocabulary
    }

    /// The column of `term`, if it is in the vocabulary.
    pub fn column(&self, term: &str) -> Option<usize> {
        self.columns.get(term).copied()
    }

    /// In how many fitted documents each term appears, in column order.
    pub fn document_frequency(&self) -> &[usize] {
        &self.document_frequency
    }

    /// The options this vectorizer was made with.
    pub fn options(&self) -> &CountOptions {
        &self.options
    }
}

/// TF-IDF features (scikit-learn's `TfidfVectorizer`): term counts weighted by how rare each
/// term is across the fitted documents, each row scaled to unit norm.
///
/// With the default options: tf is the count of a term in the document, idf =
/// ln((1 + n) / (1 + df)) + 1 over the n fitted documents, and each row of tf × idf is scaled
/// to unit Euclidean length; [`TfidfOptions`] changes each step.
///
/// ```
/// use kindling_data::{nearest, TfidfOptions, TfidfVectorizer};
///
/// let docs = ["rust is fast", "python is friendly", "rust and python"];
/// let mut tfidf = TfidfVectorizer::new(TfidfOptions::default());
/// let x = tfidf.fit_transform(&docs);
/// let query = tfidf.transform(&["fast rust"]).reshape([-1]);
/// assert_eq!(nearest(&query, &x, 2).iter().map(|&(row, _)| row).collect::<Vec<_>>(), [0, 2]);
/// ```
#[derive(Clone, Debug)]
pub struct TfidfVectorizer {
    options: TfidfOptions,
    counts: CountVectorizer,
    idf: Vec<f64>,
}

impl TfidfVectorizer {
    /// An unfitted vectorizer.
    pub fn new(options: TfidfOptions) -> Self {
        let counts = CountVectorizer::new(options.count_options());
        TfidfVectorizer { options, counts, idf: Vec::new() }
    }

    /// Learns the vocabulary and the idf of `docs` (panics as [`CountVectorizer::fit`]).
    pub fn fit<S: AsRef<str>>(&mut self, docs: &[S]) -> &mut Self {
        self.counts.fit(docs);
        let o = &self.options;
        let extra = if o.smooth_idf { 1.0 } else { 0.0 };
        let n = docs.len() as f64 + extra;
        self.idf = self
            .counts
            .document_frequency()
            .iter()
            .map(|&df| {
                if !o.use_idf {
                    return 1.0;
                }
                (n / (df as f64 + extra)).ln() + if o.idf_add_one { 1.0 } else { 0.0 }
            })
            .collect();
        self
    }

    /// The `[docs, terms]` TF-IDF matrix of `docs`; unknown words are ignored, and a document
    /// with no known word is a row of zeros.
    ///
    /// # Panics
    /// If the vectorizer has not been fitted.
    pub fn transform<S: AsRef<str>>(&self, docs: &[S]) -> Tensor<f64> {
        assert!(!self.idf.is_empty(), "TfidfVectorizer::transform: call fit first");
        let o = &self.options;
        let data = self.counts.count_rows(docs, |row, nonzero| {
            for &j in nonzero {
                let tf = if o.sublinear_tf { 1.0 + row[j].ln() } else { row[j] };
                row[j] = tf * self.idf[j];
            }
            let norm = match o.norm {
                Some(Norm::L2) => nonzero.iter().map(|&j| row[j] * row[j]).sum::<f64>().sqrt(),
                Some(Norm::L1) => nonzero.iter().map(|&j| row[j].abs()).sum::<f64>(),
                None => 0.0,
            };
            if norm > 0.0 {
                nonzero.iter().for_each(|&j| row[j] /= norm);
            }
        });
        Tensor::from_vec(data, [docs.len(), self.idf.len()])
    }

    /// [`transform`](Self::transform) in `f32`, the working type of the models.
    pub fn transform_f32<S: AsRef<str>>(&self, docs: &[S]) -> Tensor<f32> {
        self.transform(docs).cast()
    }

    /// [`fit`](Self::fit), then [`transform`](Self::transform) of the same documents.
    pub fn fit_transform<S: AsRef<str>>(&mut self, docs: &[S]) -> Tensor<f64> {
        self.fit(docs).transform(docs)
    }

    /// The terms, in column order (scikit-learn's `get_feature_names_out()`).
    pub fn vocabulary(&self) -> &[String] {
        self.counts.vocabulary()
    }

    /// The column of `term`, if it is in the vocabulary.
    pub fn column(&self, term: &str) -> Option<usize> {
        self.counts.column(term)
    }

    /// The idf of each term, in column order (all 1 when `use_idf` is off).
    pub fn idf(&self) -> &[f64] {
        &self.idf
    }

    /// The options this vectorizer was made with.
    pub fn options(&self) -> &TfidfOptions {
        &self.options
    }
}

fn matrix_dims<F: Float>(t: &Tensor<F>, function: &str, what: &str) -> (usize, usize) {
    match *t.shape() {
        [rows, cols] => (rows, cols),
        _ => panic!("{function}: {what} must be [rows, dim], got {:?}", t.shape()),
    }
}

/// Cosine similarity of every row of `a` (`[n, d]`) with every row of `b` (`[m, d]`), as an
/// `[n, m]` tensor; a row of zeros is 0 similar to everything. Sums run in `f64`.
///
/// # Panics
/// If either is not a matrix or their widths differ.
pub fn cosine_similarity<F: Float>(a: &Tensor<F>, b: &Tensor<F>) -> Tensor<F> {
    let ((n, d), (m, e)) = (matrix_dims(a, "cosine_similarity", "a"), matrix_dims(b, "cosine_similarity", "b"));
    assert_eq!(d, e, "cosine_similarity: rows of {:?} and {:?} differ in length ({d} and {e})", a.shape(), b.shape());
    let (a, b) = (a.to_vec(), b.to_vec());
    let unit = |x: &[F]| -> Vec<f64> {
        x.chunks(d.max(1))
            .flat_map(|row| {
                let norm = row.iter().map(|v| v.to_f64() * v.to_f64()).sum::<f64>().sqrt();
                row.iter().map(move |v| if norm > 0.0 { v.to_f64() / norm } else { 0.0 })
            })
            .collect()
    };
    let (ua, ub) = (unit(&a), unit(&b));
    let mut out = Vec::with_capacity(n * m);
    for i in 0..n {
        let row = &ua[i * d..(i + 1) * d];
        for j in 0..m {
            let dot: f64 = row.iter().zip(&ub[j * d..(j + 1) * d]).map(|(x, y)| x * y).sum();
            out.push(F::from_f64(dot));
        }
    }
    Tensor::from_vec(out, [n, m])
}

/// The `k` rows of `rows` (`[n, d]`) most cosine-similar to `query` (`[d]`), as
/// `(row, similarity)` pairs, most similar first, ties in row order; fewer when `n < k`.
///
/// # Panics
/// If `query` is not `[d]` or `rows` not `[n, d]`.
pub fn nearest<F: Float>(query: &Tensor<F>, rows: &Tensor<F>, k: usize) -> Vec<(usize, F)> {
    let [d] = *query.shape() else {
        panic!("nearest: the query must be a vector [d], got {:?}", query.shape());
    };
    let (_, width) = matrix_dims(rows, "nearest", "rows");
    assert_eq!(d, width, "nearest: the query has {d} values but the rows have {width}");
    let similarity = cosine_similarity(&query.reshape([1, d as isize]), rows).to_vec();
    let mut ranked: Vec<(usize, F)> = similarity.into_iter().enumerate().collect();
    // A stable sort keeps tied rows in index order.
    ranked.sort_by(|a, b| b.1.partial_cmp(&a.1).unwrap_or(std::cmp::Ordering::Equal));
    ranked.truncate(k);
    ranked
}
