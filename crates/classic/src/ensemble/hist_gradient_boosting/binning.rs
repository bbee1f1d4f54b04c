//! Binning: each feature's values become at most `max_bins` small integers (`u8`), cut at
//! quantiles, so that a node's split search reads a histogram of a few hundred bins instead of
//! sorting its rows.
//!
//! The cut points follow scikit-learn's `_BinMapper` exactly: a feature with at most `max_bins`
//! distinct values is cut halfway between neighbouring values; otherwise at the
//! `k / max_bins` quantiles (`k = 1 .. max_bins - 1`) by NumPy's `averaged_inverted_cdf` rule,
//! duplicates removed. A value `v` falls in bin `i` when `cut[i - 1] < v <= cut[i]`.

use kindling_tensor::{Rng, Tensor};

/// Quantiles are taken from at most this many rows (scikit-learn's `subsample`).
pub(crate) const QUANTILE_SUBSAMPLE: usize = 200_000;

/// Cut points beyond this are clipped (scikit-learn's `ALMOST_INF`).
const ALMOST_INF: f64 = 1e300;

/// The cut points of every feature.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct BinMapper {
    /// Per feature, the increasing cut points; a feature has `cuts.len() + 1` bins.
    pub(crate) cuts: Vec<Vec<f64>>,
}

/// The binned training rows, column-major: feature `f`'s bins are `bins[f * rows .. (f + 1) * rows]`.
#[derive(Clone, Debug)]
pub(crate) struct Binned {
    pub(crate) bins: Vec<u8>,
    pub(crate) rows: usize,
}

impl Binned {
    /// Feature `f`'s column.
    #[inline]
    pub(crate) fn column(&self, f: usize) -> &[u8] {
        &self.bins[f * self.rows..(f + 1) * self.rows]
    }
}

impl BinMapper {
    /// Learns the cut points of every column of `x` (`[samples, features]`, finite values),
    /// at most `max_bins` bins per feature; `seed` picks the rows when there are more than
    /// 200 000 (quantiles come from a subsample, as scikit-learn's).
    pub fn learn(x: &Tensor<f64>, max_bins: usize, seed: u64) -> BinMapper {
        assert!(x.rank() == 2, "BinMapper::learn: x must be [samples, features], got shape {:?}", x.shape());
        assert!((2..=255).contains(&max_bins), "BinMapper::learn: max_bins must be in 2..=255, got {max_bins}");
        let (rows, cols) = (x.shape()[0], x.shape()[1]);
        BinMapper::fit(&x.contiguous().to_vec(), rows, cols, max_bins, seed)
    }

    /// Each feature's increasing cut points.
    pub fn cuts(&self) -> &[Vec<f64>] {
        &self.cuts
    }

    /// The bins of `x`, column-major (feature `f` of row `r` at `f * samples + r`).
    pub fn bin(&self, x: &Tensor<f64>) -> Vec<u8> {
        let cols = self.cuts.len();
        assert!(
            x.rank() == 2 && x.shape()[1] == cols,
            "BinMapper::bin: learned on {cols} features but x has shape {:?}",
            x.shape()
        );
        self.transform(&x.contiguous().to_vec(), x.shape()[0]).bins
    }

    /// Learns the cut points of each column of the row-major `x` (`rows × cols`, finite values).
    pub(crate) fn fit(x: &[f64], rows: usize, cols: usize, max_bins: usize, seed: u64) -> BinMapper {
        let sample: Option<Vec<usize>> = (rows > QUANTILE_SUBSAMPLE).then(|| {
            let mut picked = Rng::seed(seed).permutation(rows);
            picked.truncate(QUANTILE_SUBSAMPLE);
            picked
        });
        let cuts = (0..cols)
            .map(|f| {
                let column: Vec<f64> = match &sample {
                    Some(rows) => rows.iter().map(|&r| x[r * cols + f]).collect(),
                    None => (0..rows).map(|r| x[r * cols + f]).collect(),
                };
                feature_cuts(column, max_bins)
            })
            .collect();
        BinMapper { cuts }
    }

    /// The number of bins of each feature.
    pub(crate) fn bin_counts(&self) -> Vec<usize> {
        self.cuts.iter().map(|c| c.len() + 1).collect()
    }

    /// Bins the row-major `x` (`rows × cols`) into a column-major `u8` matrix.
    pub(crate) fn transform(&self, x: &[f64], rows: usize) -> Binned {
        let cols = self.cuts.len();
        let mut bins = vec![0u8; rows * cols];
        for (f, cuts) in self.cuts.iter().enumerate() {
            let column = &mut bins[f * rows..(f + 1) * rows];
            for (r, b) in column.iter_mut().enumerate() {
                *b = bin_of(cuts, x[r * cols + f]);
            }
        }
        Binned { bins, rows }
    }
}

/// The bin of `value`: how many cut points lie strictly below it.
#[inline]
pub(crate) fn bin_of(cuts: &[f64], value: f64) -> u8 {
    cuts.partition_point(|&c| c < value) as u8
}

/// One feature's cut points from its values (any order).
pub(crate) fn feature_cuts(mut values: Vec<f64>, max_bins: usize) -> Vec<f64> {
    values.sort_by(f64::total_cmp);
    let mut distinct = values.clone();
    distinct.dedup();
    if distinct.len() <= 1 {
        return Vec::new();
    }
    let mut cuts: Vec<f64> = if distinct.len() <= max_bins {
        distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect()
    } else {
        // np.linspace(0, 100, max_bins + 1)[1:-1], then np.percentile(.., "averaged_inverted_cdf").
        let step = 100.0 / max_bins as f64;
        (1..max_bins).map(|k| averaged_inverted_cdf(&values, (k as f64 * step) / 100.0)).collect()
    };
    cuts.dedup();
    for c in &mut cuts {
        *c = c.min(ALMOST_INF);
    }
    cuts
}

/// NumPy's `averaged_inverted_cdf` quantile `q` of the sorted `values`: the value at position
/// `n q` (1-based), or the midpoint of two neighbours when `n q` is a whole number.
fn averaged_inverted_cdf(sorted: &[f64], q: f64) -> f64 {
    let n = sorted.len();
    let virtual_index = n as f64 * q - 1.0;
    if virtual_index >= (n - 1) as f64 {
        return sorted[n - 1];
    }
    if virtual_index < 0.0 {
        return sorted[0];
    }
    let below = virtual_index.floor();
    let (a, b) = (sorted[below as usize], sorted[below as usize + 1]);
    if virtual_index - below == 0.0 {
        // NumPy's lerp at t = 0.5, written as it writes it.
        b - (b - a) * 0.5
    } else {
        b
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn few_distinct_values_are_cut_halfway() {
        assert_eq!(feature_cuts(vec![3.0, 1.0, 1.0, 2.0], 255), vec![1.5, 2.5]);
        assert!(feature_cuts(vec![4.0; 5], 255).is_empty());
    }

    #[test]
    fn bins_follow_the_cut_points() {
        let cuts = [1.5, 2.5];
        let bins: Vec<u8> = [0.0, 1.5, 1.6, 2.5, 9.0].iter().map(|&v| bin_of(&cuts, v)).collect();
        assert_eq!(bins, vec![0, 0, 1, 1, 2]);
    }

    #[test]
    fn many_values_are_cut_at_quantiles() {
        // 0..10 with 4 bins: quantiles 0.25, 0.5, 0.75 of ten values, positions 2.5, 5, 7.5.
        let cuts = feature_cuts((0..10).map(f64::from).collect(), 4);
        assert_eq!(cuts, vec![2.0, 4.5, 7.0]);
    }
}
