//! Word tokens, stop words and n-grams.
//!
//! ```
//! use kindling_data::text::{ngram_range, ngrams, remove_stop_words, words};
//!
//! assert_eq!(words("I love NLP"), ["I", "love", "NLP"]);
//! assert_eq!(ngrams(&words("I love NLP"), 2), ["I love", "love NLP"]);
//! assert_eq!(ngram_range(&["a", "b", "c"], 1, 2), ["a", "b", "c", "a b", "b c"]);
//! assert_eq!(remove_stop_words(&words("The cat sat on the mat.")), ["cat", "sat", "mat", "."]);
//! ```

use std::collections::HashSet;
use std::sync::OnceLock;

/// Whether `c` belongs inside a word: a letter, a digit or a combining mark (so "e" followed
/// by a combining accent stays one word).
fn is_word_char(c: char) -> bool {
    c.is_alphanumeric() || unicode_normalization::char::is_combining_mark(c)
}

/// The apostrophes that may join two parts of a word ("don't", "don’t").
fn is_apostrophe(c: char) -> bool {
    c == '\'' || c == '\u{2019}'
}

/// The words and punctuation of `text`, as slices of it: a word is a run of letters, digits
/// and combining marks, possibly joined by inner apostrophes ("don't", "o'clock"); every other
/// character that is not white space is a token of its own.
///
/// ```
/// use kindling_data::text::words;
///
/// assert_eq!(words("Don't stop—it's 5 o'clock!"), ["Don't", "stop", "—", "it's", "5", "o'clock", "!"]);
/// assert_eq!(words("日本語 ok"), ["日本語", "ok"]);
/// ```
pub fn words(text: &str) -> Vec<&str> {
    let mut tokens = Vec::new();
    let mut chars = text.char_indices().peekable();
    while let Some((start, c)) = chars.next() {
        if c.is_whitespace() {
            continue;
        }
        if !is_word_char(c) {
            tokens.push(&text[start..start + c.len_utf8()]);
            continue;
        }
        let mut end = start + c.len_utf8();
        while let Some(&(i, next)) = chars.peek() {
            if is_word_char(next) {
                end = i + next.len_utf8();
                chars.next();
            } else if is_apostrophe(next) && text[i + next.len_utf8()..].chars().next().is_some_and(is_word_char) {
                // An inner apostrophe: keep it and the character after it.
                chars.next();
                let (j, after) = chars.next().expect("checked above");
                end = j + after.len_utf8();
            } else {
                break;
            }
        }
        tokens.push(&text[start..end]);
    }
    tokens
}

/// A list of common English function words (articles, pronouns, auxiliaries, prepositions,
/// conjunctions, a few adverbs), lowercase and sorted, for [`remove_stop_words`].
#[rustfmt::skip]
pub const STOP_WORDS_EN: &[&str] = &[
    "a", "about", "above", "after", "again", "against", "all", "also", "am", "an", "and", "any", "are", "as", "at",
    "be", "because", "been", "before", "being", "below", "between", "both", "but", "by", "can", "could", "did",
    "do", "does", "doing", "down", "during", "each", "either", "else", "even", "ever", "every", "few", "for",
    "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself",
    "his", "how", "however", "i", "if", "in", "into", "is", "it", "its", "itself", "just", "least", "less", "may",
    "me", "might", "mine", "more", "most", "much", "must", "my", "myself", "neither", "no", "nor", "not", "now",
    "of", "off", "often", "on", "once", "only", "or", "other", "our", "ours", "ourselves", "out", "over", "own",
    "per", "quite", "rather", "same", "shall", "she", "should", "since", "so", "some", "such", "than", "that",
    "the", "their", "theirs", "them", "themselves", "then", "there", "these", "they", "this", "those", "though",
    "through", "thus", "to", "too", "under", "until", "up", "upon", "us", "very", "was", "we", "were", "what",
    "when", "where", "whether", "which", "while", "who", "whom", "whose", "why", "will", "with", "within",
    "without", "would", "yet", "you", "your", "yours", "yourself", "yourselves",
];

fn stop_words() -> &'static HashSet<&'static str> {
    static SET: OnceLock<HashSet<&'static str>> = OnceLock::new();
    SET.get_or_init(|| STOP_WORDS_EN.iter().copied().collect())
}

/// Whether `word` is in [`STOP_WORDS_EN`], ignoring case.
pub fn is_stop_word(word: &str) -> bool {
    let set = stop_words();
    set.contains(word) || set.contains(word.to_lowercase().as_str())
}

/// `tokens` without the English stop words ([`is_stop_word`]), in their order.
pub fn remove_stop_words<S: AsRef<str> + Clone>(tokens: &[S]) -> Vec<S> {
    tokens.iter().filter(|t| !is_stop_word(t.as_ref())).cloned().collect()
}

/// The n-grams of `tokens`: every run of `n` consecutive tokens, joined by one space, in
/// order. Fewer than `n` tokens give none. Panics when `n` is 0.
pub fn ngrams<S: AsRef<str>>(tokens: &[S], n: usize) -> Vec<String> {
    assert!(n > 0, "ngrams: n must be at least 1, got 0");
    tokens.windows(n).map(|w| w.iter().map(AsRef::as_ref).collect::<Vec<_>>().join(" ")).collect()
}

/// The n-grams for every `n` in `lo..=hi`: all the `lo`-grams first, then the `lo + 1`-grams,
/// and so on. Panics unless `1 <= lo <= hi`.
pub fn ngram_range<S: AsRef<str>>(tokens: &[S], lo: usize, hi: usize) -> Vec<String> {
    assert!(1 <= lo && lo <= hi, "ngram_range: need 1 <= lo <= hi, got lo {lo}, hi {hi}");
    (lo..=hi).flat_map(|n| ngrams(tokens, n)).collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn course_example_unigrams_and_bigrams() {
        let tokens = words("I love NLP");
        assert_eq!(ngrams(&tokens, 1), ["I", "love", "NLP"]);
        assert_eq!(ngrams(&tokens, 2), ["I love", "love NLP"]);
        assert_eq!(ngrams(&tokens, 3), ["I love NLP"]);
        assert!(ngrams(&tokens, 4).is_empty());
    }

    #[test]
    fn words_split_punctuation_but_keep_inner_apostrophes() {
        assert_eq!(words("Hello, world!"), ["Hello", ",", "world", "!"]);
        assert_eq!(words("'quoted' rock'n'roll don’t"), ["'", "quoted", "'", "rock'n'roll", "don’t"]);
        assert_eq!(words("ends'"), ["ends", "'"]);
        assert_eq!(words("e-mail 3.14"), ["e", "-", "mail", "3", ".", "14"]);
        assert_eq!(words("cafe\u{301} ok"), ["cafe\u{301}", "ok"]);
        assert!(words(" \t\n").is_empty());
    }

    #[test]
    fn stop_word_list_is_sorted_lowercase_and_unique() {
        assert!(STOP_WORDS_EN.len() >= 150, "{}", STOP_WORDS_EN.len());
        assert!(STOP_WORDS_EN.windows(2).all(|w| w[0] < w[1]), "not sorted or has duplicates");
        assert!(STOP_WORDS_EN.iter().all(|w| w.chars().all(|c| c.is_ascii_lowercase())));
    }

    #[test]
    fn stop_words_are_removed_ignoring_case() {
        assert!(is_stop_word("The") && is_stop_word("the") && !is_stop_word("cat"));
        let kept = remove_stop_words(&["It", "was", "a", "dark", "and", "stormy", "night"]);
        assert_eq!(kept, ["dark", "stormy", "night"]);
    }

    #[test]
    #[should_panic(expected = "ngram_range: need 1 <= lo <= hi, got lo 3, hi 2")]
    fn ngram_range_rejects_an_empty_range() {
        ngram_range(&["a"], 3, 2);
    }
}
