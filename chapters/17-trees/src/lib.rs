//! Chapter 17 of the Kindling book: trees, ensembles, margins and clusters.
//!
//! The book includes the code between the `ANCHOR` markers of this file and of
//! [`models`]; the demo (`cargo run --release -p ch17-trees`) runs it and writes
//! what the chapter shows into `book/src/generated/17-trees/`. Your exercises are
//! in [`exercises`]; check them with `cargo test -p ch17-trees --features learner
//! --test exercises`.

use kindling_data::preprocess::{StandardScaler, Transform};
use kindling_tensor::{linalg, Rng, Tensor};

pub mod exercises;
pub mod models;
pub mod plots;
pub mod solutions;

/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(feature = "learner")]
pub use exercises as checked;
/// What the tests check: your code with `--features learner`, the solutions
/// without.
#[cfg(not(feature = "learner"))]
pub use solutions as checked;

/// Every column of `x` scaled to mean 0 and (population) standard deviation 1, a
/// constant column left at 0: for pictures of a whole dataset. Scores fit the
/// scaler on training rows only ([`scale_pair`]).
pub fn standardise(x: &Tensor<f64>) -> Tensor<f64> {
    StandardScaler::new().fit_transform(x)
}

/// A scaler fitted on the training rows, applied to both parts.
pub fn scale_pair(
    train: &Tensor<f64>,
    test: &Tensor<f64>,
) -> (Tensor<f64>, Tensor<f64>) {
    let mut scaler = StandardScaler::new();
    let train = scaler.fit_transform(train);
    (train, scaler.transform(test))
}

// ANCHOR: impurity
/// How impure a node is, from its class counts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Impurity {
    /// 1 − Σ pₖ²: the chance that two samples drawn from the node disagree.
    Gini,
    /// −Σ pₖ log₂ pₖ: the bits needed to name a sample's class.
    Entropy,
}

impl Impurity {
    pub fn of(self, counts: &[usize]) -> f64 {
        let total: usize = counts.iter().sum();
        if total == 0 {
            return 0.0;
        }
        let shares =
            counts.iter().filter(|&&c| c > 0).map(|&c| c as f64 / total as f64);
        match self {
            Impurity::Gini => 1.0 - shares.map(|p| p * p).sum::<f64>(),
            Impurity::Entropy => -shares.map(|p| p * p.log2()).sum::<f64>(),
        }
    }
}
// ANCHOR_END: impurity

// ANCHOR: threshold_scan
/// One candidate split of one feature: rows with a value ≤ `threshold` go left.
#[derive(Clone, Debug, PartialEq)]
pub struct Candidate {
    pub threshold: f64,
    pub left: Vec<usize>,
    pub right: Vec<usize>,
    /// (n_left·I(left) + n_right·I(right)) / n: what the split leaves of the
    /// impurity.
    pub weighted_impurity: f64,
}

/// Every candidate split of one feature, left to right. Sorting once and moving one
/// row at a time from the right counts to the left ones makes the whole scan O(n
/// log n).
pub fn scan_thresholds(
    feature: &[f64],
    labels: &[usize],
    n_classes: usize,
    impurity: Impurity,
) -> Vec<Candidate> {
    let n = feature.len();
    let mut order: Vec<usize> = (0..n).collect();
    order.sort_by(|&a, &b| feature[a].total_cmp(&feature[b]));
    let mut left = vec![0; n_classes];
    let mut right = vec![0; n_classes];
    labels.iter().for_each(|&l| right[l] += 1);
    let mut candidates = Vec::new();
    for (position, pair) in order.windows(2).enumerate() {
        left[labels[pair[0]]] += 1;
        right[labels[pair[0]]] -= 1;
        let (here, next) = (feature[pair[0]], feature[pair[1]]);
        if here == next {
            continue; // no threshold falls between equal values
        }
        let n_left = (position + 1) as f64;
        let weighted = (n_left * impurity.of(&left)
            + (n as f64 - n_left) * impurity.of(&right))
            / n as f64;
        candidates.push(Candidate {
            threshold: (here + next) / 2.0,
            left: left.clone(),
            right: right.clone(),
            weighted_impurity: weighted,
        });
    }
    candidates
}
// ANCHOR_END: threshold_scan

/// The toy table of the chapter's hand-grown tree: fruit described by weight (g)
/// and diameter (cm), labelled 0 = plum, 1 = apple, 2 = melon.
pub fn fruit() -> (Tensor<f64>, Vec<usize>, [&'static str; 2], [&'static str; 3]) {
    let rows: [(f64, f64, usize); 12] = [
        (60.0, 4.5, 0),
        (70.0, 5.0, 0),
        (80.0, 5.5, 0),
        (140.0, 6.2, 0),
        (130.0, 6.5, 1),
        (150.0, 7.0, 1),
        (170.0, 7.5, 1),
        (120.0, 6.0, 1),
        (200.0, 8.0, 1),
        (900.0, 14.0, 2),
        (1200.0, 16.0, 2),
        (160.0, 9.5, 2),
    ];
    let x = rows.iter().flat_map(|r| [r.0, r.1]).collect::<Vec<_>>();
    let y = rows.iter().map(|r| r.2).collect();
    (
        Tensor::from_vec(x, [12, 2]),
        y,
        ["weight", "diameter"],
        ["plum", "apple", "melon"],
    )
}

// ANCHOR: kmeans_plus_plus
/// k-means++ seeding: the first centre is a row drawn uniformly, each next one a
/// row drawn with probability proportional to its squared distance D² to the
/// nearest centre so far. Far-away groups get a centre early; returns the chosen
/// rows.
pub fn kmeans_plus_plus(x: &Tensor<f64>, k: usize, rng: &mut Rng) -> Vec<usize> {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let values = x.to_vec();
    let row = |i: usize| &values[i * d..(i + 1) * d];
    let distance = |a: &[f64], b: &[f64]| {
        a.iter().zip(b).map(|(p, q)| (p - q).powi(2)).sum::<f64>()
    };
    let mut chosen = vec![rng.below(n as u64) as usize];
    let mut nearest: Vec<f64> =
        (0..n).map(|i| distance(row(i), row(chosen[0]))).collect();
    while chosen.len() < k {
        let total: f64 = nearest.iter().sum();
        let mut target = rng.uniform_f64() * total;
        // Walk the cumulative sum to the row whose share contains the target.
        let next = nearest.iter().position(|&w| {
            target -= w;
            target < 0.0
        });
        let next = next.unwrap_or(n - 1);
        chosen.push(next);
        for (i, best) in nearest.iter_mut().enumerate() {
            *best = best.min(distance(row(i), row(next)));
        }
    }
    chosen
}
// ANCHOR_END: kmeans_plus_plus

// ANCHOR: binning
/// Histogram boosting's binning of one feature: at most `max_bins` bins whose edges
/// are midpoints between quantiles of the values, so that every bin holds about as
/// many rows. (scikit-learn: `_BinMapper`, with up to 255 bins for values and one
/// more for missing ones.)
pub fn bin_edges(values: &[f64], max_bins: usize) -> Vec<f64> {
    let mut distinct = values.to_vec();
    distinct.sort_by(f64::total_cmp);
    distinct.dedup();
    if distinct.len() <= max_bins {
        // Few distinct values: one bin each, the edges halfway between them.
        return distinct.windows(2).map(|w| (w[0] + w[1]) / 2.0).collect();
    }
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let quantile = |q: f64| {
        let position = q * (sorted.len() - 1) as f64;
        let (lo, frac) = (position.floor() as usize, position.fract());
        sorted[lo] + frac * (sorted[(lo + 1).min(sorted.len() - 1)] - sorted[lo])
    };
    let mut edges: Vec<f64> =
        (1..max_bins).map(|b| quantile(b as f64 / max_bins as f64)).collect();
    edges.dedup();
    edges
}

/// The bin of every value: the number of edges below it.
pub fn bin_codes(values: &[f64], edges: &[f64]) -> Vec<u8> {
    assert!(
        edges.len() < 256,
        "bin_codes: {} edges do not fit a byte",
        edges.len()
    );
    values.iter().map(|v| edges.partition_point(|e| e < v) as u8).collect()
}

/// The per-bin sums of the gradients and hessians of `rows`: one pass over the
/// rows, however many thresholds the split search will then try.
pub fn gradient_histogram(
    codes: &[u8],
    gradients: &[f64],
    hessians: &[f64],
    rows: &[usize],
    bins: usize,
) -> (Vec<f64>, Vec<f64>) {
    let (mut g, mut h) = (vec![0.0; bins], vec![0.0; bins]);
    for &i in rows {
        g[codes[i] as usize] += gradients[i];
        h[codes[i] as usize] += hessians[i];
    }
    (g, h)
}
// ANCHOR_END: binning

// ANCHOR: pca_by_hand
/// PCA by hand: centre, take the SVD X_c = U·S·Vᵀ, keep the first `k` rows of Vᵀ as
/// the components, and project. Signs follow scikit-learn (the largest entry of
/// each component positive), so the result can be compared with its `PCA`. Returns
/// the components `[k, d]`, the projection `[n, k]` and the variance along each
/// component.
pub fn pca_by_hand(
    x: &Tensor<f64>,
    k: usize,
) -> (Tensor<f64>, Tensor<f64>, Vec<f64>) {
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let centred = x - &x.mean(0, true);
    let svd = linalg::svd(&centred).expect("pca_by_hand: the SVD did not converge");
    let mut components = svd.vt.narrow(0, 0, k).to_vec();
    for component in components.chunks_mut(d) {
        let largest =
            component
                .iter()
                .fold(0.0f64, |m, &v| if v.abs() > m.abs() { v } else { m });
        if largest < 0.0 {
            component.iter_mut().for_each(|v| *v = -*v);
        }
    }
    let components = Tensor::from_vec(components, [k, d]);
    let projected = centred.matmul(&components.t());
    let variance =
        svd.s.to_vec()[..k].iter().map(|s| s * s / (n - 1) as f64).collect();
    (components, projected, variance)
}
// ANCHOR_END: pca_by_hand
