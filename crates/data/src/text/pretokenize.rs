//! The GPT-2 pre-tokeniser and the GPT-2 byte-to-character table, the two pieces of byte-level
//! BPE ([`ByteBpe`](super::ByteBpe)) that come before the merges.
//!
//! ```
//! use kindling_data::text::gpt2_pretokenize;
//!
//! let pieces = gpt2_pretokenize("Hello world, it's 2024!\n\n  Bye");
//! assert_eq!(pieces, ["Hello", " world", ",", " it", "'s", " 2024", "!", "\n\n ", " Bye"]);
//! ```

use unicode_normalization::char::is_combining_mark;

/// The four character classes of the GPT-2 pre-tokeniser.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Class {
    Letter,
    Number,
    Space,
    Other,
}

/// The circled and squared letters (ⓐ, 🅐, ...): symbols (So) that Unicode counts as
/// Alphabetic.
fn is_enclosed_letter(c: char) -> bool {
    matches!(c, '\u{24B6}'..='\u{24E9}' | '\u{1F130}'..='\u{1F149}' | '\u{1F150}'..='\u{1F169}' | '\u{1F170}'..='\u{1F189}')
}

/// The class of `c`. A letter is the general category L: Unicode's Alphabetic property minus
/// the numbers (Nl), marks and enclosed letters it also holds; a number is the category N.
fn class(c: char) -> Class {
    if c.is_ascii() {
        return match c {
            'a'..='z' | 'A'..='Z' => Class::Letter,
            '0'..='9' => Class::Number,
            ' ' | '\t' | '\n' | '\r' | '\x0b' | '\x0c' => Class::Space,
            _ => Class::Other,
        };
    }
    if c.is_whitespace() {
        Class::Space
    } else if c.is_numeric() {
        Class::Number
    } else if c.is_alphabetic() && !is_combining_mark(c) && !is_enclosed_letter(c) {
        Class::Letter
    } else {
        Class::Other
    }
}

/// The byte length of the run of characters of class `class` at the start of `text`.
fn run_length(text: &str, class_of_run: Class) -> usize {
    text.char_indices().find(|&(_, c)| class(c) != class_of_run).map_or(text.len(), |(i, _)| i)
}

/// The length in bytes of the first GPT-2 piece of a non-empty `text`.
fn first_piece(text: &str) -> usize {
    let mut chars = text.chars();
    let c = chars.next().expect("first_piece needs a non-empty text");
    let rest = &text[c.len_utf8()..];
    if c == '\'' {
        for suffix in ["s", "t", "m", "d", "re", "ve", "ll"] {
            if rest.starts_with(suffix) {
                return 1 + suffix.len();
            }
        }
    }
    let next = chars.next();
    match class(c) {
        // A space joins the word, number or symbol run that follows it.
        Class::Space if c == ' ' && next.is_some_and(|n| class(n) != Class::Space) => {
            let n = next.unwrap();
            1 + run_length(rest, class(n))
        }
        Class::Space => {
            let run = run_length(text, Class::Space);
            if run == text.len() {
                return run; // trailing white space stays together
            }
            // All but the last white space character, which goes with what follows; a single
            // one that is not a space (a newline before a word) stands alone.
            let last = text[..run].chars().next_back().unwrap();
            if run > c.len_utf8() {
                run - last.len_utf8()
            } else {
                run
            }
        }
        other => run_length(text, other),
    }
}

/// The pieces that GPT-2's pre-tokeniser (and Hugging Face's `ByteLevel` pre-tokeniser
/// without a prefix space) cuts `text` into, before any merge: the contractions `'s 't 're 've
/// 'm 'll 'd`, runs of letters, of digits, and of other symbols (each with an optional
/// leading space), and runs of white space. The pieces concatenate back to `text`.
///
/// Written by hand rather than with a regular expression: letters are the general category L
/// and digits the category N, as `\p{L}` and `\p{N}` in GPT-2's pattern.
pub fn gpt2_pretokenize(text: &str) -> Vec<&str> {
    Gpt2Pieces { rest: text }.collect()
}

/// An iterator over the pieces of [`gpt2_pretokenize`], without collecting them.
pub(crate) struct Gpt2Pieces<'a> {
    pub(crate) rest: &'a str,
}

impl<'a> Iterator for Gpt2Pieces<'a> {
    type Item = &'a str;

    fn next(&mut self) -> Option<&'a str> {
        if self.rest.is_empty() {
            return None;
        }
        let (piece, rest) = self.rest.split_at(first_piece(self.rest));
        self.rest = rest;
        Some(piece)
    }
}

/// GPT-2's table from bytes to printable characters: the printable Latin-1 bytes (`!`..`~`,
/// `¡`..`¬`, `®`..`ÿ`) stand for themselves, and the other 68 bytes, in order, take the
/// characters from U+0100 on. A token's bytes are written as these characters in `vocab.json`
/// and `merges.txt`, so that no token holds a space, a control character or half a UTF-8
/// sequence.
pub(crate) fn byte_to_char() -> [char; 256] {
    let printable = |b: u8| matches!(b, b'!'..=b'~' | 0xA1..=0xAC | 0xAE..=0xFF);
    let mut table = ['\0'; 256];
    let mut next = 256u32;
    for b in 0..=255u8 {
        table[b as usize] = if printable(b) {
            char::from(b)
        } else {
            next += 1;
            char::from_u32(next - 1).unwrap()
        };
    }
    table
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_table_matches_gpt2_at_known_points() {
        let table = byte_to_char();
        assert_eq!(table[b' ' as usize], 'Ġ'); // U+0120: 33 control/space bytes come before it
        assert_eq!(table[b'\n' as usize], 'Ċ');
        assert_eq!(table[b'a' as usize], 'a');
        assert_eq!(table[0], 'Ā');
        assert_eq!(table[0xAD], 'Ń');
        let mut sorted = table.to_vec();
        sorted.sort_unstable();
        sorted.dedup();
        assert_eq!(sorted.len(), 256);
    }

    #[test]
    fn pieces_follow_the_gpt2_rules() {
        assert_eq!(gpt2_pretokenize("I'm don't we'll"), ["I", "'m", " don", "'t", " we", "'ll"]);
        assert_eq!(gpt2_pretokenize("'S 'x"), ["'", "S", " '", "x"]);
        assert_eq!(gpt2_pretokenize("a   b"), ["a", "  ", " b"]);
        assert_eq!(gpt2_pretokenize("a \n\tb"), ["a", " \n", "\t", "b"]);
        assert_eq!(gpt2_pretokenize("end  "), ["end", "  "]);
        assert_eq!(gpt2_pretokenize("x?!... 12ab"), ["x", "?!...", " 12", "ab"]);
        assert_eq!(gpt2_pretokenize(" 日本 😀😀 é"), [" 日本", " 😀😀", " é"]);
        // Circled letters are symbols; Roman numerals and superscripts are numbers; a
        // combining mark is a symbol when it starts a piece.
        assert_eq!(gpt2_pretokenize("abⓐⓑ Ⅻ²x \u{301}"), ["ab", "ⓐⓑ", " Ⅻ²", "x", " \u{301}"]);
        assert!(gpt2_pretokenize("").is_empty());
    }

    #[test]
    fn pieces_concatenate_back_to_the_text() {
        let text = "  Tabs\tand\r\nCRLF, 'quotes' and ’curly’; x1y2 — fin.\u{3000}\u{3000}z ";
        assert_eq!(gpt2_pretokenize(text).concat(), text);
    }
}
