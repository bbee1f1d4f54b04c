//! Chapter 17 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch17-trees --features learner --test exercises          # every exercise
//! cargo test -p ch17-trees --features learner --test exercises ex17_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. Each exercise is one small step of an
//! algorithm of the chapter, checked against numbers scikit-learn computed
//! (`tests/fixtures/exercises.json`, made by `make_fixtures.py` beside it) or
//! against an independent computation in the test. The reference answers are in
//! `solutions.rs`: try first, then compare.
#![allow(unused_variables, unused_imports)]

use kindling_tensor::Tensor;

// ANCHOR: ex17_1
/// Exercise 17.1 (warm-up). The Gini impurity 1 − Σ pₖ² and the entropy −Σ pₖ·log₂
/// pₖ of a node whose samples have the class counts `counts` (a count may be 0;
/// 0·log 0 counts as 0). Returns `(gini, entropy)`.
pub fn gini_and_entropy(counts: &[usize]) -> (f64, f64) {
    // TODO(17.1): pₖ = countₖ / total.
    unimplemented!("exercise 17.1: gini_and_entropy")
}
// ANCHOR_END: ex17_1

// ANCHOR: ex17_2
/// Exercise 17.2. The best split of one feature for a classification tree: the
/// threshold t (rows with `feature ≤ t` go left) that minimises the weighted Gini
/// impurity of the two children, (n_left·G_left + n_right·G_right) / n. Candidates
/// are the midpoints between consecutive distinct sorted values; on a tie, the
/// smallest threshold wins. Labels are `0..n_classes`. Returns `(threshold,
/// weighted_gini)`, or `None` when every value is equal.
pub fn best_threshold(
    feature: &[f64],
    labels: &[usize],
    n_classes: usize,
) -> Option<(f64, f64)> {
    // TODO(17.2): sort the rows by value once, then walk left to right moving one
    // row at a time from the right counts to the left counts: each candidate costs
    // O(classes), not O(n).
    unimplemented!("exercise 17.2: best_threshold")
}
// ANCHOR_END: ex17_2

// ANCHOR: ex17_3
/// Exercise 17.3. One step of Lloyd's algorithm for k-means: assign every row of
/// `x` (`[n, d]`) to its nearest centre (`[k, d]`, squared Euclidean distance; on a
/// tie the lower index), then move each centre to the mean of its rows (a centre
/// with no rows stays where it is). Returns `(labels, new_centers, inertia)`, the
/// inertia being the sum of the squared distances of the rows to the centres they
/// were assigned to (the old centres).
pub fn kmeans_step(
    x: &Tensor<f64>,
    centers: &Tensor<f64>,
) -> (Vec<usize>, Tensor<f64>, f64) {
    // TODO(17.3)
    unimplemented!("exercise 17.3: kmeans_step")
}
// ANCHOR_END: ex17_3

// ANCHOR: ex17_4
/// Exercise 17.4. The silhouette of row `i` of `x` under the clustering `labels`:
/// s = (b − a) / max(a, b), where a is the mean distance from row i to the other
/// rows of its own cluster and b the smallest mean distance from row i to the rows
/// of another cluster. A row alone in its cluster has silhouette 0 (scikit-learn's
/// convention).
pub fn silhouette_of(x: &Tensor<f64>, labels: &[usize], i: usize) -> f64 {
    // TODO(17.4): Euclidean distances, not squared ones.
    unimplemented!("exercise 17.4: silhouette_of")
}
// ANCHOR_END: ex17_4

// ANCHOR: ex17_5
/// Exercise 17.5. The RBF kernel matrix K(i, j) = exp(−γ·‖aᵢ − bⱼ‖²) between the
/// rows of `a` (`[n, d]`) and `b` (`[m, d]`), as an `[n, m]` tensor.
pub fn rbf_kernel(a: &Tensor<f64>, b: &Tensor<f64>, gamma: f64) -> Tensor<f64> {
    // TODO(17.5): the squared distances through one matrix product, as in exercise
    // 16.6 (clamped at 0), then the exponential.
    unimplemented!("exercise 17.5: rbf_kernel")
}

/// Exercise 17.5, second part. scikit-learn's default γ = "scale": 1 / (d ·
/// Var(x)), the variance taken over every entry of `x` (`[n, d]`) at once.
pub fn gamma_scale(x: &Tensor<f64>) -> f64 {
    // TODO(17.5)
    unimplemented!("exercise 17.5: gamma_scale")
}
// ANCHOR_END: ex17_5

// ANCHOR: ex17_6
/// Exercise 17.6. One round of AdaBoost's SAMME update. `weights` are the current
/// sample weights (they sum to 1), `correct[i]` says whether this round's weak
/// learner classified row i correctly, `n_classes` is K. Returns `(error, alpha,
/// new_weights)`: the weighted error ε = Σ wᵢ over the misclassified rows; the
/// learner's weight α = learning_rate · (ln((1 − ε)/ε) + ln(K − 1)); and the
/// weights with every misclassified row multiplied by e^α, normalised to sum 1.
pub fn samme_round(
    weights: &[f64],
    correct: &[bool],
    n_classes: usize,
    learning_rate: f64,
) -> (f64, f64, Vec<f64>) {
    // TODO(17.6)
    unimplemented!("exercise 17.6: samme_round")
}
// ANCHOR_END: ex17_6

// ANCHOR: ex17_7
/// Exercise 17.7. PCA's explained variance from the singular values sᵢ of the
/// centred data matrix (all of them, descending) and the number of samples n: the
/// variance along component i is sᵢ² / (n − 1), and its ratio is that over the sum
/// for all components. Returns `(explained_variance, explained_variance_ratio)`.
pub fn explained_variance(
    singular_values: &[f64],
    n_samples: usize,
) -> (Vec<f64>, Vec<f64>) {
    // TODO(17.7)
    unimplemented!("exercise 17.7: explained_variance")
}
// ANCHOR_END: ex17_7

// ANCHOR: ex17_8
/// Exercise 17.8. Second-order boosting's best split from the histograms of one
/// feature: `gradients[b]` and `hessians[b]` are the sums of gᵢ and hᵢ over the
/// rows that fall in bin b. Splitting after bin b (bins ≤ b go left) gains
/// ½·(G_L²/(H_L + λ) + G_R²/(H_R + λ) − G²/(H + λ)), where G, H are the totals. A
/// side with a hessian sum below `min_hessian` is not allowed. Returns `(bin,
/// gain)` for the largest gain (a tie: the lower bin), or `None` when no split is
/// allowed.
pub fn best_histogram_split(
    gradients: &[f64],
    hessians: &[f64],
    lambda: f64,
    min_hessian: f64,
) -> Option<(usize, f64)> {
    // TODO(17.8): one left-to-right pass with running sums; the right side is the
    // total minus the left (the same subtraction that builds a child's histogram
    // from its parent's).
    unimplemented!("exercise 17.8: best_histogram_split")
}
// ANCHOR_END: ex17_8
