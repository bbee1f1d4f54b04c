//! A word vocabulary: tokens numbered by frequency, with special tokens first.
//!
//! ```
//! use kindling_data::text::{Vocab, UNK};
//!
//! let corpus = ["the", "cat", "sat", "on", "the", "mat", "the", "cat"];
//! let vocab = Vocab::builder().min_freq(2).build(corpus);
//! // <pad> <unk> <bos> <eos>, then "the" (3 times) and "cat" (twice); the rest are too rare.
//! assert_eq!(vocab.len(), 6);
//! assert_eq!(vocab.id("the"), Some(4));
//! assert_eq!(vocab.encode(&["the", "dog"]), [4, vocab.id(UNK).unwrap()]);
//! assert_eq!(vocab.count("cat"), 2);
//! ```

use super::write_text_atomic;
use crate::error::DataError;
use std::collections::HashMap;
use std::path::Path;

/// The padding token, id 0 with the default specials.
pub const PAD: &str = "<pad>";
/// The unknown-word token, id 1 with the default specials.
pub const UNK: &str = "<unk>";
/// The begin-of-sequence token, id 2 with the default specials.
pub const BOS: &str = "<bos>";
/// The end-of-sequence token, id 3 with the default specials.
pub const EOS: &str = "<eos>";

/// The first line of a saved vocabulary; the number of special tokens follows it.
const HEADER: &str = "# kindling vocab, specials:";

/// A mapping between tokens and ids: the special tokens first, in the order given, then the
/// corpus tokens by descending count, ties in alphabetical order. Built by [`Vocab::builder`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vocab {
    tokens: Vec<String>,
    counts: Vec<usize>,
    specials: usize,
    index: HashMap<String, usize>,
}

/// The settings of a [`Vocab`]: frequency cut-off, size limit and special tokens.
#[derive(Clone, Debug)]
pub struct VocabBuilder {
    min_freq: usize,
    max_size: Option<usize>,
    specials: Vec<String>,
}

impl VocabBuilder {
    /// Keep only tokens seen at least `min_freq` times (default 1).
    pub fn min_freq(mut self, min_freq: usize) -> Self {
        self.min_freq = min_freq;
        self
    }

    /// At most this many entries, special tokens included (default: no limit); the most
    /// frequent tokens win.
    pub fn max_size(mut self, max_size: Option<usize>) -> Self {
        self.max_size = max_size;
        self
    }

    /// The special tokens, given ids `0..specials.len()` in this order (default
    /// [`PAD`], [`UNK`], [`BOS`], [`EOS`]).
    pub fn specials<S: AsRef<str>>(mut self, specials: &[S]) -> Self {
        self.specials = specials.iter().map(|s| s.as_ref().to_string()).collect();
        self
    }

    /// The vocabulary of a stream of tokens. Panics when the specials repeat a token or do not
    /// fit into `max_size`.
    pub fn build<T: AsRef<str>>(self, tokens: impl IntoIterator<Item = T>) -> Vocab {
        let mut counts: HashMap<String, usize> = HashMap::new();
        for t in tokens {
            *counts.entry(t.as_ref().to_string()).or_default() += 1;
        }
        let limit = self.max_size.unwrap_or(usize::MAX);
        assert!(
            self.specials.len() <= limit,
            "VocabBuilder::build: {} special tokens do not fit into max_size {limit}",
            self.specials.len()
        );
        let mut vocab = Vocab { tokens: Vec::new(), counts: Vec::new(), specials: 0, index: HashMap::new() };
        for s in &self.specials {
            assert!(!vocab.index.contains_key(s), "VocabBuilder::build: the special token {s:?} is given twice");
            vocab.push(s.clone(), counts.remove(s).unwrap_or(0));
        }
        vocab.specials = self.specials.len();
        let mut ranked: Vec<(String, usize)> = counts.into_iter().filter(|&(_, c)| c >= self.min_freq).collect();
        ranked.sort_unstable_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(&b.0)));
        for (token, count) in ranked.into_iter().take(limit - vocab.len()) {
            vocab.push(token, count);
        }
        vocab
    }
}

impl Vocab {
    /// A builder with the defaults: `min_freq` 1, no size limit, specials
    /// [`PAD`], [`UNK`], [`BOS`], [`EOS`].
    pub fn builder() -> VocabBuilder {
        VocabBuilder { min_freq: 1, max_size: None, specials: [PAD, UNK, BOS, EOS].map(String::from).to_vec() }
    }

    fn push(&mut self, token: String, count: usize) {
        self.index.insert(token.clone(), self.tokens.len());
        self.tokens.push(token);
        self.counts.push(count);
    }

    /// The number of entries, special tokens included.
    pub fn len(&self) -> usize {
        self.tokens.len()
    }

    /// Whether the vocabulary has no entries at all.
    pub fn is_empty(&self) -> bool {
        self.tokens.is_empty()
    }

    /// The tokens in id order.
    pub fn tokens(&self) -> &[String] {
        &self.tokens
    }

    /// The special tokens (the first entries).
    pub fn specials(&self) -> &[String] {
        &self.tokens[..self.specials]
    }

    /// The id of `token`, if it is in the vocabulary.
    pub fn id(&self, token: &str) -> Option<usize> {
        self.index.get(token).copied()
    }

    /// The id of `token`, or the id of [`UNK`] when it is not in the vocabulary. Panics when
    /// the vocabulary has no [`UNK`] either.
    pub fn id_or_unk(&self, token: &str) -> usize {
        self.id(token).unwrap_or_else(|| {
            self.id(UNK).unwrap_or_else(|| {
                panic!("Vocab::id_or_unk: {token:?} is not in the vocabulary, which has no {UNK} token either")
            })
        })
    }

    /// The token with id `id`. Panics when `id` is not below [`Vocab::len`].
    pub fn token(&self, id: usize) -> &str {
        self.tokens.get(id).unwrap_or_else(|| panic!("Vocab::token: id {id} is not in 0..{}", self.len()))
    }

    /// How often `token` appeared in the corpus the vocabulary was built from (0 when it is
    /// not in the vocabulary).
    pub fn count(&self, token: &str) -> usize {
        self.id(token).map_or(0, |i| self.counts[i])
    }

    /// The ids of `tokens`, unknown ones mapped to [`UNK`] (see [`Vocab::id_or_unk`]).
    pub fn encode<S: AsRef<str>>(&self, tokens: &[S]) -> Vec<usize> {
        tokens.iter().map(|t| self.id_or_unk(t.as_ref())).collect()
    }

    /// The tokens of `ids`. Panics on an id outside the vocabulary.
    pub fn decode(&self, ids: &[usize]) -> Vec<&str> {
        ids.iter().map(|&i| self.token(i)).collect()
    }

    /// Saves the vocabulary as text, atomically: a header line with the number of special
    /// tokens, then one `token<TAB>count` line per entry in id order (tab, newline and
    /// backslash inside a token are written `\t`, `\n`, `\\`).
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), DataError> {
        let mut text = format!("{HEADER} {}\n", self.specials);
        for (token, count) in self.tokens.iter().zip(&self.counts) {
            let escaped = token.replace('\\', "\\\\").replace('\t', "\\t").replace('\n', "\\n");
            text.push_str(&format!("{escaped}\t{count}\n"));
        }
        write_text_atomic(path.as_ref(), &text)
    }

    /// Loads a vocabulary written by [`Vocab::save`]; a malformed line is an error naming the
    /// file and the line.
    pub fn load(path: impl AsRef<Path>) -> Result<Vocab, DataError> {
        let path = path.as_ref();
        let text = super::read_text(path)?;
        let mut lines = text.lines();
        let specials =
            lines.next().and_then(|h| h.strip_prefix(HEADER)).and_then(|n| n.trim().parse::<usize>().ok()).ok_or_else(
                || DataError::malformed_at(path, "line 1", format!("the header \"{HEADER} N\""), "something else"),
            )?;
        let mut vocab = Vocab { tokens: Vec::new(), counts: Vec::new(), specials, index: HashMap::new() };
        for (n, line) in lines.enumerate() {
            let at = || format!("line {}", n + 2);
            let (token, count) = line
                .rsplit_once('\t')
                .and_then(|(t, c)| Some((t, c.parse::<usize>().ok()?)))
                .ok_or_else(|| DataError::malformed_at(path, at(), "token<TAB>count", format!("{line:?}")))?;
            let token = unescape(token);
            if vocab.index.contains_key(&token) {
                return Err(DataError::malformed_at(path, at(), "each token once", format!("{token:?} again")));
            }
            vocab.push(token, count);
        }
        if specials > vocab.len() {
            return Err(DataError::malformed(
                path,
                format!("at least {specials} tokens (the header's number of specials)"),
                format!("{} tokens", vocab.len()),
            ));
        }
        Ok(vocab)
    }
}

/// Undoes the escapes of [`Vocab::save`].
fn unescape(token: &str) -> String {
    let mut out = String::with_capacity(token.len());
    let mut chars = token.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('t') => out.push('\t'),
            Some('n') => out.push('\n'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn specials_come_first_then_descending_count_ties_alphabetical() {
        let vocab = Vocab::builder().build("b a c a b d a".split(' '));
        assert_eq!(vocab.tokens(), ["<pad>", "<unk>", "<bos>", "<eos>", "a", "b", "c", "d"]);
        assert_eq!((vocab.count("a"), vocab.count("b"), vocab.count("<pad>")), (3, 2, 0));
        assert_eq!(vocab.specials(), [PAD, UNK, BOS, EOS]);
    }

    #[test]
    fn max_size_counts_the_specials_and_keeps_the_most_frequent() {
        let vocab = Vocab::builder().max_size(Some(6)).build("b a c a b d a".split(' '));
        assert_eq!(vocab.tokens()[4..], ["a", "b"]);
        let vocab = Vocab::builder().specials(&["[UNK]"]).max_size(Some(2)).build(["x", "y", "y"]);
        assert_eq!(vocab.tokens(), ["[UNK]", "y"]);
    }

    #[test]
    fn a_special_seen_in_the_corpus_keeps_its_place_and_count() {
        let vocab = Vocab::builder().build(["<eos>", "a", "<eos>"]);
        assert_eq!(vocab.id(EOS), Some(3));
        assert_eq!(vocab.count(EOS), 2);
        assert_eq!(vocab.len(), 5);
    }

    #[test]
    #[should_panic(expected = "Vocab::id_or_unk: \"zebra\" is not in the vocabulary, which has no <unk> token")]
    fn unknown_without_unk_panics_naming_the_token() {
        Vocab::builder().specials::<&str>(&[]).build(["a"]).id_or_unk("zebra");
    }

    #[test]
    #[should_panic(expected = "Vocab::token: id 9 is not in 0..5")]
    fn decode_rejects_an_id_out_of_range() {
        Vocab::builder().build(["a"]).decode(&[9]);
    }

    #[test]
    fn unescape_inverts_the_escapes() {
        assert_eq!(unescape("a\\tb\\nc\\\\d"), "a\tb\nc\\d");
    }
}
