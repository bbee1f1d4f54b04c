//! The vocabulary of a word2vec run: word counts with the `min_count` cut-off, the
//! probability of keeping each occurrence under frequent-word subsampling, and the noise
//! distribution (count^0.75) that negative samples are drawn from.

use kindling_tensor::Rng;
use std::collections::HashMap;

/// Words that occur at least `min_count` times, sorted by descending count (ties in
/// alphabetical order, so the order does not depend on hashing), with their counts.
#[derive(Clone, Debug)]
pub struct Vocabulary {
    words: Vec<String>,
    counts: Vec<u64>,
    index: HashMap<String, u32>,
    /// Every token of the corpus, kept or not (gensim's "raw words").
    raw_words: u64,
}

impl Vocabulary {
    /// Counts the words of `sentences` and keeps those seen at least `min_count` times.
    pub fn build(sentences: &[Vec<String>], min_count: u64) -> Vocabulary {
        let mut counts: HashMap<&str, u64> = HashMap::new();
        let mut raw_words = 0u64;
        for sentence in sentences {
            raw_words += sentence.len() as u64;
            for word in sentence {
                *counts.entry(word.as_str()).or_insert(0) += 1;
            }
        }
        let mut kept: Vec<(&str, u64)> = counts.into_iter().filter(|&(_, c)| c >= min_count.max(1)).collect();
        kept.sort_by(|a, b| b.1.cmp(&a.1).then_with(|| a.0.cmp(b.0)));
        let words: Vec<String> = kept.iter().map(|&(w, _)| w.to_string()).collect();
        let index = words.iter().enumerate().map(|(i, w)| (w.clone(), i as u32)).collect();
        Vocabulary { words, counts: kept.iter().map(|&(_, c)| c).collect(), index, raw_words }
    }

    /// The number of words kept.
    pub fn len(&self) -> usize {
        self.words.len()
    }

    /// Whether no word reached `min_count`.
    pub fn is_empty(&self) -> bool {
        self.words.is_empty()
    }

    /// The words, most frequent first.
    pub fn words(&self) -> &[String] {
        &self.words
    }

    /// The corpus count of each word, in the order of [`Vocabulary::words`].
    pub fn counts(&self) -> &[u64] {
        &self.counts
    }

    /// The id of `word`, if it was kept.
    pub fn id(&self, word: &str) -> Option<u32> {
        self.index.get(word).copied()
    }

    /// The number of tokens in the corpus, including words below `min_count`.
    pub fn raw_words(&self) -> u64 {
        self.raw_words
    }

    /// The number of tokens of kept words (what subsampling thresholds are relative to).
    pub fn retained_words(&self) -> u64 {
        self.counts.iter().sum()
    }

    /// The probability of keeping each occurrence of each word when subsampling with
    /// threshold `sample` (see [`keep_probability`]); all ones when `sample` is 0.
    pub fn keep_probabilities(&self, sample: f64) -> Vec<f32> {
        let total = self.retained_words();
        self.counts.iter().map(|&c| keep_probability(c, total, sample) as f32).collect()
    }
}

/// The probability that one occurrence of a word seen `count` times in a corpus of `total`
/// tokens survives subsampling with threshold `sample` (word2vec.c's and gensim's rule):
///
/// ```text
/// t = sample · total
/// keep(count) = (sqrt(count / t) + 1) · t / count
/// ```
///
/// The value is not capped at 1: a draw in [0, 1) is compared against it, so 1 or more means
/// "always keep" (any word with count/total below about 2.6 · `sample`). A word far above the
/// threshold is kept with probability about sqrt(t / count). `sample == 0` turns it off.
pub fn keep_probability(count: u64, total: u64, sample: f64) -> f64 {
    if sample <= 0.0 || count == 0 {
        return 1.0;
    }
    let threshold = sample * total as f64;
    let count = count as f64;
    ((count / threshold).sqrt() + 1.0) * threshold / count
}

/// Draws word ids with probability proportional to count^power (power 0.75 for word2vec)
/// in constant time, by Walker's alias method: pick a column uniformly, then either its own
/// word or its alias by a biased coin. Two arrays of vocabulary size replace word2vec.c's
/// 10^8-entry table and gensim's binary search over cumulative counts, and the distribution
/// is exact rather than rounded to table cells.
#[derive(Clone, Debug)]
pub struct NoiseSampler {
    /// The chance of keeping the column's own word, scaled to u32 so the coin is one compare.
    keep: Vec<u32>,
    alias: Vec<u32>,
}

impl NoiseSampler {
    /// A sampler for weights count^power. Panics if `counts` is empty or all zero.
    pub fn new(counts: &[u64], power: f64) -> NoiseSampler {
        let weights: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(power)).collect();
        let total: f64 = weights.iter().sum();
        assert!(
            !counts.is_empty() && total > 0.0,
            "NoiseSampler::new: need at least one word with a positive count, got counts {counts:?}"
        );
        let n = weights.len();
        // Scale so the mean column holds exactly 1; then move mass from tall to short columns.
        let mut scaled: Vec<f64> = weights.iter().map(|w| w * n as f64 / total).collect();
        let mut alias: Vec<u32> = (0..n as u32).collect();
        let (mut small, mut large): (Vec<usize>, Vec<usize>) = (0..n).partition(|&i| scaled[i] < 1.0);
        while let (Some(s), Some(&l)) = (small.pop(), large.last()) {
            alias[s] = l as u32;
            scaled[l] -= 1.0 - scaled[s];
            if scaled[l] < 1.0 {
                large.pop();
                small.push(l);
            }
        }
        // Leftovers are 1 up to rounding: they always keep their own word.
        for &i in small.iter().chain(&large) {
            scaled[i] = 1.0;
        }
        let keep = scaled.iter().map(|&p| if p >= 1.0 { u32::MAX } else { (p * 4_294_967_296.0) as u32 }).collect();
        NoiseSampler { keep, alias }
    }

    /// One word id drawn from the noise distribution.
    #[inline]
    pub fn sample(&self, rng: &mut Rng) -> u32 {
        let bits = rng.next_u64();
        // High half picks the column (multiply-shift, no division), low half tosses the coin.
        let column = (((bits >> 32) * self.keep.len() as u64) >> 32) as usize;
        if (bits as u32) < self.keep[column] {
            column as u32
        } else {
            self.alias[column]
        }
    }

    /// The exact probability of drawing each id (for tests and teaching).
    pub fn probabilities(&self) -> Vec<f64> {
        let n = self.keep.len() as f64;
        let mut p = vec![0.0; self.keep.len()];
        for (i, (&keep, &alias)) in self.keep.iter().zip(&self.alias).enumerate() {
            let own = if keep == u32::MAX { 1.0 } else { keep as f64 / 4_294_967_296.0 };
            p[i] += own / n;
            p[alias as usize] += (1.0 - own) / n;
        }
        p
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn sentences(text: &[&str]) -> Vec<Vec<String>> {
        text.iter().map(|s| s.split_whitespace().map(String::from).collect()).collect()
    }

    #[test]
    fn vocabulary_is_sorted_by_count_then_alphabetically_and_cut_at_min_count() {
        let v = Vocabulary::build(&sentences(&["b a c a", "d b a c", "e"]), 2);
        assert_eq!(v.words(), ["a", "b", "c"]);
        assert_eq!(v.counts(), [3, 2, 2]);
        assert_eq!(v.id("c"), Some(2));
        assert_eq!(v.id("d"), None);
        assert_eq!(v.raw_words(), 9);
        assert_eq!(v.retained_words(), 7);
    }

    #[test]
    fn keep_probability_matches_hand_values() {
        // t = 1e-3 · 1e6 = 1000. count 4000: (sqrt(4) + 1) · 1000/4000 = 0.75.
        assert!((keep_probability(4000, 1_000_000, 1e-3) - 0.75).abs() < 1e-12);
        // count 1000: (1 + 1) · 1 = 2 (always kept). count 250: (0.5 + 1) · 4 = 6.
        assert!((keep_probability(1000, 1_000_000, 1e-3) - 2.0).abs() < 1e-12);
        assert!((keep_probability(250, 1_000_000, 1e-3) - 6.0).abs() < 1e-12);
        // count 90000 of 1e6 with sample 1e-4: t = 100, (30 + 1) · 100/90000.
        assert!((keep_probability(90_000, 1_000_000, 1e-4) - 31.0 / 900.0).abs() < 1e-12);
        assert_eq!(keep_probability(5, 10, 0.0), 1.0);
    }

    #[test]
    fn noise_sampler_probabilities_are_count_to_the_three_quarters() {
        let counts = [1000u64, 300, 81, 16, 16, 5, 1];
        let sampler = NoiseSampler::new(&counts, 0.75);
        let weights: Vec<f64> = counts.iter().map(|&c| (c as f64).powf(0.75)).collect();
        let total: f64 = weights.iter().sum();
        for (p, w) in sampler.probabilities().iter().zip(&weights) {
            assert!((p - w / total).abs() < 1e-9, "exact table: {p} vs {}", w / total);
        }
        // Draws: Pearson's chi-square over 7 cells (6 degrees of freedom; 99.9% point 22.5).
        let draws = 200_000;
        let mut seen = [0u64; 7];
        let mut rng = Rng::seed(3);
        for _ in 0..draws {
            seen[sampler.sample(&mut rng) as usize] += 1;
        }
        let chi2: f64 = seen
            .iter()
            .zip(&weights)
            .map(|(&o, w)| {
                let e = draws as f64 * w / total;
                (o as f64 - e).powi(2) / e
            })
            .sum();
        assert!(chi2 < 22.5, "chi-square {chi2} for counts {seen:?}");
    }

    #[test]
    #[should_panic(expected = "NoiseSampler::new: need at least one word")]
    fn noise_sampler_rejects_an_empty_vocabulary() {
        NoiseSampler::new(&[], 0.75);
    }
}
