//! The normalizers of a `tokenizer.json`: BERT's, Unicode forms, case and accents.

use super::Json;
use crate::error::DataError;
use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// One normalizer of Hugging Face `tokenizers`.
#[derive(Clone, Debug)]
pub(super) enum Normalizer {
    /// BERT's: clean control characters and white space, space out CJK ideographs, strip
    /// accents, lowercase.
    Bert {
        clean_text: bool,
        chinese_chars: bool,
        strip_accents: bool,
        lowercase: bool,
    },
    Lowercase,
    Nfd,
    Nfkd,
    Nfc,
    Nfkc,
    StripAccents,
    Sequence(Vec<Normalizer>),
}

impl Normalizer {
    pub(super) fn parse(json: &Json<'_>) -> Result<Normalizer, DataError> {
        Ok(match json.kind()? {
            "BertNormalizer" => {
                let lowercase = json.bool_or("lowercase", true)?;
                Normalizer::Bert {
                    clean_text: json.bool_or("clean_text", true)?,
                    chinese_chars: json.bool_or("handle_chinese_chars", true)?,
                    // Unset, accents go with lowercasing, as in BERT's uncased models.
                    strip_accents: json.bool_or("strip_accents", lowercase)?,
                    lowercase,
                }
            }
            "Lowercase" => Normalizer::Lowercase,
            "NFD" => Normalizer::Nfd,
            "NFKD" => Normalizer::Nfkd,
            "NFC" => Normalizer::Nfc,
            "NFKC" => Normalizer::Nfkc,
            "StripAccents" => Normalizer::StripAccents,
            "Sequence" => {
                Normalizer::Sequence(json.list("normalizers")?.iter().map(Normalizer::parse).collect::<Result<_, _>>()?)
            }
            other => {
                return Err(json
                    .unsupported(other, "BertNormalizer, Lowercase, NFD, NFKD, NFC, NFKC, StripAccents or Sequence"))
            }
        })
    }

    pub(super) fn apply(&self, text: &str) -> String {
        match self {
            Normalizer::Bert { clean_text, chinese_chars, strip_accents: strip, lowercase } => {
                let mut out = String::with_capacity(text.len());
                for c in text.chars() {
                    if *clean_text && is_bert_control(c) {
                        continue;
                    }
                    if *clean_text && c.is_whitespace() {
                        out.push(' ');
                    } else if *chinese_chars && is_cjk_ideograph(c) {
                        out.extend([' ', c, ' ']);
                    } else {
                        out.push(c);
                    }
                }
                if *strip {
                    out = strip_accents(&out.nfd().collect::<String>());
                }
                if *lowercase {
                    out = lowercase_chars(&out);
                }
                out
            }
            Normalizer::Lowercase => lowercase_chars(text),
            Normalizer::Nfd => text.nfd().collect(),
            Normalizer::Nfkd => text.nfkd().collect(),
            Normalizer::Nfc => text.nfc().collect(),
            Normalizer::Nfkc => text.nfkc().collect(),
            Normalizer::StripAccents => strip_accents(text),
            Normalizer::Sequence(steps) => steps.iter().fold(text.to_string(), |text, step| step.apply(&text)),
        }
    }
}

/// Character by character, as `tokenizers` lowercases (no context-dependent final sigma).
fn lowercase_chars(text: &str) -> String {
    text.chars().flat_map(char::to_lowercase).collect()
}

/// Drops combining marks (the accents that NFD separates from their letters).
fn strip_accents(text: &str) -> String {
    text.chars().filter(|&c| !is_combining_mark(c)).collect()
}

/// The characters BERT's `clean_text` deletes: NUL, the replacement character, control
/// characters other than tab, newline and carriage return, and the common format and
/// private-use characters (zero-width spaces and joiners, bidirectional marks, the byte-order
/// mark). Unassigned code points, which `tokenizers` also deletes, are kept: telling them
/// apart needs Unicode's full category table.
fn is_bert_control(c: char) -> bool {
    if matches!(c, '\t' | '\n' | '\r') {
        return false;
    }
    c.is_control()
        || c == '\u{FFFD}'
        || matches!(c,
            '\u{AD}' | '\u{600}'..='\u{605}' | '\u{61C}' | '\u{6DD}' | '\u{70F}' | '\u{180E}'
            | '\u{200B}'..='\u{200F}' | '\u{202A}'..='\u{202E}' | '\u{2060}'..='\u{2064}'
            | '\u{2066}'..='\u{206F}' | '\u{FEFF}' | '\u{FFF9}'..='\u{FFFB}' | '\u{E0001}'
            | '\u{E0020}'..='\u{E007F}' | '\u{E000}'..='\u{F8FF}' | '\u{F0000}'..='\u{FFFFD}'
            | '\u{100000}'..='\u{10FFFD}')
}

/// The CJK Unified Ideographs blocks that BERT surrounds with spaces (not kana or hangul).
fn is_cjk_ideograph(c: char) -> bool {
    matches!(c,
        '\u{4E00}'..='\u{9FFF}' | '\u{3400}'..='\u{4DBF}' | '\u{20000}'..='\u{2A6DF}'
        | '\u{2A700}'..='\u{2B73F}' | '\u{2B740}'..='\u{2B81F}' | '\u{2B820}'..='\u{2CEAF}'
        | '\u{F900}'..='\u{FAFF}' | '\u{2F800}'..='\u{2FA1F}')
}
