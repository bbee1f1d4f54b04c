//! The models of a `tokenizer.json`: BPE (merges by rank) and WordPiece (longest match first).

use super::Json;
use crate::error::DataError;
use rustc_hash::FxHashMap;

/// The subword model that maps a pre-tokenized piece to ids.
#[derive(Clone, Debug)]
pub(super) enum Model {
    Bpe(Bpe),
    WordPiece(WordPieceModel),
}

/// Byte-pair encoding: start from the characters of a piece and apply the learned merges,
/// lowest rank (earliest learned) first.
#[derive(Clone, Debug)]
pub(super) struct Bpe {
    /// (left id, right id) → (rank, merged id).
    merges: FxHashMap<(u32, u32), (usize, u32)>,
    unk: Option<u32>,
    fuse_unk: bool,
    ignore_merges: bool,
}

/// WordPiece: cut a word greedily into the longest pieces of the vocabulary, pieces after the
/// first spelled with the continuation prefix; a word that cannot be cut is the unknown token.
#[derive(Clone, Debug)]
pub(super) struct WordPieceModel {
    unk: u32,
    prefix: String,
    max_chars: usize,
}

impl Model {
    /// The model and its vocabulary (token → id).
    pub(super) fn parse(json: &Json<'_>) -> Result<(Model, FxHashMap<String, u32>), DataError> {
        let kind = json.kind()?;
        if !matches!(kind, "BPE" | "WordPiece") {
            return Err(json.unsupported(kind, "BPE or WordPiece"));
        }
        let vocab = json.vocab("vocab")?;
        let unk_of = |name: Option<&str>| -> Result<Option<u32>, DataError> {
            match name {
                None => Ok(None),
                Some(token) => vocab
                    .get(token)
                    .copied()
                    .map(Some)
                    .ok_or_else(|| json.malformed("unk_token", "a token of the vocabulary", format!("{token:?}"))),
            }
        };
        let model = if kind == "BPE" {
            if json.f64_or("dropout", 0.0)? != 0.0 {
                return Err(json.unsupported("BPE with dropout", "BPE without dropout"));
            }
            for (field, supported) in [("continuing_subword_prefix", ""), ("end_of_word_suffix", "")] {
                if json.str_or(field, supported)? != supported {
                    return Err(json.unsupported(&format!("BPE with a {field}"), "BPE without one"));
                }
            }
            if json.bool_or("byte_fallback", false)? {
                return Err(json.unsupported("BPE with byte_fallback", "BPE without it"));
            }
            let mut merges = FxHashMap::default();
            for (rank, pair) in json.merges("merges")?.into_iter().enumerate() {
                let id = |token: &str| {
                    vocab.get(token).copied().ok_or_else(|| {
                        json.malformed(
                            "merges",
                            "merges of tokens in the vocabulary",
                            format!("{token:?} in merge {rank}"),
                        )
                    })
                };
                let merged = format!("{}{}", pair.0, pair.1);
                merges.entry((id(&pair.0)?, id(&pair.1)?)).or_insert((rank, id(&merged)?));
            }
            Model::Bpe(Bpe {
                merges,
                unk: unk_of(json.opt_str("unk_token")?)?,
                fuse_unk: json.bool_or("fuse_unk", false)?,
                ignore_merges: json.bool_or("ignore_merges", false)?,
            })
        } else {
            let unk = unk_of(Some(json.str_or("unk_token", "[UNK]")?))?.expect("a named token");
            Model::WordPiece(WordPieceModel {
                unk,
                prefix: json.str_or("continuing_subword_prefix", "##")?.to_string(),
                max_chars: json.usize_or("max_input_chars_per_word", 100)?,
            })
        };
        Ok((model, vocab))
    }

    /// The ids of one pre-tokenized piece.
    pub(super) fn encode(&self, piece: &str, vocab: &FxHashMap<String, u32>, out: &mut Vec<u32>) {
        match self {
            Model::Bpe(bpe) => bpe.encode(piece, vocab, out),
            Model::WordPiece(wordpiece) => wordpiece.encode(piece, vocab, out),
        }
    }
}

impl Bpe {
    fn encode(&self, piece: &str, vocab: &FxHashMap<String, u32>, out: &mut Vec<u32>) {
        if self.ignore_merges {
            if let Some(&id) = vocab.get(piece) {
                out.push(id);
                return;
            }
        }
        // Start from one symbol per character; a character outside the vocabulary is the
        // unknown token (or dropped when there is none, as `tokenizers` does).
        let mut symbols: Vec<u32> = Vec::with_capacity(piece.len());
        let mut buf = [0u8; 4];
        let mut last_unknown = false;
        for c in piece.chars() {
            match vocab.get(&*c.encode_utf8(&mut buf)) {
                Some(&id) => {
                    symbols.push(id);
                    last_unknown = false;
                }
                None => {
                    if let Some(unk) = self.unk {
                        if !(self.fuse_unk && last_unknown) {
                            symbols.push(unk);
                        }
                        last_unknown = true;
                    }
                }
            }
        }
        // Merge the lowest-ranked adjacent pair, the leftmost on a tie, until none is left.
        loop {
            let best = symbols
                .windows(2)
                .enumerate()
                .filter_map(|(i, w)| self.merges.get(&(w[0], w[1])).map(|&(rank, id)| (rank, i, id)))
                .min();
            let Some((_, i, id)) = best else { break };
            symbols[i] = id;
            symbols.remove(i + 1);
        }
        out.extend(symbols);
    }
}

impl WordPieceModel {
    fn encode(&self, word: &str, vocab: &FxHashMap<String, u32>, out: &mut Vec<u32>) {
        if word.chars().count() > self.max_chars {
            out.push(self.unk);
            return;
        }
        let start_len = out.len();
        let mut start = 0;
        let mut candidate = String::new();
        while start < word.len() {
            // The longest piece from `start` that the vocabulary holds.
            let mut end = word.len();
            let found = loop {
                candidate.clear();
                if start > 0 {
                    candidate.push_str(&self.prefix);
                }
                candidate.push_str(&word[start..end]);
                if let Some(&id) = vocab.get(&candidate) {
                    break Some(id);
                }
                match word[start..end].char_indices().next_back() {
                    Some((last, _)) if last > 0 => end = start + last,
                    _ => break None,
                }
            };
            match found {
                Some(id) => {
                    out.push(id);
                    start = end;
                }
                None => {
                    out.truncate(start_len);
                    out.push(self.unk);
                    return;
                }
            }
        }
    }
}
