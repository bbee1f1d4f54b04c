//! Who says this? A classification task drawn from a play's text, as Tiny Shakespeare is laid
//! out: speeches separated by blank lines, each opening with its speaker's name and a colon
//! on a line of its own.
//!
//! ```
//! use kindling_data::text::speaker_passages;
//!
//! let play = "ROMEO:\nBut soft, what light through yonder window breaks?\n\n\
//!             JULIET:\nO Romeo, Romeo, wherefore art thou Romeo?\n\n\
//!             ROMEO:\nShall I hear more, or shall I speak at this?\n";
//! let task = speaker_passages(play, 2);
//! assert_eq!(task.speakers, ["ROMEO", "JULIET"]); // most speeches first
//! assert_eq!(task.labels, [0, 1, 0]);
//! assert_eq!(task.texts[1], "O Romeo, Romeo, wherefore art thou Romeo?");
//! ```

use std::collections::HashMap;

/// A speech longer than this many words is cut into passages of at most this many (about 60
/// WordPiece tokens, a short input for a small BERT).
pub const MAX_PASSAGE_WORDS: usize = 40;
/// Pieces shorter than this many words ("Ay.", "Speak, speak.") say too little about their
/// speaker and are dropped.
pub const MIN_PASSAGE_WORDS: usize = 4;

/// Passages labelled by speaker: see [`speaker_passages`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SpeakerPassages {
    /// The passages, in corpus order, each a speech's lines joined by spaces.
    pub texts: Vec<String>,
    /// The class of each passage: an index into `speakers`.
    pub labels: Vec<usize>,
    /// The speakers' names, most speeches first (ties alphabetical).
    pub speakers: Vec<String>,
    /// The speech each passage comes from (a running number in corpus order), so splits can
    /// keep a speech's passages together.
    pub speeches: Vec<usize>,
}

impl SpeakerPassages {
    /// The number of passages.
    pub fn len(&self) -> usize {
        self.texts.len()
    }

    /// Whether there is no passage.
    pub fn is_empty(&self) -> bool {
        self.texts.is_empty()
    }

    /// Splits into (train, test) without leaking: for each speaker, the last `test_fraction`
    /// of their speeches in corpus order (at least one when they have two or more) go to test,
    /// whole, so no speech and few scenes are on both sides; a random split would put pieces
    /// of one speech, and neighbouring lines of one scene, on both. Panics unless
    /// `0 < test_fraction < 1`.
    pub fn split(&self, test_fraction: f64) -> (SpeakerPassages, SpeakerPassages) {
        if !(test_fraction > 0.0 && test_fraction < 1.0) {
            panic!("SpeakerPassages::split: test_fraction {test_fraction} must be in (0, 1)");
        }
        // Each speaker's speeches in order; the test set starts at that speaker's cut.
        let mut speeches_of: Vec<Vec<usize>> = vec![Vec::new(); self.speakers.len()];
        for (&label, &speech) in self.labels.iter().zip(&self.speeches) {
            if speeches_of[label].last() != Some(&speech) {
                speeches_of[label].push(speech);
            }
        }
        let first_test: Vec<usize> = speeches_of
            .iter()
            .map(|s| {
                let n_test =
                    ((s.len() as f64 * test_fraction).round() as usize).clamp(usize::from(s.len() > 1), s.len());
                s.get(s.len() - n_test).copied().unwrap_or(usize::MAX)
            })
            .collect();
        let mut train = SpeakerPassages { speakers: self.speakers.clone(), ..Default::default() };
        let mut test = train.clone();
        for i in 0..self.len() {
            let side = if self.speeches[i] >= first_test[self.labels[i]] { &mut test } else { &mut train };
            side.texts.push(self.texts[i].clone());
            side.labels.push(self.labels[i]);
            side.speeches.push(self.speeches[i]);
        }
        (train, test)
    }
}

/// The passages of the `top_speakers` speakers with the most speeches in `corpus`, labelled
/// by speaker. A speech is a blank-line-separated block whose first line is `NAME:`; its
/// other lines, joined by spaces, are cut into passages of at most [`MAX_PASSAGE_WORDS`]
/// words (evenly, so no piece is a stub), and passages under [`MIN_PASSAGE_WORDS`] words
/// are dropped. Blocks without a speaker line are skipped.
pub fn speaker_passages(corpus: &str, top_speakers: usize) -> SpeakerPassages {
    let normalised = corpus.replace("\r\n", "\n");
    let mut speeches: Vec<(&str, Vec<&str>)> = Vec::new();
    for block in normalised.split("\n\n") {
        let mut lines = block.lines().map(str::trim).filter(|l| !l.is_empty());
        let Some(name) = lines.next().and_then(|l| l.strip_suffix(':')) else { continue };
        let words: Vec<&str> = lines.flat_map(str::split_whitespace).collect();
        if !name.is_empty() && !words.is_empty() {
            speeches.push((name, words));
        }
    }
    let mut counts: HashMap<&str, usize> = HashMap::new();
    for (name, _) in &speeches {
        *counts.entry(*name).or_default() += 1;
    }
    let mut ranked: Vec<(&str, usize)> = counts.into_iter().collect();
    ranked.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(b.0)));
    ranked.truncate(top_speakers);
    let speakers: Vec<String> = ranked.iter().map(|(name, _)| name.to_string()).collect();
    let mut out = SpeakerPassages { speakers, ..Default::default() };
    for (speech, (name, words)) in speeches.iter().enumerate() {
        let Some(label) = out.speakers.iter().position(|s| s == name) else { continue };
        let pieces = words.len().div_ceil(MAX_PASSAGE_WORDS);
        let size = words.len().div_ceil(pieces);
        for piece in words.chunks(size).filter(|p| p.len() >= MIN_PASSAGE_WORDS) {
            out.texts.push(piece.join(" "));
            out.labels.push(label);
            out.speeches.push(speech);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const PLAY: &str = "First Citizen:\nBefore we proceed any further, hear me speak.\n\n\
        All:\nSpeak, speak.\n\n\
        First Citizen:\nYou are all resolved rather to die than to famish?\n\n\
        MENENIUS:\nWhy, masters, my good friends, mine honest neighbours,\nWill you undo yourselves?\n\n\
        First Citizen:\nWe are undone already.\n\n\
        All:\nWe know't, we know't, we know it well.\n\n\
        a stage direction with no speaker\n\n\
        MENENIUS:\nI tell you, friends, most charitable care\nHave the patricians of you.\n";

    #[test]
    fn speeches_become_labelled_passages() {
        let task = speaker_passages(PLAY, 2);
        // First Citizen has 3 speeches, All 2, MENENIUS 2: the tie goes alphabetically.
        assert_eq!(task.speakers, ["First Citizen", "All"]);
        assert_eq!(
            task.texts,
            [
                "Before we proceed any further, hear me speak.",
                "You are all resolved rather to die than to famish?",
                "We are undone already.",
                "We know't, we know't, we know it well.",
            ]
        );
        // "Speak, speak." is too short to keep.
        assert_eq!(task.labels, [0, 0, 0, 1]);
        assert_eq!(task.speeches, [0, 2, 4, 5]);
        let three = speaker_passages(PLAY, 3);
        assert_eq!(three.speakers[2], "MENENIUS");
        assert_eq!(three.texts[2], "Why, masters, my good friends, mine honest neighbours, Will you undo yourselves?");
    }

    #[test]
    fn long_speeches_are_cut_evenly() {
        let speech: Vec<String> = (0..100).map(|i| format!("w{i}")).collect();
        let corpus = format!("KING:\n{}\n\nKING:\nshort but long enough\n", speech.join(" "));
        let task = speaker_passages(&corpus, 1);
        let lengths: Vec<usize> = task.texts.iter().map(|t| t.split(' ').count()).collect();
        assert_eq!(lengths, [34, 34, 32, 4]);
        assert_eq!(task.speeches, [0, 0, 0, 1]);
        assert_eq!(task.texts[1].split(' ').next(), Some("w34"));
    }

    #[test]
    fn the_split_keeps_speeches_whole_and_takes_each_speakers_last_ones() {
        let mut corpus = String::new();
        for i in 0..10 {
            let speaker = if i % 3 == 0 { "B" } else { "A" };
            let words: Vec<String> = (0..60).map(|w| format!("s{i}w{w}")).collect();
            corpus.push_str(&format!("{speaker}:\n{}\n\n", words.join(" ")));
        }
        let task = speaker_passages(&corpus, 2);
        assert_eq!(task.speakers, ["A", "B"]);
        let (train, test) = task.split(0.25);
        assert_eq!(train.len() + test.len(), task.len());
        // A speaks in speeches 1 2 4 5 7 8 (last 2 to test: 7 and 8), B in 0 3 6 9 (last: 9).
        let mut test_speeches = test.speeches.clone();
        test_speeches.dedup();
        assert_eq!(test_speeches, [7, 8, 9]);
        assert!(train.speeches.iter().all(|s| !test.speeches.contains(s)));
        assert_eq!(test.speakers, task.speakers);
    }

    #[test]
    #[should_panic(expected = "SpeakerPassages::split: test_fraction 1 must be in (0, 1)")]
    fn a_split_without_a_train_side_panics() {
        speaker_passages(PLAY, 2).split(1.0);
    }
}
