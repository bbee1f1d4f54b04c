//! The pre-tokenizers of a `tokenizer.json`: byte-level (GPT-2), BERT's, white space.

use super::Json;
use crate::error::DataError;
use crate::text::pretokenize::{byte_to_char, Gpt2Pieces};
use unicode_normalization::char::is_combining_mark;

/// One pre-tokenizer of Hugging Face `tokenizers`.
#[derive(Clone, Debug)]
pub(super) enum PreTokenizer {
    /// GPT-2's: optionally a leading space, the GPT-2 split, then every byte as a printable
    /// character.
    ByteLevel {
        add_prefix_space: bool,
        use_regex: bool,
    },
    /// Split at white space (dropped) and around every punctuation character.
    Bert,
    /// Runs of word characters and runs of other non-space characters (`\w+|[^\w\s]+`).
    Whitespace,
    /// Split at white space only.
    WhitespaceSplit,
    Sequence(Vec<PreTokenizer>),
}

impl PreTokenizer {
    pub(super) fn parse(json: &Json<'_>) -> Result<PreTokenizer, DataError> {
        Ok(match json.kind()? {
            "ByteLevel" => PreTokenizer::ByteLevel {
                add_prefix_space: json.bool_or("add_prefix_space", true)?,
                use_regex: json.bool_or("use_regex", true)?,
            },
            "BertPreTokenizer" => PreTokenizer::Bert,
            "Whitespace" => PreTokenizer::Whitespace,
            "WhitespaceSplit" => PreTokenizer::WhitespaceSplit,
            "Sequence" => PreTokenizer::Sequence(
                json.list("pretokenizers")?.iter().map(PreTokenizer::parse).collect::<Result<_, _>>()?,
            ),
            other => {
                return Err(
                    json.unsupported(other, "ByteLevel, BertPreTokenizer, Whitespace, WhitespaceSplit or Sequence")
                )
            }
        })
    }

    /// Cuts every piece of `pieces` further.
    pub(super) fn apply(&self, pieces: Vec<String>) -> Vec<String> {
        match self {
            PreTokenizer::Sequence(steps) => steps.iter().fold(pieces, |pieces, step| step.apply(pieces)),
            _ => pieces.iter().flat_map(|piece| self.split(piece)).collect(),
        }
    }

    fn split(&self, text: &str) -> Vec<String> {
        match self {
            PreTokenizer::ByteLevel { add_prefix_space, use_regex } => {
                let table = byte_to_char();
                let spaced;
                let text = if *add_prefix_space && !text.starts_with(' ') {
                    spaced = format!(" {text}");
                    spaced.as_str()
                } else {
                    text
                };
                let to_chars = |piece: &str| piece.bytes().map(|b| table[b as usize]).collect::<String>();
                if *use_regex {
                    Gpt2Pieces { rest: text }.map(to_chars).collect()
                } else {
                    vec![to_chars(text)]
                }
            }
            PreTokenizer::Bert => {
                let mut out = Vec::new();
                for word in text.split_whitespace() {
                    let mut start = 0;
                    for (i, c) in word.char_indices() {
                        if is_bert_punctuation(c) {
                            if start < i {
                                out.push(word[start..i].to_string());
                            }
                            out.push(c.to_string());
                            start = i + c.len_utf8();
                        }
                    }
                    if start < word.len() {
                        out.push(word[start..].to_string());
                    }
                }
                out
            }
            PreTokenizer::Whitespace => {
                let mut out: Vec<String> = Vec::new();
                let mut last: Option<bool> = None; // the class of the run being built
                for c in text.chars() {
                    if c.is_whitespace() {
                        last = None;
                        continue;
                    }
                    let word = is_word_char(c);
                    match (last, out.last_mut()) {
                        (Some(class), Some(run)) if class == word => run.push(c),
                        _ => out.push(c.to_string()),
                    }
                    last = Some(word);
                }
                out
            }
            PreTokenizer::WhitespaceSplit => text.split_whitespace().map(str::to_string).collect(),
            PreTokenizer::Sequence(_) => self.apply(vec![text.to_string()]),
        }
    }
}

/// A regular expression's `\w`: letters, marks, decimal digits, connector punctuation and the
/// zero-width joiners.
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric()
        || is_combining_mark(c)
        || matches!(
            c,
            '_' | '\u{203F}' | '\u{2040}' | '\u{2054}' | '\u{FE33}' | '\u{FE34}' | '\u{FE4D}'
                ..='\u{FE4F}' | '\u{FF3F}' | '\u{200C}' | '\u{200D}'
        )
}

/// BERT's punctuation: every ASCII punctuation or symbol character, and Unicode's punctuation
/// (categories Pc, Pd, Ps, Pe, Pi, Pf, Po) in the blocks where text uses it (Latin-1, General
/// Punctuation, CJK and full-width forms, and the marks of Greek, Armenian, Hebrew, Arabic and
/// Devanagari). Other symbols (emoji, currency, maths) are not punctuation to BERT.
fn is_bert_punctuation(c: char) -> bool {
    c.is_ascii_punctuation()
        || matches!(c,
            '\u{A1}' | '\u{A7}' | '\u{AB}' | '\u{B6}' | '\u{B7}' | '\u{BB}' | '\u{BF}'
            | '\u{37E}' | '\u{387}' | '\u{55A}'..='\u{55F}' | '\u{589}' | '\u{58A}'
            | '\u{5BE}' | '\u{5C0}' | '\u{5C3}' | '\u{5C6}' | '\u{5F3}' | '\u{5F4}'
            | '\u{609}' | '\u{60A}' | '\u{60C}' | '\u{60D}' | '\u{61B}' | '\u{61D}'..='\u{61F}'
            | '\u{66A}'..='\u{66D}' | '\u{6D4}' | '\u{964}' | '\u{965}' | '\u{970}'
            | '\u{2010}'..='\u{2027}' | '\u{2030}'..='\u{2043}' | '\u{2045}'..='\u{2051}'
            | '\u{2053}'..='\u{205E}' | '\u{207D}' | '\u{207E}' | '\u{208D}' | '\u{208E}'
            | '\u{2308}'..='\u{230B}' | '\u{2329}' | '\u{232A}' | '\u{2768}'..='\u{2775}'
            | '\u{27C5}' | '\u{27C6}' | '\u{27E6}'..='\u{27EF}' | '\u{2983}'..='\u{2998}'
            | '\u{29D8}'..='\u{29DB}' | '\u{29FC}' | '\u{29FD}' | '\u{2CF9}'..='\u{2CFC}'
            | '\u{2CFE}' | '\u{2CFF}' | '\u{2E00}'..='\u{2E2E}' | '\u{2E30}'..='\u{2E4F}'
            | '\u{3001}'..='\u{3003}' | '\u{3008}'..='\u{3011}' | '\u{3014}'..='\u{301F}'
            | '\u{3030}' | '\u{303D}' | '\u{30A0}' | '\u{30FB}' | '\u{FE10}'..='\u{FE19}'
            | '\u{FE30}'..='\u{FE52}' | '\u{FE54}'..='\u{FE61}' | '\u{FE63}' | '\u{FE68}'
            | '\u{FE6A}' | '\u{FE6B}' | '\u{FF01}'..='\u{FF03}' | '\u{FF05}'..='\u{FF0A}'
            | '\u{FF0C}'..='\u{FF0F}' | '\u{FF1A}' | '\u{FF1B}' | '\u{FF1F}' | '\u{FF20}'
            | '\u{FF3B}'..='\u{FF3D}' | '\u{FF3F}' | '\u{FF5B}' | '\u{FF5D}' | '\u{FF5F}'..='\u{FF65}')
}
