//! Plain-text corpora (Tiny Shakespeare and the like) and a character vocabulary for
//! character-level language models.

use crate::error::DataError;
use kindling_tensor::Tensor;
use std::collections::HashMap;
use std::path::Path;

/// The byte-order mark some editors (Notepad, Excel's "CSV UTF-8") put at the start of a file.
const BYTE_ORDER_MARK: char = '\u{feff}';

/// `text` without a leading byte-order mark: it marks the encoding and is not part of the text.
pub(crate) fn strip_bom(text: &str) -> &str {
    text.strip_prefix(BYTE_ORDER_MARK).unwrap_or(text)
}

/// Writes `text` to `path` all-or-nothing (the workspace's `write_atomic`: a temporary file
/// beside it, flushed, then renamed over it).
pub(crate) fn write_text_atomic(path: &Path, text: &str) -> Result<(), DataError> {
    kindling_tensor::io::write_atomic(path, text.as_bytes()).map_err(|e| DataError::io(path, "write", e))
}

/// Reads a UTF-8 text file whole, without a leading byte-order mark. Invalid UTF-8 is an error
/// naming the byte offset.
pub fn read_text(path: impl AsRef<Path>) -> Result<String, DataError> {
    let path = path.as_ref();
    let bytes = std::fs::read(path).map_err(|e| DataError::io(path, "read", e))?;
    let mut text = String::from_utf8(bytes).map_err(|e| {
        let at = e.utf8_error().valid_up_to();
        DataError::malformed_at(path, format!("byte {at}"), "UTF-8 text", "a byte sequence that is not UTF-8")
    })?;
    let mark = text.len() - strip_bom(&text).len();
    text.drain(..mark);
    Ok(text)
}

/// The distinct characters of a corpus, numbered in sorted order, for encoding text as token
/// ids (`encode`) and back (`decode`).
///
/// ```
/// use kindling_data::CharVocab;
///
/// let vocab = CharVocab::new("hello");
/// assert_eq!(vocab.chars(), ['e', 'h', 'l', 'o']);
/// let ids = vocab.encode("hole").unwrap();
/// assert_eq!(ids.to_vec(), vec![1, 3, 2, 0]);
/// assert_eq!(vocab.decode(&ids.to_vec()), "hole");
/// ```
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CharVocab {
    chars: Vec<char>,
    index: HashMap<char, usize>,
}

impl CharVocab {
    /// The vocabulary of `text`.
    pub fn new(text: &str) -> Self {
        let mut chars: Vec<char> = text.chars().collect();
        chars.sort_unstable();
        chars.dedup();
        let index = chars.iter().enumerate().map(|(i, &c)| (c, i)).collect();
        CharVocab { chars, index }
    }

    /// The number of distinct characters.
    pub fn len(&self) -> usize {
        self.chars.len()
    }

    /// Whether the vocabulary is empty.
    pub fn is_empty(&self) -> bool {
        self.chars.is_empty()
    }

    /// The characters in id order.
    pub fn chars(&self) -> &[char] {
        &self.chars
    }

    /// The id of each character of `text`, as a `[len]` tensor; a character outside the
    /// vocabulary is an error.
    pub fn encode(&self, text: &str) -> Result<Tensor<i64>, DataError> {
        let ids = text
            .chars()
            .map(|c| {
                self.index.get(&c).map(|&i| i as i64).ok_or_else(|| DataError::UnknownCategory {
                    encoder: "CharVocab",
                    value: c.to_string(),
                    known: self.chars.iter().map(|c| c.to_string()).collect(),
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let n = ids.len();
        Ok(Tensor::from_vec(ids, [n]))
    }

    /// The text for a sequence of ids. Panics on an id outside the vocabulary.
    pub fn decode(&self, ids: &[i64]) -> String {
        ids.iter()
            .map(|&i| {
                usize::try_from(i)
                    .ok()
                    .and_then(|i| self.chars.get(i))
                    .copied()
                    .unwrap_or_else(|| panic!("CharVocab::decode: id {i} is not in 0..{}", self.chars.len()))
            })
            .collect()
    }
}
