//! Splitting a dataset's positions: hold-out splits, k-fold and stratified k-fold
//! cross-validation, and bootstrap samples.
//!
//! Every function works on positions `0..n` (or on one label per position) and returns index
//! lists, so the same split can cut a [`TensorDataset`](crate::TensorDataset) (with
//! [`TensorDataset::select`](crate::TensorDataset::select)), a [`Subset`](crate::Subset), or a
//! plain `Vec`. All randomness comes from the `seed` argument.

use crate::sampler::group_by_class;
use kindling_tensor::Rng;

/// Shuffles `0..n` and cuts it into consecutive parts of the given sizes. Panics unless the
/// sizes add up to `n`.
pub fn random_split(n: usize, sizes: &[usize], seed: u64) -> Vec<Vec<usize>> {
    let total: usize = sizes.iter().sum();
    assert!(total == n, "random_split: the part sizes {sizes:?} add up to {total}, not to the {n} samples");
    let order = Rng::seed(seed).permutation(n);
    let mut parts = Vec::with_capacity(sizes.len());
    let mut start = 0;
    for &size in sizes {
        parts.push(order[start..start + size].to_vec());
        start += size;
    }
    parts
}

/// Part sizes for `n` samples in proportion to `fractions` (which must be non-negative and add
/// up to 1 within 1e-6). Each part gets `floor(n · f)`, and the samples left over go one each
/// to the parts with the largest remainders, so the sizes always add up to `n`.
pub fn split_sizes(n: usize, fractions: &[f64]) -> Vec<usize> {
    let sum: f64 = fractions.iter().sum();
    assert!(
        fractions.iter().all(|&f| f >= 0.0 && f.is_finite()) && (sum - 1.0).abs() <= 1e-6,
        "split_sizes: fractions {fractions:?} must be non-negative and add up to 1 (they add up to {sum})"
    );
    let exact: Vec<f64> = fractions.iter().map(|&f| f * n as f64).collect();
    let mut sizes: Vec<usize> = exact.iter().map(|&e| (e + 1e-9).floor() as usize).collect();
    let mut left = n.saturating_sub(sizes.iter().sum());
    let mut by_remainder: Vec<usize> = (0..fractions.len()).collect();
    by_remainder
        .sort_by(|&a, &b| (exact[b] - sizes[b] as f64).total_cmp(&(exact[a] - sizes[a] as f64)).then(a.cmp(&b)));
    for &part in by_remainder.iter().cycle() {
        if left == 0 {
            break;
        }
        sizes[part] += 1;
        left -= 1;
    }
    sizes
}

/// [`random_split`] with sizes given as fractions of `n` (see [`split_sizes`]).
pub fn random_split_fractions(n: usize, fractions: &[f64], seed: u64) -> Vec<Vec<usize>> {
    random_split(n, &split_sizes(n, fractions), seed)
}

/// A hold-out split into training, validation and test positions.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct TrainValTest {
    /// Positions to fit the model (and the preprocessing) on.
    pub train: Vec<usize>,
    /// Positions to choose hyperparameters and stop early on.
    pub validation: Vec<usize>,
    /// Positions to report the final score on, touched once.
    pub test: Vec<usize>,
}

/// Splits `0..n` at random by the ratios `[train, validation, test]` (which add up to 1;
/// 70-80 / 10-15 / 10-15 is usual). With `[0.8, 0.1, 0.1]` and `n = 1000` the parts hold exactly
/// 800, 100 and 100 positions.
pub fn train_val_test_split(n: usize, ratios: [f64; 3], seed: u64) -> TrainValTest {
    let mut parts = random_split_fractions(n, &ratios, seed).into_iter();
    let (train, validation, test) = (parts.next().unwrap(), parts.next().unwrap(), parts.next().unwrap());
    TrainValTest { train, validation, test }
}

/// Like [`train_val_test_split`], but each class is split by the ratios on its own, so the
/// three parts keep the class proportions of `labels`.
pub fn stratified_train_val_test_split(labels: &[i64], ratios: [f64; 3], seed: u64) -> TrainValTest {
    let mut rng = Rng::seed(seed);
    let mut out = TrainValTest { train: Vec::new(), validation: Vec::new(), test: Vec::new() };
    for mut members in group_by_class(labels) {
        rng.shuffle(&mut members);
        let sizes = split_sizes(members.len(), &ratios);
        out.train.extend_from_slice(&members[..sizes[0]]);
        out.validation.extend_from_slice(&members[sizes[0]..sizes[0] + sizes[1]]);
        out.test.extend_from_slice(&members[sizes[0] + sizes[1]..]);
    }
    for part in [&mut out.train, &mut out.validation, &mut out.test] {
        rng.shuffle(part);
    }
    out
}

/// One round of cross-validation: fit on `train`, score on `test`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fold {
    /// The positions to fit on (every position not in `test`).
    pub train: Vec<usize>,
    /// The held-out positions.
    pub test: Vec<usize>,
}

/// Builds the folds from `k` disjoint test groups: each fold trains on everything else.
fn folds_from_groups(n: usize, groups: Vec<Vec<usize>>) -> Vec<Fold> {
    groups
        .into_iter()
        .map(|mut test| {
            test.sort_unstable();
            let mut in_test = vec![false; n];
            for &i in &test {
                in_test[i] = true;
            }
            let train = (0..n).filter(|&i| !in_test[i]).collect();
            Fold { train, test }
        })
        .collect()
}

/// k-fold cross-validation: `0..n` (shuffled first when `seed` is given) is cut into `k`
/// consecutive groups whose sizes differ by at most one; fold `j` tests on group `j` and trains
/// on the rest. Every position is in exactly one test fold. Panics unless `2 <= k <= n`.
pub fn k_fold(n: usize, k: usize, seed: Option<u64>) -> Vec<Fold> {
    assert!(k >= 2 && k <= n, "k_fold: need 2 <= k <= n, got k = {k} for n = {n}");
    let order = match seed {
        Some(s) => Rng::seed(s).permutation(n),
        None => (0..n).collect(),
    };
    let mut groups = Vec::with_capacity(k);
    let mut start = 0;
    for j in 0..k {
        let size = n / k + usize::from(j < n % k);
        groups.push(order[start..start + size].to_vec());
        start += size;
    }
    folds_from_groups(n, groups)
}

/// Stratified k-fold: like [`k_fold`], but each class's positions are shuffled and dealt to the
/// folds in turn, so every test fold keeps the class proportions of `labels` (to within one
/// sample per class). Panics unless `2 <= k <= labels.len()`.
pub fn stratified_k_fold(labels: &[i64], k: usize, seed: u64) -> Vec<Fold> {
    let n = labels.len();
    assert!(k >= 2 && k <= n, "stratified_k_fold: need 2 <= k <= n, got k = {k} for n = {n}");
    let mut rng = Rng::seed(seed);
    let mut groups = vec![Vec::new(); k];
    // Dealing continues where the previous class stopped, so the fold sizes stay balanced.
    let mut next = 0;
    for mut members in group_by_class(labels) {
        rng.shuffle(&mut members);
        for i in members {
            groups[next].push(i);
            next = (next + 1) % k;
        }
    }
    folds_from_groups(n, groups)
}

/// One bootstrap resample: `n` positions drawn with replacement, and the positions never drawn.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Bootstrap {
    /// The resample, `n` positions with repeats (fit a bagged model on these).
    pub sample: Vec<usize>,
    /// The positions not in `sample`, in increasing order (about 36.8% of them for large `n`):
    /// a free validation set for that model.
    pub out_of_bag: Vec<usize>,
}

/// `count` independent bootstrap resamples of `0..n`.
pub fn bootstrap(n: usize, count: usize, seed: u64) -> Vec<Bootstrap> {
    assert!(n > 0, "bootstrap: cannot resample zero samples");
    let mut rng = Rng::seed(seed);
    (0..count)
        .map(|_| {
            let sample: Vec<usize> = (0..n).map(|_| rng.below(n as u64) as usize).collect();
            let mut drawn = vec![false; n];
            for &i in &sample {
                drawn[i] = true;
            }
            let out_of_bag = (0..n).filter(|&i| !drawn[i]).collect();
            Bootstrap { sample, out_of_bag }
        })
        .collect()
}
