//! Text normalisation: the first stage of a text pipeline, run before anything is cut into
//! tokens, so that "Café", "CAFE" and "café" can become one word.
//!
//! ```
//! use kindling_data::text::{normalize, Normalize, Punctuation};
//!
//! let options = Normalize { strip_accents: true, punctuation: Punctuation::Remove, ..Normalize::default() };
//! assert_eq!(normalize("  Crème   Brûlée, s’il vous plaît! ", &options), "creme brulee sil vous plait");
//! // The default lowercases, applies NFKC (ligatures and full-width forms become plain
//! // letters and digits) and collapses runs of white space.
//! assert_eq!(normalize("ﬁne  ＡＢＣ １２３", &Normalize::default()), "fine abc 123");
//! ```

use unicode_normalization::char::is_combining_mark;
use unicode_normalization::UnicodeNormalization;

/// Which Unicode normal form to bring the text to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum UnicodeForm {
    /// Leave the code points as they are.
    None,
    /// Canonical composition: "e" + combining acute becomes "é"; looks never change.
    Nfc,
    /// Compatibility composition: NFC, and also ligatures ("ﬁ" → "fi"), full-width forms
    /// ("１" → "1"), superscripts ("²" → "2") and similar variants become their plain letters.
    Nfkc,
}

/// What to do with punctuation and symbols (every character that is not a letter, a digit, a
/// combining mark or white space).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Punctuation {
    /// Leave it.
    Keep,
    /// Delete it: "don't" becomes "dont".
    Remove,
    /// Replace each mark by a space: "state-of-the-art" becomes "state of the art".
    Space,
}

/// What to do with digits (every character Unicode counts as numeric).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Digits {
    /// Leave them.
    Keep,
    /// Delete them.
    Remove,
}

/// The options of [`normalize`]. The default lowercases, applies NFKC, keeps accents,
/// punctuation and digits, and collapses white space.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Normalize {
    /// Lowercase everything (Unicode-aware: "ÉTÉ" → "été").
    pub lowercase: bool,
    /// The Unicode normal form to apply first.
    pub unicode: UnicodeForm,
    /// Remove accents: decompose (NFD), drop the combining marks, recompose (NFC).
    pub strip_accents: bool,
    /// Keep, remove or space out punctuation and symbols.
    pub punctuation: Punctuation,
    /// Keep or remove digits.
    pub digits: Digits,
    /// Replace every run of white space by one space and trim both ends.
    pub collapse_whitespace: bool,
}

impl Default for Normalize {
    fn default() -> Self {
        Normalize {
            lowercase: true,
            unicode: UnicodeForm::Nfkc,
            strip_accents: false,
            punctuation: Punctuation::Keep,
            digits: Digits::Keep,
            collapse_whitespace: true,
        }
    }
}

/// Whether `c` counts as punctuation or a symbol for [`Punctuation`].
fn is_punctuation(c: char) -> bool {
    !(c.is_alphanumeric() || c.is_whitespace() || is_combining_mark(c))
}

/// `text` normalised as `options` say, in this order: Unicode form, accents, case,
/// punctuation, digits, white space.
pub fn normalize(text: &str, options: &Normalize) -> String {
    let mut out: String = match options.unicode {
        UnicodeForm::None => text.to_string(),
        UnicodeForm::Nfc => text.nfc().collect(),
        UnicodeForm::Nfkc => text.nfkc().collect(),
    };
    if options.strip_accents {
        out = out.nfd().filter(|&c| !is_combining_mark(c)).nfc().collect();
    }
    if options.lowercase {
        out = out.to_lowercase();
    }
    let keep_digits = options.digits == Digits::Keep;
    out = out
        .chars()
        .filter_map(|c| match (is_punctuation(c), options.punctuation) {
            (true, Punctuation::Remove) => None,
            (true, Punctuation::Space) => Some(' '),
            _ if !keep_digits && c.is_numeric() => None,
            _ => Some(c),
        })
        .collect();
    if options.collapse_whitespace {
        out = out.split_whitespace().collect::<Vec<_>>().join(" ");
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn raw() -> Normalize {
        Normalize {
            lowercase: false,
            unicode: UnicodeForm::None,
            strip_accents: false,
            punctuation: Punctuation::Keep,
            digits: Digits::Keep,
            collapse_whitespace: false,
        }
    }

    #[test]
    fn every_option_off_changes_nothing() {
        let text = "  Ｃafe\u{301} ﬁ 12, “x”\t";
        assert_eq!(normalize(text, &raw()), text);
    }

    #[test]
    fn nfc_composes_and_nfkc_also_folds_compatibility_forms() {
        let decomposed = "Cafe\u{301}";
        assert_eq!(normalize(decomposed, &Normalize { unicode: UnicodeForm::Nfc, ..raw() }), "Café");
        let nfc = Normalize { unicode: UnicodeForm::Nfc, ..raw() };
        let nfkc = Normalize { unicode: UnicodeForm::Nfkc, ..raw() };
        assert_eq!(normalize("ﬁnal １２３ x²", &nfc), "ﬁnal １２３ x²");
        assert_eq!(normalize("ﬁnal １２３ x²", &nfkc), "final 123 x2");
    }

    #[test]
    fn accents_are_stripped_whether_composed_or_not() {
        let options = Normalize { strip_accents: true, ..Normalize::default() };
        assert_eq!(normalize("Café", &options), "cafe");
        assert_eq!(normalize("Cafe\u{301}", &options), "cafe");
        assert_eq!(normalize("Ångström naïve façade", &options), "angstrom naive facade");
    }

    #[test]
    fn punctuation_is_kept_removed_or_spaced_out_curly_quotes_included() {
        let text = "“Don’t” — state-of-the-art!";
        assert_eq!(normalize(text, &Normalize::default()), "“don’t” — state-of-the-art!");
        let remove = Normalize { punctuation: Punctuation::Remove, ..Normalize::default() };
        assert_eq!(normalize(text, &remove), "dont stateoftheart");
        let space = Normalize { punctuation: Punctuation::Space, ..Normalize::default() };
        assert_eq!(normalize(text, &space), "don t state of the art");
    }

    #[test]
    fn digits_can_be_removed_full_width_ones_too() {
        let options = Normalize { digits: Digits::Remove, ..Normalize::default() };
        assert_eq!(normalize("Room 101, floor ３", &options), "room , floor");
        let no_nfkc = Normalize { digits: Digits::Remove, unicode: UnicodeForm::None, ..Normalize::default() };
        assert_eq!(normalize("floor ３", &no_nfkc), "floor");
    }

    #[test]
    fn whitespace_collapses_across_tabs_newlines_and_unicode_spaces() {
        assert_eq!(normalize(" a\t\tb\n\u{3000}c\u{a0} ", &Normalize::default()), "a b c");
        assert_eq!(normalize("", &Normalize::default()), "");
    }

    #[test]
    fn lowercase_is_unicode_aware() {
        assert_eq!(normalize("ÉTÉ ΣΟΦΙΑ", &Normalize { lowercase: true, ..raw() }), "été σοφια");
    }
}
