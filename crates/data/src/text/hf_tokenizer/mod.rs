//! A `tokenizer.json` of Hugging Face `tokenizers`, read and run here: the same ids for the
//! same text. See [`HfTokenizer`].

mod decoder;
mod json;
mod model;
mod normalizer;
mod pretokenizer;

use crate::error::DataError;
use decoder::Decoder;
use json::Json;
use model::Model;
use normalizer::Normalizer;
use pretokenizer::PreTokenizer;
use rustc_hash::FxHashMap;
use serde_json::Value;
use std::path::Path;

/// A tokenizer saved by Hugging Face `tokenizers` (`tokenizer.json`), run as that library
/// runs it: added tokens are cut out of the text first, the rest is normalized,
/// pre-tokenized and mapped to ids by the model, and the post-processor adds the special
/// tokens.
///
/// Implemented components (anything else is an error naming the component and the file):
/// - normalizers: `BertNormalizer`, `Lowercase`, `NFD`, `NFKD`, `NFC`, `NFKC`,
///   `StripAccents`, `Sequence`;
/// - pre-tokenizers: `ByteLevel` (GPT-2's split and byte-to-character table),
///   `BertPreTokenizer`, `Whitespace`, `WhitespaceSplit`, `Sequence`;
/// - models: `BPE` (merges by rank, byte-level or with an unknown token) and `WordPiece`
///   (continuation prefix, longest match first, at most `max_input_chars_per_word`);
/// - post-processors: `TemplateProcessing` (single sequences), `BertProcessing`,
///   `RobertaProcessing`, `ByteLevel`, `Sequence`;
/// - decoders: `ByteLevel`, `WordPiece` (with its clean-up), `Sequence`.
///
/// ```no_run
/// use kindling_data::text::HfTokenizer;
///
/// let tokenizer = HfTokenizer::from_file("tokenizer.json").expect("a tokenizer.json");
/// let ids = tokenizer.encode("Hello world", true);
/// println!("{ids:?} -> {}", tokenizer.decode(&ids, true));
/// ```
///
/// Two approximations, for want of Unicode's full category table: BERT's punctuation is the
/// ASCII set and Unicode's punctuation in the blocks where text uses it, and BERT's text
/// cleaning keeps unassigned code points (which `tokenizers` deletes).
#[derive(Clone, Debug)]
pub struct HfTokenizer {
    normalizer: Option<Normalizer>,
    pre_tokenizer: Option<PreTokenizer>,
    model: Model,
    post_processor: Option<PostProcessor>,
    decoder: Option<Decoder>,
    /// Every token (the model's and the added ones) → id.
    vocab: FxHashMap<String, u32>,
    /// id → token, `None` for an id no token has.
    tokens: Vec<Option<String>>,
    added: Vec<AddedToken>,
}

/// A token of `added_tokens`: matched in the text before the model sees it.
#[derive(Clone, Debug)]
struct AddedToken {
    content: String,
    id: u32,
    special: bool,
    /// Matched in the normalized text rather than the raw one.
    normalized: bool,
}

/// What the post-processor puts around a single sequence.
#[derive(Clone, Debug)]
enum PostProcessor {
    /// Special-token ids and the sequence (`None`), in order.
    Template(Vec<Option<Vec<u32>>>),
    Sequence(Vec<PostProcessor>),
}

/// A piece of text between added tokens, or an added token's id.
enum Segment<'a> {
    Text(&'a str),
    Token(u32),
}

impl HfTokenizer {
    /// Reads a `tokenizer.json`. A missing file is [`DataError::Io`]; invalid JSON, a
    /// malformed field or a component this type does not implement is
    /// [`DataError::Malformed`] naming the file and the component.
    pub fn from_file(path: impl AsRef<Path>) -> Result<HfTokenizer, DataError> {
        let path = path.as_ref();
        let text = std::fs::read_to_string(path).map_err(|source| DataError::Io {
            path: path.to_path_buf(),
            action: "read",
            source,
        })?;
        let value: Value = serde_json::from_str(&text).map_err(|error| {
            DataError::malformed(path, "a tokenizer.json of Hugging Face tokenizers", format!("invalid JSON ({error})"))
        })?;
        HfTokenizer::from_json(&Json::root(&value, path))
    }

    fn from_json(root: &Json<'_>) -> Result<HfTokenizer, DataError> {
        if root.child("truncation").is_some() {
            return Err(root.unsupported("truncation", "no truncation (cut the ids yourself)"));
        }
        let model_json = root.child("model").ok_or_else(|| root.malformed("model", "a model", "none"))?;
        let (model, mut vocab) = Model::parse(&model_json)?;
        let mut added = Vec::new();
        if let Some(list) = root.child("added_tokens") {
            for item in list.list_items()? {
                for flag in ["single_word", "lstrip", "rstrip"] {
                    if item.bool_or(flag, false)? {
                        return Err(item.unsupported(&format!("an added token with {flag}"), "added tokens without it"));
                    }
                }
                let content = item.opt_str("content")?.ok_or_else(|| item.malformed("content", "the token", "none"))?;
                let id = item.usize_or("id", usize::MAX)?;
                let id = u32::try_from(id).map_err(|_| item.malformed("id", "the token's id", "none"))?;
                vocab.insert(content.to_string(), id);
                added.push(AddedToken {
                    content: content.to_string(),
                    id,
                    special: item.bool_or("special", false)?,
                    normalized: item.bool_or("normalized", true)?,
                });
            }
        }
        let size = vocab.values().map(|&id| id as usize + 1).max().unwrap_or(0);
        let mut tokens = vec![None; size];
        for (token, &id) in &vocab {
            tokens[id as usize] = Some(token.clone());
        }
        for token in &added {
            tokens[token.id as usize] = Some(token.content.clone());
        }
        let post_processor =
            root.child("post_processor").map(|json| PostProcessor::parse(&json, &vocab)).transpose()?;
        Ok(HfTokenizer {
            normalizer: root.child("normalizer").map(|json| Normalizer::parse(&json)).transpose()?,
            pre_tokenizer: root.child("pre_tokenizer").map(|json| PreTokenizer::parse(&json)).transpose()?,
            model,
            post_processor,
            decoder: root.child("decoder").map(|json| Decoder::parse(&json)).transpose()?,
            vocab,
            tokens,
            added,
        })
    }

    /// The ids of `text`, with the post-processor's special tokens (`[CLS] … [SEP]`) when
    /// `add_special_tokens`. Added tokens written in the text (`[MASK]`, `<|endoftext|>`) are
    /// their ids either way.
    pub fn encode(&self, text: &str, add_special_tokens: bool) -> Vec<u32> {
        let mut ids = Vec::new();
        for segment in self.split_added(text, false) {
            let raw = match segment {
                Segment::Token(id) => {
                    ids.push(id);
                    continue;
                }
                Segment::Text(raw) => raw,
            };
            let normalized = match &self.normalizer {
                Some(normalizer) => normalizer.apply(raw),
                None => raw.to_string(),
            };
            for segment in self.split_added(&normalized, true) {
                match segment {
                    Segment::Token(id) => ids.push(id),
                    Segment::Text(text) => {
                        let pieces = match &self.pre_tokenizer {
                            Some(pre) => pre.apply(vec![text.to_string()]),
                            None => vec![text.to_string()],
                        };
                        for piece in pieces.iter().filter(|p| !p.is_empty()) {
                            self.model.encode(piece, &self.vocab, &mut ids);
                        }
                    }
                }
            }
        }
        match (&self.post_processor, add_special_tokens) {
            (Some(post), true) => post.apply(ids),
            _ => ids,
        }
    }

    /// The text of `ids` as the decoder rebuilds it; special tokens left out when
    /// `skip_special_tokens`. Ids no token has are skipped.
    pub fn decode(&self, ids: &[u32], skip_special_tokens: bool) -> String {
        let tokens: Vec<String> = ids
            .iter()
            .filter_map(|&id| self.id_to_token(id))
            .filter(|token| !(skip_special_tokens && self.is_special(token)))
            .map(str::to_string)
            .collect();
        match &self.decoder {
            Some(decoder) => decoder.decode(tokens).concat(),
            None => tokens.join(" "),
        }
    }

    /// The id of `token` (the model's vocabulary or an added token).
    pub fn token_to_id(&self, token: &str) -> Option<u32> {
        self.vocab.get(token).copied()
    }

    /// The token of `id`.
    pub fn id_to_token(&self, id: u32) -> Option<&str> {
        self.tokens.get(id as usize).and_then(|token| token.as_deref())
    }

    /// The number of tokens, added ones included (the size a model's embedding needs when
    /// ids are contiguous).
    pub fn vocab_size(&self) -> usize {
        self.vocab.len()
    }

    fn is_special(&self, token: &str) -> bool {
        self.added.iter().any(|added| added.special && added.content == token)
    }

    /// `text` cut around the added tokens matched on raw (`normalized == false`) or normalized
    /// text: at each position the longest token that starts there, else the next character.
    fn split_added<'t>(&self, text: &'t str, normalized: bool) -> Vec<Segment<'t>> {
        let candidates: Vec<&AddedToken> =
            self.added.iter().filter(|t| t.normalized == normalized && !t.content.is_empty()).collect();
        let mut out = Vec::new();
        let (mut start, mut i) = (0, 0);
        while i < text.len() {
            let rest = &text[i..];
            let hit = candidates.iter().filter(|t| rest.starts_with(&t.content)).max_by_key(|t| t.content.len());
            match hit {
                Some(token) => {
                    if start < i {
                        out.push(Segment::Text(&text[start..i]));
                    }
                    out.push(Segment::Token(token.id));
                    i += token.content.len();
                    start = i;
                }
                None => i += rest.chars().next().map_or(1, char::len_utf8),
            }
        }
        if start < text.len() {
            out.push(Segment::Text(&text[start..]));
        }
        out
    }
}

impl PostProcessor {
    fn parse(json: &Json<'_>, vocab: &FxHashMap<String, u32>) -> Result<PostProcessor, DataError> {
        let kind = json.kind()?;
        Ok(match kind {
            "ByteLevel" => PostProcessor::Template(vec![None]),
            "BertProcessing" | "RobertaProcessing" => {
                let id_of = |key: &str| -> Result<u32, DataError> {
                    let pair = json.child(key).and_then(|j| j.value.as_array().cloned());
                    match pair.as_deref() {
                        Some([_, id]) => id.as_u64().map(|id| id as u32),
                        _ => None,
                    }
                    .ok_or_else(|| json.malformed(key, "a [token, id] pair", "none"))
                };
                PostProcessor::Template(vec![Some(vec![id_of("cls")?]), None, Some(vec![id_of("sep")?])])
            }
            "TemplateProcessing" => {
                let specials = json.child("special_tokens");
                let mut items = Vec::new();
                for item in json.list("single")? {
                    if let Some(special) = item.child("SpecialToken") {
                        let name = special.opt_str("id")?.unwrap_or_default();
                        let ids = specials
                            .as_ref()
                            .and_then(|s| s.value.get(name))
                            .and_then(|s| s.get("ids"))
                            .and_then(Value::as_array)
                            .map(|ids| ids.iter().filter_map(Value::as_u64).map(|id| id as u32).collect::<Vec<_>>())
                            .or_else(|| vocab.get(name).map(|&id| vec![id]))
                            .ok_or_else(|| json.malformed("special_tokens", format!("the ids of {name:?}"), "none"))?;
                        items.push(Some(ids));
                    } else if item.child("Sequence").is_some() {
                        items.push(None);
                    } else {
                        return Err(item.unsupported(&item.value.to_string(), "SpecialToken or Sequence items"));
                    }
                }
                PostProcessor::Template(items)
            }
            "Sequence" => PostProcessor::Sequence(
                json.list("processors")?.iter().map(|j| PostProcessor::parse(j, vocab)).collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(json.unsupported(
                    other,
                    "TemplateProcessing, BertProcessing, RobertaProcessing, ByteLevel or Sequence",
                ))
            }
        })
    }

    fn apply(&self, ids: Vec<u32>) -> Vec<u32> {
        match self {
            PostProcessor::Template(items) => {
                let mut out = Vec::with_capacity(ids.len() + items.len());
                for item in items {
                    match item {
                        Some(special) => out.extend_from_slice(special),
                        None => out.extend_from_slice(&ids),
                    }
                }
                out
            }
            PostProcessor::Sequence(steps) => steps.iter().fold(ids, |ids, step| step.apply(ids)),
        }
    }
}
