//! Chapter 6 exercises. Replace each `unimplemented!` below a `TODO` with your
//! code, then run
//!
//! ```text
//! cargo test -p ch06-data --features learner          # every exercise
//! cargo test -p ch06-data --features learner ex6_3    # one exercise
//! ```
//!
//! Edit only the bodies; keep the signatures. The reference answers are in
//! `solutions.rs`: try first, then compare. Tables are plain `Vec`s of rows here,
//! so each exercise is about the idea, not the tensor API.
#![allow(unused_variables)]

// ANCHOR: ex6_1
/// Exercise 6.1 (warm-up). A min-max scaler: `fit` remembers each column's minimum
/// and maximum on the training rows; `transform` maps x to (x − min)/(max − min). A
/// column that was constant in training maps to 0.
#[derive(Clone, Debug, Default)]
pub struct MinMax {
    pub min: Vec<f64>,
    pub max: Vec<f64>,
}

impl MinMax {
    pub fn fit(rows: &[Vec<f64>]) -> MinMax {
        // TODO(6.1): one minimum and one maximum per column.
        unimplemented!("exercise 6.1: MinMax::fit")
    }

    pub fn transform(&self, rows: &[Vec<f64>]) -> Vec<Vec<f64>> {
        // TODO(6.1)
        unimplemented!("exercise 6.1: MinMax::transform")
    }
}
// ANCHOR_END: ex6_1

// ANCHOR: ex6_2
/// Exercise 6.2. k-fold cross-validation without shuffling: cut `0..n` into `k`
/// consecutive groups whose sizes differ by at most one (the first `n % k` groups
/// get the extra sample). Fold j is `(train, test)`: it tests on group j and trains
/// on every other position, both in increasing order.
pub fn k_fold_indices(n: usize, k: usize) -> Vec<(Vec<usize>, Vec<usize>)> {
    // TODO(6.2)
    unimplemented!("exercise 6.2: k_fold_indices")
}
// ANCHOR_END: ex6_2

// ANCHOR: ex6_3
/// Exercise 6.3. One-hot encoding of a categorical column: number the categories in
/// order of first appearance and return them with one row per value (a 1 in the
/// category's column, 0 elsewhere).
pub fn one_hot(values: &[&str]) -> (Vec<String>, Vec<Vec<f32>>) {
    // TODO(6.3)
    unimplemented!("exercise 6.3: one_hot")
}
// ANCHOR_END: ex6_3

// ANCHOR: ex6_4
/// Exercise 6.4. The batches of one shuffled epoch, as a loader plans them: a
/// random order of `0..n` drawn from the epoch's own stream
/// `kindling_data::epoch_rng(seed, epoch)` (use its `permutation`), cut into
/// batches of `batch_size`; the short last batch is dropped when `drop_last` is
/// set.
pub fn epoch_batches(
    n: usize,
    batch_size: usize,
    seed: u64,
    epoch: u64,
    drop_last: bool,
) -> Vec<Vec<usize>> {
    // TODO(6.4)
    unimplemented!("exercise 6.4: epoch_batches")
}
// ANCHOR_END: ex6_4

// ANCHOR: ex6_5
/// Exercise 6.5. Mean imputation fitted on training rows only: `fit_means` returns
/// each column's mean over the values that are present (not NaN); `impute` replaces
/// every NaN with its column's fitted mean.
pub fn fit_means(train: &[Vec<f64>]) -> Vec<f64> {
    // TODO(6.5)
    unimplemented!("exercise 6.5: fit_means")
}

pub fn impute(rows: &[Vec<f64>], means: &[f64]) -> Vec<Vec<f64>> {
    // TODO(6.5)
    unimplemented!("exercise 6.5: impute")
}
// ANCHOR_END: ex6_5

// ANCHOR: ex6_6
/// Exercise 6.6. The sizes of a train/validation/test split of `n` samples by
/// `ratios` (which add up to 1): each part gets ⌊n·ratio⌋, then the samples left
/// over go one each to the parts with the largest fractional remainders (the
/// earlier part first on a tie), so the sizes always add up to n.
pub fn split_sizes(n: usize, ratios: [f64; 3]) -> [usize; 3] {
    // TODO(6.6)
    unimplemented!("exercise 6.6: split_sizes")
}
// ANCHOR_END: ex6_6
