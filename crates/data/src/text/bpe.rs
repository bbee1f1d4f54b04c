//! Byte-level BPE (byte-pair encoding) in the GPT-2 style.
//!
//! Text is cut into pieces by the GPT-2 pre-tokeniser ([`gpt2_pretokenize`]), each piece is
//! spelled as its UTF-8 bytes (256 base tokens, so nothing is ever unknown), and training
//! merges the most frequent adjacent pair of tokens into a new token, again and again, until
//! the vocabulary has the size asked for. Encoding replays the merges in the order they were
//! learned; decoding concatenates the tokens' bytes, which gives back exactly the text encoded.
//!
//! ```
//! use kindling_data::text::{BpeTrainOptions, ByteBpe};
//!
//! let corpus = "low lower lowest low low newer newest new new wider wide";
//! let bpe = ByteBpe::train(corpus, 256 + 10, &BpeTrainOptions::default());
//! let ids = bpe.encode("lower newest");
//! assert!(ids.len() < "lower newest".len()); // merges made tokens longer than a byte
//! assert_eq!(bpe.decode(&ids), "lower newest");
//! assert_eq!(bpe.decode(&bpe.encode("naïve 🦀")), "naïve 🦀"); // unseen text round-trips too
//! ```
//!
//! The vocabulary and merges are saved as `vocab.json` and `merges.txt` in the format of
//! GPT-2 and Hugging Face `tokenizers` (bytes written with GPT-2's byte-to-character table),
//! so a tokenizer trained there loads here and gives the same ids.

use super::pretokenize::{byte_to_char, Gpt2Pieces};
use super::write_text_atomic;
use crate::error::DataError;
use rustc_hash::{FxHashMap, FxHashSet};
use std::cmp::Reverse;
use std::collections::BinaryHeap;
use std::path::Path;
use std::sync::RwLock;

#[cfg(doc)]
use super::gpt2_pretokenize;

/// Two adjacent token ids.
type Pair = (u32, u32);

/// How many distinct pieces the encoding cache remembers; past that, new pieces are encoded
/// without being remembered.
const CACHE_CAPACITY: usize = 200_000;

/// The options of [`ByteBpe::train`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BpeTrainOptions {
    /// Stop merging once the most frequent pair occurs fewer times than this (default 2, as
    /// in Hugging Face's `ByteLevelBPETokenizer`).
    pub min_frequency: usize,
}

impl Default for BpeTrainOptions {
    fn default() -> Self {
        BpeTrainOptions { min_frequency: 2 }
    }
}

/// A byte-level BPE tokenizer: a vocabulary of byte strings and the ranked merges that build
/// them. See the [module documentation](self).
pub struct ByteBpe {
    /// The bytes of each token, by id.
    tokens: Vec<Vec<u8>>,
    /// The id of each single byte.
    byte_ids: [u32; 256],
    /// The merges in the order they were learned (their rank).
    merges: Vec<Pair>,
    /// For each mergeable pair: its rank and the id of the merged token.
    merge_of: FxHashMap<Pair, (u32, u32)>,
    /// Encoded pieces, remembered: most pieces of a text are words seen before.
    cache: RwLock<FxHashMap<String, Vec<u32>>>,
}

impl Clone for ByteBpe {
    fn clone(&self) -> Self {
        ByteBpe::from_parts(self.tokens.clone(), self.merges.clone())
    }
}

impl std::fmt::Debug for ByteBpe {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ByteBpe").field("vocab_size", &self.tokens.len()).field("merges", &self.merges.len()).finish()
    }
}

/// One distinct pre-token piece of the training corpus, as token ids, with its count.
struct Word {
    symbols: Vec<u32>,
    count: i64,
}

/// Replaces every occurrence of `pair` in `symbols`, left to right, by `new_id`.
pub(super) fn merge_pair(symbols: &mut Vec<u32>, pair: Pair, new_id: u32) {
    let mut out = 0;
    let mut i = 0;
    while i < symbols.len() {
        if i + 1 < symbols.len() && (symbols[i], symbols[i + 1]) == pair {
            symbols[out] = new_id;
            i += 2;
        } else {
            symbols[out] = symbols[i];
            i += 1;
        }
        out += 1;
    }
    symbols.truncate(out);
}

impl ByteBpe {
    /// A tokenizer from its token byte strings (by id) and merges (by rank). The caller
    /// guarantees every byte has a token and each merge's result is a token.
    fn from_parts(tokens: Vec<Vec<u8>>, merges: Vec<Pair>) -> ByteBpe {
        let mut byte_ids = [u32::MAX; 256];
        let mut id_of: FxHashMap<&[u8], u32> = FxHashMap::default();
        for (id, bytes) in tokens.iter().enumerate() {
            id_of.insert(bytes, id as u32);
            if let [b] = bytes[..] {
                byte_ids[b as usize] = id as u32;
            }
        }
        let merge_of = merges
            .iter()
            .enumerate()
            .map(|(rank, &(a, b))| {
                let joined = [&tokens[a as usize][..], &tokens[b as usize][..]].concat();
                ((a, b), (rank as u32, id_of[&joined[..]]))
            })
            .collect();
        ByteBpe { tokens, byte_ids, merges, merge_of, cache: RwLock::new(FxHashMap::default()) }
    }

    /// Learns `vocab_size - 256` merges (fewer if pairs run out) from `corpus`. The 256 byte
    /// tokens are numbered in the order of their GPT-2 characters, as Hugging Face numbers
    /// them; ties between equally frequent pairs go to the smaller pair of ids. Panics when
    /// `vocab_size` is below 256.
    pub fn train(corpus: &str, vocab_size: usize, options: &BpeTrainOptions) -> ByteBpe {
        assert!(vocab_size >= 256, "ByteBpe::train: vocab_size {vocab_size} is below the 256 byte tokens");
        let chars = byte_to_char();
        let mut by_char: Vec<u8> = (0..=255).collect();
        by_char.sort_unstable_by_key(|&b| chars[b as usize]);
        let mut tokens: Vec<Vec<u8>> = by_char.iter().map(|&b| vec![b]).collect();
        let mut byte_ids = [0u32; 256];
        for (id, &b) in by_char.iter().enumerate() {
            byte_ids[b as usize] = id as u32;
        }

        // The distinct pieces with their counts, in sorted order so training is reproducible.
        let mut piece_counts: FxHashMap<&str, i64> = FxHashMap::default();
        for piece in (Gpt2Pieces { rest: corpus }) {
            *piece_counts.entry(piece).or_default() += 1;
        }
        let mut pieces: Vec<(&str, i64)> = piece_counts.into_iter().collect();
        pieces.sort_unstable();
        let mut words: Vec<Word> = pieces
            .into_iter()
            .map(|(p, count)| Word { symbols: p.bytes().map(|b| byte_ids[b as usize]).collect(), count })
            .collect();

        // How often each pair occurs, and in which words.
        let mut pair_counts: FxHashMap<Pair, i64> = FxHashMap::default();
        let mut pair_words: FxHashMap<Pair, FxHashSet<usize>> = FxHashMap::default();
        for (w, word) in words.iter().enumerate() {
            for p in word.symbols.windows(2) {
                *pair_counts.entry((p[0], p[1])).or_default() += word.count;
                pair_words.entry((p[0], p[1])).or_default().insert(w);
            }
        }
        let mut heap: BinaryHeap<(i64, Reverse<Pair>)> = pair_counts.iter().map(|(&p, &c)| (c, Reverse(p))).collect();

        // ANCHOR: train_loop
        let mut merges = Vec::new();
        while tokens.len() < vocab_size {
            let Some((count, Reverse(pair))) = heap.pop() else { break };
            let current = pair_counts.get(&pair).copied().unwrap_or(0);
            if count != current {
                // A stale entry: the pair lost occurrences to earlier merges.
                // Requeue it.
                if current > 0 {
                    heap.push((current, Reverse(pair)));
                }
                continue;
            }
            if current < options.min_frequency as i64 {
                break;
            }
            let new_id = tokens.len() as u32;
            let (left, right) = (pair.0 as usize, pair.1 as usize);
            tokens.push([&tokens[left][..], &tokens[right][..]].concat());
            merges.push(pair);

            // Only the words holding the pair change: take their pairs out, merge,
            // put the new pairs in. Counts move by the word's count per occurrence.
            let mut delta: FxHashMap<Pair, i64> = FxHashMap::default();
            for w in pair_words.remove(&pair).unwrap_or_default() {
                let word = &mut words[w];
                for p in word.symbols.windows(2) {
                    *delta.entry((p[0], p[1])).or_default() -= word.count;
                }
                merge_pair(&mut word.symbols, pair, new_id);
                for p in word.symbols.windows(2) {
                    *delta.entry((p[0], p[1])).or_default() += word.count;
                    if p[0] == new_id || p[1] == new_id {
                        pair_words.entry((p[0], p[1])).or_default().insert(w);
                    }
                }
            }
            for (p, d) in delta {
                let count = pair_counts.entry(p).or_default();
                *count += d;
                // Only pairs with the new token grow, and only now: queue them.
                if d > 0 {
                    heap.push((*count, Reverse(p)));
                }
            }
        }
        // ANCHOR_END: train_loop
        ByteBpe::from_parts(tokens, merges)
    }

    /// The number of tokens (256 bytes plus one per merge, plus any extra tokens a loaded
    /// vocabulary had).
    pub fn vocab_size(&self) -> usize {
        self.tokens.len()
    }

    /// The bytes of token `id`. Panics when `id` is not below [`ByteBpe::vocab_size`].
    pub fn token_bytes(&self, id: u32) -> &[u8] {
        self.tokens
            .get(id as usize)
            .unwrap_or_else(|| panic!("ByteBpe::token_bytes: id {id} is not in 0..{}", self.tokens.len()))
    }

    /// The merges in the order they were learned: merge `r` joins the two token ids of
    /// `merges()[r]`.
    pub fn merges(&self) -> &[(u32, u32)] {
        &self.merges
    }

    /// The token ids of `text`.
    pub fn encode(&self, text: &str) -> Vec<u32> {
        let mut ids = Vec::with_capacity(text.len() / 3);
        for piece in (Gpt2Pieces { rest: text }) {
            self.encode_piece(piece, &mut ids);
        }
        ids
    }

    /// Appends the ids of one pre-token piece, from the cache when it was seen before.
    fn encode_piece(&self, piece: &str, ids: &mut Vec<u32>) {
        if let Some(cached) = self.cache.read().expect("ByteBpe cache lock").get(piece) {
            ids.extend_from_slice(cached);
            return;
        }
        let merged = self.merge_piece(piece);
        ids.extend_from_slice(&merged);
        let mut cache = self.cache.write().expect("ByteBpe cache lock");
        if cache.len() < CACHE_CAPACITY {
            cache.insert(piece.to_string(), merged);
        }
    }

    // ANCHOR: merge_piece
    /// The ids of one piece: start from its bytes and apply, again and again, the
    /// learned merge of lowest rank among the adjacent pairs, until none can merge.
    fn merge_piece(&self, piece: &str) -> Vec<u32> {
        let byte_id = |b: u8| self.byte_ids[b as usize];
        let rank_of = |p: &[u32]| self.merge_of.get(&(p[0], p[1]));
        let mut symbols: Vec<u32> = piece.bytes().map(byte_id).collect();
        while symbols.len() > 1 {
            let best = symbols.windows(2).filter_map(rank_of).min();
            let Some(&(rank, new_id)) = best else { break };
            merge_pair(&mut symbols, self.merges[rank as usize], new_id);
        }
        symbols
    }
    // ANCHOR_END: merge_piece

    /// The text of `ids`: their bytes, read as UTF-8. A sequence that does not form valid
    /// UTF-8 (only possible for ids not produced by [`ByteBpe::encode`], such as half a
    /// character) gives U+FFFD in its place. Panics on an id outside the vocabulary.
    pub fn decode(&self, ids: &[u32]) -> String {
        let bytes: Vec<u8> = ids.iter().flat_map(|&id| self.token_bytes(id).iter().copied()).collect();
        match String::from_utf8(bytes) {
            Ok(text) => text,
            Err(e) => String::from_utf8_lossy(e.as_bytes()).into_owned(),
        }
    }

    /// Saves `vocab.json` and `merges.txt` into the folder `dir` (which must exist), each
    /// atomically, in the GPT-2 / Hugging Face format.
    pub fn save(&self, dir: impl AsRef<Path>) -> Result<(), DataError> {
        let dir = dir.as_ref();
        let chars = byte_to_char();
        let spell = |id: u32| -> String { self.tokens[id as usize].iter().map(|&b| chars[b as usize]).collect() };
        let entries: Vec<String> =
            (0..self.tokens.len() as u32).map(|id| format!("{}:{id}", serde_json::Value::String(spell(id)))).collect();
        write_text_atomic(&dir.join("vocab.json"), &format!("{{{}}}\n", entries.join(",")))?;
        let mut merges = String::from("#version: 0.2\n");
        for &(a, b) in &self.merges {
            merges.push_str(&format!("{} {}\n", spell(a), spell(b)));
        }
        write_text_atomic(&dir.join("merges.txt"), &merges)
    }

    /// Loads `vocab.json` and `merges.txt` from the folder `dir`, as written by
    /// [`ByteBpe::save`] or by Hugging Face `tokenizers` (a ByteLevel BPE model). An error
    /// names the file and what is wrong with it.
    pub fn load(dir: impl AsRef<Path>) -> Result<ByteBpe, DataError> {
        let dir = dir.as_ref();
        let mut char_bytes: FxHashMap<char, u8> = FxHashMap::default();
        for (b, c) in byte_to_char().into_iter().enumerate() {
            char_bytes.insert(c, b as u8);
        }

        let vocab_path = dir.join("vocab.json");
        let vocab_text = super::read_text(&vocab_path)?;
        let vocab: FxHashMap<String, u64> = serde_json::from_str(&vocab_text).map_err(|e| {
            DataError::malformed(&vocab_path, "a JSON object from token to id", format!("invalid JSON ({e})"))
        })?;
        let mut tokens: Vec<Option<Vec<u8>>> = vec![None; vocab.len()];
        let mut id_of: FxHashMap<Vec<u8>, u32> = FxHashMap::default();
        for (token, &id) in &vocab {
            let bytes: Option<Vec<u8>> = token.chars().map(|c| char_bytes.get(&c).copied()).collect();
            let bytes = bytes.ok_or_else(|| {
                DataError::malformed(&vocab_path, "tokens spelled with GPT-2's byte characters", format!("{token:?}"))
            })?;
            let slot = tokens.get_mut(id as usize).filter(|s| s.is_none()).ok_or_else(|| {
                DataError::malformed(
                    &vocab_path,
                    format!("the ids 0..{} each once", vocab.len()),
                    format!("id {id} for {token:?}"),
                )
            })?;
            if id_of.insert(bytes.clone(), id as u32).is_some() {
                return Err(DataError::malformed(&vocab_path, "distinct tokens", format!("{token:?} twice")));
            }
            *slot = Some(bytes);
        }
        let tokens: Vec<Vec<u8>> = tokens.into_iter().map(|t| t.expect("every id filled")).collect();
        if let Some(b) = (0..=255u8).find(|b| !id_of.contains_key(&vec![*b])) {
            return Err(DataError::malformed(
                &vocab_path,
                "a token for each of the 256 bytes",
                format!("none for byte 0x{b:02x} ({:?})", byte_to_char()[b as usize]),
            ));
        }

        let merges_path = dir.join("merges.txt");
        let merges_text = super::read_text(&merges_path)?;
        let mut merges = Vec::new();
        for (n, line) in merges_text.lines().enumerate() {
            if line.starts_with("#version") || line.is_empty() {
                continue;
            }
            let at = || format!("line {}", n + 1);
            let lookup = |token: &str| -> Option<u32> {
                let bytes: Vec<u8> = token.chars().map(|c| char_bytes.get(&c).copied()).collect::<Option<_>>()?;
                id_of.get(&bytes).copied()
            };
            let (a, b) = line.split_once(' ').ok_or_else(|| {
                DataError::malformed_at(&merges_path, at(), "two tokens separated by a space", format!("{line:?}"))
            })?;
            let (Some(ia), Some(ib)) = (lookup(a), lookup(b)) else {
                return Err(DataError::malformed_at(
                    &merges_path,
                    at(),
                    "two tokens of vocab.json",
                    format!("{line:?}, not in the vocabulary"),
                ));
            };
            if lookup(&format!("{a}{b}")).is_none() {
                return Err(DataError::malformed_at(
                    &merges_path,
                    at(),
                    "a merge whose result is in vocab.json",
                    format!("{line:?}, whose result {:?} is not", format!("{a}{b}")),
                ));
            }
            merges.push((ia, ib));
        }
        Ok(ByteBpe::from_parts(tokens, merges))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The obvious trainer, as an oracle: recount every pair before each merge.
    fn train_naive(corpus: &str, vocab_size: usize, min_frequency: i64) -> Vec<Vec<u8>> {
        let template = ByteBpe::train("", 256, &BpeTrainOptions::default());
        let mut tokens: Vec<Vec<u8>> = template.tokens.clone();
        let mut words: Vec<Vec<u32>> =
            Gpt2Pieces { rest: corpus }.map(|p| p.bytes().map(|b| template.byte_ids[b as usize]).collect()).collect();
        while tokens.len() < vocab_size {
            let mut counts: FxHashMap<Pair, i64> = FxHashMap::default();
            for w in &words {
                for p in w.windows(2) {
                    *counts.entry((p[0], p[1])).or_default() += 1;
                }
            }
            let best = counts.into_iter().max_by(|a, b| a.1.cmp(&b.1).then(b.0.cmp(&a.0)));
            let Some((pair, n)) = best.filter(|&(_, n)| n >= min_frequency) else { break };
            assert!(n > 0);
            let (left, right) = (pair.0 as usize, pair.1 as usize);
            tokens.push([&tokens[left][..], &tokens[right][..]].concat());
            for w in &mut words {
                merge_pair(w, pair, tokens.len() as u32 - 1);
            }
        }
        tokens
    }

    proptest! {
        #[test]
        fn incremental_training_equals_recounting(corpus in "[ab c'\n]{0,80}", extra in 0usize..30) {
            let bpe = ByteBpe::train(&corpus, 256 + extra, &BpeTrainOptions { min_frequency: 1 });
            prop_assert_eq!(&bpe.tokens, &train_naive(&corpus, 256 + extra, 1));
        }
    }

    #[test]
    fn merge_pair_replaces_left_to_right_without_overlap() {
        let mut s = vec![1, 1, 1, 2, 1, 1];
        merge_pair(&mut s, (1, 1), 9);
        assert_eq!(s, [9, 1, 2, 9]);
    }

    #[test]
    fn training_merges_the_most_frequent_pair_first() {
        // "ab" occurs 3 times, "cd" twice: the first merge is (a, b).
        let bpe = ByteBpe::train("ab ab ab cd cd", 258, &BpeTrainOptions::default());
        let first = bpe.merges()[0];
        assert_eq!([bpe.token_bytes(first.0), bpe.token_bytes(first.1)], [b"a", b"b"]);
        assert_eq!(bpe.token_bytes(256), b"ab");
        assert_eq!(bpe.vocab_size(), 258);
    }

    #[test]
    fn min_frequency_stops_training_early() {
        let bpe = ByteBpe::train("xy", 300, &BpeTrainOptions { min_frequency: 2 });
        assert_eq!(bpe.vocab_size(), 256);
        let bpe = ByteBpe::train("xy", 300, &BpeTrainOptions { min_frequency: 1 });
        assert_eq!(bpe.vocab_size(), 257);
    }

    #[test]
    #[should_panic(expected = "ByteBpe::token_bytes: id 256 is not in 0..256")]
    fn decode_rejects_an_id_out_of_range() {
        ByteBpe::train("", 256, &BpeTrainOptions::default()).decode(&[256]);
    }
}
