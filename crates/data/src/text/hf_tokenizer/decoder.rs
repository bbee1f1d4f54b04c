//! The decoders of a `tokenizer.json`: tokens back to text.

use super::Json;
use crate::error::DataError;
use crate::text::pretokenize::byte_to_char;
use rustc_hash::FxHashMap;

/// One decoder of Hugging Face `tokenizers`.
#[derive(Clone, Debug)]
pub(super) enum Decoder {
    /// GPT-2's: every character back to its byte, the bytes read as UTF-8.
    ByteLevel,
    /// Pieces after the first joined to the previous one when they carry the prefix, else
    /// after a space; with `cleanup`, the spaces before punctuation and contractions dropped.
    WordPiece {
        prefix: String,
        cleanup: bool,
    },
    Sequence(Vec<Decoder>),
}

impl Decoder {
    pub(super) fn parse(json: &Json<'_>) -> Result<Decoder, DataError> {
        Ok(match json.kind()? {
            "ByteLevel" => Decoder::ByteLevel,
            "WordPiece" => Decoder::WordPiece {
                prefix: json.str_or("prefix", "##")?.to_string(),
                cleanup: json.bool_or("cleanup", true)?,
            },
            "Sequence" => {
                Decoder::Sequence(json.list("decoders")?.iter().map(Decoder::parse).collect::<Result<_, _>>()?)
            }
            other => return Err(json.unsupported(other, "ByteLevel, WordPiece or Sequence")),
        })
    }

    /// The decoded pieces, which concatenate to the text.
    pub(super) fn decode(&self, tokens: Vec<String>) -> Vec<String> {
        match self {
            Decoder::ByteLevel => {
                let table: FxHashMap<char, u8> =
                    byte_to_char().iter().enumerate().map(|(byte, &c)| (c, byte as u8)).collect();
                let mut bytes = Vec::new();
                for token in &tokens {
                    // A token with a character outside the table (an added token in another
                    // script) is kept as its own UTF-8.
                    match token.chars().map(|c| table.get(&c).copied()).collect::<Option<Vec<u8>>>() {
                        Some(token_bytes) => bytes.extend(token_bytes),
                        None => bytes.extend_from_slice(token.as_bytes()),
                    }
                }
                vec![String::from_utf8_lossy(&bytes).into_owned()]
            }
            Decoder::WordPiece { prefix, cleanup } => tokens
                .into_iter()
                .enumerate()
                .map(|(i, token)| {
                    let token = match (i, token.strip_prefix(prefix.as_str())) {
                        (0, _) => token,
                        (_, Some(rest)) => rest.to_string(),
                        (_, None) => format!(" {token}"),
                    };
                    if *cleanup {
                        clean_up(&token)
                    } else {
                        token
                    }
                })
                .collect(),
            Decoder::Sequence(steps) => steps.iter().fold(tokens, |tokens, step| step.decode(tokens)),
        }
    }
}

/// WordPiece's clean-up of the space that decoding put before punctuation and English
/// contractions.
fn clean_up(text: &str) -> String {
    text.replace(" .", ".")
        .replace(" ?", "?")
        .replace(" !", "!")
        .replace(" ,", ",")
        .replace(" ' ", "'")
        .replace(" n't", "n't")
        .replace(" 'm", "'m")
        .replace(" do not", " don't")
        .replace(" 's", "'s")
        .replace(" 've", "'ve")
        .replace(" 're", "'re")
}
