//! WordPiece, the subword scheme of BERT: a word is cut, greedily from the left, into the
//! longest pieces the vocabulary holds; a piece that does not start the word is written with
//! the prefix `##`. A word that cannot be cut this way becomes `[UNK]` as a whole.
//!
//! ```
//! use kindling_data::text::WordPiece;
//!
//! let wp = WordPiece::from_vocab(["[UNK]", "called", "k", "##he", "##er"]);
//! assert_eq!(wp.tokens("called kheer"), ["called", "k", "##he", "##er"]);
//! assert_eq!(wp.tokens("cold"), ["[UNK]"]); // no piece starts with "c" but "called"
//! assert_eq!(wp.decode(&wp.encode("called kheer")), "called kheer");
//! ```
//!
//! Training ([`WordPiece::train`]) starts from the characters and, like BPE, merges adjacent
//! pieces, but by default picks the pair with the best likelihood score
//! `count(ab) / (count(a)·count(b))` rather than the most frequent one: a pair wins when its
//! parts are seldom seen apart. On a small corpus that score leaves frequent words in pieces
//! ("the" as `th ##e`) while it makes rare ones whole; [`WordPieceScore::Frequency`] merges the
//! most frequent pair instead, as BPE does (and as Hugging Face's WordPiece trainer does), and
//! keeps the common words whole.

use super::bpe::merge_pair;
use super::write_text_atomic;
use crate::error::DataError;
use rustc_hash::{FxHashMap, FxHashSet};
use std::collections::HashMap;
use std::path::Path;

/// Two adjacent token ids.
type Pair = (u32, u32);

/// The token for a word that has no segmentation.
const UNK_TOKEN: &str = "[UNK]";
/// The prefix of a piece that continues a word.
const CONTINUATION: &str = "##";

/// Which pair [`WordPiece::train`] merges next.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum WordPieceScore {
    /// The pair with the highest `count(ab) / (count(a)·count(b))`: the original WordPiece's
    /// likelihood gain, which favours pairs whose parts are rare.
    #[default]
    Likelihood,
    /// The most frequent pair, as BPE: frequent words become whole first.
    Frequency,
}

/// The options of [`WordPiece::train`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordPieceTrainOptions {
    /// Only pairs seen at least this often are merged (default 2).
    pub min_frequency: usize,
    /// How the next merge is chosen (default [`WordPieceScore::Likelihood`]).
    pub score: WordPieceScore,
    /// The special tokens, ids `0..`; must include `[UNK]` (default `[PAD] [UNK] [CLS] [SEP]
    /// [MASK]`, as BERT).
    pub special_tokens: Vec<String>,
}

impl Default for WordPieceTrainOptions {
    fn default() -> Self {
        WordPieceTrainOptions {
            min_frequency: 2,
            score: WordPieceScore::Likelihood,
            special_tokens: ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"].map(String::from).to_vec(),
        }
    }
}

/// A WordPiece tokenizer: a vocabulary of word starts and `##` continuations. See the
/// [module documentation](self).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordPiece {
    tokens: Vec<String>,
    index: HashMap<String, u32>,
    unk: u32,
    /// Longer words (in characters) are `[UNK]` without trying (BERT uses 100).
    max_input_chars_per_word: usize,
}

/// Adds `count` (negative to remove) for each piece and each adjacent pair of `symbols`.
fn add_counts(symbols: &[u32], count: i64, units: &mut FxHashMap<u32, i64>, pairs: &mut FxHashMap<Pair, i64>) {
    for &s in symbols {
        *units.entry(s).or_default() += count;
    }
    for p in symbols.windows(2) {
        *pairs.entry((p[0], p[1])).or_default() += count;
    }
}

/// BERT's pre-tokenisation: split at white space, and make every punctuation mark or symbol a
/// word of its own.
fn bert_words(text: &str) -> impl Iterator<Item = &str> {
    text.split_whitespace().flat_map(|chunk| {
        let mut pieces = Vec::new();
        let mut start = 0;
        for (i, c) in chunk.char_indices() {
            if !(c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)) {
                pieces.extend((start < i).then(|| &chunk[start..i]));
                pieces.push(&chunk[i..i + c.len_utf8()]);
                start = i + c.len_utf8();
            }
        }
        pieces.extend((start < chunk.len()).then(|| &chunk[start..]));
        pieces
    })
}

impl WordPiece {
    /// A tokenizer with the vocabulary `tokens` (ids in order), which must hold `[UNK]` and no
    /// token twice; otherwise it panics naming the problem.
    pub fn from_vocab<S: AsRef<str>>(tokens: impl IntoIterator<Item = S>) -> WordPiece {
        let tokens: Vec<String> = tokens.into_iter().map(|t| t.as_ref().to_string()).collect();
        let mut index = HashMap::with_capacity(tokens.len());
        for (id, t) in tokens.iter().enumerate() {
            if let Some(first) = index.insert(t.clone(), id as u32) {
                panic!("WordPiece::from_vocab: the token {t:?} appears twice (ids {first} and {id})");
            }
        }
        let unk = *index.get(UNK_TOKEN).unwrap_or_else(|| panic!("WordPiece::from_vocab: no {UNK_TOKEN} token"));
        WordPiece { tokens, index, unk, max_input_chars_per_word: 100 }
    }

    /// The number of tokens.
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The tokens in id order.
    pub fn vocab(&self) -> &[String] {
        &self.tokens
    }

    /// The id of `token`, if the vocabulary has it.
    pub fn id(&self, token: &str) -> Option<u32> {
        self.index.get(token).copied()
    }

    // ANCHOR: encode_word
    /// The ids of one word: longest vocabulary piece first, from the left,
    /// continuation pieces looked up with `##` in front. A word with no segmentation,
    /// or longer than 100 characters, is the single id of `[UNK]`.
    pub fn encode_word(&self, word: &str) -> Vec<u32> {
        if word.chars().count() > self.max_input_chars_per_word {
            return vec![self.unk];
        }
        let mut ids = Vec::new();
        let mut start = 0;
        while start < word.len() {
            let prefix = if start == 0 { "" } else { CONTINUATION };
            let id_of = |end: usize| self.id(&format!("{prefix}{}", &word[start..end]));
            // The whole rest first, then shorter and shorter pieces, until one is known.
            let longest = word[start..]
                .char_indices()
                .map(|(i, c)| start + i + c.len_utf8())
                .rev()
                .find_map(|end| Some((end, id_of(end)?)));
            let Some((end, id)) = longest else { return vec![self.unk] };
            ids.push(id);
            start = end;
        }
        ids
    }
    // ANCHOR_END: encode_word

    /// The ids of `text`: split at white space and punctuation (as BERT does), then each word
    /// by [`WordPiece::encode_word`].
    pub fn encode(&self, text: &str) -> Vec<u32> {
        bert_words(text).flat_map(|w| self.encode_word(w)).collect()
    }

    /// The tokens of `text` as strings, continuation pieces with their `##`.
    pub fn tokens(&self, text: &str) -> Vec<String> {
        self.encode(text).into_iter().map(|id| self.tokens[id as usize].clone()).collect()
    }

    /// The text of `ids`: continuation pieces glued to the piece before, words joined by one
    /// space. Panics on an id outside the vocabulary.
    pub fn decode(&self, ids: &[u32]) -> String {
        let mut text = String::new();
        for &id in ids {
            let token = self
                .tokens
                .get(id as usize)
                .unwrap_or_else(|| panic!("WordPiece::decode: id {id} is not in 0..{}", self.tokens.len()));
            match token.strip_prefix(CONTINUATION) {
                Some(rest) if !text.is_empty() => text.push_str(rest),
                _ => {
                    if !text.is_empty() {
                        text.push(' ');
                    }
                    text.push_str(token);
                }
            }
        }
        text
    }

    /// Learns a vocabulary of at most `vocab_size` tokens from a stream of words: the special
    /// tokens, every character (as a word start and as a `##` continuation, as it occurs), then
    /// merges by `options.score` until the size is reached or no pair is frequent enough.
    /// Ties go to the more frequent pair, then to the alphabetically first. Panics when the
    /// specials lack `[UNK]`.
    ///
    /// Counts are updated only in the words a merge touches, but the best score is found by a
    /// scan over all pairs (scores change as pieces merge, so a heap would go stale): a
    /// vocabulary of 2000 over Tiny Shakespeare trains in about 0.3 s (release build).
    pub fn train<S: AsRef<str>>(
        words: impl IntoIterator<Item = S>,
        vocab_size: usize,
        options: &WordPieceTrainOptions,
    ) -> WordPiece {
        let mut word_counts: HashMap<String, i64> = HashMap::new();
        for w in words {
            *word_counts.entry(w.as_ref().to_string()).or_default() += 1;
        }
        let mut word_counts: Vec<(String, i64)> = word_counts.into_iter().collect();
        word_counts.sort_unstable();

        let mut tokens: Vec<String> = options.special_tokens.clone();
        let mut alphabet: Vec<String> = word_counts
            .iter()
            .flat_map(|(w, _)| w.chars().enumerate().map(|(i, c)| format!("{}{c}", if i == 0 { "" } else { "##" })))
            .collect();
        alphabet.sort_unstable();
        alphabet.dedup();
        tokens.extend(alphabet.into_iter().filter(|a| !options.special_tokens.contains(a)));
        let mut index: HashMap<String, u32> = tokens.iter().enumerate().map(|(i, t)| (t.clone(), i as u32)).collect();
        let mut words: Vec<(Vec<u32>, i64)> = word_counts
            .iter()
            .map(|(w, count)| {
                let ids = w.chars().enumerate().map(|(i, c)| index[&format!("{}{c}", if i == 0 { "" } else { "##" })]);
                (ids.collect(), *count)
            })
            .collect();

        // How often each piece and each adjacent pair occurs, and which words hold each pair.
        let mut unit_counts: FxHashMap<u32, i64> = FxHashMap::default();
        let mut pair_counts: FxHashMap<Pair, i64> = FxHashMap::default();
        let mut pair_words: FxHashMap<Pair, FxHashSet<usize>> = FxHashMap::default();
        for (w, (symbols, count)) in words.iter().enumerate() {
            add_counts(symbols, *count, &mut unit_counts, &mut pair_counts);
            for p in symbols.windows(2) {
                pair_words.entry((p[0], p[1])).or_default().insert(w);
            }
        }

        // ANCHOR: train_loop
        let name = |tokens: &[String], (a, b): Pair| {
            let right = &tokens[b as usize];
            format!("{}{}", tokens[a as usize], right.strip_prefix(CONTINUATION).unwrap_or(right))
        };
        while tokens.len() < vocab_size {
            // Likelihood: the pair whose parts are most often seen together rather than apart.
            let score = |(a, b): Pair, n: i64| match options.score {
                WordPieceScore::Likelihood => n as f64 / (unit_counts[&a] as f64 * unit_counts[&b] as f64),
                WordPieceScore::Frequency => n as f64,
            };
            let best = pair_counts.iter().filter(|&(_, &n)| n > 0 && n >= options.min_frequency as i64).max_by(
                |&(&x, &nx), &(&y, &ny)| {
                    score(x, nx)
                        .total_cmp(&score(y, ny))
                        .then(nx.cmp(&ny))
                        .then_with(|| name(&tokens, y).cmp(&name(&tokens, x)))
                        .then(y.cmp(&x))
                },
            );
            let Some((&pair, _)) = best else { break };
            let merged = name(&tokens, pair);
            let new_id = *index.entry(merged.clone()).or_insert_with(|| {
                tokens.push(merged);
                tokens.len() as u32 - 1
            });
            // Only the words holding the pair change: take their counts out, merge, put back.
            for w in pair_words.remove(&pair).unwrap_or_default() {
                let (symbols, count) = &mut words[w];
                add_counts(symbols, -*count, &mut unit_counts, &mut pair_counts);
                merge_pair(symbols, pair, new_id);
                add_counts(symbols, *count, &mut unit_counts, &mut pair_counts);
                for p in symbols.windows(2).filter(|p| p.contains(&new_id)) {
                    pair_words.entry((p[0], p[1])).or_default().insert(w);
                }
            }
        }
        // ANCHOR_END: train_loop
        WordPiece::from_vocab(tokens)
    }

    /// Saves the vocabulary as BERT's `vocab.txt`, one token per line in id order, atomically.
    pub fn save(&self, path: impl AsRef<Path>) -> Result<(), DataError> {
        let mut text = self.tokens.join("\n");
        text.push('\n');
        write_text_atomic(path.as_ref(), &text)
    }

    /// Loads a BERT-style `vocab.txt` (one token per line); an error names the file and what
    /// is wrong (a token twice, no `[UNK]`).
    pub fn load(path: impl AsRef<Path>) -> Result<WordPiece, DataError> {
        let path = path.as_ref();
        let text = super::read_text(path)?;
        let tokens: Vec<&str> = text.lines().map(|l| l.trim_end_matches('\r')).collect();
        let mut seen = HashMap::new();
        for (n, t) in tokens.iter().enumerate() {
            if let Some(first) = seen.insert(*t, n) {
                return Err(DataError::malformed_at(
                    path,
                    format!("line {}", n + 1),
                    "each token once",
                    format!("{t:?}, already on line {}", first + 1),
                ));
            }
        }
        if !seen.contains_key(UNK_TOKEN) {
            return Err(DataError::malformed(path, format!("a {UNK_TOKEN} token"), "none"));
        }
        Ok(WordPiece::from_vocab(tokens))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious trainer, as an oracle: recount pieces and pairs before each merge.
    fn train_naive(words: &[&str], vocab_size: usize, options: &WordPieceTrainOptions) -> Vec<String> {
        let start = WordPiece::train(words, 0, options);
        let mut tokens = start.vocab().to_vec();
        let piece = |i: usize, c: char| format!("{}{c}", if i == 0 { "" } else { CONTINUATION });
        let mut split: Vec<Vec<String>> =
            words.iter().map(|w| w.chars().enumerate().map(|(i, c)| piece(i, c)).collect()).collect();
        while tokens.len() < vocab_size {
            let mut units: HashMap<&str, i64> = HashMap::new();
            let mut pairs: HashMap<(&str, &str), i64> = HashMap::new();
            for w in &split {
                for s in w {
                    *units.entry(s).or_default() += 1;
                }
                for p in w.windows(2) {
                    *pairs.entry((&p[0], &p[1])).or_default() += 1;
                }
            }
            let joined = |(a, b): (&str, &str)| format!("{a}{}", b.strip_prefix(CONTINUATION).unwrap_or(b));
            let id = |t: &str| tokens.iter().position(|x| x == t).unwrap();
            let best = pairs.iter().filter(|&(_, &n)| n >= options.min_frequency as i64).max_by(|x, y| {
                let score = |((a, b), n): (&(&str, &str), &i64)| *n as f64 / (units[a] * units[b]) as f64;
                score(*x)
                    .total_cmp(&score(*y))
                    .then(x.1.cmp(y.1))
                    .then_with(|| joined(*y.0).cmp(&joined(*x.0)))
                    .then((id(y.0 .0), id(y.0 .1)).cmp(&(id(x.0 .0), id(x.0 .1))))
            });
            let Some((&(a, b), _)) = best else { break };
            let (a, b, merged) = (a.to_string(), b.to_string(), joined((a, b)));
            if !tokens.contains(&merged) {
                tokens.push(merged.clone());
            }
            for w in &mut split {
                let mut i = 0;
                while i + 1 < w.len() {
                    if w[i] == a && w[i + 1] == b {
                        w[i] = merged.clone();
                        w.remove(i + 1);
                    }
                    i += 1;
                }
            }
        }
        tokens
    }

    proptest! {
        #[test]
        fn incremental_training_equals_recounting(text in "[abc ]{0,60}", size in 0usize..20) {
            let words: Vec<&str> = text.split(' ').filter(|w| !w.is_empty()).collect();
            let options = WordPieceTrainOptions { min_frequency: 1, special_tokens: vec!["[UNK]".into()], ..Default::default() };
            let wp = WordPiece::train(&words, 7 + size, &options);
            prop_assert_eq!(wp.vocab(), &train_naive(&words, 7 + size, &options)[..]);
        }
    }

    #[test]
    fn bert_words_split_at_spaces_and_punctuation() {
        let words: Vec<&str> = bert_words("Hello, world! it's  ok").collect();
        assert_eq!(words, ["Hello", ",", "world", "!", "it", "'", "s", "ok"]);
    }

    #[test]
    fn common_word_stays_whole_and_rare_word_splits() {
        // INVENTORY note 13: "called" is in the vocabulary, so it is not cut into "call ##ed";
        // the rare "kheer" falls into pieces.
        let wp = WordPiece::from_vocab(["[UNK]", "[CLS]", "i", "made", "call", "##ed", "called", "k", "##he", "##er"]);
        assert_eq!(wp.tokens("i made called kheer"), ["i", "made", "called", "k", "##he", "##er"]);
    }

    #[test]
    fn a_word_longer_than_100_characters_is_unknown() {
        let wp = WordPiece::from_vocab(["[UNK]", "a", "##a"]);
        assert_eq!(wp.encode_word(&"a".repeat(100)).len(), 100);
        assert_eq!(wp.encode_word(&"a".repeat(101)), [0]);
    }

    #[test]
    fn training_merges_by_likelihood_not_by_frequency() {
        // "q u" is rarer than "e s" but q and u never appear apart, so its score is higher.
        let corpus = "qu qu es es es e e e s s s es es".split(' ');
        let options =
            WordPieceTrainOptions { min_frequency: 1, special_tokens: vec!["[UNK]".into()], ..Default::default() };
        let wp = WordPiece::train(corpus, 6, &options);
        assert_eq!(wp.vocab(), ["[UNK]", "##s", "##u", "e", "q", "s"]);
        let wp = WordPiece::train("qu qu es es es e e e s s s es es".split(' '), 7, &options);
        assert_eq!(wp.vocab()[6], "qu");
        // By frequency, "e ##s" (5 times) comes before "q ##u" (twice).
        let options = WordPieceTrainOptions { score: WordPieceScore::Frequency, ..options };
        let wp = WordPiece::train("qu qu es es es e e e s s s es es".split(' '), 7, &options);
        assert_eq!(wp.vocab()[6], "es");
    }

    #[test]
    #[should_panic(expected = "WordPiece::from_vocab: the token \"a\" appears twice (ids 1 and 2)")]
    fn from_vocab_rejects_a_repeated_token() {
        WordPiece::from_vocab(["[UNK]", "a", "a"]);
    }
}
