//! How good is a clustering?
//!
//! Two kinds of answer, as in scikit-learn's `sklearn.metrics.cluster`:
//!
//! - against known classes (external): [`adjusted_rand_index`] counts the pairs of samples
//!   both labelings put together or apart, corrected so that a random labeling scores 0 on
//!   average and a perfect one 1; [`mutual_info`] and [`normalized_mutual_info`] measure how
//!   much knowing one labeling tells about the other, in nats, the latter scaled by the
//!   arithmetic mean of the two entropies (scikit-learn's default) to lie in 0..1;
//! - from the data alone (internal): [`silhouette_samples`] / [`silhouette_score`] compare
//!   each sample's mean distance to its own cluster (a) with that to the nearest other cluster
//!   (b), s = (b − a) / max(a, b); [`davies_bouldin_score`] averages, over clusters, the worst
//!   ratio of summed spreads to centroid distance (lower is better).
//!
//! Labels are any `i64` codes; only which samples share a code matters. Pairwise distances
//! for the silhouette are computed a block of rows at a time through the GEMM
//! (‖a‖² − 2a·b + ‖b‖²), so memory stays at a block × n, never n².
//!
//! ```
//! use kindling_metrics::metrics::{adjusted_rand_index, normalized_mutual_info};
//!
//! let truth = [0, 0, 1, 1, 2, 2];
//! let renamed = [5, 5, 3, 3, 9, 9]; // the same grouping under other names
//! assert!((adjusted_rand_index(&truth, &renamed) - 1.0).abs() < 1e-12);
//! assert!((normalized_mutual_info(&truth, &renamed) - 1.0).abs() < 1e-12);
//! ```

use kindling_tensor::Tensor;

/// Rows of the distance block: 256 × n f64 values at a time.
const BLOCK: usize = 256;

/// The contingency table of two labelings: `counts[i * cols + j]` samples have the i-th code
/// of `a` and the j-th code of `b` (codes in ascending order), with the row and column sums.
struct Contingency {
    counts: Vec<u64>,
    rows: Vec<u64>,
    cols: Vec<u64>,
}

fn codes(labels: &[i64]) -> (Vec<usize>, usize) {
    let mut distinct = labels.to_vec();
    distinct.sort_unstable();
    distinct.dedup();
    (
        labels.iter().map(|l| distinct.binary_search(l).expect("a label is among the distinct labels")).collect(),
        distinct.len(),
    )
}

fn contingency(what: &str, a: &[i64], b: &[i64]) -> Contingency {
    assert_eq!(a.len(), b.len(), "{what}: the first labeling has {} samples but the second {}", a.len(), b.len());
    let ((ca, na), (cb, nb)) = (codes(a), codes(b));
    let mut counts = vec![0u64; na * nb];
    for (&i, &j) in ca.iter().zip(&cb) {
        counts[i * nb + j] += 1;
    }
    let rows = counts.chunks(nb.max(1)).map(|r| r.iter().sum()).collect();
    let cols = (0..nb).map(|j| (0..na).map(|i| counts[i * nb + j]).sum()).collect();
    Contingency { counts, rows, cols }
}

/// The adjusted Rand index of two labelings of the same samples: 1 when they group the
/// samples identically (whatever the names), about 0 for independent labelings, negative
/// when they agree less than chance. Symmetric. Panics when the lengths differ.
pub fn adjusted_rand_index(a: &[i64], b: &[i64]) -> f64 {
    let table = contingency("adjusted_rand_index", a, b);
    let n = a.len() as f64;
    // Pair counts (ordered pairs, as scikit-learn's pair confusion matrix): both together,
    // together in one only, apart in both.
    let squares: f64 = table.counts.iter().map(|&c| (c * c) as f64).sum();
    let square_sum = |sizes: &[u64]| sizes.iter().map(|&s| (s * s) as f64).sum::<f64>();
    let together = squares - n;
    let only_first = square_sum(&table.rows) - squares; // together in `a`, apart in `b`
    let only_second = square_sum(&table.cols) - squares;
    let apart = n * n - only_first - only_second - squares;
    if only_first == 0.0 && only_second == 0.0 {
        return 1.0;
    }
    2.0 * (together * apart - only_first * only_second)
        / ((together + only_first) * (only_first + apart) + (together + only_second) * (only_second + apart))
}

/// The entropy of a labeling in nats.
fn entropy(counts: &[u64]) -> f64 {
    let total: u64 = counts.iter().sum();
    if total == 0 {
        return 1.0;
    }
    let total = total as f64;
    -counts.iter().filter(|&&c| c > 0).map(|&c| (c as f64 / total) * ((c as f64).ln() - total.ln())).sum::<f64>()
}

/// The mutual information of two labelings, in nats (scikit-learn's `mutual_info_score`).
/// Panics when the lengths differ.
pub fn mutual_info(a: &[i64], b: &[i64]) -> f64 {
    mutual_info_of(&contingency("mutual_info", a, b))
}

fn mutual_info_of(table: &Contingency) -> f64 {
    let n: f64 = table.rows.iter().sum::<u64>() as f64;
    let cols = table.cols.len();
    let mut mi = 0.0;
    for (at, &c) in table.counts.iter().enumerate() {
        if c == 0 {
            continue;
        }
        let (i, j) = (at / cols, at % cols);
        let c = c as f64;
        // p(i,j) · ln( p(i,j) / (p(i) p(j)) ), with the counts' logs kept apart as scikit-learn
        // does, so the sum rounds the same way.
        let term = (c / n) * (c.ln() - n.ln())
            + (c / n) * (-(table.rows[i] as f64 * table.cols[j] as f64).ln() + 2.0 * n.ln());
        if term.abs() >= f64::EPSILON {
            mi += term;
        }
    }
    mi.max(0.0)
}

/// The mutual information scaled by the arithmetic mean of the two entropies (scikit-learn's
/// `normalized_mutual_info_score` default): 1 for the same grouping, 0 for independent ones.
/// Two labelings that each put every sample in one cluster score 1. Panics when the lengths
/// differ.
pub fn normalized_mutual_info(a: &[i64], b: &[i64]) -> f64 {
    let table = contingency("normalized_mutual_info", a, b);
    let (na, nb) = (table.rows.len(), table.cols.len());
    if na == nb && na <= 1 {
        return 1.0;
    }
    let mi = mutual_info_of(&table);
    if mi == 0.0 {
        return 0.0;
    }
    let mean_entropy = (entropy(&table.rows) + entropy(&table.cols)) / 2.0;
    mi / mean_entropy.max(f64::EPSILON)
}

/// Checks `x` against `labels` and the number of clusters; the label codes and their count.
fn check_internal(what: &str, x: &Tensor<f64>, labels: &[i64]) -> (Vec<usize>, usize) {
    assert!(x.rank() == 2, "{what}: x must be [samples, features], got shape {:?}", x.shape());
    let n = x.shape()[0];
    assert_eq!(n, labels.len(), "{what}: x has {n} rows but there are {} labels", labels.len());
    let (codes, k) = codes(labels);
    assert!(
        k >= 2 && k < n,
        "{what}: needs between 2 and {} distinct labels (samples less one), got {k}",
        n.saturating_sub(1)
    );
    (codes, k)
}

/// Each sample's silhouette, (b − a) / max(a, b), with a the mean Euclidean distance to the
/// other members of its cluster and b the smallest mean distance to another cluster's members;
/// a sample alone in its cluster scores 0. Panics unless there are 2 to n − 1 distinct labels.
pub fn silhouette_samples(x: &Tensor<f64>, labels: &[i64]) -> Vec<f64> {
    let (codes, k) = check_internal("silhouette_samples", x, labels);
    let (n, d) = (x.shape()[0], x.shape()[1]);
    let x = x.contiguous();
    let values = x.as_slice().expect("contiguous");
    let norms: Vec<f64> = values.chunks(d.max(1)).map(|r| r.iter().map(|v| v * v).sum()).take(n).collect();
    let mut sizes = vec![0usize; k];
    for &c in &codes {
        sizes[c] += 1;
    }
    let mut out = Vec::with_capacity(n);
    let mut sums = vec![0.0; k];
    for start in (0..n).step_by(BLOCK) {
        let b = BLOCK.min(n - start);
        let block = Tensor::from_vec(values[start * d..(start + b) * d].to_vec(), [b, d]);
        let products = block.matmul(&x.t()).contiguous();
        let products = products.as_slice().expect("a fresh product is contiguous");
        for r in 0..b {
            let i = start + r;
            sums.iter_mut().for_each(|s| *s = 0.0);
            for (j, (&p, &c)) in products[r * n..(r + 1) * n].iter().zip(&codes).enumerate() {
                if j != i {
                    sums[c] += (norms[i] - 2.0 * p + norms[j]).max(0.0).sqrt();
                }
            }
            out.push(silhouette_of(&sums, &sizes, codes[i]));
        }
    }
    out
}

/// One sample's silhouette from its summed distances to each cluster.
fn silhouette_of(sums: &[f64], sizes: &[usize], own: usize) -> f64 {
    if sizes[own] <= 1 {
        return 0.0;
    }
    let a = sums[own] / (sizes[own] - 1) as f64;
    let b = (0..sums.len()).filter(|&c| c != own).map(|c| sums[c] / sizes[c] as f64).fold(f64::INFINITY, f64::min);
    let s = (b - a) / a.max(b);
    if s.is_nan() {
        0.0
    } else {
        s
    }
}

/// The mean of [`silhouette_samples`]: near 1 for compact, well-separated clusters, near 0
/// for overlapping ones, negative when samples sit closer to another cluster than their own.
pub fn silhouette_score(x: &Tensor<f64>, labels: &[i64]) -> f64 {
    let s = silhouette_samples(x, labels);
    s.iter().sum::<f64>() / s.len() as f64
}

/// The Davies–Bouldin index: for each cluster the largest (sᵢ + sⱼ) / ‖cᵢ − cⱼ‖ over the
/// other clusters, averaged, with s the mean distance of a cluster's members to its centroid
/// c. 0 is best. Panics unless there are 2 to n − 1 distinct labels.
pub fn davies_bouldin_score(x: &Tensor<f64>, labels: &[i64]) -> f64 {
    let (codes, k) = check_internal("davies_bouldin_score", x, labels);
    let d = x.shape()[1];
    let values = x.contiguous().to_vec();
    let mut centroids = vec![0.0; k * d];
    let mut sizes = vec![0usize; k];
    for (row, &c) in values.chunks(d.max(1)).zip(&codes) {
        sizes[c] += 1;
        centroids[c * d..(c + 1) * d].iter_mut().zip(row).for_each(|(s, v)| *s += v);
    }
    for (c, centroid) in centroids.chunks_mut(d.max(1)).enumerate() {
        centroid.iter_mut().for_each(|s| *s /= sizes[c] as f64);
    }
    let distance = |a: &[f64], b: &[f64]| a.iter().zip(b).map(|(p, q)| (p - q) * (p - q)).sum::<f64>().sqrt();
    let mut spread = vec![0.0; k];
    for (row, &c) in values.chunks(d.max(1)).zip(&codes) {
        spread[c] += distance(row, &centroids[c * d..(c + 1) * d]);
    }
    spread.iter_mut().zip(&sizes).for_each(|(s, &m)| *s /= m as f64);
    let between = |i: usize, j: usize| distance(&centroids[i * d..(i + 1) * d], &centroids[j * d..(j + 1) * d]);
    let all_between_zero = (0..k).all(|i| (0..k).all(|j| between(i, j) == 0.0));
    if spread.iter().all(|&s| s == 0.0) || all_between_zero {
        return 0.0;
    }
    let worst: f64 = (0..k)
        .map(|i| {
            (0..k)
                .filter(|&j| j != i)
                .map(|j| {
                    let gap = between(i, j);
                    // Coinciding centroids count as infinitely far apart, as in scikit-learn.
                    if gap == 0.0 {
                        0.0
                    } else {
                        (spread[i] + spread[j]) / gap
                    }
                })
                .fold(0.0, f64::max)
        })
        .sum();
    worst / k as f64
}

/// The k-means objective: Σ ‖xᵢ − c_{labelᵢ}‖² (`centers`: `[clusters, features]`, `labels`
/// index its rows). Panics on mismatched shapes or a label outside the centers.
pub fn inertia(x: &Tensor<f64>, labels: &[i64], centers: &Tensor<f64>) -> f64 {
    assert!(
        x.rank() == 2 && centers.rank() == 2,
        "inertia: x and centers must be 2-D, got {:?} and {:?}",
        x.shape(),
        centers.shape()
    );
    let (n, d, k) = (x.shape()[0], x.shape()[1], centers.shape()[0]);
    assert_eq!(n, labels.len(), "inertia: x has {n} rows but there are {} labels", labels.len());
    assert_eq!(d, centers.shape()[1], "inertia: x has {d} features but the centers {}", centers.shape()[1]);
    let (values, centers) = (x.contiguous().to_vec(), centers.contiguous().to_vec());
    values
        .chunks(d.max(1))
        .zip(labels)
        .map(|(row, &l)| {
            assert!(l >= 0 && (l as usize) < k, "inertia: label {l} is outside the {k} centers");
            let c = &centers[l as usize * d..(l as usize + 1) * d];
            row.iter().zip(c).map(|(a, b)| (a - b) * (a - b)).sum::<f64>()
        })
        .sum()
}
