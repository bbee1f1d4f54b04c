//! Samplers: which dataset positions one epoch visits, and in what order.
//!
//! A [`Sampler`] turns a dataset length and an epoch's random stream into a list of positions;
//! the [`DataLoader`](crate::DataLoader) cuts that list into batches. Keeping the order a plain
//! `Vec<usize>` computed up front is what makes loading reproducible: background workers only
//! fetch the batches, they never decide which samples go where.

use kindling_tensor::Rng;

/// Decides the order of one epoch.
pub trait Sampler: Send + Sync {
    /// The positions (each `< len`) that one epoch visits, in order. `rng` is the epoch's own
    /// stream; a deterministic sampler ignores it.
    fn indices(&self, len: usize, rng: &mut Rng) -> Vec<usize>;

    /// How many positions [`Sampler::indices`] returns for a dataset of `len` samples (an
    /// epoch's length; `len` unless the sampler draws a fixed number).
    fn num_samples(&self, len: usize) -> usize {
        len
    }
}

/// Every position once, in order `0, 1, ..., len − 1` (evaluation, time series).
#[derive(Clone, Copy, Debug, Default)]
pub struct SequentialSampler;

impl Sampler for SequentialSampler {
    fn indices(&self, len: usize, _rng: &mut Rng) -> Vec<usize> {
        (0..len).collect()
    }
}

/// Every position once, in a fresh random order each epoch (training).
#[derive(Clone, Copy, Debug, Default)]
pub struct RandomSampler;

impl Sampler for RandomSampler {
    fn indices(&self, len: usize, rng: &mut Rng) -> Vec<usize> {
        rng.permutation(len)
    }
}

/// Draws positions with replacement, position `i` with probability proportional to
/// `weights[i]` (oversampling rare classes, importance sampling).
#[derive(Clone, Debug)]
pub struct WeightedRandomSampler {
    cumulative: Vec<f64>,
    num_samples: usize,
}

impl WeightedRandomSampler {
    /// One weight per dataset position; an epoch draws `num_samples` positions. Panics if a
    /// weight is negative or not finite, or if all weights are zero.
    pub fn new(weights: &[f64], num_samples: usize) -> Self {
        let mut total = 0.0;
        let mut cumulative = Vec::with_capacity(weights.len());
        for (i, &w) in weights.iter().enumerate() {
            assert!(
                w.is_finite() && w >= 0.0,
                "WeightedRandomSampler::new: weight {i} is {w}; weights must be finite and non-negative"
            );
            total += w;
            cumulative.push(total);
        }
        assert!(total > 0.0, "WeightedRandomSampler::new: the weights sum to zero; nothing can be drawn");
        WeightedRandomSampler { cumulative, num_samples }
    }

    /// Weights that make every class equally likely: each sample of class `c` gets weight
    /// `1 / count(c)`. An epoch draws `labels.len()` positions.
    pub fn balanced(labels: &[i64]) -> Self {
        let mut counts = std::collections::HashMap::new();
        for &l in labels {
            *counts.entry(l).or_insert(0usize) += 1;
        }
        let weights: Vec<f64> = labels.iter().map(|l| 1.0 / counts[l] as f64).collect();
        Self::new(&weights, labels.len())
    }
}

impl Sampler for WeightedRandomSampler {
    fn num_samples(&self, _len: usize) -> usize {
        self.num_samples
    }

    fn indices(&self, len: usize, rng: &mut Rng) -> Vec<usize> {
        assert_eq!(
            self.cumulative.len(),
            len,
            "WeightedRandomSampler: {} weights for a dataset of {len} samples",
            self.cumulative.len()
        );
        let total = *self.cumulative.last().expect("at least one weight");
        (0..self.num_samples)
            .map(|_| {
                let u = rng.uniform_f64() * total;
                // First position whose cumulative weight exceeds u (zero-weight positions are
                // never chosen: their cumulative value equals the previous one).
                self.cumulative.partition_point(|&c| c <= u).min(len - 1)
            })
            .collect()
    }
}

/// Every position once, ordered so that every run of consecutive positions (so every batch)
/// holds the classes in about the same proportions as the whole dataset.
///
/// How: each class's positions are shuffled and spread evenly over the epoch (the `j`-th of
/// `n_c` samples of class `c` gets the key `(j + φ_c) / n_c`, with a random phase `φ_c`), and the
/// epoch visits positions by increasing key. A batch of `B` then holds `B · n_c / N` samples of
/// class `c`, give or take one or two, whatever `B` is.
#[derive(Clone, Debug)]
pub struct StratifiedSampler {
    classes: Vec<Vec<usize>>,
    len: usize,
}

impl StratifiedSampler {
    /// From one class label per dataset position.
    pub fn new(labels: &[i64]) -> Self {
        StratifiedSampler { classes: group_by_class(labels), len: labels.len() }
    }
}

/// Positions grouped by label, groups in increasing label order.
pub(crate) fn group_by_class(labels: &[i64]) -> Vec<Vec<usize>> {
    let mut map: std::collections::BTreeMap<i64, Vec<usize>> = std::collections::BTreeMap::new();
    for (i, &l) in labels.iter().enumerate() {
        map.entry(l).or_default().push(i);
    }
    map.into_values().collect()
}

impl Sampler for StratifiedSampler {
    fn indices(&self, len: usize, rng: &mut Rng) -> Vec<usize> {
        assert_eq!(self.len, len, "StratifiedSampler: {} labels for a dataset of {len} samples", self.len);
        let mut keyed: Vec<(f64, usize, usize)> = Vec::with_capacity(len);
        for (c, members) in self.classes.iter().enumerate() {
            let mut members = members.clone();
            rng.shuffle(&mut members);
            let phase = rng.uniform_f64();
            let n = members.len() as f64;
            for (j, &pos) in members.iter().enumerate() {
                keyed.push(((j as f64 + phase) / n, c, pos));
            }
        }
        keyed.sort_by(|a, b| a.0.total_cmp(&b.0).then(a.1.cmp(&b.1)));
        keyed.into_iter().map(|(_, _, pos)| pos).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zero_weights_are_never_drawn() {
        let s = WeightedRandomSampler::new(&[0.0, 1.0, 0.0, 3.0], 1000);
        let idx = s.indices(4, &mut Rng::seed(1));
        assert!(idx.iter().all(|&i| i == 1 || i == 3));
        let threes = idx.iter().filter(|&&i| i == 3).count();
        assert!((650..850).contains(&threes), "{threes}");
    }

    #[test]
    #[should_panic(expected = "weights sum to zero")]
    fn all_zero_weights_panic() {
        WeightedRandomSampler::new(&[0.0, 0.0], 3);
    }
}
